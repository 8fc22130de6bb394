"""Every page at a phone's width (390 px): the main column must not scroll sideways, and nothing raises."""

from __future__ import annotations

import re

import pytest

from bench.live import ROOT
from tests.browser.helpers import assert_no_exception, wait_for_rerun

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}  # an iPhone 12-15's CSS viewport
# Every page by its file, so a new page is checked without editing this list: pages/3_Generator.py -> /Generator.
PAGES = {"Home": "/"} | {
    re.sub(r"^\d+_", "", p.stem): "/" + re.sub(r"^\d+_", "", p.stem) for p in sorted((ROOT / "pages").glob("*.py"))
}

# Sideways overflow of the main column and of the app's view, and the widest elements that stick out (for the message).
OVERFLOW = """() => {
  const boxes = ['[data-testid="stMain"]', '[data-testid="stAppViewContainer"]'].map(s => document.querySelector(s));
  const width = document.documentElement.clientWidth;
  const out = [...document.querySelectorAll('[data-testid="stMain"] [data-testid]')]
    .filter(e => e.getBoundingClientRect().right > width + 1 && e.getBoundingClientRect().width > 0)
    .map(e => `${e.dataset.testid} ${Math.round(e.getBoundingClientRect().right)}px`);
  return {boxes: boxes.map(b => b && [b.scrollWidth, b.clientWidth]), outside: [...new Set(out)].slice(0, 8)};
}"""

# Pairs of visible top-level elements of the main column whose boxes overlap (controls drawn over each other);
# the contents of a closed expander are laid out but hidden, so they are left out.
OVERLAPS = """() => {
  const boxes = [...document.querySelectorAll('[data-testid="stMain"] [data-testid="stElementContainer"]')]
    .filter(e => !e.parentElement.closest('[data-testid="stElementContainer"]') && !e.closest('details:not([open])'))
    .filter(e => e.checkVisibility({visibilityProperty: true, opacityProperty: true}))
    .map(e => [e.firstElementChild?.dataset.testid, e.getBoundingClientRect()])
    .filter(([name, r]) => r.width > 0 && r.height > 0);
  const hits = [];
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const [a, r] = boxes[i], [b, s] = boxes[j];
    const w = Math.min(r.right, s.right) - Math.max(r.left, s.left);
    const h = Math.min(r.bottom, s.bottom) - Math.max(r.top, s.top);
    if (w > 2 && h > 2) hits.push(`${a} over ${b} (${Math.round(w)}x${Math.round(h)} px at y=${Math.round(r.top)})`);
  }
  return hits;
}"""
WIDE = """() => { const d = document.createElement('div'); d.style.width = '1000px'; d.textContent = 'wide';
  document.querySelector('[data-testid="stMainBlockContainer"]').appendChild(d); }"""


@pytest.fixture
def phone(browser, server):
    context = browser.new_context(viewport=PHONE, base_url=server, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


def test_every_page_file_is_checked():
    assert {"Home", "Translation", "Video", "Generator", "Variable_length", "Multi_GPU"} <= set(PAGES)


@pytest.mark.parametrize("name", list(PAGES))
def test_page_fits_a_phone(phone, name):
    phone.goto(PAGES[name])
    wait_for_rerun(phone)
    phone.wait_for_timeout(1500)  # plotly sizes its charts after the first paint
    assert_no_exception(phone)
    found = phone.evaluate(OVERFLOW)
    assert all(box is not None for box in found["boxes"]), found
    for scroll_width, client_width in found["boxes"]:
        assert scroll_width <= client_width + 1, f"{name} scrolls sideways at 390 px: {found}"
    assert phone.evaluate(OVERLAPS) == [], f"{name} draws controls over each other at 390 px"


def test_the_check_sees_a_wide_element(phone):
    """The measurement itself: a 1,000 px element in the main column must make it scroll sideways."""
    phone.goto("/")
    wait_for_rerun(phone)
    phone.evaluate(WIDE)
    scroll_width, client_width = phone.evaluate(OVERFLOW)["boxes"][0]
    assert scroll_width > client_width + 1
