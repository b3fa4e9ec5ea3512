"""A real full disk (issue 6, scenario 6; docs/fault-tolerance.md, "Disk full and I/O
errors"): the checkpoint and the file sink of a job live on a 2 MB tmpfs that its
output overflows, for the stateless copy (seq-copy.sql) and the windowed count
(seq-window-file.sql); then, for the windowed count with a small input, a sweep of
the free space left by a ballast file, so the disk fills up in every kind of write
(offsets, source log, state delta / snapshot, data file, sink log, commit). Pass
criteria:
  - the run exits 1 with an error naming a path on the tmpfs and "No space left on
    device", having stopped in the failing batch (checkpoint logs well formed);
  - nothing torn under a final name, no temp file left (the failed write removed it);
  - the committed output passes `spate verify` (stateless: exactly the inputs of the
    committed sink batches);
  - after `mount -o remount,size=64m` (sweep: the ballast removed) a restart completes: the committed files are
    untouched and the output equals an uninterrupted run's exactly.
Needs root (mount -t tmpfs); exits 77 (skipped) where mounting is not allowed. The
tmpfs is always unmounted."""
import errno
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ft_test import *  # noqa
from spate_test import metadata_files, sink_lines, sink_log_ids

FILES, PER = 14, 15000  # ~210 KB of output per batch: the 2 MB tmpfs is full after ~9 batches
N = FILES * PER
ENOSPC_TEXT = os.strerror(errno.ENOSPC)

root = tempdir("diskfull")
mnt = os.path.join(root, "mnt")
os.makedirs(mnt)


def sh(args):
    return subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)


why = "not root" if os.geteuid() != 0 else None
if not why:
    try:
        p = sh(["mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", mnt])
        why = p.stderr.strip() or "mount exited %d" % p.returncode if p.returncode != 0 else None
    except OSError as e:  # no mount(8)
        why = str(e)
if why:
    rmtree(root)
    print("SKIP: cannot mount a tmpfs here (%s); the disk-full test needs root and mount permission" % why)
    sys.exit(77)


def error_of(stderr):
    m = re.search(r'exception="((?:[^"\\]|\\.)*)"', stderr)
    return m.group(1) if m else stderr.strip().split("\n")[-1]


def committed_files(out):
    res = {}
    for _, path, _ in metadata_files(out):
        with open(path, "rb") as f:
            res[path] = f.read()
    return res


def statvfs_free(path):
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def scenario(job, d_ref, ballast_free=None, small_inp=None):
    name = job if ballast_free is None else "%s (%d KB free)" % (job, ballast_free // 1024)
    d = os.path.join(mnt, job.split(".")[0])
    src = small_inp or inp
    vars_ = dict(input=src, output=os.path.join(d, "out"), checkpoint=os.path.join(d, "chk"), compact=3, retain=3)
    ref_vars = dict(vars_, output=os.path.join(d_ref, "out"), checkpoint=os.path.join(d_ref, "chk"))
    run_ok(job, **ref_vars)
    ref = sorted(sink_lines(ref_vars["output"]))
    total = ids(os.path.join(ref_vars["checkpoint"], "commits"))[-1] + 1  # batches of an uninterrupted run
    ballast = os.path.join(mnt, "ballast")
    if ballast_free is not None:
        with open(ballast, "wb") as f:
            f.write(b"\0" * max(0, statvfs_free(mnt) - ballast_free))
    # 1. Run until the disk is full.
    p = run_job(job, **vars_)
    msg = p.stderr
    if ballast_free is not None and p.returncode == 0:
        rmtree(d)  # more free space than the job needs: nothing to check
        os.unlink(ballast)
        stats["roomy"] += 1
        return
    check(p.returncode == 1, "%s: expected exit 1 on a full disk, got %d\nstderr:\n%s" % (name, p.returncode, msg))
    check(ENOSPC_TEXT in msg and mnt in msg, "%s: error must name a path on %s and '%s':\n%s" %
          (name, mnt, ENOSPC_TEXT, msg))
    offs, coms = check_logs(vars_["checkpoint"], name)
    m = re.search(r'exception="batch (\d+): ', msg)
    if m:
        check(offs[-1] == int(m.group(1)), "%s: failed in batch %s, offsets go to %r" % (name, m.group(1), offs))
    committed = coms[-1] + 1 if coms else 0
    check(committed < total, "%s: the disk never filled (commits %r of %d)" % (name, coms, total))
    check_no_torn_files(d, name + " on the full disk")
    out = vars_["output"]
    if os.path.isdir(os.path.join(out, "_spark_metadata")) and sink_log_ids(out):
        if job == "seq-copy.sql":
            ok, text = verify(out, 0, (sink_log_ids(out)[-1] + 1) * PER - 1)
            check(ok, "%s: committed output fails the oracle:\n%s" % (name, text))
        else:
            v = spate(["verify", out])
            check(v.returncode == 0, "%s: committed output fails the oracle:\n%s" % (name, v.stdout + v.stderr))
        extra = set(sink_lines(out)) - set(ref)
        check(not extra, "%s: committed rows not in the uninterrupted run: %r" % (name, sorted(extra)[:3]))
    before = committed_files(out)
    # 2. Space returns: a restart completes exactly.
    if ballast_free is not None:
        os.unlink(ballast)
    else:
        r = sh(["mount", "-o", "remount,size=64m", mnt])
        check(r.returncode == 0, "remount failed: %s" % r.stderr)
    run_ok(job, **vars_)
    check_logs(vars_["checkpoint"], name + " after the restart")
    check_no_torn_files(d, name + " after the restart")
    after = committed_files(out)
    for path, data in before.items():
        check(after.get(path) == data, "%s: committed file %s changed on restart" % (name, path))
    final = sorted(sink_lines(out))
    if job == "seq-copy.sql":
        ok, text = verify(out, 0, N - 1)
        check(ok, "%s: final output fails the oracle:\n%s" % (name, text))
    else:
        v = spate(["verify", out, "--expect-count", str(len(ref))])
        check(v.returncode == 0, "%s: final output fails the oracle:\n%s" % (name, v.stdout + v.stderr))
    check(final == ref, "%s: final output differs from the uninterrupted run (%d vs %d rows)" %
          (name, len(final), len(ref)))
    err = error_of(msg)
    kind = re.search(r"cannot (?:write|create directory|sync directory|open|write checkpoint lock) (\S+?):", err)
    stats["full"] += 1
    where = kind.group(1)[len(d):] if kind else err
    stats["where"].add(re.sub(r"/\d+", "/N", re.sub(r"part-\d+-[0-9a-f-]+\.", "part-*.", where)))
    rmtree(d)
    if ballast_free is None:
        print("%s: disk full after %d committed batches: %s" % (name, committed, err))
        r = sh(["mount", "-o", "remount,size=2m", mnt])
        check(r.returncode == 0, "remount failed: %s" % r.stderr)


SMALL_FILES, SMALL_PER = 6, 20
stats = {"full": 0, "roomy": 0, "where": set()}
try:
    inp = os.path.join(root, "in")
    gen_seq(inp, FILES, PER)
    scenario("seq-copy.sql", os.path.join(root, "ref-copy"))
    scenario("seq-window-file.sql", os.path.join(root, "ref-window"))
    # Sweep: the windowed count with a small input needs ~50 pages of 4 KB; leave
    # 0..60 pages free so the disk fills up in a different write each time.
    small = os.path.join(root, "small")
    gen_seq(small, SMALL_FILES, SMALL_PER)
    for pages in range(0, 61, 3):
        scenario("seq-window-file.sql", os.path.join(root, "ref-small"), ballast_free=pages * 4096, small_inp=small)
    print("sweep: %d runs hit the full disk, %d had room; it filled up at: %s" %
          (stats["full"] - 2, stats["roomy"], ", ".join(sorted(stats["where"]))))
    check(stats["full"] - 2 >= 8, "the sweep hit the full disk only %d times" % (stats["full"] - 2))
finally:
    if sh(["umount", mnt]).returncode != 0:
        sh(["umount", "-l", mnt])
cleanup(root)
print("%d passed, 0 failed" % (stats["full"] + stats["roomy"]))
