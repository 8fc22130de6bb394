"""The plotly templates: a colour-blind-safe palette, and a dark variant that show_figure picks."""

from types import SimpleNamespace

import plotly.io as pio

from core.plots import theme
from core.plots.distributed import timeline_figure
from core.plots.shapes import rnn_shape_figure

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]


def test_colorway_is_okabe_ito_and_sequential_scale_is_cividis():
    light = pio.templates[theme.TEMPLATE_NAME].layout
    assert list(light.colorway) == OKABE_ITO
    assert list(pio.templates[theme.DARK_TEMPLATE_NAME].layout.colorway)[:7] == OKABE_ITO[:7]
    scale = pio.templates[theme.TEMPLATE_NAME].layout.coloraxis.colorscale
    assert (scale[0][1], scale[-1][1]) == ("#00224e", "#fee838")  # cividis: dark blue to yellow, no red-green


def test_figures_are_built_light_and_only_a_dark_theme_changes_them():
    fig = rnn_shape_figure("seq2seq")
    assert fig.layout.template.layout.paper_bgcolor == "white"
    assert theme.themed(fig, "light") is fig and theme.themed(fig, None) is fig
    dark = theme.themed(fig, "dark")
    assert dark.layout.template.layout.paper_bgcolor == theme.DARK_BACKGROUND
    assert dark.layout.template.layout.font.color == theme.DARK_TEXT
    assert fig.layout.template.layout.paper_bgcolor == "white"  # a copy: cached figures stay light


def test_show_figure_follows_the_browser_theme(monkeypatch):
    import ui.common as common

    drawn = []
    monkeypatch.setattr(common.st, "plotly_chart", lambda fig, **kw: drawn.append(fig))
    monkeypatch.setattr(common.st, "caption", lambda text: drawn.append(text))
    for kind in ("dark", "light"):
        monkeypatch.setattr(common.st, "context", SimpleNamespace(theme=SimpleNamespace(type=kind)))
        common.show_figure(rnn_shape_figure("seq2vec"), key=kind, caption="what it shows")
    dark, dark_caption, light, _ = drawn
    assert dark.layout.template.layout.paper_bgcolor == theme.DARK_BACKGROUND
    assert light.layout.template.layout.paper_bgcolor == "white"
    assert dark_caption == "what it shows"


def test_dark_timeline_keeps_its_phase_colours():
    run = {
        "mode": "ddp",
        "scaling": "weak",
        "world_size": 1,
        "stages": 1,
        "microbatches": 1,
        "ranks": [{"rank": 0, "stage": 0, "events": [["forward", 0.0, 0.01], ["backward", 0.01, 0.03]]}],
    }
    light = timeline_figure(run)
    dark = theme.themed(light, "dark")
    assert [t.marker.color for t in dark.data] == [t.marker.color for t in light.data]
