"""The monitoring page `/` in headless Chromium: it loads from the running query's
JSON endpoints only (no network beyond 127.0.0.1), renders the query table, the
plan and the charts, and the screenshot shows drawn chart lines/bars.
Skipped (exit 77) when Debian's chromium is not installed.
SPATE_UI_SCREENSHOT=PATH keeps the screenshot (docs/monitoring.md uses one)."""
import os
import shutil
import struct
import subprocess
import sys
import time
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from spate_test import *  # noqa
from monitor_test import Job, write_input  # noqa

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if not CHROMIUM:
    print("SKIP: chromium is not installed (apt-get install chromium); the monitoring page test needs it")
    sys.exit(77)


def read_png(path):
    """(width, height, rows of RGB tuples) for 8-bit RGB/RGBA non-interlaced PNGs."""
    with open(path, "rb") as f:
        data = f.read()
    check(data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG")
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", chunk)
            check(depth == 8 and ctype in (2, 6) and interlace == 0, "unsupported PNG %d/%d" % (depth, ctype))
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(h):
        f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return w, h, rows, bpp


def count_color(rows, bpp, rgb, tol=12):
    n = 0
    for line in rows:
        for x in range(0, len(line), bpp):
            if abs(line[x] - rgb[0]) <= tol and abs(line[x + 1] - rgb[1]) <= tol and abs(line[x + 2] - rgb[2]) <= tol:
                n += 1
    return n


def chromium(args, timeout=90):
    base = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
            "--no-first-run", "--disable-extensions", "--disable-background-networking",
            "--user-data-dir=" + os.path.join(job.dir, "chromium-profile")]
    return subprocess.run(base + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout, text=True)


job = Job("monitoring-page")
try:
    # A few batches with growing state and a moving watermark, so every chart has points.
    for i in range(5):
        write_input(job.inp, "f%d.json" % i, 40 * (i + 1), i * 7)
        job.wait_metric("spate_processed_rows_total", sum(40 * (k + 1) for k in range(i + 1)))
        time.sleep(0.15)
    shot = os.environ.get("SPATE_UI_SCREENSHOT") or os.path.join(job.dir, "page.png")
    p = chromium(["--window-size=1280,1200", "--virtual-time-budget=6000", "--screenshot=" + shot, job.url + "/"])
    check(os.path.exists(shot), "no screenshot (chromium rc %d):\n%s" % (p.returncode, p.stderr[-2000:]))
    size = os.path.getsize(shot)
    check(size > 20000, "screenshot too small to hold the page: %d bytes" % size)
    w, h, rows, bpp = read_png(shot)
    check(w >= 1000 and h >= 900, "screenshot %dx%d" % (w, h))
    # Chart colors: input-rate line (#4e79a7) and the addBatch bars (#59a14f) must be drawn.
    blue = count_color(rows, bpp, (0x4e, 0x79, 0xa7))
    green = count_color(rows, bpp, (0x59, 0xa1, 0x4f))
    check(blue > 200 and green > 200, "charts not drawn: %d blue, %d green pixels" % (blue, green))
    # The DOM after the scripts ran: the query row, the plan and the canvases.
    d = chromium(["--virtual-time-budget=6000", "--dump-dom", job.url + "/"])
    dom = d.stdout
    check("counts" in dom and "StatefulAggregate" in dom and dom.count("<canvas") >= 6,
          "page did not render the query (rc %d):\n%s" % (d.returncode, dom[:3000]))
    check('<span id="updated">updated ' in dom, "page could not fetch the API")
finally:
    job.stop()
cleanup(job.dir)
print("1 passed, 0 failed")
