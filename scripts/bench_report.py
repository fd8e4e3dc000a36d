#!/usr/bin/env python3
"""Size of report.html and its time to interactive in headless Chromium, at benchmark scale.

Builds the real-step corpus of ``make_real_corpus.py`` (1,500 runs by default), analyses it, and
opens the report in headless Chromium three times: the task table, one task's view by deep
link, and the same at another level. The page records when its task browser has drawn
(``performance.now()`` from navigation start to the end of its first draw, on <html
data-ready>); the figure is the median of the loads. The wall time of each whole headless load
(browser start-up included) is printed beside it. Targets: under 25 MB, interactive in under 3 s.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

import trajdiv
from make_real_corpus import make_real_corpus


def load(chromium: str, url: str) -> tuple[float, float, str]:
    """Milliseconds from navigation to the task browser's first draw (the page's own clock),
    wall seconds of the whole headless load, and the DOM."""
    t0 = time.perf_counter()
    out = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout
    wall = time.perf_counter() - t0
    if url == "about:blank":
        return 0.0, wall, out
    m = re.search(r'<html[^>]*data-ready="(\d+)"', out)
    if m is None:
        raise SystemExit("the report's task browser did not draw")
    return float(m.group(1)), wall, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", type=int, default=100, help="tasks per model (x 3 models x 5 runs)")
    args = ap.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("needs chromium")
    with tempfile.TemporaryDirectory(prefix="trajdiv-bench-report-") as tmp_:
        tmp = Path(tmp_)
        n = make_real_corpus(tmp / "corpus", args.tasks)
        res = trajdiv.analyze([tmp / "corpus"], tmp / "out", jobs=2, cache_dir=None)
        page = tmp / "out" / "report.html"
        size = page.stat().st_size
        g = res.pipeline.frame("divergence_groups").row(0, named=True)
        deep = urllib.parse.urlencode(
            {"task": g["task_id"], "config": g["config"], "level": "verb"}, quote_via=urllib.parse.quote
        )
        times, walls = [], []
        _, blank, _ = load(chromium, "about:blank")
        urls = (
            page.as_uri(),
            page.as_uri() + "#" + deep,
            page.as_uri() + "#" + deep.replace("verb", "phase"),
        )
        for url in urls:
            ms, wall, _ = load(chromium, url)
            times.append(ms)
            walls.append(wall)
        rows = len(re.findall(r"<tr data-task=", load(chromium, page.as_uri())[2]))
    print(f"corpus: {n} runs in {res.pipeline.n_groups} groups")
    print(f"report.html: {size / 1e6:.1f} MB (target < 25 MB); task table rows: {rows}")
    print(
        f"time to interactive in headless Chromium: median {statistics.median(times) / 1000:.2f} s "
        f"(table, deep link, deep link at another level: {', '.join(f'{t / 1000:.2f}' for t in times)} s; target < 3 s)"
    )
    print(
        f"whole headless load, browser start included: median {statistics.median(walls):.2f} s "
        f"(an empty page: {blank:.2f} s)"
    )


if __name__ == "__main__":
    main()
