import time

import pytest

from tests.browser.helpers import assert_no_exception, record_timing, screenshot, wait_for_rerun

pytestmark = pytest.mark.browser


def test_varlen_page_builds_a_static_graph_and_times_a_batch(page):
    page.goto("/Variable_length?varlen_batch=12&varlen_len=60&varlen_T=20")
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
    assert "varlen_T=20" in page.url and "varlen_batch=12" in page.url
    screenshot(page, "varlen")


def test_a_changed_setting_goes_into_the_link_and_the_link_reproduces_the_page(page, browser, server):
    page.goto("/Variable_length")
    wait_for_rerun(page)
    field = page.locator(".st-key-varlen_batch input")
    field.fill("9")
    field.press("Enter")
    wait_for_rerun(page)
    page.wait_for_function("() => location.search.includes('varlen_batch=9')")
    shares = page.get_by_text("Share of computed cells that are padding").first.inner_text()
    fresh = browser.new_context(viewport={"width": 1400, "height": 1000}, base_url=server)
    other = fresh.new_page()
    other.goto(page.url)  # a fresh browser session: nothing but the link
    wait_for_rerun(other)
    assert other.locator(".st-key-varlen_batch input").input_value() == "9"
    assert other.get_by_text("Share of computed cells that are padding").first.inner_text() == shares
    assert_no_exception(other)
    fresh.close()
