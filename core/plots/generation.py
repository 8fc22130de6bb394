"""Figures for the generator page: next-character distributions, piano roll, loss vs characters seen."""

from __future__ import annotations

import functools

import plotly.graph_objects as go
from plotly.colors import sample_colorscale, unlabel_rgb

from core.plots.text import colored_spans_html
from core.plots.theme import COLORS, base_figure

_NAMES = {" ": "␣", "\n": "↵", "\t": "⇥"}


def char_label(ch: str) -> str:
    """A visible label for a character (space, newline, end of text)."""
    return _NAMES.get(ch, ch) if ch else "⏹"


def step_distribution_figure(view, title: str | None = None) -> go.Figure:
    """Top next-character probabilities before and after temperature/top-k/top-p; the chosen one outlined."""
    labels = [char_label(c) for c in view.chars]
    chosen = char_label(view.chosen)
    if chosen not in labels:  # a sampled character outside the top list: add it at the end
        labels.append(chosen)
        raw, filtered = [*view.raw, view.chosen_raw], [*view.filtered, view.chosen_filtered]
    else:
        raw, filtered = list(view.raw), list(view.filtered)
    outline = [3 if label == chosen else 0 for label in labels]
    fig = base_figure(title or f"Next character at position {view.position}: chose {chosen!r}", height=330)
    fig.add_bar(
        x=labels, y=raw, name="model (raw)", marker=dict(color=COLORS[0], line=dict(width=outline, color="#000"))
    )
    fig.add_bar(
        x=labels,
        y=filtered,
        name="after temperature / top-k / top-p / blocked n-grams",
        marker=dict(color=COLORS[1], line=dict(width=outline, color="#000")),
    )
    fig.update_layout(barmode="group", yaxis_title="probability", xaxis=dict(type="category", title="character"))
    fig.add_annotation(
        x=chosen, y=max(raw[labels.index(chosen)], filtered[labels.index(chosen)]), text="chosen", showarrow=True
    )
    return fig


def piano_roll_figure(notes, title: str = "Piano roll") -> go.Figure:
    """Notes as horizontal bars: time (s) across, MIDI pitch up."""
    fig = base_figure(title, height=320)
    if notes:
        fig.add_bar(
            base=[n.start for n in notes],
            x=[n.duration for n in notes],
            y=[n.pitch for n in notes],
            orientation="h",
            marker=dict(color=COLORS[0]),
            hovertemplate="pitch %{y}<br>start %{base:.2f}s<br>length %{x:.2f}s<extra></extra>",
            width=0.8,
        )
    fig.update_layout(xaxis_title="seconds", yaxis_title="MIDI pitch", showlegend=False, bargap=0)
    return fig


def loss_curve_figure(history: list[dict], gallery: list[dict], steps_per_round: int, batch_chars: int) -> go.Figure:
    """Training and validation loss (nats/char) against characters read, gallery points marked.

    A fine-tuned model's round 0 (its start, 0 characters read) has no place on the log axis: left out."""
    fig = base_figure("Loss vs characters read", height=320)
    history = [e for e in history if e["epoch"] > 0]
    gallery = [g for g in gallery if g["chars_seen"] > 0]
    chars = [e["epoch"] * steps_per_round * batch_chars for e in history]
    fig.add_scatter(x=chars, y=[e["loss"] for e in history], mode="lines+markers", name="train")
    fig.add_scatter(x=chars, y=[e.get("valid_loss") for e in history], mode="lines+markers", name="validation")
    if gallery:
        fig.add_scatter(
            x=[g["chars_seen"] for g in gallery],
            y=[g["valid_loss"] for g in gallery],
            mode="markers",
            marker=dict(size=11, symbol="star", color=COLORS[3]),
            name="gallery sample",
        )
    fig.update_layout(xaxis_title="characters read", yaxis_title="nats / char", xaxis_type="log")
    return fig


PROBABILITY_SCALE = (
    "Cividis"  # sequential, lightness rising with p, readable with every common colour-vision deficiency
)
PROBABILITY_LEGEND = "dark blue = surprising, yellow = expected"


def _luminance(rgb: tuple[int, int, int]) -> float:
    """WCAG relative luminance of an sRGB colour."""
    linear = [c / 255 / 12.92 if c <= 10 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """WCAG contrast ratio of two colours (1 to 21; body text needs 4.5)."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


COLOR_STEPS = 1000  # the probability scale is sampled this finely (the hover shows p to 3 decimals)


@functools.cache
def _probability_colors() -> tuple[tuple[tuple[int, int, int], tuple[int, int, int]], ...]:
    """(background, text) for p = 0, 1/COLOR_STEPS, ..., 1, computed once: plotly rebuilds its named scales on
    every sample_colorscale call (0.3 ms), which made colouring a 400-character sample cost 0.15 s per rerun."""
    black, white = (0, 0, 0), (255, 255, 255)
    colors = []
    for sample in sample_colorscale(PROBABILITY_SCALE, [i / COLOR_STEPS for i in range(COLOR_STEPS + 1)]):
        background = tuple(round(c) for c in unlabel_rgb(sample))
        text = black if contrast(background, black) >= contrast(background, white) else white
        colors.append((background, text))
    return tuple(colors)


def probability_color(p: float) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """(background, text) colours for a character the model gave probability ``p``: the background from the
    cividis scale (dark blue = surprising, yellow = expected), the text black or white, whichever reads better."""
    return _probability_colors()[round(min(max(p, 0.0), 1.0) * COLOR_STEPS)]


def colored_text_html(text: str, probabilities: list[float]) -> str:
    """The text as HTML spans coloured by probability (hover shows the value), newlines kept."""
    pieces = []
    for ch, p in zip(text, probabilities):
        background, color = (f"rgb{c}" for c in probability_color(p))
        pieces.append((ch, f"p={p:.3f}", f"background:{background};color:{color}"))
    return colored_spans_html(pieces, line_height=1.6)
