"""Seed demos 06 and 07 end to end (examples/06-avro-sink.sql, 07-avro-source.sql)
against `spate broker`. The seed invoices (04-KafkaSinkDemo/samples.json) are
produced to `invoices` with kcat. Demo 06 writes one Avro record per line item to
`invoice-items` (key InvoiceNumber, value to_avro(struct(*))): every value, read
back with isolation.level=read_committed, is decoded here with the schema file of
seed demo 07 by a small Avro decoder (fastavro is not packaged for Debian; the
decoder is used even when fastavro is importable, and fastavro cross-checks it then)
and must consume exactly all the bytes and equal the oracle's row. A re-run
publishes nothing more. Demo 07 reads them back with from_avro and that schema file
(--var schema=PATH, ${file:schema} in the job) and writes per-CustomerCardNo PRIME
totals to `customer-rewards` in update mode: the last value of each key must be
exactly the oracle's JSON (sum over the seed line items in input order)."""
import io
import json
import os
import struct
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from spate_test import *  # noqa
from kafka_test import start_broker, stop_broker, produce, consume  # noqa

SCHEMA_FILE = os.path.join(SEED, "07-KafkaAvroSourceDemo", "invoice-items")
AVRO_COLUMNS = [("InvoiceNumber", "string"), ("CreatedTime", "bigint"), ("StoreID", "string"), ("PosID", "string"),
                ("CustomerType", "string"), ("CustomerCardNo", "string"), ("DeliveryType", "string"),
                ("City", "string"), ("State", "string"), ("PinCode", "string"), ("ItemCode", "string"),
                ("ItemDescription", "string"), ("ItemPrice", "double"), ("ItemQty", "int"), ("TotalValue", "double")]


# ---- a tiny Avro binary decoder (the Avro 1.11 spec, binary encoding) ----
class AvroReader:
    def __init__(self, data):
        self.b = data
        self.i = 0

    def long(self):
        z = shift = 0
        while True:
            check(self.i < len(self.b), "avro: truncated varint")
            c = self.b[self.i]
            self.i += 1
            z |= (c & 0x7F) << shift
            shift += 7
            if not c & 0x80:
                return (z >> 1) ^ -(z & 1)

    def raw(self, n):
        check(n >= 0 and self.i + n <= len(self.b), "avro: truncated data")
        r = self.b[self.i:self.i + n]
        self.i += n
        return r

    def read(self, t):
        if isinstance(t, list):  # union
            br = self.long()
            check(0 <= br < len(t), "avro: bad union branch %d" % br)
            return self.read(t[br])
        if isinstance(t, dict):
            kind = t["type"]
            if kind == "record":
                return {f["name"]: self.read(f["type"]) for f in t["fields"]}
            if kind == "array":
                out = []
                while True:
                    n = self.long()
                    if n == 0:
                        return out
                    if n < 0:
                        n = -n
                        self.long()
                    out.extend(self.read(t["items"]) for _ in range(n))
            return self.read(kind)
        if t == "null":
            return None
        if t == "boolean":
            return self.raw(1) == b"\x01"
        if t in ("int", "long"):
            return self.long()
        if t == "double":
            return struct.unpack("<d", self.raw(8))[0]
        if t == "float":
            return struct.unpack("<f", self.raw(4))[0]
        if t == "string":
            return self.raw(self.long()).decode("utf-8")
        if t == "bytes":
            return self.raw(self.long())
        fail("avro: type %r not supported by the test decoder" % (t,))


def decode_exact(data, schema):
    r = AvroReader(data)
    v = r.read(schema)
    check(r.i == len(data), "avro: %d trailing bytes after the datum" % (len(data) - r.i))
    return v


def consume_binary(bootstrap, topic, timeout=60):
    """All records of a topic as sorted (offset, key bytes or None, value bytes), read_committed."""
    args = ["kcat", "-b", bootstrap, "-t", topic, "-C", "-e", "-q", "-X", "isolation.level=read_committed",
            "-f", "%o %K %S\n%k%s"]
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    check(p.returncode == 0, "kcat consume from %s failed: %s" % (topic, p.stderr))
    out, buf = [], io.BytesIO(p.stdout)
    while True:
        head = buf.readline()
        if not head:
            break
        off, klen, vlen = (int(x) for x in head.split())
        key = buf.read(klen) if klen >= 0 else None
        val = buf.read(vlen) if vlen >= 0 else None
        out.append((off, key, val))
    return sorted(out)


def item_rows(invoice_lines):
    """Demo 06 oracle: the flattened rows (explode drops invoices without line items)."""
    rows = []
    for inv in parse_invoices(invoice_lines):
        addr = inv["DeliveryAddress"] or {}
        for item in inv["InvoiceLineItems"] or []:
            item = item or {}
            vals = dict(inv)
            vals.update({k: addr.get(k) for k in ("City", "State", "PinCode")})
            vals.update({k: item.get(k) for k in ("ItemCode", "ItemDescription", "ItemPrice", "ItemQty",
                                                  "TotalValue")})
            rows.append({c: vals[c] for c, _ in AVRO_COLUMNS})
    return rows


def rewards(rows):
    """Demo 07 oracle: {CustomerCardNo: to_json(struct(TotalPurchase, AggregatedRewards))}."""
    acc = {}
    for r in rows:
        if r["CustomerType"] != "PRIME":
            continue
        tp, ar = acc.get(r["CustomerCardNo"], (None, None))
        tv = r["TotalValue"]
        if tv is not None:
            tp = tv if tp is None else tp + tv
            ar = int(tv * 0.2) + (ar or 0)  # CAST(double AS INT) truncates toward zero
        acc[r["CustomerCardNo"]] = (tp, ar)
    return {k: spark_json([("TotalPurchase", tp, "double"), ("AggregatedRewards", ar, "bigint")])
            for k, (tp, ar) in acc.items()}


with open(SCHEMA_FILE) as f:
    schema = json.load(f)
records = read_lines([os.path.join(SEED, "04-KafkaSinkDemo", "samples.json")])
expected_rows = item_rows(records)
expected_rewards = rewards(expected_rows)
check(len(expected_rows) > len(records) and expected_rewards, "seed data: %d rows" % len(expected_rows))

try:
    import fastavro  # noqa
except ImportError:
    fastavro = None

d = tempdir("demo06-07")
broker, bs = start_broker(["invoices:1", "invoice-items:1", "customer-rewards:1"])
try:
    produce(bs, "invoices", records)
    chk6 = os.path.join(d, "chk6")
    args6 = ["run", os.path.join(SOURCE_DIR, "examples", "06-avro-sink.sql"), "--var", "bootstrap=" + bs,
             "--var", "checkpoint=" + chk6, "--trigger", "available-now", "--quiet"]
    run(args6, timeout=300)
    items = consume_binary(bs, "invoice-items")
    check(len(items) == len(expected_rows), "invoice-items: %d records, expected %d" % (len(items), len(expected_rows)))
    got = []
    for _, key, val in items:
        row = decode_exact(val, schema)
        if fastavro is not None:
            check(fastavro.schemaless_reader(io.BytesIO(val), fastavro.parse_schema(schema)) == row,
                  "fastavro disagrees on %r" % val)
        check(key == (None if row["InvoiceNumber"] is None else row["InvoiceNumber"].encode()),
              "key %r for InvoiceNumber %r" % (key, row["InvoiceNumber"]))
        got.append(row)

    def norm(rows):
        return sorted(json.dumps([r[c] for c, _ in AVRO_COLUMNS]) for r in rows)
    check(norm(got) == norm(expected_rows), "invoice-items differ:\n got %r\n expected %r" %
          (norm(got)[:3], norm(expected_rows)[:3]))

    # Exactly once: a re-run on the same checkpoint publishes nothing.
    run(args6, timeout=300)
    check(len(consume_binary(bs, "invoice-items")) == len(expected_rows), "re-run of demo 06 published again")

    # Demo 07 on 06's output.
    chk7 = os.path.join(d, "chk7")
    progress = os.path.join(d, "progress7.jsonl")
    run(["run", os.path.join(SOURCE_DIR, "examples", "07-avro-source.sql"), "--var", "bootstrap=" + bs,
         "--var", "checkpoint=" + chk7, "--var", "schema=" + SCHEMA_FILE, "--trigger", "available-now",
         "--quiet", "--progress", progress], timeout=300)
    out = consume(bs, "customer-rewards")
    last = {}
    for _, _, k, v in out:  # sorted by (partition, offset): later updates win
        last[k] = v
    want = {("" if k is None else k): v for k, v in expected_rewards.items()}
    check(last == want, "customer-rewards differ:\n got %r\n expected %r" % (last, want))
    with open(progress) as f:
        progs = [json.loads(l) for l in f if l.strip()]
    check(progs and progs[0]["name"] == "Rewards Writer", "query name %r" % [p.get("name") for p in progs])
    check(sum(p["numInputRows"] for p in progs) == len(expected_rows), "numInputRows")
    if len([p for p in progs if p["numInputRows"]]) == 1:
        check(len(out) == len(want), "one batch must write each key once: %d records" % len(out))

    # A missing schema file is a clear error before anything runs.
    p = run(["run", os.path.join(SOURCE_DIR, "examples", "07-avro-source.sql"), "--var", "bootstrap=" + bs,
             "--var", "checkpoint=" + os.path.join(d, "chk7b"), "--var", "schema=" + os.path.join(d, "nope"),
             "--trigger", "available-now", "--quiet"], check_rc=False)
    check(p.returncode != 0 and "cannot read the file" in p.stderr, "missing schema file: %r" % p.stderr)
finally:
    stop_broker(broker)
cleanup(d)
print("1 passed, 0 failed")
