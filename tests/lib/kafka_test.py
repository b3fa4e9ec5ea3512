"""Kafka helpers for spate's end-to-end tests: start `spate broker` (an
in-memory Kafka-protocol broker on 127.0.0.1), produce and consume with kcat.
Every wait is bounded; the broker is stopped with SIGTERM (then killed)."""
import os
import select
import signal
import subprocess
import time

from spate_test import SPATE, fail


def start_broker(topics=(), timeout=20):
    """Start `spate broker --topic T...`; return (process, bootstrap servers)."""
    args = [SPATE, "broker"]
    for t in topics:
        args += ["--topic", t]
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + timeout
    line = ""
    while time.time() < deadline and not line.endswith("\n"):
        r, _, _ = select.select([p.stdout], [], [], max(0.0, deadline - time.time()))
        if not r:
            break
        c = p.stdout.readline()
        if not c:
            break
        line += c
    if not line.startswith("bootstrap.servers="):
        stop_broker(p)
        fail("spate broker did not print bootstrap.servers (got %r)" % line)
    return p, line.strip().split("=", 1)[1]


def stop_broker(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=10)


def produce(bootstrap, topic, records, partition=None, timeout=60):
    """Produce records: each a value string, or a (key, value) tuple (key may be None)."""
    keyed = any(isinstance(r, tuple) for r in records)
    args = ["kcat", "-b", bootstrap, "-t", topic, "-P", "-c", str(len(records))]
    if partition is not None:
        args += ["-p", str(partition)]
    lines = []
    for r in records:
        if keyed:
            k, v = r
            lines.append("%s\x01%s" % (k or "", v))
        else:
            lines.append(r)
    if keyed:
        args += ["-K", "\x01"]
    p = subprocess.run(args, input="\n".join(lines) + "\n", text=True, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout)
    if p.returncode != 0:
        fail("kcat produce to %s failed: %s" % (topic, p.stderr))


def consume(bootstrap, topic, read_committed=True, timeout=60):
    """All records of a topic as a list of (partition, offset, key, value), sorted."""
    args = ["kcat", "-b", bootstrap, "-t", topic, "-C", "-e", "-q", "-f", "%p\x01%o\x01%k\x01%s\x02"]
    if read_committed:
        args += ["-X", "isolation.level=read_committed"]
    p = subprocess.run(args, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    if p.returncode != 0:
        fail("kcat consume from %s failed: %s" % (topic, p.stderr))
    out = []
    for rec in p.stdout.split("\x02"):
        if not rec.strip("\n"):
            continue
        part, off, key, val = rec.lstrip("\n").split("\x01", 3)
        out.append((int(part), int(off), key, val))
    return sorted(out)
