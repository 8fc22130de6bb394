"""20 browser sessions at once against one `streamlit run`: latency per interaction and server peak memory.

Each session translates a number only it uses, uploads a clip only it has to the Video page and
generates text from its own prime and seed; each must see only its own results (see
bench/sessions.py). RNNPLAY_LOAD_SESSIONS sets the count. Writes bench/results/load.json.
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

from bench.live import streamlit_server  # noqa: E402
from bench.sessions import INTERACTIONS, run_sessions  # noqa: E402

SESSIONS = int(os.environ.get("RNNPLAY_LOAD_SESSIONS", 20))
WAIT_MS = max(180_000, 30_000 * SESSIONS)  # per wait; a cold 2-core server took ~100 s per page at 20 sessions


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(values: list[float]) -> dict:
    if not values:
        return {"completed": 0}
    return {
        "completed": len(values),
        "p50": round(statistics.median(values), 3),
        "p95": round(percentile(values, 0.95), 3),
        "max": round(max(values), 3),
    }


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
            results = asyncio.run(run_sessions(url, SESSIONS, Path(tmp), timeout=WAIT_MS))
            wall = time.perf_counter() - start
            stop.set()
            alive = server.poll() is None
    report = {
        "benchmark": "load",
        "sessions": SESSIONS,
        "interactions": "translate (page load with a query), video upload (file set -> own result), "
        "generate (page load + click -> own text)",
        "all_own_results": all(all(r["own"].get(name) for name in INTERACTIONS) for r in results),
        "exceptions": sum(r["exceptions"] for r in results),
        "errors": [f"session {r['index']}: {e}" for r in results for e in r["errors"]],
        "server_alive": alive,
        "seconds": {
            name: summary([r["timings"][name] for r in results if name in r["timings"]]) for name in INTERACTIONS
        },
        "wall_seconds": round(wall, 2),
        "server_rss_mb": {"idle": round(idle / 2**20), "peak": round(peak[0] / 2**20)},
        "cpu_cores": os.cpu_count(),
    }
    (ROOT / "bench" / "results" / "load.json").write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
