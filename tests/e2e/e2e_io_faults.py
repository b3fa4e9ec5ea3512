"""I/O errors in the write path (issue 6, scenario 6; docs/fault-tolerance.md, "Disk
full and I/O errors"): SPATE_FAULT_AT=<op>:<nth>[+][:<ERRNO>|:short] makes the nth
open / write / fsync / close / rename / mkdir / unlink of the checkpoint, state store
and file sink fail, for a stateless file -> file job (seq-copy.sql) and a stateful
windowed count to the file sink (seq-window-file.sql).

Per case (expectation "fail"):
  - the fault fired ("spate: injected fault <op>:<nth>" on stderr) and the process
    exited 1 (not by a signal) after stopping the query in the batch of the fault:
    checkpoint logs well formed, no offsets entry beyond the failing batch (when the
    error names it) and not every batch committed;
  - the error names the operation, a path under the test directory and strerror;
  - nothing torn is visible under a final name and no temp file is left behind;
  - `spate verify` passes on the committed output (stateless: exactly the inputs of
    the committed sink batches), which is a subset of the uninterrupted run's;
  - a restart without the fault completes, leaves the committed files untouched and
    produces exactly the uninterrupted run's rows.
Expectation "warn": a best-effort write (old-batch purge, state snapshot or
maintenance) failed: the query goes on with a "spate: WARN:" line naming the error,
and the output is exact. A case whose nth call lands on another kind of write than
when it was calibrated is checked by its actual outcome (and noted); a run that goes
on after an error always needs such a warning, and at least 20 cases must stop.
Expectation "ok": a short write(2) is completed by the writer, the output is exact.
The nth values are calibrated for FILES x PER = 6 x 20 (one input file per batch);
every case also checks that its fault really fired."""
import errno
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ft_test import *  # noqa
from spate_test import metadata_files, sink_lines, sink_log_ids

FILES, PER = 6, 20
N = FILES * PER
ONLY = os.environ.get("SPATE_FT_ONLY", "")
root = tempdir("iofault")
inp = os.path.join(root, "in")
gen_seq(inp, FILES, PER)

# Words each failing operation puts in the message (fs.c, checkpoint.c).
OP_WORDS = {"open": "open", "write": "write", "fsync": "fsync", "close": "close", "rename": "rename",
            "mkdir": "cannot create directory", "unlink": "cannot remove", "read": "cannot read"}


def job_vars(d):
    return dict(input=inp, output=os.path.join(d, "out"), checkpoint=os.path.join(d, "chk"), compact=3, retain=3)


def run_fault(job, spec, vars_):
    return spate(job_args(job, **vars_) + ["--trigger", "available-now"], {"SPATE_FAULT_AT": spec})


def error_text(stderr):
    """The query's error: the structured log line's exception, or the CLI's message."""
    m = re.search(r'exception="((?:[^"\\]|\\.)*)"', stderr)
    if m:
        return m.group(1)
    lines = [l for l in stderr.split("\n") if l.startswith("spate: ") and "injected fault" not in l]
    return lines[-1] if lines else ""


def committed_files(out):
    """{path: bytes} of every data file the sink log commits."""
    res = {}
    for _, path, _ in metadata_files(out):
        with open(path, "rb") as f:
            res[path] = f.read()
    return res


# ---- references: uninterrupted runs ----
REF, REF_BATCHES = {}, {}
for job in ("seq-copy.sql", "seq-window-file.sql"):
    v = job_vars(os.path.join(root, "ref-" + job))
    run_ok(job, **v)
    REF[job] = sorted(sink_lines(v["output"]))
    REF_BATCHES[job] = ids(os.path.join(v["checkpoint"], "commits"))[-1] + 1
check(REF["seq-copy.sql"] == sorted('{"seq":%d}' % i for i in range(N)), "stateless reference output wrong")
WINDOWS = (N - 1) // 5
check(len(REF["seq-window-file.sql"]) == WINDOWS, "windowed reference: %d windows, expected %d" %
      (len(REF["seq-window-file.sql"]), WINDOWS))

stats = {"fail": 0, "warn": 0, "ok": 0, "drift": 0}
# The writes that may fail without stopping the query (each with its WARN text).
BEST_EFFORT = ("cannot purge batches", "cannot write snapshot", "maintenance failed")


def check_output(job, out, name, final):
    """verify + subset (or equality when final) of the reference."""
    lines = sorted(sink_lines(out)) if os.path.isdir(os.path.join(out, "_spark_metadata")) else []
    if job == "seq-copy.sql":
        batches = (sink_log_ids(out)[-1] + 1) if lines or final else 0
        if batches or final:
            ok, text = verify(out, 0, (FILES if final else batches) * PER - 1)
            check(ok, "%s: oracle failed on the %s output:\n%s" % (name, "final" if final else "committed", text))
    elif lines or final:
        args = ["verify", out] + (["--expect-count", str(WINDOWS)] if final else [])
        p = spate(args)
        check(p.returncode == 0, "%s: oracle failed:\n%s" % (name, p.stdout + p.stderr))
    if final:
        check(lines == REF[job], "%s: final output differs from the uninterrupted run" % name)
    else:
        extra = set(lines) - set(REF[job])
        check(not extra, "%s: committed rows not in the uninterrupted run: %r" % (name, sorted(extra)[:5]))


def case(job, spec, expect):
    name = "%s %s" % (job, spec)
    if ONLY and ONLY not in name:
        return
    d = os.path.join(root, "c%d" % (stats["fail"] + stats["warn"] + stats["ok"]))
    vars_ = job_vars(d)
    op, nth = spec.split(":")[0], spec.split(":")[1].rstrip("+")
    t0 = time.time()
    p = run_fault(job, spec, vars_)
    took = time.time() - t0
    check(("spate: injected fault %s:%s " % (op, nth)) in p.stderr,
          "%s: the fault did not fire (calibration changed?)\nstderr:\n%s" % (name, p.stderr))
    check(p.returncode >= 0, "%s: died by signal %d\n%s" % (name, -p.returncode, p.stderr))
    chk, out = vars_["checkpoint"], vars_["output"]
    check_no_torn_files(d, name)
    offs, coms = check_logs(chk, name)
    outcome = expect
    if expect != "ok":
        outcome = "warn" if p.returncode == 0 else "fail"
        if outcome != expect:
            # The nth call landed elsewhere than when the case was calibrated (the engine
            # writes one file more or less): still checked, by what actually happened.
            print("note: %s: expected %s, got %s (calibration drift)" % (name, expect, outcome))
            stats["drift"] += 1
    if outcome == "fail":
        check(p.returncode == 1, "%s: expected exit 1, got %d\nstderr:\n%s" % (name, p.returncode, p.stderr))
        msg = error_text(p.stderr)
        errname = spec.split(":")[-1] if spec.count(":") >= 2 else "EIO"
        reason = os.strerror(getattr(errno, errname))
        check(reason in msg and OP_WORDS[op] in msg and d in msg,
              "%s: error must name the operation (%s), a path under %s and '%s':\n%s" %
              (name, OP_WORDS[op], d, reason, p.stderr))
        m = re.match(r"batch (\d+): ", msg)
        if m:
            check(offs and offs[-1] == int(m.group(1)),
                  "%s: failed in batch %s but offsets go to %r: the query did not stop" % (name, m.group(1), offs))
        check(not coms or coms[-1] < REF_BATCHES[job] - 1, "%s: every batch committed despite the error" % name)
        check(took < TIMEOUT / 2, "%s: took %.1fs to stop" % (name, took))
        check_output(job, out, name, final=False)
        before = committed_files(out)
        p2 = run_ok(job, **vars_)
        check("injected fault" not in p2.stderr, "%s: fault fired without SPATE_FAULT_AT" % name)
        after = committed_files(out)
        for path, data in before.items():
            check(after.get(path) == data, "%s: committed file %s changed or vanished on restart" % (name, path))
    elif outcome == "warn":
        # Only best-effort work may go on after an I/O error, and never silently.
        errname = spec.split(":")[-1] if spec.count(":") >= 2 else "EIO"
        warn = [l for l in p.stderr.split("\n") if l.startswith("spate: WARN:")]
        check(warn and os.strerror(getattr(errno, errname)) in warn[0] and d in warn[0] and
              any(w in warn[0] for w in BEST_EFFORT),
              "%s: the query went on after an I/O error that is not best-effort (%s), or did not warn:\n%s" %
              (name, "/".join(BEST_EFFORT), p.stderr))
    else:
        check(p.returncode == 0 and "WARN" not in p.stderr,
              "%s: a short write failed the query (exit %d)\n%s" % (name, p.returncode, p.stderr))
    check_logs(chk, name + " at the end")
    check_no_torn_files(d, name + " at the end")
    check_output(job, out, name, final=True)
    stats[outcome] += 1
    rmtree(d)


CASES = [
    # stateless file -> file (per batch: offsets, source log, 1-2 data files, sink log, commit)
    ("seq-copy.sql", "open:1", "fail"),                 # checkpoint lock
    ("seq-copy.sql", "open:20:ENOSPC", "fail"),         # data file, batch 1
    ("seq-copy.sql", "write:1:ENOSPC", "fail"),         # checkpoint metadata
    ("seq-copy.sql", "write:30:EDQUOT", "fail"),        # data file, batch 2
    ("seq-copy.sql", "write:12:short,write:13:ENOSPC", "fail"),  # the kernel's disk-full sequence
    ("seq-copy.sql", "write:20+:ENOSPC", "fail"),       # the disk stays full
    ("seq-copy.sql", "write:7:short", "ok"),
    ("seq-copy.sql", "fsync:1", "fail"),
    ("seq-copy.sql", "fsync:33:ENOSPC", "fail"),        # source log
    ("seq-copy.sql", "fsync:48", "fail"),               # offsets directory after offsets/4
    ("seq-copy.sql", "fsync:52", "fail"),               # output directory after a data file rename
    ("seq-copy.sql", "close:15", "fail"),
    ("seq-copy.sql", "rename:1", "fail"),
    ("seq-copy.sql", "rename:16:ENOSPC", "fail"),       # sink log compaction 2.compact
    ("seq-copy.sql", "rename:17", "fail"),              # commits/2
    ("seq-copy.sql", "rename:23:EDQUOT", "fail"),       # file source log sources/0/4
    ("seq-copy.sql", "mkdir:1:EROFS", "fail"),
    ("seq-copy.sql", "mkdir:7:ENOSPC", "fail"),         # sources/0, first batch
    ("seq-copy.sql", "unlink:1", "warn"),               # purge of offsets/0
    # stateful: windowed count, 2 state partitions, file sink
    ("seq-window-file.sql", "open:60", "fail"),          # state delta
    ("seq-window-file.sql", "write:1:ENOSPC", "fail"),
    ("seq-window-file.sql", "write:45:EDQUOT", "fail"),  # state delta
    ("seq-window-file.sql", "write:80", "fail"),         # state delta
    ("seq-window-file.sql", "write:40+:ENOSPC", "fail"),
    ("seq-window-file.sql", "write:50:short", "ok"),
    ("seq-window-file.sql", "fsync:77:ENOSPC", "warn"),  # state snapshot: optional
    ("seq-window-file.sql", "fsync:100", "fail"),        # state delta
    ("seq-window-file.sql", "close:30", "fail"),
    ("seq-window-file.sql", "rename:34:ENOSPC", "fail"),  # data file
    ("seq-window-file.sql", "mkdir:10:ENOSPC", "fail"),  # state/0/_metadata
    ("seq-window-file.sql", "unlink:1", "fail"),         # stale snapshot removal before a delta
    # reading back (sp_fs_read_all): log compaction reads the earlier entries
    ("seq-copy.sql", "read:3", "fail"),                  # file source log sources/0/1
    ("seq-copy.sql", "read:5:EIO", "fail"),              # sink log _spark_metadata/0
    ("seq-window-file.sql", "read:5", "fail"),           # sink log 2.compact at batch 5
]
for job_, spec_, expect_ in CASES:
    case(job_, spec_, expect_)

# Reads at a restart (read:1/2 hit the checkpoint metadata, 4 and 6 the sink log,
# 9 the file source log): an unreadable file stops the query before any batch,
# naming it; nothing is planned; a restart without the fault completes exactly.
if not ONLY or "restart-read" in ONLY:
    names = sorted(x for x in os.listdir(inp) if not x.startswith("."))
    for n in (1, 2, 4, 6, 9):
        d = os.path.join(root, "restart-read-%d" % n)
        own = os.path.join(d, "in")  # the first half of the input, then the rest
        os.makedirs(own)
        for x in names[:3]:
            os.link(os.path.join(inp, x), os.path.join(own, x))
        v = dict(job_vars(d), input=own)
        run_ok("seq-window-file.sql", **v)
        for x in names[3:]:
            os.link(os.path.join(inp, x), os.path.join(own, x))
        offs0, coms0 = check_logs(v["checkpoint"], "restart-read")
        p = run_fault("seq-window-file.sql", "read:%d" % n, v)
        name = "restart read:%d" % n
        if "injected fault read:%d " % n not in p.stderr:
            continue  # fewer reads at this restart than n
        msg = error_text(p.stderr)
        check(p.returncode == 1 and "cannot read" in msg and d in msg and os.strerror(errno.EIO) in msg,
              "%s: expected exit 1 naming the unreadable file:\n%s" % (name, p.stderr))
        offs1, coms1 = check_logs(v["checkpoint"], name)
        check(offs1 == offs0 and coms1 == coms0, "%s: a batch was planned after a failed read: %r -> %r" %
              (name, (offs0, coms0), (offs1, coms1)))
        run_ok("seq-window-file.sql", **v)
        check_output("seq-window-file.sql", v["output"], name, final=True)
        stats["fail"] += 1
        rmtree(d)

# A malformed spec is reported and disarms the injection.
if not ONLY:
    v = job_vars(os.path.join(root, "malformed"))
    p = run_fault("seq-copy.sql", "write:0:ENOSPC", v)
    check(p.returncode == 0 and "ignoring malformed SPATE_FAULT_AT" in p.stderr,
          "malformed spec: exit %d\n%s" % (p.returncode, p.stderr))
    check(sorted(sink_lines(v["output"])) == REF["seq-copy.sql"], "malformed spec: output differs")

cleanup(root)
total = stats["fail"] + stats["warn"] + stats["ok"]
check(ONLY or stats["fail"] >= 20, "only %d cases hit a write that stops the query: recalibrate CASES" % stats["fail"])
print("io fault cases: %d failing, %d warned, %d short writes (%d off calibration)" %
      (stats["fail"], stats["warn"], stats["ok"], stats["drift"]))
print("%d passed, 0 failed" % total)
