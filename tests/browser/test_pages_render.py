import time

import pytest

from core.plots.theme import DARK_BACKGROUND
from tests.browser.helpers import assert_no_exception, record_timing, screenshot, wait_for_rerun

pytestmark = pytest.mark.browser

PAGES = {
    "home": "/",
    "translation": "/Translation",
    "video": "/Video",
    "generator": "/Generator",
    "variable_length": "/Variable_length",
    "multi_gpu": "/Multi_GPU",
    "inside_the_cell": "/Inside_the_cell",
}


def test_home_shows_shapes_and_navigates(page):
    page.goto("/")
    wait_for_rerun(page)
    assert page.get_by_text("Sequence to vector").first.is_visible()
    assert page.locator(".js-plotly-plot").count() == 4
    nav = [link.inner_text().strip() for link in page.get_by_test_id("stSidebarNavLink").all()]
    assert nav[0] == "Home", nav  # the main page is named after Home.py, not "app"
    page.get_by_text("Plain seq2seq vs encoder–decoder on dates").click()
    wait_for_rerun(page)
    assert "/Translation" in page.url and "tr_model=dates-iso-plain" in page.url
    assert_no_exception(page)
    page.goto("/")
    wait_for_rerun(page)
    page.get_by_text("Classify motion in a video clip").click()
    wait_for_rerun(page)
    assert "/Video" in page.url
    assert_no_exception(page)


@pytest.mark.parametrize("path, charts", [("/", 4), ("/Variable_length", 4)])
def test_every_chart_is_drawn_once_the_page_settles(page, path, charts):
    """Home and Variable length: once the rerun settles (no stSkeleton left) every chart the script made is drawn."""
    page.goto(path)
    wait_for_rerun(page)
    page.reload()
    wait_for_rerun(page)
    assert page.get_by_test_id("stSkeleton").count() == 0
    assert page.locator(".js-plotly-plot").count() == charts
    assert_no_exception(page)


@pytest.mark.parametrize("name", list(PAGES))
def test_page_first_render(page, name):
    page.goto(PAGES[name])  # warm the server's caches for this page
    wait_for_rerun(page)
    start = time.perf_counter()
    page.reload()
    wait_for_rerun(page)
    record_timing(f"first_render.{name}", time.perf_counter() - start)
    assert_no_exception(page)
    assert page.locator("h1").count() >= 1
    screenshot(page, name)


PAPER = "() => [...document.querySelectorAll('.js-plotly-plot')].map(p => p._fullLayout.paper_bgcolor)"


@pytest.mark.parametrize("scheme, paper", [("dark", DARK_BACKGROUND), ("light", "white")])
def test_charts_follow_the_browsers_colour_scheme(browser, server, scheme, paper):
    """A browser that prefers a dark colour scheme gets the dark app theme (config.toml), and the charts follow it."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, base_url=server, color_scheme=scheme)
    page = context.new_page()
    page.goto("/")
    wait_for_rerun(page)
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length == 4")
    assert_no_exception(page)
    assert set(page.evaluate(PAPER)) == {paper}
    context.close()


def test_charts_follow_the_menus_theme_switch_from_the_next_rerun(page):
    """Streamlit does not rerun on a theme switch (its issue #11920): charts turn dark at the next interaction."""
    page.goto("/Variable_length")
    wait_for_rerun(page)
    page.get_by_test_id("stMainMenu").click()
    page.get_by_test_id("stMainMenuPopover").get_by_text("Dark").last.click()
    page.keyboard.press("Escape")
    page.locator(".st-key-varlen_view").get_by_text("Mask", exact=True).click()
    wait_for_rerun(page)
    page.wait_for_function(f"() => ({PAPER})().every(color => color === '{DARK_BACKGROUND}')")
    assert_no_exception(page)
