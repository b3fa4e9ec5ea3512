"""Helpers for the monitoring e2e tests: a running `spate run --ui` job over a
JSON file source with a watermarked aggregation, HTTP scraping and a
Prometheus text parser. Everything binds 127.0.0.1 and every wait is bounded."""
import json
import os
import socket
import subprocess
import time
import urllib.request

from spate_test import SPATE, check, fail, tempdir

JOB = """
SET spark.sql.shuffle.partitions = 2;
CREATE TEMPORARY VIEW ev (id STRING, ts TIMESTAMP, v INT) USING json OPTIONS (path '${input}')
WATERMARK ts DELAY OF '10 minutes';
CREATE STREAMING QUERY counts
  USING console
  OUTPUT MODE update
  TRIGGER PROCESSING TIME '100 milliseconds'
  CHECKPOINT LOCATION '${checkpoint}'
AS SELECT id, count(*) AS n, sum(v) AS total FROM ev GROUP BY id;
"""


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def write_input(inp, name, rows, minute):
    tmp = os.path.join(inp, "." + name + ".tmp")
    with open(tmp, "w") as f:
        for k in range(rows):
            f.write(json.dumps({"id": "k%d" % (k % 5), "ts": "2026-01-01 12:%02d:00" % minute, "v": k}) + "\n")
    os.rename(tmp, os.path.join(inp, name))


class Job:
    """`spate run JOB --ui 127.0.0.1:PORT` in the background; stdout/stderr go to files."""

    def __init__(self, name, extra=()):
        self.dir = tempdir(name)
        self.inp = os.path.join(self.dir, "in")
        os.makedirs(self.inp)
        job = os.path.join(self.dir, "job.sql")
        with open(job, "w") as f:
            f.write(JOB)
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.out_path = os.path.join(self.dir, "stdout.txt")
        self.err_path = os.path.join(self.dir, "stderr.txt")
        self.out = open(self.out_path, "w")
        self.err = open(self.err_path, "w")
        self.p = subprocess.Popen([SPATE, "run", job, "--var", "input=" + self.inp, "--var",
                                   "checkpoint=" + os.path.join(self.dir, "chk"), "--ui", "127.0.0.1:%d" % self.port]
                                  + list(extra), stdout=self.out, stderr=self.err)
        deadline = time.time() + 20
        while True:
            try:
                self.get("/api/queries")
                break
            except OSError:
                if self.p.poll() is not None or time.time() > deadline:
                    self.stop()
                    fail("the UI did not come up on %s; stderr:\n%s" % (self.url, self.stderr()))
                time.sleep(0.1)

    def get(self, path, timeout=5):
        with urllib.request.urlopen(self.url + path, timeout=timeout) as r:
            return r.status, r.headers.get("Content-Type"), r.read().decode()

    def json(self, path):
        return json.loads(self.get(path)[2])

    def metrics(self):
        status, ctype, text = self.get("/metrics")
        check(status == 200 and ctype.startswith("text/plain; version=0.0.4"), "metrics content type %r" % ctype)
        return parse_prometheus(text)

    def wait_metric(self, name, at_least, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = self.metrics()
            v = sum(val for (n, _), val in m.items() if n == name)
            if v >= at_least:
                return m
            time.sleep(0.1)
        fail("%s never reached %s; stderr:\n%s" % (name, at_least, self.stderr()))

    def stderr(self):
        if not self.err.closed:
            self.err.flush()
        with open(self.err_path) as f:
            return f.read()

    def stdout(self):
        if not self.out.closed:
            self.out.flush()
        with open(self.out_path) as f:
            return f.read()

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait(timeout=10)
        self.out.close()
        self.err.close()
        return self.p.returncode


def parse_prometheus(text):
    """{(name, frozenset(labels.items())): value}; checks HELP/TYPE precede samples."""
    out = {}
    typed = set()
    for line in text.splitlines():
        if not line:
            continue
        if line.startswith("# TYPE "):
            typed.add(line.split()[2])
            continue
        if line.startswith("#"):
            continue
        name, rest = (line.split("{", 1) + [""])[:2] if "{" in line else (line.split(" ")[0], "")
        if rest:
            labels_text, value = rest.rsplit("} ", 1)
            labels = {}
            for part in labels_text.split('",'):
                k, v = part.split('="', 1)
                labels[k] = v.rstrip('"')
        else:
            labels, value = {}, line.split(" ")[1]
        base = name
        for suffix in ("_bucket", "_sum", "_count"):
            if name.endswith(suffix) and name[:-len(suffix)] in typed:
                base = name[:-len(suffix)]
        check(base in typed, "sample %s before its # TYPE line" % name)
        out[(name, frozenset(labels.items()))] = float(value)
    return out


def value(m, name, **labels):
    for (n, ls), v in m.items():
        if n == name and all(dict(ls).get(k) == want for k, want in labels.items()):
            return v
    return None
