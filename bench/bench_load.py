"""20 browser sessions at once against one `streamlit run`: p50/p95 latency and server peak memory.

Each session translates a number only it uses and must see only its own result.
Writes bench/results/load.json.
"""

import asyncio
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser.conftest import streamlit_server  # noqa: E402
from tests.browser.sessions import run_sessions  # noqa: E402

SESSIONS = int(os.environ.get("RNNPLAY_LOAD_SESSIONS", 20))


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    peak, stop = [0], threading.Event()
    with tempfile.TemporaryDirectory(prefix="rnnplay-load-") as tmp:
        with streamlit_server(Path(tmp) / "server.log") as (url, server):

            def watch_memory():
                process = psutil.Process(server.pid)
                while not stop.is_set():
                    peak[0] = max(peak[0], process.memory_info().rss)
                    time.sleep(0.1)

            idle = psutil.Process(server.pid).memory_info().rss
            threading.Thread(target=watch_memory, daemon=True).start()
            start = time.perf_counter()
            results = asyncio.run(run_sessions(url, SESSIONS))
            wall = time.perf_counter() - start
            stop.set()
            alive = server.poll() is None
    latencies = [r["timings"]["translate"] for r in results]
    report = {
        "benchmark": "load",
        "sessions": SESSIONS,
        "all_own_results": all(r["own_translation"] for r in results),
        "exceptions": sum(r["exceptions"] for r in results),
        "server_alive": alive,
        "translate_page_seconds": {
            "p50": round(statistics.median(latencies), 3),
            "p95": round(percentile(latencies, 0.95), 3),
            "max": round(max(latencies), 3),
        },
        "wall_seconds": round(wall, 2),
        "server_rss_mb": {"idle": round(idle / 2**20), "peak": round(peak[0] / 2**20)},
        "cpu_cores": os.cpu_count(),
    }
    (ROOT / "bench" / "results" / "load.json").write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
