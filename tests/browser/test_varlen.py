import time

import pytest

from tests.browser.helpers import assert_no_exception, record_timing, screenshot, wait_for_rerun

pytestmark = pytest.mark.browser


def test_varlen_page_builds_a_static_graph_and_times_a_batch(page):
    page.goto("/Variable_length?dist=long-tailed&batch=12&len=60&T=20")
    wait_for_rerun(page)
    start = time.perf_counter()
    page.reload()
    wait_for_rerun(page)
    record_timing("first_render.variable_length_page", time.perf_counter() - start)
    assert_no_exception(page)
    assert page.get_by_text("of the computed cells are padding").first.is_visible()

    page.locator(".st-key-varlen_build button").click()
    wait_for_rerun(page)
    assert page.get_by_text("Live, T = 20").first.is_visible()
    assert page.get_by_text("ms dynamic with lengths").first.is_visible()

    page.locator(".st-key-varlen_measure_cost button").click()
    wait_for_rerun(page)
    assert page.get_by_text("Cost of one LSTM layer (this batch)").first.is_visible()

    page.locator(".st-key-varlen_view").get_by_text("Packing", exact=True).click()
    wait_for_rerun(page)
    assert page.get_by_text("batch_sizes").first.is_visible()
    # both button results survive the unrelated change
    assert page.get_by_text("Live, T = 20").first.is_visible()
    assert page.get_by_text("Cost of one LSTM layer (this batch)").first.is_visible()
    assert_no_exception(page)
    assert "T=20" in page.url and "batch=12" in page.url
    screenshot(page, "varlen")
