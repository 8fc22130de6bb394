"""A live `streamlit run` on a free port and the system Chromium: shared by the browser tests and
the load benchmark (bench/ imports no test code; the tests import this)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, process: subprocess.Popen, log: Path, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited early:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read() == b"ok":
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"streamlit not healthy after {seconds}s:\n{log.read_text()[-3000:]}")


@contextlib.contextmanager
def streamlit_server(log: Path, env: dict[str, str] | None = None, port: int | None = None):
    """`streamlit run app.py` on ``port`` (default: a free one), offline, output to ``log``, with ``env``
    added to this process's environment; yields (url, process)."""
    port = port or free_port()
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
               "--server.headless", "true", "--server.address", "127.0.0.1",
               "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    env.pop("RNNPLAY_ALLOW_NETWORK", None)  # the app must work offline
    with open(log, "w") as out:
        process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process, log)
        yield url, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


# How Streamlit's own e2e suite waits for a rerun: connected, script not running, no skeletons.
RERUN_SETTLED = (
    ('[data-testid="stApp"][data-test-connection-state="CONNECTED"]', "attached"),
    ('[data-testid="stApp"][data-test-script-state="notRunning"]', "attached"),
    ('[data-testid="stSkeleton"]', "detached"),
)


def wait_for_rerun(page, timeout: float = 60_000) -> None:
    """Wait until the page's rerun has finished and everything is drawn (Playwright sync API)."""
    page.wait_for_timeout(200)
    for selector, state in RERUN_SETTLED:
        page.wait_for_selector(selector, state=state, timeout=timeout)


async def wait_for_rerun_async(page, timeout: float = 60_000) -> None:
    """``wait_for_rerun`` for the async API (the load sessions)."""
    await page.wait_for_timeout(200)
    for selector, state in RERUN_SETTLED:
        await page.wait_for_selector(selector, state=state, timeout=timeout)
