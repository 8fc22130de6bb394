"""Figures for the variable-length page: token grids (padding, truncation, mask, packing,
bucketing), the correctness scatter, the cost bars and the static / dynamic / packed curves."""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.plots.theme import COLORS, LIGHT, base_figure

# Cell kinds of a token grid, and their colours.
PAD, TOKEN, CUT, EOS, PAST_EOS = 0, 1, 2, 3, 4
KIND_NAMES = {PAD: "pad", TOKEN: "token", CUT: "cut by truncation", EOS: "EOS", PAST_EOS: "decoded past EOS"}
KIND_COLORS = {PAD: "#F4C27A", TOKEN: COLORS[0], CUT: "#B0B0B0", EOS: COLORS[2], PAST_EOS: COLORS[3]}
TEXT_CELLS = 1200  # print token ids inside cells only when the grid is this small


def _discrete_scale(kinds: list[int]) -> list[list]:
    """A stepped colorscale over 0..len(kinds)-1, one flat colour per kind."""
    n = len(kinds)
    scale = []
    for index, kind in enumerate(kinds):
        scale += [[index / n, KIND_COLORS[kind]], [(index + 1) / n, KIND_COLORS[kind]]]
    return scale


def token_grid(
    tokens: list[list[int | str | None]],
    kinds: list[list[int | None]],
    title: str,
    x: list[int] | None = None,
    row_labels: list[str] | None = None,
    height: int | None = None,
) -> go.Figure:
    """Heatmap of a (B, T) batch: colour = what the cell is (token, pad, cut), text = token id.

    ``None`` in ``kinds`` means no cell is computed there at all (packing, bucketing).
    """
    rows = len(tokens)
    cols = max((len(r) for r in tokens), default=0)
    present = sorted({k for row in kinds for k in row if k is not None}) or [TOKEN]
    index = {kind: i for i, kind in enumerate(present)}
    z = [[None if k is None else index[k] for k in row] for row in kinds]
    names = [[None if k is None else KIND_NAMES[k] for k in row] for row in kinds]
    labels = row_labels or [f"seq {i}" for i in range(rows)]
    small = rows * cols <= TEXT_CELLS
    text = [["" if t is None else str(t) for t in row] for row in tokens] if small else None
    # ids inside the cells only when they fit; hover always shows them on small grids
    inside = small and cols <= 40 and max((len(t) for row in text for t in row), default=0) <= 3
    fig = base_figure(title, height=height or min(620, 90 + 22 * rows))
    # Per-cell text and hover labels only on small grids: a 128 x 500 batch would ship megabytes of strings.
    fig.add_heatmap(
        z=z,
        x=x if x is not None else list(range(cols)),
        y=labels,
        customdata=names if small else None,
        text=text,
        texttemplate="%{text}" if inside else None,
        textfont=dict(size=9, color="white"),
        hovertemplate="%{y}, t=%{x}: %{customdata} %{text}<extra></extra>" if small else "%{y}, t=%{x}<extra></extra>",
        colorscale=_discrete_scale(present),
        zmin=-0.5,
        zmax=len(present) - 0.5,
        xgap=1 if inside else 0,
        ygap=1 if rows <= 40 else 0,
        colorbar=dict(
            tickvals=list(range(len(present))),
            ticktext=[KIND_NAMES[k] for k in present],
            len=0.6,
            thickness=12,
        ),
    )
    fig.update_yaxes(autorange="reversed", title=None, showgrid=False, type="category")
    fig.update_xaxes(title="time step t", showgrid=False)
    return fig


def mask_grid(valid: list[list[bool]], title: str) -> go.Figure:
    """The mask as a 0/1 grid (1 = real token)."""
    fig = base_figure(title, height=min(620, 90 + 22 * len(valid)))
    fig.add_heatmap(
        z=[[int(v) for v in row] for row in valid],
        colorscale=[[0, "#FFFFFF"], [0.5, "#FFFFFF"], [0.5, COLORS[2]], [1, COLORS[2]]],
        zmin=0,
        zmax=1,
        xgap=1 if len(valid[0]) <= 60 else 0,
        ygap=1 if len(valid) <= 40 else 0,
        hovertemplate="seq %{y}, t=%{x}: mask %{z}<extra></extra>",
        colorbar=dict(tickvals=[0, 1], ticktext=["0 (pad)", "1 (real)"], len=0.6, thickness=12),
    )
    fig.update_yaxes(autorange="reversed", title="sequence", showgrid=False)
    fig.update_xaxes(title="time step t", showgrid=False)
    return fig


def packing_figure(batch_sizes: list[int], tokens: list[list[int | None]], sorted_rows: list[int]) -> go.Figure:
    """PackedSequence layout: the time-major data of shrinking width, and batch_sizes per step."""
    rows = len(tokens)
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.25, 0.75], vertical_spacing=0.04)
    fig.update_layout(
        template=LIGHT,
        title="Packing: what nn.LSTM computes (rows sorted longest first; nothing is computed in white)",
        height=min(700, 180 + 22 * rows),
        showlegend=False,
    )
    steps = len(batch_sizes)
    fig.add_bar(
        x=list(range(steps)),
        y=batch_sizes,
        marker_color=COLORS[0],
        hovertemplate="t=%{x}: batch_sizes=%{y}<extra></extra>",
        row=1,
        col=1,
    )
    small = rows * steps <= TEXT_CELLS
    fig.add_heatmap(
        z=[[None if t is None else 1 for t in row] for row in tokens],
        text=[["" if t is None else str(t) for t in row] for row in tokens] if small else None,
        texttemplate="%{text}" if small else None,
        textfont=dict(size=9, color="white"),
        y=[f"seq {i}" for i in sorted_rows],
        colorscale=[[0, COLORS[0]], [1, COLORS[0]]],
        showscale=False,
        xgap=1 if small else 0,
        ygap=1 if rows <= 40 else 0,
        hovertemplate="%{y}, t=%{x}: token %{text}<extra></extra>" if small else "%{y}, t=%{x}<extra></extra>",
        row=2,
        col=1,
    )
    fig.update_yaxes(title="batch_sizes", row=1, col=1)
    fig.update_yaxes(autorange="reversed", type="category", showgrid=False, row=2, col=1)
    fig.update_xaxes(title="time step t", showgrid=False, row=2, col=1)
    return fig


def correctness_figure(per_sequence: list[dict]) -> go.Figure:
    """Final-hidden-state error of each sequence without a mask, against the pads it read."""
    fig = base_figure("Without a mask: final-state error vs pads read", height=360)
    for key, name, color in (("post_h_error", "post-padding", COLORS[3]), ("pre_h_error", "pre-padding", COLORS[1])):
        fig.add_scatter(
            x=[s["pads"] for s in per_sequence],
            y=[max(s[key], 1e-9) for s in per_sequence],
            mode="markers",
            name=name,
            marker=dict(color=color, size=8),
            customdata=[s["length"] for s in per_sequence],
            hovertemplate="length %{customdata}, %{x} pads: max |Δh| %{y:.2e}<extra>" + name + "</extra>",
        )
    fig.update_xaxes(title="pads read after (post) or before (pre) the sequence")
    fig.update_yaxes(title="max |h_final − h_reference|", type="log")
    return fig


def cost_figure(costs: list[dict], label: str = "this batch") -> go.Figure:
    """Forward+backward time and memory saved for backward, per batching strategy."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("forward+backward time (ms)", "saved for backward (MB)"))
    fig.update_layout(
        template=LIGHT, title=f"Cost of one LSTM layer ({label})", height=380, showlegend=False, margin=dict(t=90)
    )
    names = [c["strategy"] for c in costs]
    colors = COLORS[: len(costs)]
    fig.add_bar(
        x=names,
        y=[c["seconds"] * 1000 for c in costs],
        marker_color=colors,
        text=[f"{c['seconds'] * 1000:.1f}" for c in costs],
        textposition="outside",
        customdata=[f"{c['padding_fraction']:.0%}" for c in costs],
        hovertemplate="%{x}: %{y:.1f} ms, padding %{customdata}<extra></extra>",
        row=1,
        col=1,
    )
    fig.add_bar(
        x=names,
        y=[c["saved_bytes"] / 2**20 for c in costs],
        marker_color=colors,
        text=[f"{c['saved_bytes'] / 2**20:.1f}" for c in costs],
        textposition="outside",
        hovertemplate="%{x}: %{y:.2f} MB<extra></extra>",
        row=1,
        col=2,
    )
    return fig


# key prefix in the sweep's points -> legend name and colour
UNROLLINGS = {
    "static": ("static (unrolled, traced graph)", COLORS[3]),
    "dynamic": ("dynamic (loop over the padded batch, with lengths)", COLORS[1]),
    "packed": ("packed nn.LSTM", COLORS[0]),
}


def unrolling_figure(points: list[dict]) -> go.Figure:
    """Static vs dynamic (with lengths) vs packed as the static length T grows."""
    fig = make_subplots(
        rows=2,
        cols=2,
        subplot_titles=(
            "graph size (fx nodes)",
            "graph build time (s)",
            "forward+backward per batch (ms)",
            "saved for backward (MB)",
        ),
        vertical_spacing=0.16,
        horizontal_spacing=0.1,
    )
    fig.update_layout(
        template=LIGHT,
        title="Static vs dynamic unrolling vs packing as T grows (log–log)",
        height=680,
        margin=dict(t=140),
        legend=dict(y=1.16, orientation="h"),
    )
    ts = [p["T"] for p in points]
    panels = [  # row, col, what, scale, which unrollings have it
        (1, 1, "nodes", 1, ("static", "packed")),  # the eager dynamic loop builds no graph
        (1, 2, "build_seconds", 1, ("static",)),
        (2, 1, "seconds", 1000, tuple(UNROLLINGS)),
        (2, 2, "saved_bytes", 1 / 2**20, tuple(UNROLLINGS)),
    ]
    shown = set()
    for row, col, what, scale, kinds in panels:
        for kind in kinds:
            name, color = UNROLLINGS[kind]
            fig.add_scatter(
                x=ts,
                y=[p[f"{kind}_{what}"] * scale for p in points],
                mode="lines+markers",
                name=name,
                legendgroup=kind,
                showlegend=kind not in shown,
                line=dict(color=color),
                row=row,
                col=col,
            )
            shown.add(kind)
    fig.update_xaxes(type="log", title="T")
    fig.update_yaxes(type="log")
    return fig


def length_scatter(reference: list[int], series: dict[str, list[int]], title: str) -> go.Figure:
    """Output length against reference length per example, one marker per decoder (diagonal = right length).

    Markers shrink from series to series so decoders that agree stay visible on top of each other.
    """
    fig = base_figure(title, height=420, margin=dict(t=50, b=120))
    top = max([*reference, *(n for lengths in series.values() for n in lengths)], default=1)
    fig.add_scatter(
        x=[0, top], y=[0, top], mode="lines", line=dict(color="#999", dash="dot"), name="same length", hoverinfo="skip"
    )
    for index, (name, lengths) in enumerate(series.items()):
        fig.add_scatter(
            x=reference,
            y=lengths,
            mode="markers",
            name=name,
            marker=dict(color=COLORS[index % len(COLORS)], size=max(16 - 4 * index, 4), line=dict(width=0)),
            hovertemplate="reference %{x}, output %{y}<extra>" + name + "</extra>",
        )
    fig.update_xaxes(title="reference length (tokens)")
    fig.update_yaxes(title="output length (tokens, before EOS)")
    fig.update_layout(legend=dict(y=-0.25, yanchor="top", x=0, xanchor="left"))
    return fig
