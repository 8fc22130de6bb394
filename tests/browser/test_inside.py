"""Inside the cell in Chromium: step to t = 10, pick a unit, see the text coloured by it."""

import re
import time

import pytest

from tests.browser.helpers import assert_no_exception, record_timing, screenshot, wait_for_rerun

pytestmark = pytest.mark.browser


def test_step_to_ten_pick_a_unit_and_see_the_coloured_text(page):
    start = time.perf_counter()
    page.goto("/Inside_the_cell?inside_model=python-prose")
    wait_for_rerun(page)
    record_timing("inside.first_render", time.perf_counter() - start)
    assert_no_exception(page)
    assert page.get_by_text(re.compile(r"^Step 0 of \d+")).is_visible()

    page.get_by_role("slider").first.focus()
    start = time.perf_counter()
    for _ in range(10):
        page.keyboard.press("ArrowRight")
    wait_for_rerun(page)
    page.get_by_text(re.compile(r"^Step 10 of \d+")).wait_for()
    record_timing("inside.slider_10_steps", time.perf_counter() - start)
    assert_no_exception(page)

    picker = page.get_by_label("Unit (most variable first)")
    picker.click()
    page.keyboard.type("7")  # the list opens on typing: units whose number holds a 7
    option = page.get_by_role("option").first
    unit = option.inner_text().strip()
    option.click()
    wait_for_rerun(page)
    assert_no_exception(page)
    caption = page.get_by_text(f"Input coloured by unit {unit} of layer 1")
    assert caption.is_visible()
    coloured = page.locator('span[title][style*="background"]')  # the neuron explorer's spans
    assert coloured.count() > 10
    assert re.fullmatch(r"[+-]\d\.\d{3}", coloured.first.get_attribute("title"))
    screenshot(page, "inside_the_cell")
