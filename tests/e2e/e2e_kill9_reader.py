"""Issue 6 scenario 4: a reader polling a file sink through its _spark_metadata log
while the writer is killed with kill -9 over and over (scenario 1: stateless
file -> file, input trickling in) never sees a duplicate, a short file or a record
disappear.

Writer: tests/e2e/jobs/seq-copy.sql ({"seq":K} lines, one input file per batch,
sink log compacted every 3 batches), killed with SIGKILL after a random delay,
restarted at once, while `spate gen seq` files are renamed into the input
directory at a steady pace. A reader thread polls the sink the way a correct
reader (and `spate verify`) reads it - newest N.compact plus the plain log files
after it, never a directory listing of data files - and on every poll asserts:
  - every log file is well formed ("v1", one JSON add entry per line) and the log
    has no hole between the compact file and the newest entry;
  - every logged data file exists with exactly its logged size, ends with a
    newline and every line parses as {"seq":K} with 0 <= K < N (no short or torn
    file);
  - no seq appears twice (within a file or across files);
  - the set of seqs (and of logged files) never shrinks from one poll to the next,
    and a seq never moves to another file.
Every few polls the reader also runs `spate verify OUT` (no expectations: it fails on
a duplicate, a missing or short file). At the end, after a run with trigger
availableNow, the usual oracle: `spate verify --expect-range 0..N-1` and the
reader's last poll holds every seq once.

Sizes: SPATE_KILLS (default 12), SPATE_READER_FILES (default 8 per kill) input
files of SPATE_READER_PER (default 20) records; `make soak` raises them."""
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ft_test import JOBS, check_logs, gen_seq, spate, verify  # noqa: E402
from spate_test import SPATE, check, cleanup, fail, tempdir  # noqa: E402

KILLS = int(os.environ.get("SPATE_KILLS", "12"))
FILES = int(os.environ.get("SPATE_READER_FILES", str(max(40, 8 * KILLS))))
PER = int(os.environ.get("SPATE_READER_PER", "20"))
N = FILES * PER
rng = random.Random(int(os.environ.get("SPATE_SEED", "4321")))
d = tempdir("kill9-reader")
staging, inp = os.path.join(d, "staging"), os.path.join(d, "in")
out, chk = os.path.join(d, "out"), os.path.join(d, "chk")
os.makedirs(inp)
gen_seq(staging, FILES, PER)
pending = sorted(os.listdir(staging))
args = [SPATE, "run", os.path.join(JOBS, "seq-copy.sql"), "--quiet", "--var", "input=" + inp, "--var", "output=" + out,
        "--var", "checkpoint=" + chk, "--var", "compact=3", "--var", "retain=3"]


def trickle(n):
    for _ in range(n):
        if pending:
            name = pending.pop(0)
            os.rename(os.path.join(staging, name), os.path.join(inp, name))


class Reader(threading.Thread):
    """Polls the sink through its log until stopped; the first violation is kept in .error."""

    def __init__(self):
        threading.Thread.__init__(self, daemon=True)
        self.stop = threading.Event()
        self.error = None
        self.polls = self.verifies = self.retries = 0
        self.max_seen = 0
        self.seen = {}   # seq -> data file, from the previous poll
        self.files = {}  # data file -> size, from the previous poll

    def read_log(self):
        """{data file: size} of the live entries, or None when the log moved under us
        (a file listed a moment ago is gone: only legal if a newer compact file replaced it)."""
        log = os.path.join(out, "_spark_metadata")
        if not os.path.isdir(log):
            return {}
        ids, compact = [], -1
        for name in os.listdir(log):
            base = name[:-8] if name.endswith(".compact") else name
            if base.isdigit():
                ids.append(int(base))
                if name.endswith(".compact"):
                    compact = max(compact, int(base))
        if not ids:
            return {}
        latest = max(ids)
        names = (["%d.compact" % compact] if compact >= 0 else []) + [str(i) for i in range(compact + 1, latest + 1)]
        files = {}
        for name in names:
            try:
                with open(os.path.join(log, name), "rb") as f:
                    text = f.read().decode("utf-8")
            except FileNotFoundError:
                return None
            lines = text.split("\n")
            if lines[0] != "v1":
                raise AssertionError("sink log %s: version line %r (log runs to %d)" % (name, lines[0][:40], latest))
            for k, line in enumerate(lines[1:], 2):
                if not line:
                    continue
                try:
                    e = json.loads(line)
                except ValueError as ex:
                    raise AssertionError("sink log %s line %d unparsable (%s): %r" % (name, k, ex, line[:200]))
                if e.get("action") != "add":
                    raise AssertionError("sink log %s line %d: action %r" % (name, k, e.get("action")))
                p = e["path"]
                p = p[len("file://"):] if p.startswith("file://") else p
                if p in files:
                    raise AssertionError("data file %s logged twice (again in %s)" % (p, name))
                files[p] = e["size"]
        return files

    def poll(self):
        files = None
        for _ in range(5):
            files = self.read_log()
            if files is not None:
                break
            self.retries += 1
        if files is None:
            raise AssertionError("sink log files keep disappearing while read")
        seen = {}
        for path, size in sorted(files.items()):
            try:
                with open(path, "rb") as f:
                    data = f.read()
            except FileNotFoundError:
                raise AssertionError("logged data file %s does not exist" % path)
            if len(data) != size:
                raise AssertionError("short file: %s has %d bytes, the log says %d" % (path, len(data), size))
            if data and not data.endswith(b"\n"):
                raise AssertionError("data file %s does not end with a newline (torn)" % path)
            for line in data.split(b"\n"):
                if not line:
                    continue
                try:
                    row = json.loads(line)
                    s = row["seq"]
                except (ValueError, KeyError, TypeError):
                    raise AssertionError("data file %s: unparsable line %r" % (path, line[:200]))
                if not (isinstance(s, int) and 0 <= s < N) or len(row) != 1:
                    raise AssertionError("data file %s: unexpected record %r" % (path, line[:200]))
                if s in seen:
                    raise AssertionError("duplicate seq %d: in %s and %s" % (s, seen[s], path))
                seen[s] = path
        for p, size in self.files.items():
            if files.get(p) != size:
                raise AssertionError("data file %s (size %d) vanished from the log or changed size (now %r)"
                                     % (p, size, files.get(p)))
        for s, p in self.seen.items():
            if seen.get(s) != p:
                raise AssertionError("seq %d disappeared or moved: was in %s, now in %r" % (s, p, seen.get(s)))
        self.seen, self.files = seen, files
        self.max_seen = max(self.max_seen, len(seen))
        self.polls += 1
        if self.polls % 10 == 0:
            p = spate(["verify", out, "--quiet"])
            if p.returncode != 0:
                raise AssertionError("spate verify (no expectations) failed mid-run:\n" + p.stdout + p.stderr)
            self.verifies += 1

    def run(self):
        try:
            while not self.stop.is_set():
                self.poll()
                time.sleep(0.005)
        except AssertionError as e:
            self.error = "poll %d: %s" % (self.polls + 1, e)
        except Exception as e:  # a bug in the reader itself must fail the test too
            self.error = "poll %d: reader crashed: %r" % (self.polls + 1, e)


t0 = time.time()
reader = Reader()
reader.start()
trickle(2)
per_kill = max(1, len(pending) // max(1, KILLS))
kills = 0
for k in range(KILLS):
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    delay = rng.uniform(0.05, 0.6)
    deadline = time.time() + delay
    step = delay / per_kill
    while time.time() < deadline:
        trickle(1)
        time.sleep(step)
    if p.poll() is not None:
        fail("writer exited by itself (rc %d) before kill %d:\n%s" % (p.returncode, k, p.stderr.read().decode()))
    p.send_signal(signal.SIGKILL)
    p.wait()
    p.stderr.close()
    kills += 1
    check_logs(chk, "after kill %d" % k)
    if reader.error:
        break
check(reader.error is None, "reader: " + str(reader.error))
during = len(reader.seen)
check(during > 0, "no batch committed during the kill loop (%d kills)" % kills)
trickle(len(pending))
p = spate(["run", os.path.join(JOBS, "seq-copy.sql"), "--quiet", "--var", "input=" + inp, "--var", "output=" + out,
           "--var", "checkpoint=" + chk, "--var", "compact=3", "--var", "retain=3", "--trigger", "available-now"],
          timeout=300)
check(p.returncode == 0, "final availableNow run exited %d:\n%s" % (p.returncode, p.stderr))
time.sleep(0.05)
reader.stop.set()
reader.join(30)
check(not reader.is_alive(), "reader did not stop")
check(reader.error is None, "reader: " + str(reader.error))
reader.poll()  # one last poll after the final run
check_logs(chk, "at the end")
check(sorted(reader.seen) == list(range(N)),
      "reader's final poll holds %d of %d seqs" % (len(reader.seen), N))
ok, text = verify(out, 0, N - 1)
check(ok, "oracle failed:\n" + text)
print("kills=%d records=%d (%d committed during the kill loop) files=%d reader polls=%d (spate verify %d times, "
      "log re-reads %d) time=%.1fs" % (kills, N, during, FILES, reader.polls, reader.verifies, reader.retries,
                                      time.time() - t0))
cleanup(d)
print("1 passed, 0 failed")
