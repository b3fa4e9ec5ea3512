"""Seed demos 12 (stream-stream inner join), 13 (inner join with watermarks) and 14
(left outer join with a time range) end to end: examples/12..14-*.sql against
`spate broker`. The seed events are produced with kcat (impressions - the lines with a
Campaigner - to the demo's impressions topic, clicks to its clicks topic) in the demos'
blocks, each block followed by one Trigger.Once run on the same checkpoint, and the
console table of every trigger is checked row by row.

- 12: the impressions block, then the clicks block (blank line between them): the
  first trigger prints an empty batch, the second every pair (100001 twice: its click
  came twice). No watermark, so a run without data runs no batch.
- 13: the dashed-line sections are the blocks (as tests/golden/join_inner_watermark_
  demo13.test). The last block's 10:15 clicks still join: batch 2 drops late rows with
  batch 1's watermark (09:30, Spark 3.4+), not with its own (10:16); a join without a
  time bound runs no no-data batch.
- 14: the dashed-line sections, then one run without data: its no-data batch (the
  watermark went to 10:16 > 10:00 + 15 min) emits impression 102 with NULL clicks, as
  tests/golden/join_left_outer_demo14.test; one more run without data runs nothing."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from spate_test import *  # noqa
from kafka_test import start_broker, stop_broker, produce  # noqa

HEADER = ["ImpressionID", "Campaigner", "ImpressionTime", "ClickID", "ClickTime"]


def sections(path):
    """The file's dashed-line sections, each a list of blank-line-separated groups of lines."""
    out = [[[]]]
    for line in open(path).read().split("\n"):
        s = line.strip()
        if s.startswith("----"):
            out.append([[]])
        elif not s:
            out[-1].append([])
        else:
            out[-1][-1].append(s)
    return [[g for g in sec if g] for sec in out if any(sec)]


def split_topics(lines):
    imp = [l for l in lines if "Campaigner" in json.loads(l)]
    clk = [l for l in lines if "Campaigner" not in json.loads(l)]
    return imp, clk


def trigger(job, bootstrap, demo, chk, progress):
    p = run(["run", os.path.join(SOURCE_DIR, "examples", job), "--var", "bootstrap=" + bootstrap,
             "--var", "checkpoint=" + chk, "--var", "impressions_topic=impressions%d" % demo,
             "--var", "clicks_topic=clicks%d" % demo, "--trigger", "once", "--quiet", "--progress", progress],
            timeout=120)
    return console_batches(p.stdout)


def feed(bootstrap, demo, lines):
    imp, clk = split_topics(lines)
    if imp:
        produce(bootstrap, "impressions%d" % demo, imp)
    if clk:
        produce(bootstrap, "clicks%d" % demo, clk)


def expect(got, batch, rows, what):
    check(list(got) == [batch], "%s: batches %r, expected [%d]\n%r" % (what, list(got), batch, got))
    header, have = got[batch]
    check(header == HEADER, "%s: header %r" % (what, header))
    check(sorted(have) == sorted(rows), "%s: rows\n%r\nexpected\n%r" % (what, sorted(have), sorted(rows)))


def progress_lines(path):
    """Progress of the batches that ran (idle triggers report no addBatch duration)."""
    lines = [json.loads(l) for l in open(path) if l.strip()] if os.path.exists(path) else []
    return [x for x in lines if "addBatch" in x["durationMs"]]


def T(hm):
    return "2020-09-09 %s:00" % hm


d = tempdir("demo12-14")
topics = []
for n in (12, 13, 14):
    topics += ["impressions%d:1" % n, "clicks%d:1" % n]
broker, bs = start_broker(topics)
try:
    # ---- 12: inner join, no watermark. Block 1 (impressions), block 2 (clicks).
    secs = sections(os.path.join(SEED, "12-StreamStreamJoinDemo", "events.txt"))
    check(len(secs) == 1 and len(secs[0]) == 2, "demo 12 data: %r" % secs)
    imp_block, clk_block = secs[0]
    check(split_topics(imp_block)[1] == [] and split_topics(clk_block)[0] == [], "demo 12 blocks mixed")
    chk, prog = os.path.join(d, "chk12"), os.path.join(d, "p12.jsonl")
    feed(bs, 12, imp_block)
    expect(trigger("12-stream-stream-join.sql", bs, 12, chk, prog), 0, [], "demo 12 trigger 0 (impressions)")
    feed(bs, 12, clk_block)
    camp = {"100001": "ABC Ltd", "100002": "ABC Ltd", "100003": "XYZ Ltd", "100004": "XYZ Ltd"}
    itime = {"100001": T("10:00"), "100002": T("10:06"), "100003": T("10:02"), "100004": T("10:09")}
    want = [(i, camp[i], itime[i], i, T("10:18")) for i in ("100001", "100002", "100003", "100004", "100001")]
    expect(trigger("12-stream-stream-join.sql", bs, 12, chk, prog), 1, want, "demo 12 trigger 1 (clicks)")
    got = trigger("12-stream-stream-join.sql", bs, 12, chk, prog)
    check(got == {}, "demo 12: a run without data ran a batch: %r" % got)
    p = progress_lines(prog)
    check([x["batchId"] for x in p] == [0, 1], "demo 12 progress batches %r" % [x["batchId"] for x in p])
    # Unbounded state: every row of both sides is kept (4 impressions + 5 clicks).
    check(p[-1]["stateOperators"][0]["numRowsTotal"] == 9, "demo 12 state rows %r" % p[-1]["stateOperators"])

    # ---- 13: inner join, 30-minute watermarks on both sides, no time bound.
    secs = sections(os.path.join(SEED, "13-StreamingWatermarkDemo", "events.txt"))
    check(len(secs) == 3, "demo 13 data: %d sections" % len(secs))
    chk, prog = os.path.join(d, "chk13"), os.path.join(d, "p13.jsonl")
    want13 = [
        [("101", "ABC Ltd", T("10:00"), "101", T("10:15"))],
        [("103", "ABC Ltd", T("10:46"), "103", T("11:00"))],
        [("102", "ABC Ltd", T("10:00"), "102", T("10:15")), ("101", "ABC Ltd", T("10:00"), "101", T("10:15"))],
    ]
    for i, sec in enumerate(secs):
        feed(bs, 13, [l for g in sec for l in g])
        expect(trigger("13-join-watermark.sql", bs, 13, chk, prog), i, want13[i], "demo 13 block %d" % (i + 1))
    got = trigger("13-join-watermark.sql", bs, 13, chk, prog)
    check(got == {}, "demo 13: a run without data ran a batch (no time bound, no no-data batch): %r" % got)
    p = progress_lines(prog)
    wms = [x["eventTime"].get("watermark") for x in p]
    check(wms == ["1970-01-01T00:00:00.000Z", "2020-09-09T09:30:00.000Z", "2020-09-09T10:16:00.000Z"],
          "demo 13 watermarks %r" % wms)
    check(all(x["stateOperators"][0]["numRowsDroppedByWatermark"] == 0 for x in p),
          "demo 13: rows dropped as late %r" % [x["stateOperators"] for x in p])

    # ---- 14: left outer join with ClickTime BETWEEN ImpressionTime AND +15 minutes.
    secs = sections(os.path.join(SEED, "14-StreamingOuterJoinDemo", "events.txt"))
    check(len(secs) == 3, "demo 14 data: %d sections" % len(secs))
    chk, prog = os.path.join(d, "chk14"), os.path.join(d, "p14.jsonl")
    want14 = [
        [("101", "ABC Ltd", T("10:00"), "101", T("10:15"))],  # the 10:16 click is 16 minutes after
        [("103", "ABC Ltd", T("10:40"), "103", T("10:50"))],
        [("104", "ABC Ltd", T("10:46"), "104", T("11:00"))],
    ]
    for i, sec in enumerate(secs):
        feed(bs, 14, [l for g in sec for l in g])
        expect(trigger("14-outer-join.sql", bs, 14, chk, prog), i, want14[i], "demo 14 block %d" % (i + 1))
    # No data: the watermark moved to min(10:46, 11:00) - 30 min = 10:16, so a no-data batch runs
    # and evicts impression 102 (10:00 + 15 min <= 10:16), which never matched.
    expect(trigger("14-outer-join.sql", bs, 14, chk, prog), 3,
           [("102", "ABC Ltd", T("10:00"), "NULL", "NULL")], "demo 14 no-data batch")
    got = trigger("14-outer-join.sql", bs, 14, chk, prog)
    check(got == {}, "demo 14: a second run without data ran a batch: %r" % got)
    p = progress_lines(prog)
    check([x["numInputRows"] for x in p] == [4, 2, 2, 0], "demo 14 input rows %r" % [x["numInputRows"] for x in p])
finally:
    stop_broker(broker)
cleanup(d)
print("1 passed, 0 failed")
