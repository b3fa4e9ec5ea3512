"""Helpers for spate's fault-tolerance tests (docs/fault-tolerance.md): run jobs
with crash points armed, check the checkpoint logs, call the `spate verify`
oracle. Every subprocess has a timeout, so a hang fails the test instead of CI."""
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from spate_test import SOURCE_DIR, SPATE, check, fail, tempdir, cleanup  # noqa: F401

JOBS = os.path.join(SOURCE_DIR, "tests", "e2e", "jobs")
TIMEOUT = int(os.environ.get("SPATE_FT_TIMEOUT", "60"))
SIGKILL_RC = -9


def spate(args, env_extra=None, timeout=TIMEOUT):
    env = dict(os.environ)
    env.pop("SPATE_CRASH_AT", None)
    env.pop("SPATE_FAULT_AT", None)
    if env_extra:
        env.update(env_extra)
    try:
        return subprocess.run([SPATE] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              timeout=timeout, env=env)
    except subprocess.TimeoutExpired as e:
        fail("spate %s timed out after %ds (env %r)\nstderr: %s" % (" ".join(args), timeout, env_extra, e.stderr))


def job_args(job, **vars_):
    args = ["run", os.path.join(JOBS, job) if not os.path.isabs(job) else job, "--quiet"]
    for k, v in sorted(vars_.items()):
        args += ["--var", "%s=%s" % (k, v)]
    return args


def run_job(job, trigger="available-now", crash=None, timeout=TIMEOUT, **vars_):
    """Run a job; crash = "<point>:<nth>" arms a crash point. Returns the CompletedProcess."""
    args = job_args(job, **vars_) + ["--trigger", trigger]
    return spate(args, {"SPATE_CRASH_AT": crash} if crash else None, timeout)


def run_ok(job, **kw):
    p = run_job(job, **kw)
    if p.returncode != 0:
        fail("spate run %s %r exited %d\nstdout:\n%s\nstderr:\n%s" % (job, kw, p.returncode, p.stdout, p.stderr))
    return p


def gen_seq(d, files, per_file, start=0):
    p = spate(["gen", "seq", "--out", d, "--files", str(files), "--per-file", str(per_file), "--start", str(start)])
    check(p.returncode == 0, "gen seq failed: %s" % p.stderr)


def verify(out, lo, hi, field="seq"):
    """The oracle: every integer lo..hi exactly once through the sink log. Returns (ok, text)."""
    p = spate(["verify", out, "--field", field, "--expect-range", "%d..%d" % (lo, hi)])
    return p.returncode == 0, p.stdout + p.stderr


def ids(d, suffix=""):
    if not os.path.isdir(d):
        return []
    out = []
    for n in os.listdir(d):
        b = n[:-len(suffix)] if suffix and n.endswith(suffix) else n
        if b.isdigit():
            out.append(int(b))
    return sorted(set(out))


def check_logs(chk, what=""):
    """Batch ids contiguous; offsets at most one ahead of commits; no commit without offsets."""
    offs, coms = ids(os.path.join(chk, "offsets")), ids(os.path.join(chk, "commits"))
    if offs:
        check(offs == list(range(offs[0], offs[-1] + 1)), "%s: offsets not contiguous: %r" % (what, offs))
    if coms:
        check(coms == list(range(coms[0], coms[-1] + 1)), "%s: commits not contiguous: %r" % (what, coms))
        check(offs and coms[-1] <= offs[-1], "%s: commit %d without offsets %r" % (what, coms[-1], offs))
    if offs:
        check(offs[-1] - (coms[-1] if coms else -1) <= 1,
              "%s: offsets %d ahead of commits %r by more than one" % (what, offs[-1], coms[-1:]))
    return offs, coms


def read_text(p):
    with open(p, "rb") as f:
        return f.read().decode("utf-8", "replace")


def write_text(p, s):
    with open(p, "w") as f:
        f.write(s)


def rmtree(p):
    shutil.rmtree(p, ignore_errors=True)


def check_no_torn_files(top, what=""):
    """Every file under `top` with a final (non-hidden) name is complete: log files
    (offsets, commits, sink / source logs) hold "v1" + one JSON value per line,
    `metadata` and schema records parse as JSON, data files are whole JSON lines,
    state deltas/snapshots end with their terminator. No temp file (".<name>.*.tmp")
    may be left behind: sp_fs_write_atomic removes it on every failure."""
    for d, _dirs, files in os.walk(top):
        for name in files:
            p = os.path.join(d, name)
            if name.startswith("."):
                check(not name.endswith(".tmp"), "%s: temp file left behind: %s" % (what, p))
                continue
            with open(p, "rb") as f:
                data = f.read()
            base = name[:-len(".compact")] if name.endswith(".compact") else name
            parent = os.path.basename(d)
            try:
                if name.endswith(".delta") or name.endswith(".snapshot"):
                    check(data.endswith(b"\xff\xff\xff\xff"), "%s: torn state file %s" % (what, p))
                elif name.startswith("part-") and name.endswith(".json"):
                    check(data.endswith(b"\n"), "%s: data file %s does not end with a newline" % (what, p))
                    for line in data.decode().split("\n")[:-1]:
                        json.loads(line)
                elif base.isdigit() and parent in ("offsets", "commits", "_spark_metadata") or \
                        base.isdigit() and os.path.basename(os.path.dirname(d)) == "sources":
                    lines = data.decode().split("\n")
                    check(lines[0] == "v1", "%s: %s does not start with v1: %r" % (what, p, data[:40]))
                    for line in lines[1:]:
                        if line != "-":
                            json.loads(line)
                elif name in ("metadata", "schema"):
                    json.loads(data.decode())
            except ValueError as e:
                fail("%s: torn or garbled file %s (%s): %r" % (what, p, e, data[-80:]))
