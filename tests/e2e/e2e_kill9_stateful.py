"""Issue 6 scenario 3: kill -9 loop over stateful queries - a windowed count with a
watermark in append mode and a per-key running count/sum in update mode - with
exact results and no window emitted twice.

Input: events {"seq":K,"k":"k<0..KEYS-1>","t":<epoch s>} (t = BASE + K // RATE minus
0..4 s of disorder, so with the 10 s watermark delay no event is ever late), in
files written to a staging directory (fsync) and renamed into the input directory
while the query is killed over and over. maxFilesPerTrigger 1: one file per batch,
except that after a restart a batch may also take the files the killed run had
already logged in the file source log (Spark's FileStreamSource does the same).

Each round starts the job, optionally armed with a random crash point inside the
batch (SPATE_CRASH_AT=<point>:<nth>: state store delta/snapshot writes, state
maintenance, sink files/log, batch executed/committed, offsets/commits), trickles
files in for a random 0.1-0.8 s and then kill -9s it (if the crash point did not
already). After every kill the checkpoint logs must be well formed and the output
read so far must be exact:

 1. windows (tests/e2e/jobs/kv-window-file.sql -> json file sink read through
    _spark_metadata): no (window, key) twice, and every emitted window holds
    exactly the oracle's count and sum (in append mode a window is final when
    emitted). At the end a far-future event is added and a run with trigger
    availableNow closes every window: the output equals the oracle exactly (the
    flush event's own window is the only legitimately open one).
 2. running totals (tests/e2e/jobs/kv-sum-sqlite.sql, update mode, two queries:
    upsert into `totals`, append into `updates`): every row ever visible is the
    key's (count, sum) after some whole input file; per key the `updates` rows are
    strictly increasing; at the end `totals` equals the oracle exactly and
    `updates` holds, per key, exactly one row per batch whose files contain the key,
    with the running values after that batch (no batch lost, none applied twice;
    the batch -> files mapping is read from offsets/ and the file source log, as a
    batch may take several files when the source catches up after a restart).

Sizes: SPATE_KILLS (default 10 per query), SPATE_STATEFUL_FILES (default 8 per
kill) files of SPATE_STATEFUL_PER (default 25) events; SPATE_CRASH_P (default 0.4)
the share of rounds with a crash point armed; `make soak` raises them."""
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import defaultdict

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ft_test import JOBS, SIGKILL_RC, check_logs, job_args, spate  # noqa: E402
from spate_test import SPATE, check, cleanup, fail, metadata_files, tempdir  # noqa: E402

KILLS = int(os.environ.get("SPATE_KILLS", "10"))
FILES = int(os.environ.get("SPATE_STATEFUL_FILES", str(max(30, 8 * KILLS))))
PER = int(os.environ.get("SPATE_STATEFUL_PER", "25"))
CRASH_P = float(os.environ.get("SPATE_CRASH_P", "0.4"))
ONLY = os.environ.get("SPATE_STATEFUL_ONLY", "")  # "win" or "sum": one sub-test (debugging)
KEYS, RATE, BASE, DELAY, WIN = 7, 4, 1700000000, 10, 10
N = FILES * PER
rng = random.Random(int(os.environ.get("SPATE_SEED", "2468")))
root = tempdir("kill9-stateful")
t_start = time.time()

# ---- events and oracles ----
events = []  # per file: [(seq, k, t)]
for f in range(FILES):
    evs = []
    for seq in range(f * PER, (f + 1) * PER):
        evs.append((seq, "k%d" % rng.randrange(KEYS), BASE + seq // RATE - rng.randint(0, 4)))
    events.append(evs)
max_t = max(e[2] for evs in events for e in evs)
FLUSH = (N, "flush", max_t + 1000)  # advances the watermark past every real window

WINDOWS = defaultdict(lambda: [0, 0])  # (ws, k) -> [n, s]
for evs in events:
    for seq, k, t in evs:
        w = WINDOWS[(t - t % WIN, k)]
        w[0] += 1
        w[1] += seq
WINDOWS = {key: tuple(v) for key, v in WINDOWS.items()}

# running (count, sum) per key after each file; the flush file is the last one
run_tot = defaultdict(lambda: (0, 0))
VALID = defaultdict(set)        # k -> every (n, s) the key has after some whole file
UPDATES = defaultdict(list)     # k -> the update rows the batches emit, in order
for evs in events + [[FLUSH]]:
    touched = []
    for seq, k, t in evs:
        n, s = run_tot[k]
        run_tot[k] = (n + 1, s + seq)
        if k not in touched:
            touched.append(k)
    for k in touched:
        VALID[k].add(run_tot[k])
        UPDATES[k].append(run_tot[k])
TOTALS = dict(run_tot)


def write_files(staging):
    os.makedirs(staging)
    names = []
    for i, evs in enumerate(events + [[FLUSH]]):
        name = "ev-%05d.json" % i
        with open(os.path.join(staging, name), "w") as f:
            f.write("".join(json.dumps({"seq": s, "k": k, "t": t}, separators=(",", ":")) + "\n" for s, k, t in evs))
            f.flush()
            os.fsync(f.fileno())
        names.append(name)
    return names[:-1], names[-1]  # the flush file goes in only before the final run


POINTS_COMMON = ["state.delta.partial", "state.delta.written", "state.delta.synced", "state.delta.renamed",
                 "state.snapshot.partial", "state.snapshot.renamed", "state.maintain.mid", "batch.executed",
                 "batch.committed", "offsets.renamed", "commits.written", "commits.renamed", "source.log.written"]
HIT = defaultdict(int)
POINTS_FILE_SINK = ["sink.data.partial", "sink.files.synced", "sink.log.written", "sink.log.compact.partial",
                    "purge.mid"]


def kill_loop(name, args, chks, points, check_output):
    d = os.path.join(root, name)
    staging, inp = os.path.join(d, "staging"), os.path.join(d, "in")
    os.makedirs(inp)
    pending, flush = write_files(staging)

    def trickle(n):
        for _ in range(n):
            if pending:
                nm = pending.pop(0)
                os.rename(os.path.join(staging, nm), os.path.join(inp, nm))

    args = [a.replace("@IN@", inp) for a in args]
    trickle(2)
    per_kill = max(1, len(pending) // max(1, KILLS))
    stats = defaultdict(int)
    for k in range(KILLS):
        env = dict(os.environ)
        env.pop("SPATE_CRASH_AT", None)
        point = None
        if rng.random() < CRASH_P:
            point = "%s:%d" % (rng.choice(points), rng.randint(1, 4))
            env["SPATE_CRASH_AT"] = point
        p = subprocess.Popen([SPATE] + args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        delay = rng.uniform(0.1, 0.8)
        deadline, step = time.time() + delay, delay / per_kill
        while time.time() < deadline:
            trickle(1)
            time.sleep(step)
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
            stats["kill -9"] += 1
        _, err = p.communicate(timeout=60)
        err = err.decode("utf-8", "replace")
        if p.returncode != SIGKILL_RC:
            fail("%s round %d (crash point %s): exited %d by itself:\n%s" % (name, k, point, p.returncode, err))
        if point and "spate: crash point %s hit" % point.rsplit(":", 1)[0] in err:
            stats["crash points hit"] += 1
            HIT[point.rsplit(":", 1)[0]] += 1
        for c in chks:
            check_logs(c, "%s after kill %d (crash point %s)" % (name, k, point))
        check_output("%s after kill %d (crash point %s)" % (name, k, point), False)
    stats["visible during the loop"] = check_output("%s before the final run" % name, False)
    trickle(len(pending))
    os.rename(os.path.join(staging, flush), os.path.join(inp, flush))
    p = spate(args + ["--trigger", "available-now"], timeout=300)
    check(p.returncode == 0, "%s: final availableNow run exited %d:\n%s" % (name, p.returncode, p.stderr))
    for c in chks:
        offs, coms = check_logs(c, "%s at the end" % name)
        check(offs == coms or offs[-1:] == coms[-1:], "%s: offsets %r vs commits %r at the end" % (name, offs[-1:], coms[-1:]))
        stats["batches"] = max(stats["batches"], coms[-1] + 1)
    check_output("%s at the end" % name, True)
    return stats


# ---- 1. windowed count, append, file sink ----
wd = os.path.join(root, "win")
WOUT, WCHK = os.path.join(wd, "out"), os.path.join(wd, "chk")
wargs = job_args(os.path.join(JOBS, "kv-window-file.sql"), input="@IN@", output=WOUT, checkpoint=WCHK)


def window_rows(what):
    rows = {}
    for _, path, size in metadata_files(WOUT):
        with open(path, "rb") as f:
            data = f.read()
        check(len(data) == size, "%s: short file %s: %d bytes, log says %d" % (what, path, len(data), size))
        for line in data.decode().split("\n"):
            if not line:
                continue
            r = json.loads(line)
            key = (r["ws"], r["k"])
            check(key not in rows, "%s: window %r emitted twice: %r and %r" % (what, key, rows.get(key), r))
            rows[key] = (r["n"], r["s"])
    return rows


def window_check(what, final):
    rows = window_rows(what)
    for key, v in rows.items():
        check(WINDOWS.get(key) == v, "%s: window %r emitted with (n, s) %r, the oracle says %r"
              % (what, key, v, WINDOWS.get(key)))
    if final:
        missing = sorted(set(WINDOWS) - set(rows))
        check(not missing, "%s: %d windows never emitted, first %r" % (what, len(missing), missing[:3]))
        check(set(rows) == set(WINDOWS), "%s: unexpected windows %r" % (what, sorted(set(rows) - set(WINDOWS))[:3]))
    return len(rows)


wstats = defaultdict(int)
if ONLY in ("", "win"):
    wstats = kill_loop("win", wargs, [WCHK], POINTS_COMMON + POINTS_FILE_SINK, window_check)

# ---- 2. per-key running count/sum, update mode, SQLite sinks (upsert + append log) ----
sd = os.path.join(root, "sum")
os.makedirs(sd)
DB, DBLOG, SCHK = os.path.join(sd, "totals.db"), os.path.join(sd, "updates.db"), os.path.join(sd, "chk")
# retain: keep every offsets entry, the final check maps each batch to its files (the
# windows query exercises purging)
sargs = job_args(os.path.join(JOBS, "kv-sum-sqlite.sql"), input="@IN@", db=DB, db_log=DBLOG, checkpoint=SCHK,
                 retain=1000000)


def query(db, sql):
    if not os.path.exists(db):
        return []
    # read-write: after a kill -9 mid-transaction the first reader rolls the hot journal back
    con = sqlite3.connect(db, timeout=30)
    try:
        return con.execute(sql).fetchall()
    except sqlite3.OperationalError as e:
        if "no such table" in str(e):
            return []
        raise
    finally:
        con.close()


def batch_updates(chk):
    """The exact update rows per key from the batches the query really ran: offsets/B
    holds the file source's log offset, the source log the files of each offset."""
    files = defaultdict(set)
    d = os.path.join(chk, "sources", "0")
    for name in os.listdir(d):
        if name.isdigit() or name.endswith(".compact"):
            with open(os.path.join(d, name)) as f:
                for line in f.read().split("\n")[1:]:
                    if line:
                        e = json.loads(line)
                        files[e["batchId"]].add(os.path.basename(e["path"]))
    by_name = {"ev-%05d.json" % i: evs for i, evs in enumerate(events + [[FLUSH]])}
    offs = sorted(int(x) for x in os.listdir(os.path.join(chk, "offsets")) if x.isdigit())
    check(offs == list(range(len(offs))), "offsets purged or missing: %r" % offs[:5])
    tot, out, prev = defaultdict(lambda: (0, 0)), defaultdict(list), -1
    for b in offs:
        with open(os.path.join(chk, "offsets", str(b))) as f:
            lo = json.loads(f.read().strip().split("\n")[-1])["logOffset"]
        touched = []
        for sid in range(prev + 1, lo + 1):
            check(sid in files, "source log entry %d of batch %d missing" % (sid, b))
            for nm in sorted(files[sid]):
                for seq, k, _ in by_name[nm]:
                    n, sm = tot[k]
                    tot[k] = (n + 1, sm + seq)
                    if k not in touched:
                        touched.append(k)
        for k in touched:
            out[k].append(tot[k])
        prev = lo
    return dict(out)


def sum_check(what, final):
    totals = {k: (n, s) for k, n, s in query(DB, "SELECT k, n, s FROM totals")}
    for k, v in totals.items():
        check(v in VALID.get(k, ()), "%s: totals row %s=%r is no running value of the key after a whole file"
              % (what, k, v))
    ups = defaultdict(list)
    for k, n, s in query(DBLOG, "SELECT k, n, s FROM updates ORDER BY rowid"):
        ups[k].append((n, s))
    for k, rows in ups.items():
        # A batch may cover several files (after a restart the file source catches up
        # past maxFilesPerTrigger, as Spark's does), so the rows are a strictly
        # increasing subsequence of the per-file running values; exact at the end.
        it = iter(UPDATES[k])
        check(all(r in it for r in rows), "%s: update rows of key %s are no subsequence of the oracle's: %r..."
              % (what, k, rows[:10]))
    for db, q in ((DB, "totals"), (DBLOG, "updates")):
        prog = query(db, "SELECT batch_id FROM _spate_sink_progress")
        offs = [int(x) for x in os.listdir(os.path.join(SCHK, q, "offsets")) if x.isdigit()] \
            if os.path.isdir(os.path.join(SCHK, q, "offsets")) else []
        check(len(prog) <= 1 and (not prog or prog[0][0] <= max(offs)),
              "%s: %s sink progress %r beyond offsets %r" % (what, q, prog, max(offs) if offs else None))
    if final:
        check(totals == TOTALS, "%s: final totals %r != oracle %r" % (what, totals, TOTALS))
        exp = batch_updates(os.path.join(SCHK, "updates"))
        for k in sorted(set(exp) | set(ups)):
            if ups.get(k) != exp.get(k):
                a, b = ups.get(k, []), exp.get(k, [])
                i = next((j for j in range(min(len(a), len(b))) if a[j] != b[j]), min(len(a), len(b)))
                fail("%s: update rows of key %s differ from the batches' oracle at row %d (%d vs %d rows): "
                     "got %r, expected %r" % (what, k, i, len(a), len(b), a[max(0, i - 2):i + 3], b[max(0, i - 2):i + 3]))
    return sum(map(len, ups.values()))


sstats = defaultdict(int)
if ONLY in ("", "sum"):
    sstats = kill_loop("sum", sargs, [os.path.join(SCHK, "totals"), os.path.join(SCHK, "updates")], POINTS_COMMON,
                       sum_check)

print("windows: %d kill -9, %d crash points hit, %d batches, %d events, %d windows (%d emitted during the loop)"
      % (wstats["kill -9"], wstats["crash points hit"], wstats["batches"], N, len(WINDOWS),
         wstats["visible during the loop"]))
print("running sums: %d kill -9, %d crash points hit, %d batches, %d keys, %d update rows (%d during the loop)"
      % (sstats["kill -9"], sstats["crash points hit"], sstats["batches"], len(TOTALS),
         sum(map(len, UPDATES.values())), sstats["visible during the loop"]))
print("crash points hit: " + ", ".join("%s %d" % kv for kv in sorted(HIT.items())))
print("time %.1fs" % (time.time() - t_start))
cleanup(root)
print("2 passed, 0 failed")
