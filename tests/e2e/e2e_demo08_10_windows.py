"""Seed demos 08 (tumbling window), 09 (sliding window) and 10 (watermark) end to
end: the seed records are produced to `spate broker` with kcat in the blocks the
demos describe, each block followed by one trigger (Trigger.Once on the same
checkpoint), and the console tables each trigger prints are checked row by row
against oracles computed here from the seed data."""
import json
import os
import sys
from collections import defaultdict
from datetime import datetime, timedelta

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from spate_test import *  # noqa
from kafka_test import start_broker, stop_broker, produce  # noqa

FMT = "%Y-%m-%d %H:%M:%S"


def blocks(path):
    """Non-empty lines, split into blocks at blank lines."""
    out, cur = [], []
    for line in open(path).read().split("\n"):
        if line.strip():
            cur.append(line)
        elif cur:
            out.append(cur)
            cur = []
    if cur:
        out.append(cur)
    return out


def trigger(job, bootstrap, chk):
    """One Trigger.Once run; returns {batch: rows} of what it printed."""
    p = run(["run", os.path.join(SOURCE_DIR, "examples", job), "--var", "bootstrap=" + bootstrap,
             "--var", "checkpoint=" + chk, "--trigger", "once", "--quiet"])
    return console_batches(p.stdout)


def windows(t, size, slide):
    """Spark's window assignment (spark-semantics.md 5.1), start inclusive, end exclusive."""
    epoch = datetime(1970, 1, 1)
    secs = int((t - epoch).total_seconds())
    last = secs - secs % slide
    out = []
    for i in range((size + slide - 1) // slide):
        s = last - i * slide
        if s <= secs < s + size:
            out.append((epoch + timedelta(seconds=s), epoch + timedelta(seconds=s + size)))
    return out


def fmt(t):
    return t.strftime(FMT)


seed = SEED
d = tempdir("demo08-10")
broker, bootstrap = start_broker(["trades:1", "sensor:1", "trades10:1"])
try:
    # ---- 08: tumbling 15-minute windows, update, one block, no watermark.
    recs = [json.loads(l) for b in blocks(os.path.join(seed, "08-TumblingWindowDemo", "samples.txt")) for l in b]
    produce(bootstrap, "trades", [json.dumps(r) for r in recs])
    sums = defaultdict(lambda: [0, 0])
    for r in recs:
        (s, e), = windows(datetime.strptime(r["CreatedTime"], FMT), 900, 900)
        sums[(s, e)][0 if r["Type"] == "BUY" else 1] += r["Amount"]
    want = sorted((fmt(s), fmt(e), str(b), str(x)) for (s, e), (b, x) in sums.items())
    got = trigger("08-tumbling-window.sql", bootstrap, os.path.join(d, "chk8"))
    check(list(got) == [0], "demo 08: batches %r" % list(got))
    header, rows = got[0]
    check(header == ["start", "end", "TotalBuy", "TotalSell"], "demo 08 header %r" % header)
    check(sorted(rows) == want, "demo 08 rows:\n%r\nwant\n%r" % (sorted(rows), want))

    # ---- 09: sliding 15/5-minute windows per sensor (record key), max reading.
    lines = [l for b in blocks(os.path.join(seed, "09-SlidingWindowDemo", "samples.json")) for l in b]
    keyed = [tuple(l.split(":", 1)) for l in lines]
    produce(bootstrap, "sensor", keyed)
    mx = {}
    for k, v in keyed:
        r = json.loads(v)
        for s, e in windows(datetime.strptime(r["CreatedTime"], FMT), 900, 300):
            mx[(k, s, e)] = max(mx.get((k, s, e), float("-inf")), r["Reading"])
    want = sorted((k, fmt(s), fmt(e), repr(m)) for (k, s, e), m in mx.items())
    got = trigger("09-sliding-window.sql", bootstrap, os.path.join(d, "chk9"))
    check(0 in got, "demo 09: no batch 0 in %r" % list(got))
    header, rows = got[0]
    check(header == ["SensorID", "start", "end", "MaxReading"], "demo 09 header %r" % header)
    check(sorted(rows) == want, "demo 09 rows:\n%r\nwant\n%r" % (sorted(rows), want))

    # ---- 10: watermark 30 minutes. Block 1, then a trigger without data (the
    # watermark moved to 10:18, so a no-data batch evicts [10:00, 10:15)), then
    # block 2: 10:14 falls in the evicted window and is dropped as late; 10:16
    # updates [10:15, 10:30).
    b1, b2 = blocks(os.path.join(seed, "10-WatermarkDemo", "samples.txt"))
    chk10 = os.path.join(d, "chk10")
    job10 = "10-watermark.sql"
    os.environ.pop("SPATE_TOPIC", None)
    produce(bootstrap, "trades10", b1)
    p = run(["run", os.path.join(SOURCE_DIR, "examples", job10), "--var", "bootstrap=" + bootstrap,
             "--var", "topic=trades10", "--var", "checkpoint=" + chk10, "--trigger", "once", "--quiet"])
    got = console_batches(p.stdout)
    want0 = sorted([("2019-02-05 10:00:00", "2019-02-05 10:15:00", "500", "0"),
                    ("2019-02-05 10:15:00", "2019-02-05 10:30:00", "800", "0"),
                    ("2019-02-05 10:30:00", "2019-02-05 10:45:00", "900", "0"),
                    ("2019-02-05 10:45:00", "2019-02-05 11:00:00", "0", "600")])
    check(list(got) == [0] and sorted(got[0][1]) == want0, "demo 10 batch 0: %r" % got)
    p = run(["run", os.path.join(SOURCE_DIR, "examples", job10), "--var", "bootstrap=" + bootstrap,
             "--var", "topic=trades10", "--var", "checkpoint=" + chk10, "--trigger", "once", "--quiet"])
    got = console_batches(p.stdout)
    check(list(got) == [1] and got[1][1] == [], "demo 10 no-data batch 1: %r" % got)
    produce(bootstrap, "trades10", b2)
    p = run(["run", os.path.join(SOURCE_DIR, "examples", job10), "--var", "bootstrap=" + bootstrap,
             "--var", "topic=trades10", "--var", "checkpoint=" + chk10, "--trigger", "once", "--quiet",
             "--progress", os.path.join(d, "p10.jsonl")])
    got = console_batches(p.stdout)
    check(list(got) == [2] and got[2][1] == [("2019-02-05 10:15:00", "2019-02-05 10:30:00", "800", "300")],
          "demo 10 batch 2: %r" % got)
    prog = [json.loads(l) for l in open(os.path.join(d, "p10.jsonl")) if l.strip()]
    check(prog[-1]["eventTime"]["watermark"] == "2019-02-05T10:18:00.000Z", "watermark %r" % prog[-1]["eventTime"])
    check(prog[-1]["stateOperators"][0]["numRowsDroppedByWatermark"] == 1, "dropped %r" % prog[-1]["stateOperators"])
finally:
    stop_broker(broker)
cleanup(d)
print("1 passed, 0 failed")
