"""How long each page takes to be fully drawn in Chromium, warm: from navigation until the script has
finished and no grey placeholder (stSkeleton) is left. Best and median of a few reloads per page.

Writes bench/results/page_drawn.json. Run: python bench/bench_page_drawn.py [--reloads N]
"""

import argparse
import datetime
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from bench.live import CHROMIUM, CHROMIUM_ARGS, streamlit_server, wait_for_rerun  # noqa: E402

PAGES = ("/", "/Translation", "/Video", "/Generator", "/Variable_length", "/Multi_GPU", "/Inside_the_cell")
OUT = ROOT / "bench" / "results" / "page_drawn.json"


def drawn_seconds(page, path: str) -> float:
    start = time.perf_counter()
    page.goto(path)
    wait_for_rerun(page, timeout=120_000)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reloads", type=int, default=3, help="timed loads per page after one warm-up")
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as folder, streamlit_server(Path(folder) / "server.log") as (url, _):
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000}, base_url=url)
            for path in PAGES:
                drawn_seconds(page, path)  # warm the server's caches and the browser's
                times = [drawn_seconds(page, path) for _ in range(args.reloads)]
                results[path] = {"best": round(min(times), 3), "median": round(statistics.median(times), 3)}
                print(f"{path:<20} best {min(times):.2f} s, median {statistics.median(times):.2f} s", flush=True)
            browser.close()
    OUT.write_text(
        json.dumps(
            {
                "benchmark": "page_drawn",
                "command": "python bench/bench_page_drawn.py",
                "measured": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
                "load_1min": round(os.getloadavg()[0], 2),
                "reloads": args.reloads,
                "seconds": results,
            },
            indent=1,
        )
        + "\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
