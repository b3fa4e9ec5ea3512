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
