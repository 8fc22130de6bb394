"""The interaction benchmark's clock (bench/bench_interactions.py) stops only once the run it started is drawn."""

import pytest

from bench.bench_interactions import Clock, type_and_enter
from core.varlen import batching

pytestmark = pytest.mark.browser


def test_the_clock_stops_once_the_run_it_started_has_drawn_its_result(page):
    clock = Clock(page)
    clock.open("/Variable_length")
    seconds = clock.time(type_and_enter(page, "varlen_len", "137"))
    s = batching.summary(batching.make_batch("long-tailed", 24, 137, 0).lengths)
    described = f"lengths {s['min_length']}–{s['max_length']} (mean {s['mean_length']:.1f})"
    assert page.get_by_text(described).count() >= 1  # read at once: no wait between the clock and the check
    assert clock.finished >= 2 and seconds > 0  # the page's run and the one the change started


def test_the_clock_says_when_nothing_ran():
    class Idle:  # a page whose server never answers
        def on(self, *args):
            pass

        def wait_for_timeout(self, ms):
            pass

    with pytest.raises(TimeoutError, match="no run finished"):
        Clock(Idle()).time(lambda: None, timeout=0.05)
