"""Graceful stop: SIGTERM delivered while a batch is executing (held inside the
batch by the pause action of a crash point, e.g. SPATE_CRASH_AT=batch.executed:3:sleep=1500)
lets that batch complete and commit, then the process exits 0; a restart continues
with the next batch id (no gap, nothing replayed) and the output is exactly once.
Also for a stateful query (state committed with the batch)."""
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ft_test import *  # noqa

PER = 10
d = tempdir("sigterm")
passed = 0


def stop_mid_batch(job, v, point, nth):
    """Pause in batch 2 at the nth hit of point, SIGTERM, expect batch 2 committed."""
    env = dict(os.environ, SPATE_CRASH_AT="%s:%d:sleep=1500" % (point, nth))
    errf = open(os.path.join(d, "stderr-%d.txt" % passed), "w+")
    p = subprocess.Popen([SPATE] + job_args(job, **v) + ["--trigger", "processing-time:0 seconds"], env=env,
                         stdout=subprocess.DEVNULL, stderr=errf, text=True)
    marker = "pause point %s hit %d" % (point, nth)
    deadline = time.time() + 20
    while marker not in read_text(errf.name):
        if p.poll() is not None or time.time() > deadline:
            if p.poll() is None:
                p.kill()
                p.wait(timeout=20)
            fail("%s: never reached the pause point:\n%s" % (job, read_text(errf.name)))
        time.sleep(0.01)
    # Batch 2 is mid-flight: offsets/2 written, commits/2 not yet.
    check(ids(os.path.join(v["checkpoint"], "offsets"))[-1] == 2 and ids(os.path.join(v["checkpoint"], "commits"))[-1] == 1,
          "%s: not mid-batch when signalled" % job)
    p.send_signal(signal.SIGTERM)
    try:
        rc = p.wait(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(timeout=20)
        fail("%s: SIGTERM ignored for 20 s" % job)
    check(rc == 0, "%s: exit %d after SIGTERM\n%s" % (job, rc, read_text(errf.name)))
    offs, coms = check_logs(v["checkpoint"], job)
    check(offs[-1] == 2 and coms[-1] == 2, "%s: the in-flight batch did not commit: offsets %r commits %r" % (job, offs, coms))
    errf.close()


# Stateless file -> file.
v = dict(input=os.path.join(d, "in"), output=os.path.join(d, "out"), checkpoint=os.path.join(d, "chk"))
gen_seq(v["input"], 6, PER)
stop_mid_batch("seq-copy.sql", v, "batch.executed", 3)
check(ids(os.path.join(v["output"], "_spark_metadata"), ".compact")[-1] == 2, "sink log after the graceful stop")
run_ok("seq-copy.sql", **v)
offs, coms = check_logs(v["checkpoint"], "restart")
check(coms[-1] == 5, "restart: commits %r" % coms)
ok, text = verify(v["output"], 0, 6 * PER - 1)
check(ok, "after graceful stop + restart:\n" + text)
passed += 1

# Stateful (running aggregation, complete mode): the last table after the restart is the full total.
va = dict(input=v["input"], checkpoint=os.path.join(d, "chk-agg"), mode="complete")
stop_mid_batch("seq-agg-console.sql", va, "state.delta.renamed", 7)  # 3 partitions: hit 7 = batch 2
p = run_ok("seq-agg-console.sql", **va)
last = p.stdout.rsplit("Batch: ", 1)
check(len(last) == 2 and last[1].startswith("5\n"), "stateful restart did not continue at batch 3..5:\n" + p.stdout)
rows = [l for l in last[1].split("\n") if l.startswith("|") and not l.startswith("|k")]
total = {int(c[0]): (int(c[1]), int(c[2])) for c in ([x.strip() for x in r.strip("|").split("|")] for r in rows)}
want = {k: (len([s for s in range(6 * PER) if s % 7 == k]), sum(s for s in range(6 * PER) if s % 7 == k)) for k in range(7)}
check(total == want, "stateful totals after graceful stop %r != %r" % (total, want))
check("Batch: 3\n" in p.stdout and "Batch: 2\n" not in p.stdout, "restart replayed or skipped a batch:\n" + p.stdout)
passed += 1
cleanup(d)
print("%d passed, 0 failed" % passed)
