"""Figures for the translation page: attention heatmap, beam-search tree, accuracy by input length."""

from __future__ import annotations

import plotly.graph_objects as go

from core.decoding import BeamNode
from core.plots.theme import COLORS, base_figure

SPACE = "▁"


def _labels(tokens: list[str]) -> list[str]:
    """Unique axis labels (plotly merges equal categories): position + visible whitespace."""
    return [f"{i + 1}:{_visible(t)}" for i, t in enumerate(tokens)]


def _visible(token: str) -> str:
    """Whitespace shown as ␣; < and > escaped so plotly does not read </s> as HTML."""
    return token.replace(SPACE, "␣").replace(" ", "␣").replace("<", "&lt;").replace(">", "&gt;")


def attention_heatmap(
    source_tokens: list[str],
    target_tokens: list[str],
    attention: list[list[float]],
    highlight: int | None = None,
    unknown: list[int] | None = None,
) -> go.Figure:
    """Source tokens on x, generated tokens on y (first at the top); hover shows each weight.

    ``highlight`` outlines one target row (its distribution over the source); ``unknown`` source
    positions get a red tick label.
    """
    x, y = _labels(source_tokens), _labels(target_tokens)
    unknown = set(unknown or [])
    ticks = [
        f"<span style='color:{COLORS[3]}'><b>{label}</b></span>" if i in unknown else label for i, label in enumerate(x)
    ]
    # no title: the rotated source tokens sit on top, where a title would collide with them
    fig = base_figure(height=max(320, 26 * len(y) + 170), margin=dict(t=120))
    fig.add_heatmap(
        z=attention,
        x=x,
        y=y,
        colorscale="Blues",
        zmin=0,
        zmax=1,
        colorbar=dict(title="weight"),
        hovertemplate="output %{y}<br>source %{x}<br>weight %{z:.3f}<extra></extra>",
    )
    if highlight is not None and 0 <= highlight < len(y):
        fig.add_shape(
            type="rect",
            x0=-0.5,
            x1=len(x) - 0.5,
            y0=highlight - 0.5,
            y1=highlight + 0.5,
            line=dict(color=COLORS[3], width=3),
        )
    fig.update_xaxes(side="top", tickangle=-60, tickmode="array", tickvals=x, ticktext=ticks, title="source")
    fig.update_yaxes(autorange="reversed", title="output")
    return fig


def source_distribution(source_tokens: list[str], weights: list[float], token: str) -> go.Figure:
    """One output token's attention over the source, as bars."""
    fig = base_figure(f"Where “{_visible(token)}” looked", height=300)
    fig.add_bar(
        x=_labels(source_tokens), y=weights, marker_color=COLORS[0], hovertemplate="%{x}: %{y:.3f}<extra></extra>"
    )
    fig.update_yaxes(range=[0, 1], title="weight")
    return fig


def tree_ends(nodes: list[BeamNode]) -> list[BeamNode]:
    """The search's final hypotheses, best log-probability first: every finished (EOS) node and
    the candidates still kept at the last step."""
    if not nodes:
        return []
    last = max(n.step for n in nodes)
    ends = [n for n in nodes if n.status == "finished" or (n.status == "kept" and n.step == last)]
    return sorted(ends, key=lambda n: -n.score)


def top_paths(nodes: list[BeamNode], top: int) -> list[BeamNode]:
    """Only the nodes on the paths to the ``top`` best final hypotheses (a readable tree for long outputs)."""
    by_id = {n.id: n for n in nodes}
    keep: set[int] = set()
    for end in tree_ends(nodes)[:top]:
        node = end
        while node is not None and node.id not in keep:
            keep.add(node.id)
            node = by_id.get(node.parent)
    return [n for n in nodes if n.id in keep]


def beam_tree(
    nodes: list[BeamNode], labels: dict[int, str], steps: int | None = None, top: int | None = None
) -> go.Figure:
    """The beam search tree up to ``steps``: x = step, one row per candidate; pruned ones grey.

    ``labels`` maps token id -> text. Kept candidates are blue, finished (EOS) green, pruned grey.
    ``top`` keeps only the paths to the ``top`` best final hypotheses (``top_paths``).
    """
    if top is not None:
        nodes = top_paths(nodes, top)
    shown = [n for n in nodes if steps is None or n.step < steps]
    by_id = {n.id: n for n in shown}
    rows: dict[int, float] = {}
    for step in sorted({n.step for n in shown}):
        layer = sorted((n for n in shown if n.step == step), key=lambda n: -n.score)
        for rank, n in enumerate(layer):
            rows[n.id] = -rank
    title = "Beam search tree" + (f": paths of the {top} best hypotheses" if top is not None else "")
    fig = base_figure(title + " (label = token, hover = log-prob)", height=460)
    # all edges in two traces (None breaks the line between segments): one trace per edge is slow
    for pruned, color in ((False, "#7f9cc0"), (True, "#c8c8c8")):
        xs, ys = [], []
        for n in shown:
            parent = by_id.get(n.parent)
            if parent is not None and (n.status == "pruned") == pruned:
                xs += [parent.step, n.step, None]
                ys += [rows[parent.id], rows[n.id], None]
        if xs:
            fig.add_scatter(
                x=xs, y=ys, mode="lines", line=dict(color=color, width=1), hoverinfo="skip", showlegend=False
            )
    colors = {"kept": COLORS[0], "finished": COLORS[2], "pruned": "#bdbdbd"}
    for status in ("kept", "finished", "pruned"):
        group = [n for n in shown if n.status == status]
        if not group:
            continue
        fig.add_scatter(
            x=[n.step for n in group],
            y=[rows[n.id] for n in group],
            mode="markers+text",
            marker=dict(size=11, color=colors[status]),
            text=[_visible(labels.get(n.token, str(n.token))) for n in group],
            textposition="top center",
            textfont=dict(size=10, color="#888" if status == "pruned" else "#1f2430"),
            customdata=[[n.score] for n in group],
            hovertemplate="%{text}<br>log-prob %{customdata[0]:.3f}<extra>" + status + "</extra>",
            name=status,
        )
    fig.update_xaxes(title="step", dtick=1)
    fig.update_yaxes(title="rank in step", showticklabels=False)
    return fig


def accuracy_by_length(series: dict[str, list[dict]], metric: str = "exact") -> go.Figure:
    """Per-bucket exact match (or chrF) for several models: {model name: accuracy_by_length rows}."""
    percent = metric == "exact"
    fig = base_figure(
        f"{'Exact match' if percent else 'chrF'} by input length (held-out test split)",
        height=420,
    )
    for color, (name, buckets) in zip(COLORS, series.items()):
        fig.add_scatter(
            x=[b["bucket"] for b in buckets],
            y=[100 * b[metric] if percent else b[metric] for b in buckets],
            mode="lines+markers",
            name=name,
            line=dict(color=color),
            customdata=[[b["count"]] for b in buckets],
            hovertemplate="%{x} tokens: %{y:.1f}<br>%{customdata[0]} inputs<extra>" + name + "</extra>",
        )
    fig.update_layout(legend=dict(y=-0.28, yanchor="top", x=0, xanchor="left"), margin=dict(b=110))
    fig.update_xaxes(title="input length (source tokens)", type="category")
    fig.update_yaxes(title="exact match (%)" if percent else "chrF", range=[0, 102 if percent else 101])
    return fig


def delay_sweep(rows: list[dict]) -> go.Figure:
    """Plain seq2seq exact match per input-length bucket, one bar series per output delay."""
    fig = base_figure("Plain seq2seq on dates → ISO: exact match by input length", height=420)
    for color, row in zip(COLORS, rows):
        buckets = row.get("by_length", [])
        fig.add_bar(
            x=[b["bucket"] for b in buckets],
            y=[100 * b["exact"] for b in buckets],
            marker_color=color,
            name=f"delay {row['delay']} ({100 * row['test_exact']:.1f} % overall)",
            hovertemplate="inputs of %{x} characters: %{y:.1f} % exact<extra>delay " + str(row["delay"]) + "</extra>",
        )
    # legend under the axis title: above the plot it ran into the title at 1400 px and on phones
    fig.update_layout(
        barmode="group", legend=dict(orientation="h", y=-0.3, yanchor="top", x=0, xanchor="left"), margin=dict(b=110)
    )
    fig.update_xaxes(title="input length (characters)", type="category")
    fig.update_yaxes(title="exact match (%)", range=[0, 102])
    return fig
