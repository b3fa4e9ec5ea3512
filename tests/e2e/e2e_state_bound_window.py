"""State stays bounded under a watermark: YSB events over a long event-time range
(1 ms apart), a 10-minute watermark and 10-second windows in append mode, one file
per micro-batch. The state store's row count and memory (progress stateOperators)
must stop growing once the watermark trails the data, and every window is emitted
exactly once with the right count. SPATE_STATE_EVENTS sets the size (CI: 600k;
`make soak`: 10 million)."""
import json
import os
import sys
from collections import Counter

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from spate_test import *  # noqa

EVENTS = int(os.environ.get("SPATE_STATE_EVENTS", "600000"))
FILES = int(os.environ.get("SPATE_STATE_FILES", "30"))
d = tempdir("state-bound")
inp, out, chk = os.path.join(d, "in"), os.path.join(d, "out"), os.path.join(d, "chk")
run(["gen", "ysb", "--events", str(EVENTS), "--out", inp, "--files", str(FILES)])
job = os.path.join(d, "job.sql")
with open(job, "w") as f:
    f.write("""
SET spark.sql.shuffle.partitions = 2;
CREATE TEMPORARY VIEW raw (event_type STRING, event_time STRING) USING json
  OPTIONS (path '%s', maxFilesPerTrigger 1);
CREATE TEMPORARY VIEW events WATERMARK ts DELAY OF '10 minutes' AS
  SELECT CAST(CAST(event_time AS BIGINT) / 1000 AS TIMESTAMP) AS ts FROM raw;
CREATE STREAMING QUERY bound USING json OUTPUT MODE append CHECKPOINT LOCATION '%s'
  OPTIONS (path '%s')
  AS SELECT CAST(window.start AS STRING) AS start, count(*) AS n FROM events GROUP BY window(ts, '10 seconds');
""" % (inp, chk, out))
prog = os.path.join(d, "progress.jsonl")
run(["run", job, "--trigger", "available-now", "--quiet", "--progress", prog], timeout=1200)
rows, mem = [], []
for line in open(prog):
    p = json.loads(line)
    if p.get("stateOperators"):
        rows.append(p["stateOperators"][0]["numRowsTotal"])
        mem.append(p["stateOperators"][0]["memoryUsedBytes"])
span_s = EVENTS / 1000.0
# At most the windows of the last 10 minutes + one batch's span + the current one.
limit = int((600 + span_s / FILES) / 10) + 3
check(max(rows) <= limit, "state rows peaked at %d, bound %d: %r" % (max(rows), limit, rows))
half = len(mem) // 2
if span_s > 1200:
    check(max(mem[half:]) <= 1.5 * max(mem[:half]) + 65536,
          "state memory grows: first half max %d, second half max %d" % (max(mem[:half]), max(mem[half:])))
# Every closed window exactly once, with its count (events are 1 ms apart from 1700000000000).
got = Counter()
for l in sink_lines(out):
    r = json.loads(l)
    check(got[r["start"]] == 0, "window %s emitted twice" % r["start"])
    got[r["start"]] = r["n"]
views = Counter()
for name in sorted(os.listdir(inp)):
    for l in open(os.path.join(inp, name)):
        e = json.loads(l)
        views[(int(e["event_time"]) // 10000)] += 1
# Windows closed by the final watermark (max event time - 10 min).
wm = (1700000000000 + EVENTS - 1) - 600000
closed = {k: v for k, v in views.items() if (k + 1) * 10000 <= wm}
check(len(got) == len(closed), "%d windows emitted, %d closed" % (len(got), len(closed)))
from datetime import datetime, timezone
for k, v in closed.items():
    start = datetime.fromtimestamp(k * 10, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    check(got.get(start) == v, "window %s: count %r, expected %d" % (start, got.get(start), v))
print("events=%d batches=%d peak state rows=%d (bound %d) peak memory=%d" % (EVENTS, len(rows), max(rows), limit, max(mem)))
cleanup(d)
print("1 passed, 0 failed")
