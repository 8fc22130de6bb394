"""Unrolled diagrams of the four RNN shapes for the home page."""

from __future__ import annotations

from dataclasses import dataclass

import plotly.graph_objects as go

from core.plots.theme import COLORS, NEUTRAL, base_figure

SHAPES = ("seq2seq", "seq2vec", "vec2seq", "encoder-decoder")


@dataclass
class _Layout:
    inputs: list[int]  # time steps that receive an input
    outputs: list[int]  # time steps that emit an output
    steps: int
    encoder_steps: int = 0  # > 0: the first steps are the encoder, the rest the decoder


_LAYOUTS = {
    "seq2seq": _Layout(inputs=[0, 1, 2, 3], outputs=[0, 1, 2, 3], steps=4),
    "seq2vec": _Layout(inputs=[0, 1, 2, 3], outputs=[3], steps=4),
    "vec2seq": _Layout(inputs=[0], outputs=[0, 1, 2, 3], steps=4),
    "encoder-decoder": _Layout(inputs=[0, 1, 2], outputs=[3, 4, 5], steps=6, encoder_steps=3),
}


def _box(fig: go.Figure, x: float, y: float, text: str, color: str, hover: str) -> None:
    fig.add_shape(
        type="rect",
        x0=x - 0.32,
        x1=x + 0.32,
        y0=y - 0.22,
        y1=y + 0.22,
        fillcolor=color,
        line=dict(color="#333", width=1),
        opacity=0.9,
        layer="below",
    )
    fig.add_scatter(
        x=[x],
        y=[y],
        mode="text",
        text=[text],
        textfont=dict(color="white", size=14),
        hovertext=[hover],
        hoverinfo="text",
        showlegend=False,
    )


def _arrow(fig: go.Figure, x0: float, y0: float, x1: float, y1: float) -> None:
    fig.add_annotation(
        x=x1,
        y=y1,
        ax=x0,
        ay=y0,
        xref="x",
        yref="y",
        axref="x",
        ayref="y",
        showarrow=True,
        arrowhead=3,
        arrowsize=1.2,
        arrowwidth=1.5,
        arrowcolor=NEUTRAL,
        text="",
    )


def rnn_shape_figure(shape: str) -> go.Figure:
    """One RNN shape unrolled over time: inputs at the bottom, cells in the middle, outputs on top."""
    if shape not in _LAYOUTS:
        raise ValueError(f"unknown shape {shape!r}; choose from {', '.join(SHAPES)}")
    layout = _LAYOUTS[shape]
    fig = base_figure(f"{shape}, unrolled over time", height=280, margin=dict(l=10, r=10, t=40, b=10))
    for t in range(layout.steps):
        decoder = layout.encoder_steps and t >= layout.encoder_steps
        color = COLORS[3] if decoder else COLORS[0]
        label = "dec" if decoder else ("enc" if layout.encoder_steps else "h")
        _box(fig, t, 1, f"{label}<sub>{t + 1}</sub>", color, f"hidden state at step {t + 1}")
        if t > 0:
            _arrow(fig, t - 1 + 0.32, 1, t - 0.32, 1)
    for n, t in enumerate(layout.inputs):
        name = "x" if len(layout.inputs) > 1 else "v"
        _box(fig, t, 0, f"{name}<sub>{n + 1}</sub>", COLORS[2], "input at this step")
        _arrow(fig, t, 0.22, t, 0.78)
    for n, t in enumerate(layout.outputs):
        name = "y" if len(layout.outputs) > 1 else "ŷ"
        _box(fig, t, 2, f"{name}<sub>{n + 1}</sub>", COLORS[1], "output at this step")
        _arrow(fig, t, 1.22, t, 1.78)
        if layout.encoder_steps and n + 1 < len(layout.outputs):
            # the decoder feeds its own output back in as the next input
            fig.add_annotation(
                x=t + 1 - 0.1,
                y=0.78,
                ax=t + 0.1,
                ay=1.78,
                xref="x",
                yref="y",
                axref="x",
                ayref="y",
                showarrow=True,
                arrowhead=2,
                arrowwidth=1,
                arrowcolor="#aaa",
                text="",
            )
    if layout.encoder_steps:
        x = layout.encoder_steps - 0.5
        fig.add_vline(x=x, line=dict(color="#999", dash="dot"))
        fig.add_annotation(x=x, y=2.55, text="context", showarrow=False, font=dict(color=NEUTRAL))
    fig.update_xaxes(visible=False, range=[-0.6, layout.steps - 0.4])
    fig.update_yaxes(visible=False, range=[-0.4, 2.75])
    return fig
