"""What browser tests do on a page: check for exceptions, screenshot it, record a timing."""

from __future__ import annotations

import concurrent.futures
import json
from pathlib import Path

from playwright.sync_api import Page

from bench.live import ROOT, wait_for_rerun  # noqa: F401  (re-exported: the one rerun wait)

SCREENSHOTS = ROOT / "docs" / "screenshots"
TIMINGS = ROOT / "bench" / "results" / "browser_timings.json"


def assert_no_exception(page: Page) -> None:
    exceptions = page.locator('[data-testid="stException"]')
    assert exceptions.count() == 0, exceptions.first.inner_text()


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    # Streamlit scrolls inside its own container, so full_page alone captures only the viewport.
    page.set_viewport_size({"width": 1400, "height": 2600})
    page.screenshot(path=str(path), full_page=True)
    return path


def record_timing(name: str, seconds: float) -> None:
    """Keep the latest first-render / interaction time per name for bench/report.py."""
    TIMINGS.parent.mkdir(parents=True, exist_ok=True)
    data = json.loads(TIMINGS.read_text()) if TIMINGS.exists() else {"benchmark": "browser_timings", "seconds": {}}
    data["seconds"][name] = round(seconds, 3)
    TIMINGS.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


def off_the_browser_loop(function, *args, **kwargs):
    """Call ``function`` in a fresh thread. Playwright's sync API keeps an event loop running in this
    thread once a browser test has started, and ``asyncio.run`` refuses to start inside it."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(function, *args, **kwargs).result()
