"""Restart with a changed query (issue 6 scenario 8, spark-semantics.md §8).

A query runs once on a checkpoint, then is restarted with a changed SQL text on
the same checkpoint while new input waits. Incompatible changes (grouping keys,
aggregate functions, key/value state schema, operator kind, join keys/type, an
added or removed stateful operator, a removed source, a source of another
kind) are refused before any
batch runs: exact message, non-zero exit, no new offsets/commits entry. Allowed
changes (a new filter, projection/alias changes after the aggregate, sink
options, trigger) restart and process the new input. Also: every file under the
checkpoint is 0600 and every directory 0700 (issue 6 "Also")."""
import os
import stat
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from spate_test import *  # noqa

d = tempdir("restart-compat")
passed = 0


def job_text(view, select, sink_opts="numRows '1000'", mode="update", views=None):
    return """SET spark.sql.shuffle.partitions = 2;
%s
CREATE STREAMING QUERY q
USING console
OPTIONS (%s)
OUTPUT MODE %s
CHECKPOINT LOCATION '${checkpoint}'
AS %s;
""" % (views or view, sink_opts, mode, select)


def ev_view(inp, schema="k STRING, v BIGINT"):
    return "CREATE TEMPORARY VIEW ev (%s) USING json OPTIONS (path '%s');" % (schema, inp)


counter = [0]


def run_job(text, chk, trigger="available-now", ok=True):
    counter[0] += 1
    path = os.path.join(d, "job%d.sql" % counter[0])
    with open(path, "w") as f:
        f.write(text)
    return run(["run", path, "--var", "checkpoint=" + chk, "--trigger", trigger, "--quiet"], check_rc=ok)


def add_input(inp, name, rows):
    os.makedirs(inp, exist_ok=True)
    tmp = os.path.join(d, "." + name)
    with open(tmp, "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    os.rename(tmp, os.path.join(inp, name))


def log_ids(chk, sub):
    p = os.path.join(chk, sub)
    return sorted(int(x) for x in os.listdir(p) if x.isdigit()) if os.path.isdir(p) else []


def expect_refused(name, text, chk, message):
    """The restart fails with exactly `message` (after the checkpoint path) and plans no batch."""
    global passed
    before = (log_ids(chk, "offsets"), log_ids(chk, "commits"))
    p = run_job(text, chk, ok=False)
    check(p.returncode != 0, "%s: restart was not refused\nstdout:\n%s" % (name, p.stdout))
    check(message in p.stderr, "%s: message\n  expected: %s\n  stderr: %s" % (name, message, p.stderr))
    check((log_ids(chk, "offsets"), log_ids(chk, "commits")) == before,
          "%s: a batch was planned before the refusal" % name)
    passed += 1


def expect_allowed(name, text, chk, inp, trigger="available-now", row=None):
    global passed
    before = log_ids(chk, "commits")
    counter[0] += 1
    add_input(inp, "allowed%d.json" % counter[0], [row or {"k": "a", "v": 1}])
    p = run_job(text, chk, trigger=trigger, ok=False)
    check(p.returncode == 0, "%s: restart refused: %s" % (name, p.stderr))
    after = log_ids(chk, "commits")
    check(len(after) == len(before) + 1 and after[:len(before)] == before,
          "%s: commits %r -> %r (expected one new batch)" % (name, before, after))
    passed += 1


def refused_msg(chk, op, opname, what, path):
    return ("Cannot restart the query from checkpoint %s: stateful operator %d (%s) %s (%s). The state in the "
            "checkpoint was written by a different query; restore the previous query, or use a new checkpoint "
            "location" % (chk, op, opname, what, path))


# ---- aggregation ----
inp = os.path.join(d, "in-agg")
chk = os.path.join(d, "chk-agg")
add_input(inp, "0.json", [{"k": "a", "v": 1}, {"k": "b", "v": 2}])
base_sel = "SELECT k, count(*) AS n, sum(v) AS s FROM ev GROUP BY k"
base = job_text(ev_view(inp), base_sel)
run_job(base, chk)
schema_path = os.path.join(chk, "state", "0", "_metadata", "schema")
check(os.path.exists(schema_path), "no state schema record at %s" % schema_path)
rec = json.load(open(schema_path))
check(rec == {"version": 1, "operatorId": 0, "operator": "stateStoreSave", "keys": "[k]", "keySchema": "string",
              "functions": "[count(1), sum(v)]", "valueSchema": "count(1) -> bigint, sum(v) bigint -> bigint"},
      "schema record: %r" % rec)
add_input(inp, "1.json", [{"k": "c", "v": 3}])  # waiting input: a refused restart must not plan it
sp = os.path.join(chk, "state", "0", "_metadata", "schema")

expect_refused("grouping keys", job_text(ev_view(inp), "SELECT k, v, count(*) AS n, sum(v) AS s FROM ev GROUP BY k, v"),
               chk, refused_msg(chk, 0, "stateStoreSave", "changed its keys from [k] to [k, v]", sp))
expect_refused("aggregates", job_text(ev_view(inp), "SELECT k, count(*) AS n, max(v) AS s FROM ev GROUP BY k"),
               chk, refused_msg(chk, 0, "stateStoreSave",
                                "changed its aggregate functions from [count(1), sum(v)] to [count(1), max(v)]", sp))
expect_refused("key schema", job_text(ev_view(inp, "k BIGINT, v BIGINT"), base_sel),
               chk, refused_msg(chk, 0, "stateStoreSave", "changed its key schema from string to bigint", sp))
expect_refused("value schema", job_text(ev_view(inp, "k STRING, v DOUBLE"), base_sel),
               chk, refused_msg(chk, 0, "stateStoreSave",
                                "changed its state value schema from count(1) -> bigint, sum(v) bigint -> bigint "
                                "to count(1) -> bigint, sum(v) double -> double", sp))
# A source of another kind (file -> rate) is refused before it reads the file
# source's metadata, naming both (Spark fails on parsing the other's offsets).
src_rec = json.load(open(os.path.join(chk, "sources", "0", "_source")))
check(src_rec == {"version": 1, "format": "json", "kind": "FileStreamSource",
                  "description": "FileStreamSource[file:%s]" % inp}, "source record: %r" % src_rec)
rate_views = ("CREATE TEMPORARY VIEW raw USING rate OPTIONS (rowsPerSecond '1');\n"
              "CREATE TEMPORARY VIEW ev AS SELECT CAST(value AS STRING) AS k, value AS v FROM raw;")
expect_refused("source kind", job_text(None, base_sel, views=rate_views), chk,
               "Cannot restart the query from checkpoint %s: source 0 changed from FileStreamSource[file:%s] (json) to "
               "RateStreamV2[rowsPerSecond=1, rampUpTimeSeconds=0, numPartitions=default (rate). Changing the kind of "
               "an input source is not allowed" % (chk, inp))
expect_refused("operator kind", job_text(ev_view(inp), "SELECT k FROM ev DROP DUPLICATES (k)", mode="append"),
               chk, refused_msg(chk, 0, "stateStoreSave", "changed its operator from stateStoreSave to dedupe", sp))
expect_refused("stateful operator removed", job_text(ev_view(inp), "SELECT k, v FROM ev", mode="append"),
               chk, refused_msg(chk, 0, "stateStoreSave",
                                "was removed: the checkpoint has state for it but the query has no such operator",
                                os.path.join(chk, "state", "0")))
# Allowed: a new filter, projection changes after the aggregate, sink options, trigger.
expect_allowed("new filter", job_text(ev_view(inp), "SELECT k, count(*) AS n, sum(v) AS s FROM ev WHERE v > 0 GROUP BY k"),
               chk, inp)
expect_allowed("projection after the aggregate",
               job_text(ev_view(inp), "SELECT k AS key, count(*) + 1 AS n1, sum(v) AS total FROM ev GROUP BY k"),
               chk, inp)
expect_allowed("sink options", job_text(ev_view(inp), base_sel, sink_opts="numRows '5', truncate 'false'"), chk, inp)
expect_allowed("trigger", base, chk, inp, trigger="once")
check(json.load(open(schema_path)) == rec, "an allowed restart rewrote the schema record")

# ---- stateless -> stateful: an added stateful operator ----
inp2 = os.path.join(d, "in-stateless")
chk2 = os.path.join(d, "chk-stateless")
add_input(inp2, "0.json", [{"k": "a", "v": 1}])
run_job(job_text(ev_view(inp2), "SELECT k, v FROM ev", mode="append"), chk2)
add_input(inp2, "1.json", [{"k": "b", "v": 2}])
expect_refused("stateful operator added", job_text(ev_view(inp2), base_sel), chk2,
               refused_msg(chk2, 0, "stateStoreSave",
                           "is new: the checkpoint has batches but no state for it (adding a stateful operator is "
                           "not allowed)", os.path.join(chk2, "state", "0")))

# ---- stream-stream join: keys, type, removed source ----
inl, inr = os.path.join(d, "in-l"), os.path.join(d, "in-r")
chk3 = os.path.join(d, "chk-join")
add_input(inl, "0.json", [{"id": "x", "a": 1, "b": 10, "lt": "2026-01-01 12:00:00"}])
add_input(inr, "0.json", [{"rid": "x", "c": 2, "e": 10, "rt": "2026-01-01 12:05:00"}])
views = ("CREATE TEMPORARY VIEW l (id STRING, a BIGINT, b BIGINT, lt TIMESTAMP) USING json OPTIONS (path '%s')\n"
         "WATERMARK lt DELAY OF '10 minutes';\n"
         "CREATE TEMPORARY VIEW r (rid STRING, c BIGINT, e BIGINT, rt TIMESTAMP) USING json OPTIONS (path '%s')\n"
         "WATERMARK rt DELAY OF '10 minutes';" % (inl, inr))
TB = " AND rt BETWEEN lt AND lt + INTERVAL 15 MINUTE"
join_base = job_text(None, "SELECT id, a, c FROM l JOIN r ON id = rid" + TB, mode="append", views=views)
run_job(join_base, chk3)
jp = os.path.join(chk3, "state", "0", "_metadata", "schema")
jrec = json.load(open(jp))
check(jrec.get("operator") == "symmetricHashJoin" and jrec.get("joinType") == "Inner" and jrec.get("keys") == "[id] = [rid]",
      "join schema record: %r" % jrec)
add_input(inl, "1.json", [{"id": "y", "a": 3, "b": 20, "lt": "2026-01-01 12:10:00"}])
expect_refused("join keys", job_text(None, "SELECT id, a, c FROM l JOIN r ON id = rid AND b = e" + TB, mode="append",
                                     views=views),
               chk3, refused_msg(chk3, 0, "symmetricHashJoin", "changed its keys from [id] = [rid] to [id, b] = [rid, e]", jp))
expect_refused("join type", job_text(None, "SELECT id, a, c FROM l LEFT JOIN r ON id = rid" + TB, mode="append",
                                     views=views),
               chk3, refused_msg(chk3, 0, "symmetricHashJoin", "changed its join type from Inner to LeftOuter", jp))
expect_refused("removed source", job_text(None, "SELECT id, a FROM l", mode="append", views=views), chk3,
               "There are [2] sources in the checkpoint offsets and now there are [1] sources requested by the query. "
               "Cannot continue.")
expect_allowed("join: new filter", job_text(None, "SELECT id, a, c FROM l JOIN r ON id = rid" + TB + " WHERE a > 0",
                                            mode="append", views=views), chk3, inl,
               row={"id": "z", "a": 5, "b": 1, "lt": "2026-01-01 12:20:00"})

# ---- checkpoint permissions: files 0600, directories 0700 ----
for root in (chk, chk2, chk3):
    for dirpath, dirnames, filenames in os.walk(root):
        m = stat.S_IMODE(os.stat(dirpath).st_mode)
        check(m == 0o700, "directory %s has mode %o, expected 700" % (dirpath, m))
        for f in filenames:
            fp = os.path.join(dirpath, f)
            m = stat.S_IMODE(os.stat(fp).st_mode)
            check(m == 0o600, "file %s has mode %o, expected 600" % (fp, m))
passed += 1

cleanup(d)
print("%d passed, 0 failed" % passed)
