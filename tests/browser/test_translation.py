"""The translation page in Chromium: a URL that reproduces a view, a click, and an upload."""

import time

import pytest

from core.translation import data
from tests.browser.helpers import assert_no_exception, record_timing, screenshot, wait_for_rerun

pytestmark = pytest.mark.browser


def test_translation_click_upload_and_screenshot(page, tmp_path):
    page.goto("/Translation?tr_model=dates-iso&tr_text=25+novembre+2026&tr_method=beam&tr_beam=4")
    wait_for_rerun(page)
    assert_no_exception(page)
    assert page.get_by_text("→ 2026-11-25").first.is_visible()
    assert page.locator(".js-plotly-plot").count() >= 3  # heatmap, row bars, beam tree

    field = page.get_by_test_id("stTextInputField").first
    start = time.perf_counter()
    page.get_by_role("button", name="Random example").click()
    wait_for_rerun(page)
    record_timing("interaction.translation_random_example", time.perf_counter() - start)
    assert field.input_value() != "25 novembre 2026"
    assert page.get_by_text("Correct: the answer reads back").first.is_visible()
    assert_no_exception(page)

    inputs = tmp_path / "dates.txt"
    inputs.write_text("\n".join(s for s, _ in data.dates_pairs(12, seed=4, split="test")), encoding="utf-8")
    uploader = page.get_by_test_id("stFileUploaderDropzone").last  # batch mode is the page's last uploader
    with page.expect_file_chooser() as chooser:
        uploader.click()
    chooser.value.set_files(str(inputs))
    wait_for_rerun(page)
    page.get_by_role("button", name="Download 12 translations (CSV)").wait_for()
    assert_no_exception(page)

    page.goto("/Translation?tr_model=numbers-en-fr&tr_text=seventy-three+thousand+and+ninety-one")
    wait_for_rerun(page)
    assert page.get_by_text("→ soixante-treize mille quatre-vingt-onze").first.is_visible()
    assert_no_exception(page)
    page.locator(".js-plotly-plot").first.scroll_into_view_if_needed()
    screenshot(page, "translation_attention")


def _output(page) -> str:
    return page.locator("h3").filter(has_text="→").first.inner_text()


def test_translation_seed_link_reproduces_and_compute_twice(page, browser):
    """A sampling link with a seed shows the same sample in a fresh browser; pressing Compute twice
    (the second press is a cache replay) leaves the page whole; the result survives another widget."""
    page.goto("/Translation?tr_model=dates-iso&tr_text=25+novembre+2026&tr_method=sample&tr_temp=3.0")
    wait_for_rerun(page)
    field = page.locator(".st-key-tr_seed input")  # the seed set on the page, not typed into the link
    field.fill("5")
    field.press("Enter")
    wait_for_rerun(page)
    page.wait_for_function("() => location.search.includes('tr_seed=5')")
    first, link = _output(page), page.url  # what a user copies from the address bar
    assert "tr_text=25" in link and "tr_method=sample" in link and "tr_temp=3" in link
    context = browser.new_context(viewport={"width": 1400, "height": 1000})  # nothing shared but the link
    other = context.new_page()
    other.goto(link)
    wait_for_rerun(other)
    assert_no_exception(other)
    assert _output(other) == first
    context.close()

    compute = page.get_by_role("button", name="Compute accuracy by input length")
    for _ in range(2):
        compute.click()
        wait_for_rerun(page)
        assert_no_exception(page)
    assert page.get_by_text("Exact match by input length").first.is_visible()
    assert page.get_by_role("heading", name="Train your own").is_visible()
    page.get_by_role("button", name="Random example").click()
    wait_for_rerun(page)
    assert page.get_by_text("Exact match by input length").first.is_visible()
    assert_no_exception(page)
