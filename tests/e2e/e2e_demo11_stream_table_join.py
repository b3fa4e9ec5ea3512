"""Seed demo 11 (stream-static join, examples/11-stream-table-join.sql) end to end
against `spate broker`: logins (11-StreamTableJoinDemo/logins.txt) are produced to a
Kafka topic with kcat, joined (inner) with the static `users` table of a SQLite
database created here with Python's sqlite3 from the rows of user.cql, and each batch
is upserted back into that table on login_id (update mode). After every Trigger.Once
run the whole users table is checked, plus the sink's batch id in _spate_sink_progress.

A. The demo as given: all users of user.cql, the one block of logins -> one batch of 4
   rows; every user's last_login becomes the login's created_time. A run without data
   runs no batch and changes nothing.
B. The static side is read again every batch (user.cql adds user 100091 in a separate
   paragraph, after the others): with only the first paragraph's users, the first three
   logins update their users; login 100091 then matches no user and the inner join drops
   it (the table is unchanged); after the second paragraph's insert, the same login
   sent again joins and is upserted."""
import json
import os
import re
import sqlite3
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from spate_test import *  # noqa
from kafka_test import start_broker, stop_broker, produce  # noqa

DEMO = os.path.join(SEED, "11-StreamTableJoinDemo")
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


def create_db(path, rows):
    c = sqlite3.connect(path)
    c.execute("CREATE TABLE users (login_id TEXT PRIMARY KEY, user_name TEXT, last_login TIMESTAMP)")
    c.executemany("INSERT INTO users VALUES (?, ?, ?)", rows)
    c.commit()
    c.close()


def insert_users(path, rows):
    c = sqlite3.connect(path)
    c.executemany("INSERT INTO users VALUES (?, ?, ?)", rows)
    c.commit()
    c.close()


def table(path):
    c = sqlite3.connect(path)
    rows = sorted(c.execute("SELECT login_id, user_name, last_login FROM users").fetchall())
    prog = c.execute("SELECT sink_table, batch_id FROM _spate_sink_progress").fetchall() \
        if c.execute("SELECT 1 FROM sqlite_master WHERE name = '_spate_sink_progress'").fetchall() else []
    c.close()
    return rows, prog


def trigger(bootstrap, topic, chk, db, progress):
    """One Trigger.Once run; returns the progress of the batches it ran."""
    n = len(open(progress).read().split("\n")) - 1 if os.path.exists(progress) else 0
    run(["run", os.path.join(SOURCE_DIR, "examples", "11-stream-table-join.sql"), "--var", "bootstrap=" + bootstrap,
         "--var", "topic=" + topic, "--var", "checkpoint=" + chk, "--var", "db=" + db, "--trigger", "once",
         "--quiet", "--progress", progress], timeout=120)
    lines = [json.loads(l) for l in open(progress).read().split("\n")[n:] if l.strip()]
    return [p for p in lines if "addBatch" in p["durationMs"]]


def check_batch(progs, batch, inputs, outputs, what):
    check([(p["batchId"], p["numInputRows"], p["sink"]["numOutputRows"]) for p in progs] == [(batch, inputs, outputs)],
          "%s: batches (id, input rows, output rows) %r, expected %r" %
          (what, [(p["batchId"], p["numInputRows"], p["sink"]["numOutputRows"]) for p in progs],
           [(batch, inputs, outputs)]))


paras = user_paragraphs()
check([len(p) for p in paras] == [3, 1], "user.cql paragraphs %r" % paras)
users = [r for p in paras for r in p]
logins = read_lines([os.path.join(DEMO, "logins.txt")])
check(len(logins) == 4, "logins.txt: %d lines" % len(logins))
created = {json.loads(l)["login_id"]: json.loads(l)["created_time"] for l in logins}
name = {u: n for u, n, _ in users}
first = {u: t for u, _, t in users}

d = tempdir("demo11")
broker, bs = start_broker(["logins:1", "logins_b:1"])
try:
    # ---- A: the demo as given.
    db, chk, prog = os.path.join(d, "a.db"), os.path.join(d, "chk-a"), os.path.join(d, "pa.jsonl")
    create_db(db, users)
    produce(bs, "logins", logins)
    check_batch(trigger(bs, "logins", chk, db, prog), 0, 4, 4, "A trigger 0")
    want = sorted((u, name[u], created[u]) for u in name)
    got, sp = table(db)
    check(got == want, "A: users after trigger 0\n%r\nexpected\n%r" % (got, want))
    check(sp == [("users", 0)], "A: _spate_sink_progress %r" % sp)
    check(trigger(bs, "logins", chk, db, prog) == [], "A: a run without data ran a batch")
    check(table(db) == (want, [("users", 0)]), "A: table changed by a run without data: %r" % (table(db),))

    # ---- B: the static side is re-read every batch.
    db, chk, prog = os.path.join(d, "b.db"), os.path.join(d, "chk-b"), os.path.join(d, "pb.jsonl")
    create_db(db, paras[0])
    known = [l for l in logins if json.loads(l)["login_id"] in {u for u, _, _ in paras[0]}]
    new = [l for l in logins if l not in known]
    check(len(known) == 3 and [json.loads(l)["login_id"] for l in new] == ["100091"], "B data %r" % new)
    produce(bs, "logins_b", known)
    check_batch(trigger(bs, "logins_b", chk, db, prog), 0, 3, 3, "B trigger 0")
    want = sorted((u, n, created[u]) for u, n, _ in paras[0])
    check(table(db) == (want, [("users", 0)]), "B: after trigger 0 %r\nexpected %r" % (table(db), want))
    produce(bs, "logins_b", new)
    check_batch(trigger(bs, "logins_b", chk, db, prog), 1, 1, 0, "B trigger 1 (unknown user)")
    check(table(db) == (want, [("users", 1)]), "B: after trigger 1 %r" % (table(db),))
    insert_users(db, paras[1])
    produce(bs, "logins_b", new)
    check_batch(trigger(bs, "logins_b", chk, db, prog), 2, 1, 1, "B trigger 2 (user added)")
    want = sorted(want + [("100091", "New User", created["100091"])])
    check(table(db) == (want, [("users", 2)]), "B: after trigger 2 %r\nexpected %r" % (table(db), want))
    check(first["100091"] != created["100091"], "B: the upsert must change last_login")
finally:
    stop_broker(broker)
cleanup(d)
print("1 passed, 0 failed")
