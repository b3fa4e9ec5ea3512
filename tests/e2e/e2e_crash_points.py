"""Every named crash point (docs/fault-tolerance.md), for a stateless file -> file
job and three stateful ones (running aggregation in update and complete mode to the
console; windowed count with a watermark in append mode to the file sink; two
chained windowed counts, whose crashes can fall between the operators' commits).

Per scenario: run with SPATE_CRASH_AT=<point>:<nth> (the process must die by
SIGKILL at that point), optionally crash again at the first hit of the same point
during the restart, then run to completion. Pass criteria:
  - the checkpoint logs stay well formed after every kill (ids contiguous, offsets
    at most one batch ahead of commits, no commit without offsets) and offsets
    entries written before a crash are never changed afterwards;
  - file sinks: `spate verify` finds every record exactly once, and the output
    lines and the batch -> input-file assignment (file source log) equal an
    uninterrupted run's;
  - console sinks: every batch printed by any run (including a replayed batch)
    prints exactly the rows the uninterrupted run printed for that batch id, and
    the final state equals the oracle.
SPATE_FT_ONLY=<substring> limits the scenarios (debugging); SPATE_FT_FILES / SPATE_FT_PER
set the input size (make soak)."""
import json
import os
import re
import sys
from collections import defaultdict

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ft_test import *  # noqa
from spate_test import metadata_files, sink_lines

FILES = int(os.environ.get("SPATE_FT_FILES", "12"))  # >= 12: state maintenance runs at batch 9
PER = int(os.environ.get("SPATE_FT_PER", "10"))
N = FILES * PER
ONLY = os.environ.get("SPATE_FT_ONLY", "")
root = tempdir("crash")
inp = os.path.join(root, "in")
gen_seq(inp, FILES, PER)
stats = defaultdict(int)


def source_batches(chk):
    """batchId -> sorted input paths, from the file source log (compact files honoured)."""
    d = os.path.join(chk, "sources", "0")
    out = defaultdict(list)
    for name in os.listdir(d):
        if not (name.isdigit() or name.endswith(".compact")):
            continue
        for line in read_text(os.path.join(d, name)).split("\n")[1:]:
            if line:
                e = json.loads(line)
                if e["path"] not in out[e["batchId"]]:
                    out[e["batchId"]].append(e["path"])
    return {k: sorted(v) for k, v in out.items()}


def offsets_snapshot(chk):
    d = os.path.join(chk, "offsets")
    return {n: read_text(os.path.join(d, n)) for n in os.listdir(d) if n.isdigit()} if os.path.isdir(d) else {}


def scenario(tag, job, point, nth, again, vars_, check_output):
    name = "%s/%s:%d%s" % (tag, point, nth, "+again" if again else "")
    if ONLY and ONLY not in name:
        return
    outputs = []
    p = run_job(job, crash="%s:%d" % (point, nth), **vars_)
    check(p.returncode == SIGKILL_RC and ("crash point %s hit %d" % (point, nth)) in p.stderr,
          "%s: expected a SIGKILL at the crash point, got exit %d\nstderr:\n%s" % (name, p.returncode, p.stderr))
    outputs.append(p.stdout)
    chk = vars_["checkpoint"]
    check_logs(chk, name + " after crash")
    before = offsets_snapshot(chk)
    if again:
        p = run_job(job, crash="%s:1" % point, **vars_)
        check(p.returncode in (0, SIGKILL_RC), "%s: recovery run exited %d\n%s" % (name, p.returncode, p.stderr))
        stats["recovery crashes"] += p.returncode == SIGKILL_RC
        outputs.append(p.stdout)
        check_logs(chk, name + " after the crash during recovery")
    p = run_ok(job, **vars_)
    outputs.append(p.stdout)
    check_logs(chk, name + " at the end")
    after = offsets_snapshot(chk)
    for k, v in before.items():
        check(after.get(k, v) == v, "%s: offsets/%s changed after recovery" % (name, k))
    check_output(name, outputs)
    stats["scenarios"] += 1


# ---- stateless file -> file ----
def file_vars(d):
    return dict(input=inp, output=os.path.join(d, "out"), checkpoint=os.path.join(d, "chk"), compact=3, retain=3)


ref_dir = os.path.join(root, "ref-copy")
ref_vars = file_vars(ref_dir)
run_ok("seq-copy.sql", **ref_vars)
ok, text = verify(ref_vars["output"], 0, N - 1)
check(ok, "uninterrupted stateless run fails the oracle:\n" + text)
REF_LINES = sorted(sink_lines(ref_vars["output"]))
REF_BATCHES = source_batches(ref_vars["checkpoint"])
check(len(REF_BATCHES) == FILES, "one input file per batch expected, got %r" % REF_BATCHES)


def stateless_check(vars_):
    def f(name, _outputs):
        ok2, text2 = verify(vars_["output"], 0, N - 1)
        check(ok2, "%s: oracle failed:\n%s" % (name, text2))
        check(sorted(sink_lines(vars_["output"])) == REF_LINES, "%s: output differs from the uninterrupted run" % name)
        check(source_batches(vars_["checkpoint"]) == REF_BATCHES,
              "%s: batches read other files than the uninterrupted run" % name)
    return f


STATELESS = [
    ("offsets.partial", 4, False), ("offsets.written", 4, True), ("offsets.synced", 4, True),
    ("offsets.renamed", 4, True), ("commits.written", 4, False), ("commits.synced", 4, False),
    ("commits.renamed", 4, True), ("sink.data.partial", 4, True), ("sink.data.synced", 4, False),
    ("sink.files.synced", 4, True), ("sink.log.partial", 4, False), ("sink.log.synced", 4, False),
    ("sink.log.written", 4, True), ("sink.log.compact.partial", 2, True), ("sink.log.compact.renamed", 1, False),
    ("source.log.written", 4, False), ("source.log.compact.partial", 2, True), ("batch.executed", 4, True),
    ("batch.committed", 4, True), ("purge.mid", 2, True), ("purge.mid", 7, False),
]
for i, (pt, nth, again) in enumerate(STATELESS):
    v = file_vars(os.path.join(root, "s%d" % i))
    scenario("stateless", "seq-copy.sql", pt, nth, again, v, stateless_check(v))


# ---- stateful: running aggregation to the console (update and complete) ----
def expected_totals():
    t = defaultdict(lambda: [0, 0])
    for s in range(N):
        t[s % 7][0] += 1
        t[s % 7][1] += s
    return {k: tuple(v) for k, v in t.items()}


TOTALS = expected_totals()


def console_batches(text):
    """[(batch id, sorted rows)] in print order; rows are tuples of ints."""
    out = []
    for m in re.finditer(r"Batch: (\d+)\n-+\n(.*?)\n\n", text, re.S):
        rows = []
        for line in m.group(2).split("\n"):
            cells = [c.strip() for c in line.strip("|").split("|")] if line.startswith("|") else None
            if cells and cells[0] != "k":
                rows.append(tuple(int(c) for c in cells))
        out.append((int(m.group(1)), sorted(rows)))
    return out


def agg_vars(d, mode):
    return dict(input=inp, checkpoint=os.path.join(d, "chk"), mode=mode, retain=3)


REF_CONSOLE = {}
for mode in ("update", "complete"):
    p = run_ok("seq-agg-console.sql", **agg_vars(os.path.join(root, "ref-" + mode), mode))
    b = console_batches(p.stdout)
    check([i for i, _ in b] == list(range(FILES)), "%s reference printed batches %r" % (mode, [i for i, _ in b]))
    REF_CONSOLE[mode] = dict(b)
    final = {r[0]: (r[1], r[2]) for r in b[-1][1]}
    check(final == TOTALS, "%s reference final table %r != %r" % (mode, final, TOTALS))


def console_check(mode):
    def f(name, outputs):
        state = {}
        last = -1
        for out in outputs:
            for bid, rows in console_batches(out):
                check(rows == REF_CONSOLE[mode][bid],
                      "%s: batch %d printed %r, the uninterrupted run %r" % (name, bid, rows, REF_CONSOLE[mode][bid]))
                check(bid >= last or bid == last + 0, "%s: batch ids went backwards" % name)
                if mode == "complete":
                    state = {}
                for r in rows:
                    state[r[0]] = (r[1], r[2])
                last = bid
        check(last == FILES - 1, "%s: last printed batch %d" % (name, last))
        check(state == TOTALS, "%s: final state %r != %r" % (name, state, TOTALS))
    return f


STATEFUL_CONSOLE = [
    ("state.delta.partial", 5, False), ("state.delta.written", 5, True), ("state.delta.renamed", 5, True),
    ("state.snapshot.partial", 2, True), ("state.snapshot.renamed", 2, False), ("state.maintain.mid", 1, True),
    ("batch.executed", 5, True), ("batch.committed", 5, True), ("offsets.renamed", 5, False),
    ("commits.written", 5, False), ("purge.mid", 2, False),
]
for mode in ("update", "complete"):
    for i, (pt, nth, again) in enumerate(STATEFUL_CONSOLE):
        if mode == "complete" and i % 2:
            continue  # complete mode: every other point keeps CI short; update covers all
        v = agg_vars(os.path.join(root, "%s%d" % (mode, i)), mode)
        scenario("agg-" + mode, "seq-agg-console.sql", pt, nth, again, v, console_check(mode))


# ---- stateful: windowed count, append, file sink ----
def win_vars(d):
    return dict(input=inp, output=os.path.join(d, "out"), checkpoint=os.path.join(d, "chk"), retain=3, compact=3)


WINDOWS = (N - 1) // 5  # windows [0,5), [5,10), ... whose end <= the final watermark (max seq, delay 0)
wref = win_vars(os.path.join(root, "ref-win"))
run_ok("seq-window-file.sql", **wref)
REF_WIN = sorted(sink_lines(wref["output"]))
check(REF_WIN == sorted(json.dumps({"seq": w * 5, "n": 5, "s": sum(range(w * 5, w * 5 + 5))}, separators=(",", ":"))
                        for w in range(WINDOWS)), "windowed reference output:\n%s" % "\n".join(REF_WIN))


def win_check(vars_):
    def f(name, _outputs):
        p = spate(["verify", vars_["output"], "--expect-count", str(WINDOWS), "--expect-min", "0", "--expect-max",
                   str((WINDOWS - 1) * 5)])
        check(p.returncode == 0, "%s: windows not exactly once:\n%s" % (name, p.stdout + p.stderr))
        check(sorted(sink_lines(vars_["output"])) == REF_WIN, "%s: windows differ from the uninterrupted run" % name)
    return f


WINDOWED = [
    ("state.delta.renamed", 7, True), ("state.snapshot.partial", 3, True), ("state.maintain.mid", 1, False),
    ("sink.files.synced", 4, True), ("sink.log.written", 4, True), ("sink.log.compact.partial", 2, False),
    ("batch.executed", 6, True), ("batch.committed", 6, False),
]
for i, (pt, nth, again) in enumerate(WINDOWED):
    v = win_vars(os.path.join(root, "w%d" % i))
    scenario("window", "seq-window-file.sql", pt, nth, again, v, win_check(v))

# ---- stateful: two chained windowed counts, append, file sink ----
CHAINED_WINDOWS = (N - 1) // 15  # 15-second windows whose end <= the final watermark
cref = win_vars(os.path.join(root, "ref-chain"))
run_ok("seq-chain-file.sql", **cref)
REF_CHAIN = sorted(sink_lines(cref["output"]))
check(REF_CHAIN == sorted(json.dumps({"seq": w * 15, "n": 3, "s": sum(range(w * 15, w * 15 + 15))},
                                     separators=(",", ":")) for w in range(CHAINED_WINDOWS)),
      "chained reference output:\n%s" % "\n".join(REF_CHAIN))


def chain_check(vars_):
    def f(name, _outputs):
        p = spate(["verify", vars_["output"], "--expect-count", str(CHAINED_WINDOWS), "--expect-min", "0",
                   "--expect-max", str((CHAINED_WINDOWS - 1) * 15)])
        check(p.returncode == 0, "%s: windows not exactly once:\n%s" % (name, p.stdout + p.stderr))
        check(sorted(sink_lines(vars_["output"])) == REF_CHAIN, "%s: windows differ from the uninterrupted run" % name)
    return f


# Each batch commits 4 deltas, the first operator's 2 shuffle partitions, then the
# second's: the 6th rename completes the first operator's batch 1 with the second
# one's still to come (a crash between the operators), the 11th falls between the
# second operator's two partitions of batch 2.
CHAINED = [
    ("state.delta.renamed", 6, True), ("state.delta.renamed", 11, False), ("state.snapshot.partial", 3, True),
    ("batch.executed", 6, True), ("sink.log.written", 4, True),
]
for i, (pt, nth, again) in enumerate(CHAINED):
    v = win_vars(os.path.join(root, "c%d" % i))
    scenario("chain", "seq-chain-file.sql", pt, nth, again, v, chain_check(v))

cleanup(root)
print("crash scenarios: %d (recovery runs that crashed again: %d)" % (stats["scenarios"], stats["recovery crashes"]))
print("%d passed, 0 failed" % stats["scenarios"])
