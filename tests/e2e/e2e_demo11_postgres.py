"""Seed demo 11, PostgreSQL variant (examples/11-stream-table-join-postgres.sql), end
to end against `spate broker` and a throw-away PostgreSQL server
(scripts/pg-test-server.sh, unix socket only; exit 77 = skipped when it cannot
start): logins (11-StreamTableJoinDemo/logins.txt) are produced to a Kafka topic with
kcat, joined (inner) with the static `users` table created here with psql from the
rows of user.cql, and each batch is upserted back into that table on login_id (update
mode). After every Trigger.Once run the whole table is checked, plus the sink's batch
id in _spate_sink_progress.

A. The demo as given: all users of user.cql, the one block of logins -> one batch of 4
   rows; every user's last_login becomes the login's created_time. A run without data
   runs no batch and changes nothing.
B. The static side is read again every batch: with only user.cql's first paragraph,
   login 100091 matches no user and is dropped; after the second paragraph's insert,
   the same login sent again joins and is upserted."""
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from spate_test import *  # noqa
from kafka_test import start_broker, stop_broker, produce  # noqa

DEMO = os.path.join(SEED, "11-StreamTableJoinDemo")
JOB = os.path.join(SOURCE_DIR, "examples", "11-stream-table-join-postgres.sql")
PGSCRIPT = os.path.join(SOURCE_DIR, "scripts", "pg-test-server.sh")
INSERT = re.compile(r"INSERT INTO users \(Login_id, user_name, last_login\) VALUES\( *'([^']*)', *'([^']*)', *'([^']*)'\);")


def user_paragraphs():
    """The rows of user.cql's INSERTs, grouped by blank-line-separated paragraph."""
    out, cur = [], []
    for line in open(os.path.join(DEMO, "user.cql")).read().split("\n"):
        m = INSERT.match(line.strip())
        if m:
            cur.append(m.groups())
        elif not line.strip() and cur:
            out.append(cur)
            cur = []
    if cur:
        out.append(cur)
    return out


def psql(conninfo, sql):
    p = subprocess.run(["psql", conninfo, "-X", "-v", "ON_ERROR_STOP=1", "-At", "-F", "|", "-c", sql],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
    if p.returncode != 0:
        fail("psql failed on %r: %s" % (sql, p.stderr))
    return [tuple(l.split("|")) for l in p.stdout.split("\n") if l]


def lit(s):
    return "'" + s.replace("'", "''") + "'"


def create_table(ci, name, rows):
    psql(ci, "CREATE TABLE %s (login_id TEXT PRIMARY KEY, user_name TEXT, last_login TIMESTAMP)" % name)
    insert_users(ci, name, rows)


def insert_users(ci, name, rows):
    psql(ci, "INSERT INTO %s VALUES %s" % (name, ", ".join("(%s, %s, %s)" % tuple(lit(x) for x in r) for r in rows)))


def table(ci, name):
    rows = sorted(psql(ci, "SELECT login_id, user_name, to_char(last_login, 'YYYY-MM-DD HH24:MI:SS') FROM %s" % name))
    prog = psql(ci, "SELECT batch_id FROM _spate_sink_progress WHERE sink_table LIKE %s" % lit("%" + name + "%")) \
        if psql(ci, "SELECT to_regclass('_spate_sink_progress') IS NOT NULL") == [("t",)] else []
    return rows, sorted(int(b) for (b,) in prog)


def trigger(bootstrap, topic, chk, ci, name, progress):
    """One Trigger.Once run; returns the progress of the batches it ran."""
    n = len(open(progress).read().split("\n")) - 1 if os.path.exists(progress) else 0
    run(["run", JOB, "--var", "bootstrap=" + bootstrap, "--var", "topic=" + topic, "--var", "checkpoint=" + chk,
         "--var", "conninfo=" + ci, "--var", "table=" + name, "--trigger", "once", "--quiet", "--progress", progress],
        timeout=120)
    lines = [json.loads(l) for l in open(progress).read().split("\n")[n:] if l.strip()]
    return [p for p in lines if "addBatch" in p["durationMs"]]


def check_batch(progs, batch, inputs, outputs, what):
    got = [(p["batchId"], p["numInputRows"], p["sink"]["numOutputRows"]) for p in progs]
    check(got == [(batch, inputs, outputs)], "%s: batches (id, input rows, output rows) %r, expected %r" %
          (what, got, [(batch, inputs, outputs)]))


paras = user_paragraphs()
check([len(p) for p in paras] == [3, 1], "user.cql paragraphs %r" % paras)
users = [r for p in paras for r in p]
logins = read_lines([os.path.join(DEMO, "logins.txt")])
check(len(logins) == 4, "logins.txt: %d lines" % len(logins))
created = {json.loads(l)["login_id"]: json.loads(l)["created_time"] for l in logins}
name = {u: n for u, n, _ in users}
first = {u: t for u, _, t in users}

pgdir = tempfile.mkdtemp(prefix="spate-pgdemo11-")
st = subprocess.run([PGSCRIPT, "start", pgdir], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=180)
if st.returncode != 0:
    subprocess.run([PGSCRIPT, "stop", pgdir], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    print("SKIP e2e_demo11_postgres: a PostgreSQL server cannot be started here (%s)" % st.stderr.strip())
    sys.exit(77)
ci = "host=%s dbname=postgres user=postgres" % pgdir
d = tempdir("demo11-pg")
broker = None
try:
    broker, bs = start_broker(["logins:1", "logins_b:1"])
    # ---- A: the demo as given.
    chk, prog = os.path.join(d, "chk-a"), os.path.join(d, "pa.jsonl")
    create_table(ci, "users", users)
    produce(bs, "logins", logins)
    check_batch(trigger(bs, "logins", chk, ci, "users", prog), 0, 4, 4, "A trigger 0")
    want = sorted((u, name[u], created[u]) for u in name)
    got, sp = table(ci, "users")
    check(got == want, "A: users after trigger 0\n%r\nexpected\n%r" % (got, want))
    check(sp == [0], "A: _spate_sink_progress %r" % sp)
    check(trigger(bs, "logins", chk, ci, "users", prog) == [], "A: a run without data ran a batch")
    check(table(ci, "users") == (want, [0]), "A: table changed by a run without data: %r" % (table(ci, "users"),))

    # ---- B: the static side is re-read every batch.
    chk, prog = os.path.join(d, "chk-b"), os.path.join(d, "pb.jsonl")
    create_table(ci, "users_b", paras[0])
    known = [l for l in logins if json.loads(l)["login_id"] in {u for u, _, _ in paras[0]}]
    new = [l for l in logins if l not in known]
    check(len(known) == 3 and [json.loads(l)["login_id"] for l in new] == ["100091"], "B data %r" % new)
    produce(bs, "logins_b", known)
    check_batch(trigger(bs, "logins_b", chk, ci, "users_b", prog), 0, 3, 3, "B trigger 0")
    want = sorted((u, n, created[u]) for u, n, _ in paras[0])
    check(table(ci, "users_b") == (want, [0]), "B: after trigger 0 %r\nexpected %r" % (table(ci, "users_b"), want))
    produce(bs, "logins_b", new)
    check_batch(trigger(bs, "logins_b", chk, ci, "users_b", prog), 1, 1, 0, "B trigger 1 (unknown user)")
    check(table(ci, "users_b") == (want, [1]), "B: after trigger 1 %r" % (table(ci, "users_b"),))
    insert_users(ci, "users_b", paras[1])
    produce(bs, "logins_b", new)
    check_batch(trigger(bs, "logins_b", chk, ci, "users_b", prog), 2, 1, 1, "B trigger 2 (user added)")
    want = sorted(want + [("100091", "New User", created["100091"])])
    check(table(ci, "users_b") == (want, [2]), "B: after trigger 2 %r\nexpected %r" % (table(ci, "users_b"), want))
    check(first["100091"] != created["100091"], "B: the upsert must change last_login")
finally:
    if broker:
        stop_broker(broker)
    subprocess.run([PGSCRIPT, "stop", pgdir], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
cleanup(d)
print("1 passed, 0 failed")
