"""Many browser sessions at once against one server: each translates a number only it uses
and must see only its own result. Used by the bounded test (a few sessions, in
`make test`) and by bench/bench_load.py (20 sessions, latency and server memory)."""

from __future__ import annotations

import asyncio
import time
import urllib.parse

from num2words import num2words
from playwright.async_api import Page, async_playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS


async def wait_for_rerun(page: Page, timeout: float = 120_000) -> None:
    await page.wait_for_timeout(200)
    await page.wait_for_selector('[data-testid="stApp"][data-test-connection-state="CONNECTED"]', timeout=timeout)
    await page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout)
    await page.wait_for_selector('[data-testid="stSkeleton"]', state="detached", timeout=timeout)


async def one_session(browser, base_url: str, index: int) -> dict:
    """Translate a number only this session uses; returns timings and checks."""
    number = 1000 + 7919 * index  # distinct per session
    source, expected = num2words(number, lang="en"), num2words(number, lang="fr")
    context = await browser.new_context(viewport={"width": 1400, "height": 1000}, base_url=base_url)
    page = await context.new_page()
    page.set_default_timeout(120_000)
    timings: dict[str, float] = {}
    try:
        start = time.perf_counter()
        query = urllib.parse.urlencode({"model": "numbers-en-fr", "method": "greedy", "text": source})
        await page.goto(f"/Translation?{query}")
        await wait_for_rerun(page)
        timings["translate"] = time.perf_counter() - start
        own = await page.get_by_text(f"→ {expected}", exact=False).count()
        exceptions = await page.locator('[data-testid="stException"]').count()

        return {
            "index": index,
            "own_translation": own > 0,
            "exceptions": exceptions,
            "timings": timings,
        }
    finally:
        await context.close()


async def run_sessions(base_url: str, count: int) -> list[dict]:
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            return await asyncio.gather(*(one_session(browser, base_url, i) for i in range(count)))
        finally:
            await browser.close()
