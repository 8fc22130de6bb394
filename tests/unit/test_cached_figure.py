"""ui.common.cached_figure: a cached figure whose dict form (what st.plotly_chart serialises) is made once,
and frozen_after_first_run: a page's first run frozen once per process."""

import gc

import numpy as np
import plotly.io as pio
import plotly.tools

from core.plots import theme
from core.plots.inside import state_heatmap
from core.plots.shapes import rnn_shape_figure
from ui.common import cached_figure, frozen_after_first_run


def _spec(fig) -> str:
    """The chart spec st.plotly_chart sends for ``fig`` (Streamlit 1.67's two calls)."""
    return pio.to_json(plotly.tools.return_figure_from_figure_or_data(fig, validate_figure=True), validate=False)


def test_a_cached_figure_sends_what_the_plain_figure_sends():
    values = np.linspace(-1, 1, 40).reshape(10, 4)
    tokens = list("abcdefghij")
    args = (values, tokens, [2, 0], "h (hidden state)")
    drawn = cached_figure(state_heatmap, *args, step=3)
    plain = state_heatmap(*args, step=3)
    assert _spec(drawn) == _spec(plain)
    assert _spec(drawn) == _spec(drawn)  # to_json drops trace uids from the kept dict: drawing again is the same


def test_equal_arguments_share_one_figure_and_its_dict():
    first = cached_figure(rnn_shape_figure, "seq2seq")
    assert cached_figure(rnn_shape_figure, "seq2seq") is first
    assert first.to_dict() is first.to_dict()
    assert cached_figure(rnn_shape_figure, "seq2vec") is not first
    # told apart by value, not identity: an equal list built anew is the same figure
    heat = cached_figure(state_heatmap, np.zeros((3, 2)), ["a", "b", "c"], [0, 1], "t")
    assert cached_figure(state_heatmap, np.zeros((3, 2)), list("abc"), [0, 1], "t") is heat
    assert cached_figure(state_heatmap, np.zeros((3, 2)), list("abd"), [0, 1], "t") is not heat


def test_the_dark_theme_draws_a_dark_copy_and_leaves_the_kept_figure_light():
    drawn = cached_figure(rnn_shape_figure, "vec2seq")
    dark = theme.themed(drawn, "dark")
    assert dark.layout.template.layout.paper_bgcolor == theme.DARK_BACKGROUND
    assert drawn.to_dict()["layout"]["template"]["layout"]["paper_bgcolor"] == "white"
    assert _spec(drawn) == _spec(rnn_shape_figure("vec2seq"))


def test_a_page_is_frozen_after_its_first_run_only():
    frozen_after_first_run("pages/test_first.py")
    kept = [[object()]]  # alive now: the next first run of a page moves it out of the collector's reach
    before = gc.get_freeze_count()
    frozen_after_first_run("pages/test_first.py")
    assert gc.get_freeze_count() == before
    frozen_after_first_run("pages/test_second.py")
    assert gc.get_freeze_count() > before
    assert not any(o is kept for o in gc.get_objects())
