"""Multi-GPU page in Chromium: the shipped example renders, a real 1+2-process sweep runs from the page."""

import os
import tempfile
import time

import pytest

from tests.browser.conftest import assert_no_exception, record_timing, screenshot, wait_for_rerun

pytestmark = pytest.mark.browser

# The session's server inherits this at start-up: page runs go to a throwaway store, not ~/.local/share.
os.environ.setdefault("RNNPLAY_DATA_DIR", tempfile.mkdtemp(prefix="rnnplay-browser-"))


def test_example_renders_then_a_real_sweep_runs(page):
    start = time.perf_counter()
    page.goto("/Multi_GPU")
    wait_for_rerun(page)
    record_timing("first_render.multi_gpu_cold", time.perf_counter() - start)
    start = time.perf_counter()
    page.reload()
    wait_for_rerun(page)
    record_timing("first_render.multi_gpu_warm", time.perf_counter() - start)
    assert_no_exception(page)
    assert page.get_by_text("Shipped example measured on").first.is_visible()
    assert page.locator(".js-plotly-plot").count() >= 7
    page.locator(".js-plotly-plot").nth(3).scroll_into_view_if_needed()  # the per-rank timeline
    screenshot(page, "distributed")
    page.locator(".js-plotly-plot").first.scroll_into_view_if_needed()

    steps = page.get_by_label("Measured steps")
    steps.fill("2")
    steps.press("Enter")
    wait_for_rerun(page)
    page.get_by_role("button", name="Run on this machine").click()
    page.get_by_text("finished after").wait_for(timeout=90_000)  # two real runs: ~5 s start-up each
    wait_for_rerun(page)
    assert_no_exception(page)
    assert page.get_by_text("Measured on").first.is_visible()
    assert page.get_by_text("2 CPU processes × 1 thread").first.is_visible()
    screenshot(page, "distributed_after_run")
