"""Many browser sessions at once against one server, each doing what only it does:

- translate a number only it uses (seen: that number's French words);
- upload a clip only it has to the Video page (seen: that clip's frame count, 30 + its index);
- generate text from its own prime and seed on the Generator page (seen: exactly the text the
  same model, prime and seed give in this process).

Each interaction waits for its own result and raises (a Playwright timeout, or ``NotOwn``) otherwise.

Used by the bounded test (a few sessions, in `make test`) and by bench/bench_load.py (20
sessions, latency per interaction and server memory). Every wait is for a text that only this
session's result contains: under load a rerun can start seconds after a click, so "the script is
not running" alone could be read before the click was handled.
"""

from __future__ import annotations

import asyncio
import re
import time
import urllib.parse
from dataclasses import replace
from pathlib import Path

from num2words import num2words
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page, async_playwright

from bench.live import CHROMIUM, CHROMIUM_ARGS, wait_for_rerun_async
from core import checkpoints
from core.generation import generate
from core.video import synth

INTERACTIONS = ("translate", "video_upload", "generate")
GENERATOR = "python-prose"
GENERATED_CHARS = 80


def session_clip(folder: Path, index: int) -> tuple[Path, int]:
    """An MJPG clip of class index % 8 with 30 + index frames: the page's "N frames read" names it."""
    label = synth.LABELS[index % len(synth.LABELS)]
    spec = replace(synth.random_spec(label, seed=index), frames=30 + index)
    return synth.write_clip(spec, folder / f"session{index}", "MJPG"), spec.frames


def session_prime(index: int) -> str:
    return f"Session {index} "


def expected_generations(count: int) -> list[str]:
    """What the Generator page must show for each session: the same model, prime and seed, run here."""
    model = checkpoints.load(GENERATOR)
    texts = []
    for index in range(count):
        prime = generate.prepare_prime(model, session_prime(index))
        texts.append("".join(generate.stream(model, prime, generate.Settings("sample", GENERATED_CHARS, seed=index))))
    return texts


class NotOwn(AssertionError):
    """The page finished but shows something other than this session's result."""


async def translate(page: Page, index: int, timeout: float) -> None:
    number = 1000 + 7919 * index  # distinct per session
    source, expected = num2words(number, lang="en"), num2words(number, lang="fr")
    query = urllib.parse.urlencode({"tr_model": "numbers-en-fr", "tr_method": "greedy", "tr_text": source})
    await page.goto(f"/Translation?{query}")
    await page.get_by_text(f"→ {expected}", exact=False).first.wait_for(timeout=timeout)


async def upload_video(page: Page, clip: Path, frames: int, timeout: float) -> None:
    await page.goto("/Video")
    await page.get_by_role("radiogroup", name="Clip", exact=True).get_by_text("Upload").click(timeout=timeout)
    # the training section has uploaders too: take the one the "Upload" choice adds
    uploader = page.get_by_test_id("stFileUploader").filter(has_text="Upload a clip")
    await uploader.locator('input[type="file"]').set_input_files(str(clip), timeout=timeout)
    await page.get_by_text(re.compile(rf"· {frames} frames read ·")).wait_for(timeout=timeout)
    await page.get_by_test_id("stMetric").filter(has_text="Prediction").wait_for(timeout=timeout)


async def generate_text(page: Page, index: int, expected: str, timeout: float) -> None:
    query = urllib.parse.urlencode(
        {
            "gen_model": GENERATOR,
            "gen_method": "sampling",
            "gen_seed": index,
            "gen_length": GENERATED_CHARS,
            "gen_prime": session_prime(index),
        }
    )
    await page.goto(f"/Generator?{query}")
    await page.get_by_role("button", name="Generate").click(timeout=timeout)
    await page.get_by_text(f"prime: '{session_prime(index)}'").wait_for(timeout=timeout)
    await page.get_by_text("Generated text coloured by probability").wait_for(timeout=timeout)  # the stream ended
    await wait_for_rerun_async(page, timeout)  # under load the streamed block showed up after the text below it
    shown = [text.strip() for text in await page.get_by_test_id("stCode").all_inner_texts()]
    if expected.strip() not in shown:
        raise NotOwn(f"expected {expected!r}, the page shows {shown[:1]!r}")


async def one_session(browser, base_url: str, index: int, clip: Path, frames: int, text: str, timeout: float) -> dict:
    """Run the three interactions in one browser context; returns per-interaction checks and seconds."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1000}, base_url=base_url)
    page = await context.new_page()
    page.set_default_timeout(timeout)
    steps = {
        "translate": lambda: translate(page, index, timeout),
        "video_upload": lambda: upload_video(page, clip, frames, timeout),
        "generate": lambda: generate_text(page, index, text, timeout),
    }
    result: dict = {"index": index, "own": {}, "timings": {}, "exceptions": 0, "errors": []}
    try:
        for name in INTERACTIONS:
            start = time.perf_counter()
            try:
                await steps[name]()
                result["own"][name] = True
                result["timings"][name] = time.perf_counter() - start
                await wait_for_rerun_async(page, timeout)
            except (PlaywrightError, NotOwn) as error:  # a timeout, a missing element or another result
                result["own"][name] = False
                result["errors"].append(f"{name}: {str(error).splitlines()[0]}")
            exceptions = page.locator('[data-testid="stException"]')
            if await exceptions.count():
                result["exceptions"] += await exceptions.count()
                result["errors"].append(f"{name}: {(await exceptions.first.inner_text())[:500]}")
        return result
    finally:
        await context.close()


async def run_sessions(base_url: str, count: int, folder: Path, timeout: float = 180_000) -> list[dict]:
    """``count`` sessions at once; ``folder`` receives their clips; ``timeout`` (ms) bounds each wait."""
    clips = [session_clip(folder, index) for index in range(count)]
    texts = expected_generations(count)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            return await asyncio.gather(
                *(one_session(browser, base_url, i, *clips[i], texts[i], timeout) for i in range(count))
            )
        finally:
            await browser.close()
