"""Two replicas behind nginx (deploy/): each browser sticks to one replica, two browsers may use
different ones, and a session's upload and its result survive a rerun there.

Streamlit keeps a session in one process: its websocket, the clip it PUTs to
/_stcore/upload_file/<session>/..., the media it serves. Without sticky routing the PUT of an
upload reaches the other replica ("Invalid session_id") and nginx's log shows one browser on two.
"""

import asyncio
import re
import time
import urllib.request

import pytest
from playwright.async_api import async_playwright

from bench.live import CHROMIUM, CHROMIUM_ARGS, wait_for_rerun_async
from bench.sessions import session_clip, upload_video
from deploy.serve import ROUTE_COOKIE, replicas_behind_nginx, routes_seen
from tests.browser.helpers import off_the_browser_loop

pytestmark = pytest.mark.browser

TIMEOUT = 90_000  # ms per wait: two cold replicas on a busy 2-core machine


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    folder = tmp_path_factory.mktemp("deploy")
    with replicas_behind_nginx(2, folder) as (url, _):
        yield url, folder / "nginx"


def route_per_replica(url: str, logs) -> list[str]:
    """Two route cookies that nginx sends to different replicas (read back from its access log)."""
    for index in range(16):
        request = urllib.request.Request(f"{url}/_stcore/health", headers={"Cookie": f"{ROUTE_COOKIE}=pupil{index}"})
        urllib.request.urlopen(request, timeout=10).close()
    time.sleep(0.5)  # nginx logs a request once it has answered it
    replicas = {}
    for route, upstreams in routes_seen(logs).items():
        if route.startswith("pupil"):
            replicas.setdefault(min(upstreams), route)
    assert len(replicas) == 2, f"16 route cookies all went to {set(replicas)}"
    return list(replicas.values())


async def upload_then_rerun(browser, url: str, route: str, index: int, folder) -> None:
    """Upload a clip through nginx, then move another widget: the clip and its prediction stay."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1000}, base_url=url)
    await context.add_cookies([{"name": ROUTE_COOKIE, "value": route, "url": url}])
    page = await context.new_page()
    page.set_default_timeout(TIMEOUT)
    try:
        clip, frames = session_clip(folder, index)
        await upload_video(page, clip, frames, TIMEOUT)
        slider = page.get_by_test_id("stSlider").filter(has_text="Frames sampled")
        before = await slider.get_by_test_id("stSliderThumbValue").inner_text()
        await slider.get_by_role("slider").press("ArrowRight")
        await wait_for_rerun_async(page, TIMEOUT)
        after = await slider.get_by_test_id("stSliderThumbValue").inner_text()
        assert after == str(int(before) + 1), f"the slider shows {after} after {before}: no rerun happened"
        await page.get_by_text(re.compile(rf"· {frames} frames read ·")).wait_for(timeout=TIMEOUT)
        await page.get_by_test_id("stMetric").filter(has_text="Prediction").wait_for(timeout=TIMEOUT)
        exceptions = page.get_by_test_id("stException")
        assert await exceptions.count() == 0, await exceptions.first.inner_text()
    finally:
        await context.close()


async def two_browsers(url: str, routes: list[str], folder) -> None:
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            await asyncio.gather(*(upload_then_rerun(browser, url, r, i, folder) for i, r in enumerate(routes)))
        finally:
            await browser.close()


def test_sessions_stick_to_their_replica(deployment, tmp_path):
    url, logs = deployment
    routes = route_per_replica(url, logs)
    off_the_browser_loop(asyncio.run, two_browsers(url, routes, tmp_path))
    time.sleep(0.5)
    seen = routes_seen(logs)
    for route in routes:  # page, scripts, websocket, upload PUT, media: all to one replica
        assert len(seen[route]) == 1, f"browser {route} was sent to {seen[route]}"
    assert seen[routes[0]] != seen[routes[1]]
