"""State stays bounded in a stream-stream join with watermarks and a time range: a
left outer join of impressions and clicks (demo 14's shape: ImpressionID = ClickID AND
ClickTime BETWEEN ImpressionTime AND ImpressionTime + 15 minutes, 10-minute watermarks
on both sides) over BLOCKS blocks of increasing event time, each block one new JSON
file per side and one Trigger.Once run on the same checkpoint. Each block has 100
impressions 7 s apart and a click 5 minutes after every second one.

Checks, from the `--progress` JSON lines: stateOperators[0].numRowsTotal never exceeds
3.5 blocks' rows (what a 15-minute range + 10-minute delay can keep: about 2.9 blocks)
and stops growing (the second half's peak is not above the first half's after warm-up)
while the input grows to BLOCKS blocks; no row is dropped as late. From the JSON file
sink: every click's pair exactly once, and a NULL row exactly for each unmatched
impression the final batch's eviction watermark (the previous batch's max event time
- 10 minutes) has passed by more than 15 minutes (event times are 7 s apart, so no
row sits on the boundary); per batch (sink numOutputRows), the block's pairs plus the
NULL rows of the impressions that batch's eviction watermark newly passed. In steady
state the join keeps 429 rows: the impressions of the last 25 minutes (315) and the
clicks after the watermark (114), as Spark's state watermarks keep them."""
import json
import os
import sys
from datetime import datetime, timedelta

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from spate_test import *  # noqa

BLOCKS = int(os.environ.get("SPATE_JOIN_BLOCKS", "30"))
PER = 100           # impressions per block
STEP = 7            # seconds between impressions
T0 = datetime(2024, 1, 1, 0, 0, 0)
FMT = "%Y-%m-%d %H:%M:%S"

d = tempdir("state-bound-join")
imp_dir, clk_dir = os.path.join(d, "imp"), os.path.join(d, "clk")
out, chk, prog = os.path.join(d, "out"), os.path.join(d, "chk"), os.path.join(d, "progress.jsonl")
os.makedirs(imp_dir)
os.makedirs(clk_dir)
job = os.path.join(d, "job.sql")
with open(job, "w") as f:
    f.write("""
SET spark.sql.shuffle.partitions = 2;
CREATE TEMPORARY VIEW imp_raw (ImpressionID STRING, CreatedTime STRING, Campaigner STRING)
  USING json OPTIONS (path '%s');
CREATE TEMPORARY VIEW clk_raw (ImpressionID STRING, CreatedTime STRING) USING json OPTIONS (path '%s');
CREATE TEMPORARY VIEW impressions WATERMARK ImpressionTime DELAY OF '10 minutes' AS
  SELECT ImpressionID, to_timestamp(CreatedTime, 'yyyy-MM-dd HH:mm:ss') AS ImpressionTime, Campaigner
  FROM imp_raw;
CREATE TEMPORARY VIEW clicks WATERMARK ClickTime DELAY OF '10 minutes' AS
  SELECT ImpressionID AS ClickID, to_timestamp(CreatedTime, 'yyyy-MM-dd HH:mm:ss') AS ClickTime FROM clk_raw;
CREATE STREAMING QUERY bound USING json OPTIONS (path '%s') OUTPUT MODE append CHECKPOINT LOCATION '%s'
AS SELECT ImpressionID, Campaigner, CAST(ImpressionTime AS STRING) AS ImpressionTime, ClickID,
          CAST(ClickTime AS STRING) AS ClickTime
   FROM impressions LEFT OUTER JOIN clicks
     ON ImpressionID = ClickID AND ClickTime BETWEEN ImpressionTime AND ImpressionTime + INTERVAL 15 MINUTES;
""" % (imp_dir, clk_dir, out, chk))


def write_atomic(path, lines):
    tmp = os.path.join(d, ".tmp")
    with open(tmp, "w") as f:
        f.write("".join(l + "\n" for l in lines))
    os.rename(tmp, path)


imps = {}    # id -> impression time
clicks = {}  # id -> click time
max_imp = max_clk = None
wm_after = []  # watermark computed after each batch
for b in range(BLOCKS):
    il, cl = [], []
    for i in range(PER):
        iid = "%d-%d" % (b, i)
        t = T0 + timedelta(seconds=(b * PER + i) * STEP)
        imps[iid] = t
        il.append(json.dumps({"ImpressionID": iid, "CreatedTime": t.strftime(FMT), "Campaigner": "C%d" % (i % 3)}))
        if i % 2 == 0:
            ct = t + timedelta(minutes=5)
            clicks[iid] = ct
            cl.append(json.dumps({"ImpressionID": iid, "CreatedTime": ct.strftime(FMT)}))
    write_atomic(os.path.join(imp_dir, "b%03d.json" % b), il)
    write_atomic(os.path.join(clk_dir, "b%03d.json" % b), cl)
    max_imp = max(imps.values())
    max_clk = max(clicks.values())
    wm_after.append(min(max_imp, max_clk) - timedelta(minutes=10))
    run(["run", job, "--trigger", "once", "--quiet", "--progress", prog], timeout=120)

progs = [json.loads(l) for l in open(prog) if l.strip()]
progs = [p for p in progs if "addBatch" in p["durationMs"]]
check([p["batchId"] for p in progs] == list(range(BLOCKS)), "batches %r" % [p["batchId"] for p in progs])
block_rows = PER + PER // 2
check(all(p["numInputRows"] == block_rows for p in progs), "input rows %r" % [p["numInputRows"] for p in progs])
rows = [p["stateOperators"][0]["numRowsTotal"] for p in progs]
dropped = sum(p["stateOperators"][0]["numRowsDroppedByWatermark"] for p in progs)
check(dropped == 0, "rows dropped as late: %d" % dropped)
limit = int(3.5 * block_rows)
check(max(rows) <= limit, "state rows peaked at %d, bound %d: %r" % (max(rows), limit, rows))
check(max(rows) >= 2 * block_rows, "state rows suspiciously small (the metric counts nothing?): %r" % rows)
half = BLOCKS // 2
check(max(rows[half:]) <= max(rows[3:half]), "state rows still growing: %r" % rows)
check(rows[-1] < BLOCKS * block_rows // 4, "state not bounded: %r" % rows)
if BLOCKS >= 5:
    check(rows[4:] == [429] * (BLOCKS - 4), "steady-state rows %r, expected 429 (315 impressions + 114 clicks)" % rows)

# The output: each click's pair once; NULL rows for unmatched impressions that left the state.
got = sorted(tuple(json.loads(l).get(k) for k in ("ImpressionID", "Campaigner", "ImpressionTime", "ClickID",
                                                   "ClickTime")) for l in sink_lines(out))
w_evict = wm_after[-2]  # the final batch evicts with the watermark computed after the one before
want = []
for iid, t in imps.items():
    camp = "C%d" % (int(iid.split("-")[1]) % 3)
    if iid in clicks:
        want.append((iid, camp, t.strftime(FMT), iid, clicks[iid].strftime(FMT)))
    elif t + timedelta(minutes=15) < w_evict:
        want.append((iid, camp, t.strftime(FMT), None, None))
want.sort()
# Per batch (sink numOutputRows): the block's 50 pairs (both rows arrive together) plus the
# NULL rows of the impressions its eviction watermark (wm_after[b - 1]) newly passed.
per_batch = []
for b in range(BLOCKS):
    w = wm_after[b - 1] if b >= 1 else None
    w0 = wm_after[b - 2] if b >= 2 else None
    n = sum(1 for iid, t in imps.items() if iid not in clicks and w is not None and t + timedelta(minutes=15) < w
            and not (w0 is not None and t + timedelta(minutes=15) < w0))
    per_batch.append(PER // 2 + n)
outs = [p["sink"]["numOutputRows"] for p in progs]
check(outs == per_batch, "output rows per batch %r, expected %r" % (outs, per_batch))
check(len(got) == len(set(got)), "duplicate output rows")
check(got == want, "%d output rows, expected %d; first differences: %r" %
      (len(got), len(want), sorted(set(got) ^ set(want))[:5]))
print("blocks=%d input rows=%d state rows per batch=%r (bound %d) output rows=%d" %
      (BLOCKS, sum(p["numInputRows"] for p in progs), rows, limit, len(got)))
cleanup(d)
print("1 passed, 0 failed")
