"""Helpers for spate's end-to-end tests: run the CLI, read sinks the way a
reader must (through _spark_metadata), compute oracles from input data."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

SOURCE_DIR = os.environ.get("SPATE_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SPATE = os.environ.get("SPATE_BIN", os.path.join(SOURCE_DIR, "build", "spate"))
SEED = os.environ.get("SPATE_SEED_DIR", os.path.join(SOURCE_DIR, "..", "shared", "seed-demos"))


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def tempdir(name):
    d = tempfile.mkdtemp(prefix="spate-e2e-%s-" % name)
    return d


def run(args, timeout=300, check_rc=True, **kw):
    p = subprocess.run([SPATE] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout, text=True, **kw)
    if check_rc and p.returncode != 0:
        fail("spate %s exited %d\nstdout:\n%s\nstderr:\n%s" % (" ".join(args), p.returncode, p.stdout, p.stderr))
    return p


def metadata_files(out_dir):
    """Data files committed in a file sink's _spark_metadata log, in batch order,
    as (log id, path, size). Entries read from a compact file N.compact carry
    N, though they were written by batches <= N."""
    log = os.path.join(out_dir, "_spark_metadata")
    if not os.path.isdir(log):
        return []
    ids = []
    compact = -1
    for name in os.listdir(log):
        base = name[:-len(".compact")] if name.endswith(".compact") else name
        if base.isdigit():
            ids.append(int(base))
            if name.endswith(".compact"):
                compact = max(compact, int(base))
    paths = []
    for i in sorted(set(ids)):
        if i < compact:
            continue
        name = "%d.compact" % i if i == compact else str(i)
        with open(os.path.join(log, name)) as f:
            lines = f.read().split("\n")
        check(lines[0] == "v1", "bad sink log version in %s: %r" % (name, lines[0]))
        for line in lines[1:]:
            if line.strip():
                entry = json.loads(line)
                check(entry["action"] == "add", "unexpected action %r" % entry)
                p = entry["path"]
                if p.startswith("file://"):
                    p = p[len("file://"):]
                paths.append((i, p, entry["size"]))
    return paths


def sink_log_ids(out_dir):
    """Batch ids of the sink log files present (a compact file N.compact counts as N)."""
    log = os.path.join(out_dir, "_spark_metadata")
    ids = []
    for name in os.listdir(log) if os.path.isdir(log) else []:
        base = name[:-len(".compact")] if name.endswith(".compact") else name
        if base.isdigit():
            ids.append(int(base))
    return sorted(set(ids))


def sink_lines(out_dir):
    """Every committed output line (raw text), reading only logged files."""
    lines = []
    for _, path, size in metadata_files(out_dir):
        with open(path) as f:
            data = f.read()
        check(len(data.encode()) == size, "file %s has %d bytes, log says %d" % (path, len(data.encode()), size))
        lines.extend(l for l in data.split("\n") if l)
    return lines


def invoice_rows(invoice_lines):
    """Demo 02 oracle: one JSON line per line item, Spark's JSON writer shape."""
    out = []
    for line in invoice_lines:
        if not line.strip():
            continue
        inv = json.loads(line)
        addr = inv.get("DeliveryAddress") or {}
        for item in inv.get("InvoiceLineItems") or []:
            row = {}
            for k in ("InvoiceNumber", "CreatedTime", "StoreID", "PosID", "CustomerType", "PaymentMethod", "DeliveryType"):
                if inv.get(k) is not None:
                    row[k] = inv[k]
            for k in ("City", "State", "PinCode"):
                if addr.get(k) is not None:
                    row[k] = addr[k]
            for k in ("ItemCode", "ItemDescription", "ItemPrice", "ItemQty", "TotalValue"):
                if item.get(k) is not None:
                    row[k] = item[k]
            out.append(json.dumps(row, separators=(",", ":"), ensure_ascii=False))
    return out


def console_batches(text):
    """Console-sink output -> {batch id: (header cells, [row cells...])}. Cells are
    stripped; Spark's "Batch: N" framing and +---+ rules are checked."""
    out = {}
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        if lines[i].startswith("Batch: "):
            n = int(lines[i][len("Batch: "):])
            check(lines[i - 1].startswith("-----") and lines[i + 1].startswith("-----"),
                  "batch %d header framing: %r" % (n, lines[i - 1:i + 2]))
            rule = lines[i + 2]
            check(rule.startswith("+") and rule.endswith("+"), "batch %d table rule %r" % (n, rule))
            header = [c.strip() for c in lines[i + 3].strip("|").split("|")]
            rows = []
            j = i + 5
            while j < len(lines) and lines[j] != rule:
                rows.append(tuple(c.strip() for c in lines[j].strip("|").split("|")))
                j += 1
            out[n] = (header, rows)
            i = j
        i += 1
    return out


# Demos 03-05: the invoice schema of from_json(CAST(value AS STRING), ...) in
# examples/03-kafka-source.sql, as (field, type) with nested lists for structs and
# ("array", elem) for arrays.
INVOICE_SCHEMA = [
    ("InvoiceNumber", "string"), ("CreatedTime", "bigint"), ("StoreID", "string"), ("PosID", "string"),
    ("CashierID", "string"), ("CustomerType", "string"), ("CustomerCardNo", "string"),
    ("TotalAmount", "double"), ("NumberOfItems", "int"), ("PaymentMethod", "string"), ("CGST", "double"),
    ("SGST", "double"), ("CESS", "double"), ("DeliveryType", "string"),
    ("DeliveryAddress", [("AddressLine", "string"), ("City", "string"), ("State", "string"),
                         ("PinCode", "string"), ("ContactNumber", "string")]),
    ("InvoiceLineItems", ("array", [("ItemCode", "string"), ("ItemDescription", "string"),
                                    ("ItemPrice", "double"), ("ItemQty", "int"), ("TotalValue", "double")])),
]


def java_double(x):
    """Java's Double.toString (shortest digits; scientific outside [1e-3, 1e7))."""
    import decimal
    if x != x:
        return "NaN"
    if x in (float("inf"), float("-inf")):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "-0.0" if str(x).startswith("-") else "0.0"
    if 1e-3 <= abs(x) < 1e7:
        r = repr(x)
        return r if "." in r else r + ".0"
    sign, digits, exp = decimal.Decimal(repr(x)).as_tuple()
    ds = "".join(map(str, digits)).rstrip("0") or "0"
    e = exp + len(digits) - 1
    mant = ds[0] + "." + (ds[1:] or "0")
    return ("-" if sign else "") + mant + "E" + str(e)


def typed(v, t):
    """A JSON value read as Spark's from_json reads it into type t (None = NULL).
    Only the conversions the seed invoices need; anything else fails the test."""
    if v is None:
        return None
    if isinstance(t, list):
        check(isinstance(v, dict), "oracle: expected an object, got %r" % (v,))
        return {k: typed(v.get(k), ft) for k, ft in t}
    if isinstance(t, tuple):
        check(isinstance(v, list), "oracle: expected an array, got %r" % (v,))
        return [typed(x, t[1]) for x in v]
    if t == "string":
        check(isinstance(v, str), "oracle: non-string %r for a STRING field" % (v,))
        return v
    if t in ("int", "bigint"):
        check(isinstance(v, int) and not isinstance(v, bool), "oracle: %r for an integer field" % (v,))
        return v
    if t == "double":
        check(isinstance(v, (int, float)) and not isinstance(v, bool), "oracle: %r for a DOUBLE field" % (v,))
        return float(v)
    fail("oracle: type %r" % (t,))


def spark_json(fields):
    """Spark's JSON writer for one row given as [(name, value, type)]: schema order,
    NULL fields omitted, doubles as Java prints them."""
    parts = []
    for name, v, t in fields:
        if v is None:
            continue
        if t == "double":
            s = java_double(v)
        elif t in ("int", "bigint"):
            s = str(v)
        else:
            s = json.dumps(v, ensure_ascii=False)
        parts.append("%s:%s" % (json.dumps(name), s))
    return "{" + ",".join(parts) + "}"


def parse_invoices(invoice_lines):
    """from_json of each Kafka record value with INVOICE_SCHEMA (blank lines skipped)."""
    return [typed(json.loads(l), INVOICE_SCHEMA) for l in invoice_lines if l.strip()]


FLAT_COLUMNS = [("InvoiceNumber", "string"), ("CreatedTime", "bigint"), ("StoreID", "string"),
                ("PosID", "string"), ("CustomerType", "string"), ("PaymentMethod", "string"),
                ("DeliveryType", "string"), ("City", "string"), ("State", "string"), ("PinCode", "string"),
                ("ItemCode", "string"), ("ItemDescription", "string"), ("ItemPrice", "double"),
                ("ItemQty", "int"), ("TotalValue", "double")]


def flattened_invoice_rows(invoice_lines):
    """Demo 03 oracle: the JSON file sink lines of the flattening query (explode drops
    invoices whose InvoiceLineItems is NULL or empty)."""
    out = []
    for inv in parse_invoices(invoice_lines):
        addr = inv["DeliveryAddress"] or {}
        for item in inv["InvoiceLineItems"] or []:
            item = item or {}
            vals = dict(inv)
            vals.update({k: addr.get(k) for k in ("City", "State", "PinCode")})
            vals.update({k: item.get(k) for k in ("ItemCode", "ItemDescription", "ItemPrice", "ItemQty",
                                                  "TotalValue")})
            out.append(spark_json([(c, vals[c], t) for c, t in FLAT_COLUMNS]))
    return out


def notification_records(invoice_lines):
    """Demo 04 oracle: (key, value) of each notification: key InvoiceNumber, value
    to_json(named_struct(CustomerCardNo, TotalAmount, EarnedLoyaltyPoints = TotalAmount * 0.2))."""
    out = []
    for inv in parse_invoices(invoice_lines):
        ta = inv["TotalAmount"]
        value = spark_json([("CustomerCardNo", inv["CustomerCardNo"], "string"), ("TotalAmount", ta, "double"),
                            ("EarnedLoyaltyPoints", None if ta is None else ta * 0.2, "double")])
        out.append((inv["InvoiceNumber"] or "", value))
    return out


def read_lines(paths):
    lines = []
    for p in paths:
        with open(p) as f:
            lines.extend(l for l in f.read().split("\n") if l.strip())
    return lines


def cleanup(d):
    if os.environ.get("SPATE_KEEP_TEMP"):
        print("kept " + d)
        return
    shutil.rmtree(d, ignore_errors=True)
