"""`spate run --ui`: /metrics (Prometheus text format) moves with the query, scraped
twice; /api/queries and /api/queries/<id>/progress; `spate status`; logs on
stderr as whole key=value lines, console tables alone on stdout; option errors."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from spate_test import *  # noqa
from monitor_test import JOB, Job, value, write_input  # noqa

# Usage errors come first (no server needed).
p = run(["run", "x.sql", "--log-level", "chatty"], check_rc=False)
check(p.returncode == 2 and "--log-level" in p.stderr, "bad --log-level: %d %r" % (p.returncode, p.stderr))
p = run(["run", "x.sql", "--ui", "127.0.0.1:notaport"], check_rc=False)
check(p.returncode != 0, "bad --ui accepted")
p = run(["status", "--url", "http://127.0.0.1:1"], check_rc=False)
check(p.returncode == 1 and "cannot connect" in p.stderr, "status without server: %d %r" % (p.returncode, p.stderr))

job = Job("monitoring-metrics")
try:
    write_input(job.inp, "a.json", 100, 0)
    m1 = job.wait_metric("spate_processed_rows_total", 100)
    qs = job.json("/api/queries")
    check(len(qs) == 1, "one query expected: %r" % qs)
    q = qs[0]
    for key in ("id", "runId", "name", "isActive", "status", "exception", "plan", "lastProgress"):
        check(key in q, "/api/queries entry lacks %s: %r" % (key, q))
    check(q["name"] == "counts" and q["isActive"] is True and q["exception"] is None, "query entry %r" % q)
    check(set(q["status"]) == {"message", "isDataAvailable", "isTriggerActive"}, "status %r" % q["status"])
    check(q["lastProgress"]["numInputRows"] == 100, "lastProgress %r" % q["lastProgress"])
    labels = {"query_id": q["id"], "query_name": "counts"}

    in1 = value(m1, "spate_input_rows_total", **labels)
    b1 = value(m1, "spate_batches_total", **labels)
    c1 = value(m1, "spate_batch_duration_seconds_count", **labels)
    check(in1 == 100 and b1 >= 1 and c1 == b1, "first scrape: input %s batches %s count %s" % (in1, b1, c1))
    check(value(m1, "spate_query_active", **labels) == 1, "active gauge")
    check(value(m1, "spate_query_errors_total", **labels) == 0, "errors")
    check(value(m1, "spate_state_rows", **labels) == 5, "state rows %s" % value(m1, "spate_state_rows", **labels))
    check(value(m1, "spate_batch_duration_seconds_bucket", le="+Inf", **labels) == c1, "+Inf bucket == count")

    write_input(job.inp, "b.json", 250, 30)
    m2 = job.wait_metric("spate_processed_rows_total", 350)
    in2 = value(m2, "spate_input_rows_total", **labels)
    b2 = value(m2, "spate_batches_total", **labels)
    check(in2 == 350 and b2 > b1, "second scrape: input %s -> %s, batches %s -> %s" % (in1, in2, b1, b2))
    check(value(m2, "spate_batch_duration_seconds_count", **labels) == b2, "histogram count follows batches")
    check(value(m2, "spate_batch_duration_seconds_sum", **labels) >= value(m1, "spate_batch_duration_seconds_sum", **labels),
          "histogram sum never decreases")
    # Buckets are cumulative.
    buckets = sorted((float(dict(ls)["le"]), v) for (n, ls), v in m2.items()
                     if n == "spate_batch_duration_seconds_bucket" and dict(ls)["query_id"] == q["id"])
    check(all(buckets[i][1] <= buckets[i + 1][1] for i in range(len(buckets) - 1)), "buckets %r" % buckets)
    # The watermark a batch ran with: 0, then 12:00 - 10 min = 11:50, then 12:30 - 10 min = 12:20 (2026-01-01).
    wm = value(m2, "spate_watermark_seconds", **labels)
    check(wm in (1767268200, 1767270000), "watermark seconds %s" % wm)

    progs = job.json("/api/queries/%s/progress" % q["id"])
    check([p["batchId"] for p in progs if "addBatch" in p["durationMs"]][-1] == value(m2, "spate_last_batch_id", **labels),
          "recentProgress ends with the last batch")
    check(list(progs[-1])[:5] == ["id", "runId", "name", "timestamp", "batchId"], "progress key order %r" % list(progs[-1]))
    status, ctype, page = job.get("/")
    check(status == 200 and ctype.startswith("text/html") and "<canvas" in page, "page")

    st = run(["status", "--url", job.url])
    check("counts" in st.stdout and q["id"] in st.stdout and "NAME" in st.stdout, "spate status:\n%s" % st.stdout)
finally:
    rc = job.stop()
check(rc == 0, "spate run exited %s on SIGTERM; stderr:\n%s" % (rc, job.stderr()))
err = job.stderr()
out = job.stdout()
# stderr: only whole log lines (not a terminal: one key=value line per batch); stdout: only console tables.
for line in err.splitlines():
    check(line.startswith("ts=") and " level=" in line, "stray stderr line: %r" % line)
check(any("msg=batch" in l and "input_rows=100" in l for l in err.splitlines()), "per-batch info line:\n%s" % err)
check("monitoring UI listening" in err, "UI url not logged")
check("Batch: 0" in out and "ts=" not in out, "stdout must hold the console tables only:\n%s" % out[:2000])
cleanup(job.dir)

# --quiet: no per-batch lines; --log-level debug: the progress JSON too.
for extra, want_batch in ((["--quiet"], False), (["--log-level", "debug"], True)):
    job = Job("monitoring-log", extra)
    try:
        write_input(job.inp, "a.json", 10, 0)
        job.wait_metric("spate_processed_rows_total", 10)
        time.sleep(0.3)
    finally:
        job.stop()
    err = job.stderr()
    check(("msg=batch" in err) == want_batch, "%s: per-batch lines %r" % (extra, err))
    if "debug" in extra:
        check("msg=progress" in err and "level=debug" in err, "debug progress lines: %r" % err[:2000])
    cleanup(job.dir)
# On a terminal (a pty here): one status line per query redrawn in place, no per-batch log lines.
import pty  # noqa: E402
import select  # noqa: E402
import subprocess  # noqa: E402
d = tempdir("monitoring-tty")
inp = os.path.join(d, "in")
os.makedirs(inp)
write_input(inp, "a.json", 30, 0)
with open(os.path.join(d, "job.sql"), "w") as f:
    f.write(JOB.replace("USING console", "USING noop"))
master, slave = pty.openpty()
import fcntl, struct, termios  # noqa: E401,E402
fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 200, 0, 0))
proc = subprocess.Popen([SPATE, "run", os.path.join(d, "job.sql"), "--var", "input=" + inp, "--var",
                         "checkpoint=" + os.path.join(d, "chk")], stdin=slave, stdout=subprocess.DEVNULL,
                        stderr=slave, env=dict(os.environ, TERM="xterm"))
os.close(slave)
screen = b""
deadline = time.time() + 20
stopped = False
while time.time() < deadline:
    r, _, _ = select.select([master], [], [], 0.1)
    if r:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        screen += chunk
    if not stopped and b"counts | batch 0 |" in screen:
        time.sleep(0.5)
        proc.terminate()
        stopped = True
proc.wait(timeout=20)
os.close(master)
text = screen.decode(errors="replace")
check(stopped and "\x1b[1A" in text and "rows/s" in text and "state 5 rows" in text, "tty status line: %r" % text[-1500:])
check("msg=batch" not in text, "per-batch log lines on a terminal: %r" % text[-1500:])
cleanup(d)
print("1 passed, 0 failed")
