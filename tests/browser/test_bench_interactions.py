"""The interaction benchmark's clock (bench/bench_interactions.py) stops only once the rerun it started is drawn."""

import pytest

from bench import bench_interactions
from core.varlen import batching

pytestmark = pytest.mark.browser


def test_timed_returns_once_the_rerun_it_started_has_drawn_its_result(page):
    bench_interactions.open_page(page, "/Variable_length")
    seconds = bench_interactions.timed(page, bench_interactions.type_and_enter(page, "varlen_len", "137"))
    s = batching.summary(batching.make_batch("long-tailed", 24, 137, 0).lengths)
    described = f"lengths {s['min_length']}–{s['max_length']} (mean {s['mean_length']:.1f})"
    assert page.get_by_text(described).count() >= 1  # read at once: no wait between the clock and the check
    assert seconds > 0
