"""Seed demo 01 end to end: a local TCP server feeds lines; spate's socket
source reads them and the console sink prints Spark's complete-mode tables.
Checks the exact table of each batch (rows sorted: complete mode has no order)."""
import os
import re
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from spate_test import *  # noqa

d = tempdir("demo01")
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0))
srv.listen(1)
port = srv.getsockname()[1]
job = os.path.join(SOURCE_DIR, "examples", "01-word-count.sql")
p = subprocess.Popen([SPATE, "run", job, "--var", "host=127.0.0.1", "--var", "port=%d" % port,
                      "--var", "checkpoint=" + os.path.join(d, "chk"), "--quiet"],
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
srv.settimeout(30)
conn, _ = srv.accept()
out_lines = []


def read_until_batch(n, timeout=30):
    """Read stdout until the table of batch n is complete."""
    end = time.time() + timeout
    text = "".join(out_lines)
    while time.time() < end:
        m = re.search(r"Batch: %d\n-+\n(\+[-+]+\+\n.*?\n\+[-+]+\+\n)\n" % n, text, re.S)
        if m:
            return m.group(1)
        line = p.stdout.readline()
        if not line:
            break
        out_lines.append(line)
        text += line
    fail("no output for batch %d; got:\n%s\nstderr:\n%s" % (n, text, p.stderr.read() if p.poll() is not None else ""))


def rows(table):
    lines = table.strip("\n").split("\n")
    check(lines[0] == lines[2] == lines[-1], "table rules differ: %r" % lines)
    return lines[1], sorted(lines[3:-1])


conn.sendall(b"hello world\n")
header, body = rows(read_until_batch(0))
check(header == "| word|count|", "header %r" % header)
check(body == ["|hello|    1|", "|world|    1|"], "batch 0 rows %r" % body)

conn.sendall(b"hello spate hello\n")
header, body = rows(read_until_batch(1))
check(body == ["|hello|    3|", "|spate|    1|", "|world|    1|"], "batch 1 rows %r" % body)

# Graceful stop on SIGTERM: exit 0.
p.send_signal(signal.SIGTERM)
rc = p.wait(timeout=30)
check(rc == 0, "spate exited %d on SIGTERM; stderr:\n%s" % (rc, p.stderr.read()))
conn.close()
srv.close()
cleanup(d)
print("1 passed, 0 failed")
