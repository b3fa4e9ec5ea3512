"""The exactly-once oracle tests itself: `spate verify` must accept a correct file
sink and reject deliberately broken ones - a file dropped from the log (plain and
compact entries), a file logged twice, a delete entry, a short data file, a hole
in the log, a garbage log file - naming the first missing / duplicated record or
the file at fault. Files not named by the log (orphans, temp files) are ignored."""
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ft_test import *  # noqa

d = tempdir("verify")
inp, out, chk = os.path.join(d, "in"), os.path.join(d, "out"), os.path.join(d, "chk")
FILES, PER = 8, 20
N = FILES * PER
gen_seq(inp, FILES, PER)
run_ok("seq-copy.sql", input=inp, output=out, checkpoint=chk, compact=3)
log = os.path.join(out, "_spark_metadata")
check(sorted(os.listdir(log)) == ["0", "1", "2.compact", "3", "4", "5.compact", "6", "7"],
      "unexpected sink log layout %r" % sorted(os.listdir(log)))

ok, text = verify(out, 0, N - 1)
check(ok and "OK" in text, "correct sink rejected:\n" + text)
passed = 1


def entries(path):
    lines = read_text(path).split("\n")
    check(lines[0] == "v1", "log version in %s" % path)
    return [l for l in lines[1:] if l]


def seqs_of(entry):
    p = json.loads(entry)["path"][len("file://"):]
    return sorted(json.loads(l)["seq"] for l in read_text(p).split("\n") if l)


def variant(name, mutate, expect_ok, expect_text):
    """Copy the log to a new output dir (data paths in it stay absolute), mutate it, verify."""
    global passed
    vout = os.path.join(d, name)
    shutil.copytree(log, os.path.join(vout, "_spark_metadata"))
    mutate(os.path.join(vout, "_spark_metadata"))
    ok2, text2 = verify(vout, 0, N - 1)
    check(ok2 == expect_ok, "%s: verify %s, expected %s:\n%s" % (name, ok2, expect_ok, text2))
    for t in expect_text:
        check(t in text2, "%s: %r not in verify output:\n%s" % (name, t, text2))
    passed += 1


def write_log(path, ents):
    write_text(path, "\n".join(["v1"] + ents))


# 1. One file dropped from a plain log entry: the first missing record is its smallest seq.
e6 = entries(os.path.join(log, "6"))
lost = seqs_of(e6[0])[0]
variant("drop-plain", lambda l: write_log(os.path.join(l, "6"), e6[1:]), False,
        ["first missing: seq=%d" % lost, "MISMATCH count: got %d, expected %d" % (N - PER, N)])

# 2. One file dropped from the compact file (an early batch).
c5 = entries(os.path.join(log, "5.compact"))
lost_c = min(seqs_of(c5[1]))
variant("drop-compact", lambda l: write_log(os.path.join(l, "5.compact"), [c5[0]] + c5[2:]), False,
        ["first missing: seq=%d" % lost_c])

# 3. One file logged twice (batch 3's entry repeated in batch 7's log file).
e7 = entries(os.path.join(log, "7"))
c3 = [e for e in c5 if seqs_of(e)[0] == 3 * PER][0]
variant("dup-entry", lambda l: write_log(os.path.join(l, "7"), e7 + [c3]), False,
        ["first duplicate: seq=%d (2 copies" % (3 * PER), "MISMATCH count: got %d, expected %d" % (N + PER, N)])


# 4. One data file duplicated under another name and logged.
def dup_file(l):
    ent = json.loads(e7[0])
    src = ent["path"][len("file://"):]
    dst = os.path.join(os.path.dirname(l), "part-copy.json")
    shutil.copy(src, dst)
    ent["path"] = "file://" + dst
    write_log(os.path.join(l, "7"), e7 + [json.dumps(ent)])


variant("dup-file", dup_file, False, ["first duplicate: seq=%d" % (7 * PER), "part-copy.json"])

# 5. A delete entry removes a file from the live set.
variant("delete", lambda l: write_log(os.path.join(l, "7"), e7 + [json.dumps(dict(json.loads(e6[0]), action="delete"))]),
        False, ["first missing: seq=%d" % lost])


# 6. A short data file (fewer bytes than logged).
def short(l):
    ent = json.loads(e7[0])
    src = ent["path"][len("file://"):]
    dst = os.path.join(os.path.dirname(l), "part-short.json")
    write_text(dst, read_text(src)[:-9])
    ent["path"] = "file://" + dst
    write_log(os.path.join(l, "7"), [json.dumps(ent)])


variant("short-file", short, False, ["part-short.json has", "short file?"])
# 7. A hole in the log after the newest compact file.
variant("hole", lambda l: os.remove(os.path.join(l, "6")), False, ["_spark_metadata/6 is missing"])
# 8. Garbage and a truncated entry in a log file.
variant("garbage", lambda l: write_text(os.path.join(l, "7"), "\x00\x01garbage"), False,
        ["_spark_metadata/7: line 1: expected log version"])
variant("truncated-entry", lambda l: write_text(os.path.join(l, "7"), "v1\n" + e7[0][:30]), False,
        ["_spark_metadata/7: line 2: invalid sink log entry"])
# 9. Files the log does not name are never read: orphans and temp files change nothing.
write_text(os.path.join(out, "part-00000-orphan.c000.json"), '{"seq":0}\n{"seq":5}\n')
write_text(os.path.join(out, ".part-00001-x.c000.json.123.tmp"), '{"seq":1}\n')
write_text(os.path.join(log, ".8.abc.tmp"), "v1\n" + e7[0])
ok, text = verify(out, 0, N - 1)
check(ok, "orphan / temp files changed the verdict:\n" + text)
passed += 1
# 10. Expectations given one by one; a wrong one fails; usage errors exit 2.
p = spate(["verify", out, "--expect-count", str(N), "--expect-min", "0", "--expect-max", str(N - 1)])
check(p.returncode == 0, "individual expectations rejected:\n" + p.stdout)
p = spate(["verify", out, "--expect-count", str(N), "--expect-sum", "1"])
check(p.returncode == 1 and "MISMATCH sum" in p.stdout, "wrong sum accepted:\n" + p.stdout)
p = spate(["verify", out, "--expect-rnage", "0..1"])
check(p.returncode == 2, "bad option: exit %d" % p.returncode)
passed += 1
cleanup(d)
print("%d passed, 0 failed" % passed)
