"""Figures and coloured text for the Inside-the-cell page: gate/state heatmaps, text coloured by a unit."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from core.plots.text import colored_spans_html
from core.plots.theme import COLORS, base_figure

# Colour-blind-safe diverging scale: Okabe-Ito blue (negative) - white - orange (positive).
NEGATIVE, POSITIVE = (0, 114, 178), (230, 159, 0)
DIVERGING = [[0.0, "rgb(0,114,178)"], [0.5, "rgb(255,255,255)"], [1.0, "rgb(230,159,0)"]]
SEQUENTIAL = [[0.0, "rgb(255,255,255)"], [1.0, "rgb(0,114,178)"]]  # gates live in [0, 1]
MAX_LABEL_STEPS = 120  # more steps than this: x ticks by number only


def _visible(token: str) -> str:
    return token.replace("\n", "⏎").replace(" ", "␣").replace("<", "&lt;").replace(">", "&gt;")


def state_heatmap(
    values: np.ndarray, tokens: list[str], units: list[int], title: str, step: int | None = None, signed: bool = True
) -> go.Figure:
    """``values`` (T, H) shown for ``units`` (rows, in the given order) over time; a line marks ``step``."""
    shown = values[:, units].T.round(3)  # (U, T)
    x = list(range(len(tokens)))
    hover = [[_visible(token) for token in tokens]] * len(units)
    fig = base_figure(title, height=max(260, 12 * len(units) + 120))
    fig.add_trace(
        go.Heatmap(
            z=shown,
            x=x,
            y=[f"unit {u}" for u in units],
            customdata=hover,
            hovertemplate="step %{x} (%{customdata})<br>%{y}: %{z:.3f}<extra></extra>",
            colorscale=DIVERGING if signed else SEQUENTIAL,
            zmin=-1 if signed else 0,
            zmax=1,
        )
    )
    if step is not None:
        fig.add_vline(x=step, line_color=COLORS[7], line_width=1)
    if len(tokens) <= MAX_LABEL_STEPS:
        fig.update_xaxes(tickmode="array", tickvals=x, ticktext=[_visible(t) for t in tokens], tickangle=0)
    fig.update_layout(xaxis_title="step (input token)", yaxis=dict(autorange="reversed", type="category"))
    return fig


def activation_color(value: float) -> str:
    """Background for an activation in [-1, 1]: blue when negative, orange when positive, white at 0."""
    value = min(max(value, -1.0), 1.0)
    red, green, blue = POSITIVE if value >= 0 else NEGATIVE
    return f"rgba({red},{green},{blue},{abs(value):.2f})"


def activation_text_html(tokens: list[str], values: list[float], separator: str = "") -> str:
    """Tokens as HTML spans coloured by one unit's activation (hover shows the value), newlines kept."""
    pieces = [(token, f"{value:+.3f}", f"background:{activation_color(value)}") for token, value in zip(tokens, values)]
    return colored_spans_html(pieces, line_height=1.7, separator=separator)


def gradient_figure(series: dict[str, np.ndarray], back: int) -> go.Figure:
    """||dL_T/dh_t|| against the number of steps between t and the loss, on a log scale, one line per cell."""
    fig = base_figure("Gradient norm reaching each step back from the loss", height=360)
    for i, (label, norms) in enumerate(series.items()):
        distance = list(range(len(norms) - 1, -1, -1))  # steps between h_t and the last step
        fig.add_scatter(x=distance, y=np.maximum(norms, 1e-30), mode="lines", name=label, line_color=COLORS[i])
    fig.add_vline(x=back, line_dash="dot", line_color=COLORS[7])
    fig.update_layout(xaxis_title="steps back from the loss (T − t)", yaxis_title="‖∂L_T/∂h_t‖", yaxis_type="log")
    return fig
