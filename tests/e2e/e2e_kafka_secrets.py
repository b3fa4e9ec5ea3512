"""Secrets given in kafka.sasl.* / kafka.ssl.* options never appear in spate's
output: stdout, stderr (logs, librdkafka's own log lines, error messages), the
--progress file and every file under the checkpoint.

1. Kafka -> Kafka against `spate broker` with kafka.sasl.password and
   kafka.ssl.key.password on both the source and the sink, and
   kafka.security.protocol PLAINTEXT so librdkafka ignores them; debug logging,
   --progress and a checkpoint. The records must still arrive.
2. The same with kafka.sasl.mechanism set to a secret-looking value: librdkafka
   warns about it (CONFWARN quotes the value), and the warning must be redacted.
3. A job that cannot start its consumer (SSL with a key file that does not exist,
   whose path holds the secret): librdkafka's SSL errors and spate's error
   message must not show the values.
4. A syntax error on the line holding the secrets: the echoed source line is
   redacted.
5. `spate explain` of the job."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from spate_test import *  # noqa
from kafka_test import start_broker, stop_broker, produce, consume  # noqa

SECRETS = ("S3cr3t-XYZ", "K3y-XYZ")
SECRET_OPTS = ("kafka.security.protocol 'PLAINTEXT', kafka.sasl.password 'S3cr3t-XYZ', "
               "kafka.ssl.key.password 'K3y-XYZ'")


def no_secrets(what, text):
    for s in SECRETS:
        check(s not in text, "secret %r appears in %s:\n%s" % (s, what, text))


def no_secrets_in_tree(root):
    n = 0
    for dirpath, _, files in os.walk(root):
        for name in files:
            path = os.path.join(dirpath, name)
            for s in SECRETS:
                check(s not in name, "secret in file name %s" % path)
            with open(path, "rb") as f:
                data = f.read()
            for s in SECRETS:
                check(s.encode() not in data, "secret %r appears in %s" % (s, path))
            n += 1
    return n


def check_run(p, progress, chk):
    no_secrets("stdout", p.stdout)
    no_secrets("stderr", p.stderr)
    if progress and os.path.exists(progress):
        with open(progress) as f:
            no_secrets(progress, f.read())
    if chk and os.path.exists(chk):
        return no_secrets_in_tree(chk)
    return 0


d = tempdir("kafka-secrets")
broker, bs = start_broker(["in:1", "out:1", "out2:1"])
try:
    recs = [("k%d" % i, "v%d" % i) for i in range(5)]
    produce(bs, "in", recs, partition=0)
    job = os.path.join(d, "job.sql")
    with open(job, "w") as f:
        f.write("""
CREATE TEMPORARY VIEW src USING kafka OPTIONS (
  kafka.bootstrap.servers '${bootstrap}', subscribe 'in', startingOffsets 'earliest',
  %s${extra});
CREATE STREAMING QUERY q USING kafka
  OPTIONS (kafka.bootstrap.servers '${bootstrap}', topic '${topic}',
  %s${extra})
  CHECKPOINT LOCATION '${checkpoint}'
AS SELECT key, value FROM src;
""" % (SECRET_OPTS, SECRET_OPTS))

    # 1. a working job with the secrets on source and sink
    chk = os.path.join(d, "chk")
    progress = os.path.join(d, "progress.jsonl")
    p = run(["run", job, "--var", "bootstrap=" + bs, "--var", "checkpoint=" + chk, "--var", "topic=out",
             "--var", "extra=", "--trigger", "available-now", "--progress", progress, "--log-level", "debug"],
            timeout=120)
    got = sorted((k, v) for _, _, k, v in consume(bs, "out"))
    check(got == sorted(recs), "output records differ: %r" % got)
    check(os.path.getsize(progress) > 0, "no progress written")
    nfiles = check_run(p, progress, chk)
    check(nfiles >= 4, "checkpoint has only %d files" % nfiles)

    # 2. librdkafka's configuration warning quotes a kafka.sasl.* value
    chk2 = os.path.join(d, "chk2")
    progress2 = os.path.join(d, "progress2.jsonl")
    p = run(["run", job, "--var", "bootstrap=" + bs, "--var", "checkpoint=" + chk2, "--var", "topic=out2",
             "--var", "extra=, kafka.sasl.mechanism 'S3cr3t-XYZ'", "--trigger", "available-now",
             "--progress", progress2], timeout=120)
    check("CONFWARN" not in p.stderr or "redacted" in p.stderr, "unexpected librdkafka warning:\n%s" % p.stderr)
    got = sorted((k, v) for _, _, k, v in consume(bs, "out2"))
    check(got == sorted(recs), "output records differ (2): %r" % got)
    check_run(p, progress2, chk2)

    # 3. the consumer cannot be created: SSL with a missing key file named after the secret
    bad = os.path.join(d, "bad.sql")
    chk3 = os.path.join(d, "chk3")
    progress3 = os.path.join(d, "progress3.jsonl")
    with open(bad, "w") as f:
        f.write("""
CREATE TEMPORARY VIEW src USING kafka OPTIONS (
  kafka.bootstrap.servers '127.0.0.1:1', subscribe 'in', startingOffsets 'earliest',
  kafka.security.protocol 'SSL', kafka.ssl.key.location '/nonexistent/S3cr3t-XYZ.pem',
  kafka.ssl.key.password 'K3y-XYZ', kafka.sasl.password 'S3cr3t-XYZ');
CREATE STREAMING QUERY q USING console CHECKPOINT LOCATION '%s' AS SELECT key, value FROM src;
""" % chk3)
    p = run(["run", bad, "--trigger", "available-now", "--progress", progress3], timeout=120, check_rc=False)
    check(p.returncode != 0, "the SSL job should fail: %r" % p.stderr)
    check("Kafka source" in p.stderr, "no Kafka source error: %r" % p.stderr)
    check_run(p, progress3, chk3)

    # 4. a syntax error on the line holding the secrets echoes that line
    syn = os.path.join(d, "syntax.sql")
    with open(syn, "w") as f:
        f.write("""CREATE TEMPORARY VIEW src USING kafka OPTIONS (kafka.bootstrap.servers '%s', subscribe 'in',
  kafka.sasl.password 'S3cr3t-XYZ', kafka.ssl.key.password 'K3y-XYZ' oops);
CREATE STREAMING QUERY q USING console AS SELECT * FROM src;
""" % bs)
    p = run(["run", syn, "--trigger", "available-now"], timeout=60, check_rc=False)
    check(p.returncode != 0 and "oops" in p.stderr, "syntax error expected: %r" % p.stderr)
    check_run(p, None, None)

    # 5. explain
    p = run(["explain", job, "--var", "bootstrap=" + bs, "--var", "checkpoint=" + os.path.join(d, "chk5"),
             "--var", "topic=out", "--var", "extra="], timeout=60)
    check_run(p, None, None)
finally:
    stop_broker(broker)
cleanup(d)
print("1 passed, 0 failed")
