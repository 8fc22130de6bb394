"""Figures of the Multi-GPU page: scaling, step-time breakdown, per-rank timeline, bubbles, cost model."""

from __future__ import annotations

import plotly.graph_objects as go

from core.distributed.results import PEER_WAIT, run_label, split_peer_wait
from core.plots.theme import COLORS, NEUTRAL, base_figure

# One colour per phase everywhere (bars, timeline, legend).
PHASE_COLORS = {
    "forward": COLORS[0],
    "backward": COLORS[2],
    "all-reduce": COLORS[1],
    "all-reduce (exposed)": COLORS[3],
    PEER_WAIT: "#f3d9a4",  # the all-reduce colour, faded: the bucket waits for the slower rank
    "wait / receive": "#bbbbbb",
    "wait / send": "#dddddd",
    "optimiser": COLORS[4],
    "straggler": COLORS[5],
    "bubble": "#bbbbbb",
}
STRATEGY_COLORS = {"ddp": COLORS[0], "pipeline": COLORS[2], "hybrid": COLORS[3]}
COMM_LANE = ("all-reduce", PEER_WAIT)  # timeline events drawn on a rank's own communication lane
# Where a predicted strategy stops paying: one marker shape per reason, named once in the legend
LIMIT_SYMBOLS = {
    "communication ≥ compute": "x",
    "memory does not fit": "square-open",
    "bubble ≥ half the step": "diamond-open",
}
LEGEND_ROW_PX = 24  # height of one row of a horizontal legend


def _legend_below(fig: go.Figure, rows: int = 1, axis_px: int = 45) -> None:
    """Put the legend at the bottom of the figure, under the x-axis labels, not over them.

    Anchored to the container (not the plotting area), with a bottom margin that holds the
    axis labels (``axis_px``) and ``rows`` rows of legend: it cannot slide onto the tick numbers
    whatever the figure's height.
    """
    fig.update_layout(
        legend=dict(orientation="h", yref="container", y=0, yanchor="bottom", x=0, xanchor="left"),
        margin=dict(b=axis_px + rows * LEGEND_ROW_PX + 10),
    )


def _series(runs: list[dict]) -> dict[str, list[dict]]:
    groups: dict[str, list[dict]] = {}
    for run in runs:
        key = f"{run['mode'] if run['world_size'] > 1 else 'ddp'} · {run['scaling']}"
        if run["stages"] > 1:
            key += f" · m={run['microbatches']}"
        groups.setdefault(key, []).append(run)
    return groups


def throughput_figure(runs: list[dict]) -> go.Figure:
    """Samples/s against the number of processes, with the ideal N × one-process line per baseline."""
    fig = base_figure("Throughput vs number of workers", height=360)
    for i, (name, rows) in enumerate(_series(runs).items()):
        rows = sorted(rows, key=lambda r: r["world_size"])
        fig.add_scatter(
            x=[r["world_size"] for r in rows],
            y=[r["samples_per_s"] for r in rows],
            mode="lines+markers",
            name=name,
            marker=dict(size=9, color=COLORS[i % len(COLORS)]),
            line=dict(color=COLORS[i % len(COLORS)]),
            hovertext=[r["device"] for r in rows],
        )
    bases = [r for r in runs if r["world_size"] == 1]
    if bases:
        top = max(r["world_size"] for r in runs)
        base = bases[-1]["samples_per_s"]
        fig.add_scatter(
            x=[1, top],
            y=[base, base * top],
            mode="lines",
            name="ideal (N × 1 process)",
            line=dict(dash="dot", color="#888"),
        )
    fig.update_xaxes(title="processes (ranks)", dtick=1)
    fig.update_yaxes(title="samples / s", rangemode="tozero")
    fig.update_layout(height=440)
    _legend_below(fig, rows=3, axis_px=60)  # series names are long: up to three rows in a half-width column
    return fig


def efficiency_figure(runs: list[dict]) -> go.Figure:
    """Scaling efficiency = throughput(N) / (N × throughput(1)), one bar per multi-process run."""
    fig = base_figure("Scaling efficiency", height=360)
    rows = [r for r in runs if r.get("efficiency") is not None and r["world_size"] > 1]
    fig.add_bar(
        x=[run_label(r, "<br>").replace(", ", "<br>") for r in rows],
        y=[r["efficiency"] for r in rows],
        marker_color=[STRATEGY_COLORS.get(r["mode"], COLORS[0]) for r in rows],
        text=[f"{r['efficiency']:.0%}" for r in rows],
        textposition="outside",
        cliponaxis=False,  # a bar near the top keeps its number
        showlegend=False,
    )
    fig.add_hline(y=1.0, line=dict(dash="dot", color="#888"), annotation_text="perfect")
    fig.update_yaxes(title="throughput / (N × one process)", tickformat=".0%", rangemode="tozero")
    fig.update_xaxes(tickangle=0)
    fig.update_layout(height=440)
    return fig


def breakdown_figure(runs: list[dict]) -> go.Figure:
    """Stacked mean step time per phase and rank (ms), one bar per run."""
    fig = base_figure("Where a step's time goes (median step, mean over ranks)", height=400, barmode="stack")
    labels = [run_label(r, "<br>") for r in runs]
    phases: list[str] = []
    for r in runs:
        phases += [p for p in r["phases"] if p not in phases]
    for phase in phases:
        fig.add_bar(
            x=labels,
            y=[1e3 * r["phases"].get(phase, 0.0) for r in runs],
            name=phase,
            marker_color=PHASE_COLORS.get(phase),
        )
    fig.add_scatter(
        x=labels,
        y=[1e3 * r["step_s"] for r in runs],
        mode="markers",
        name="measured step",
        marker=dict(symbol="line-ew-open", size=30, color=NEUTRAL),
    )
    fig.update_yaxes(title="ms per step")
    fig.update_xaxes(tickangle=0)
    _legend_below(fig, rows=2, axis_px=60)  # run labels take two lines
    return fig


def timeline_figure(run: dict) -> go.Figure:
    """Gantt of one step per rank: compute, waiting and all-reduce (drawn on its own lane, overlapping backward)."""
    fig = base_figure(f"One step, per rank — {run_label(run)}", height=170 + 70 * len(run["ranks"]), barmode="overlay")
    lanes: list[str] = []
    bars: dict[str, dict[str, list]] = {}  # one trace per kind of event: fast to build and to draw
    timelines = split_peer_wait([rank["events"] for rank in run["ranks"]])
    for rank, events in reversed(list(zip(run["ranks"], timelines))):
        name = f"rank {rank['rank']}" + (f" · stage {rank['stage']}" if run["stages"] > 1 else "")
        for event in events:
            kind, start, end = event[0], event[1], event[2]
            lane = f"{name} · comm" if kind in COMM_LANE else name
            if lane not in lanes:
                lanes.append(lane)
            bar = bars.setdefault(kind, {"y": [], "x": [], "base": [], "text": []})
            bar["y"].append(lane)
            bar["x"].append(1e3 * (end - start))
            bar["base"].append(1e3 * start)
            bar["text"].append(event[3] if len(event) > 3 else "")
    for kind, bar in bars.items():
        fig.add_bar(
            **bar,
            orientation="h",
            name=kind,
            marker_color=PHASE_COLORS.get(kind, "#999"),
            textposition="inside",
            insidetextanchor="middle",
            hovertemplate=f"{kind} %{{text}}<br>%{{base:.1f}} ms + %{{x:.1f}} ms<extra>%{{y}}</extra>",
        )
    fig.update_yaxes(categoryorder="array", categoryarray=lanes)
    fig.update_xaxes(ticksuffix=" ms", rangemode="tozero")
    _legend_below(fig, rows=2)
    return fig


def bubble_figure(runs: list[dict]) -> go.Figure:
    """Measured idle share of pipeline runs against the textbook bubble (p − 1)/(m + p − 1)."""
    fig = base_figure("Pipeline idle time vs the textbook bubble", height=340, barmode="group")
    rows = sorted([r for r in runs if r["stages"] > 1], key=lambda r: (r["stages"], r["microbatches"]))
    labels = [
        f"p={r['stages']}, m={r['microbatches']}" + (f", ×{r['replicas']}" if r["replicas"] > 1 else "") for r in rows
    ]
    fig.add_bar(
        x=labels,
        y=[r["idle_fraction"] for r in rows],
        name="measured idle (1 − compute / step)",
        marker_color=COLORS[3],
    )
    fig.add_bar(x=labels, y=[r["bubble_textbook"] for r in rows], name="(p − 1)/(m + p − 1)", marker_color="#999")
    fig.update_yaxes(title="share of the step", tickformat=".0%", rangemode="tozero")
    return fig


def predicted_vs_measured_figure(rows: list[dict]) -> go.Figure:
    """Calibrated cost model against each measured run, with the relative error on top."""
    fig = base_figure("Cost model (calibrated here) vs measured step time", height=360, barmode="group")
    labels = [
        f"{r['mode']} ×{r['world_size']}<br>{r['scaling']}"
        + (f" m={r['microbatches']}" if r["microbatches"] > 1 else "")
        for r in rows
    ]
    fig.add_bar(x=labels, y=[1e3 * r["measured_s"] for r in rows], name="measured", marker_color=COLORS[0])
    fig.add_bar(
        x=labels,
        y=[1e3 * r["predicted_s"] for r in rows],
        name="predicted",
        marker_color=COLORS[1],
        text=[f"{r['error']:+.0%}" for r in rows],
        textposition="outside",
        cliponaxis=False,
    )
    fig.update_yaxes(title="ms per step", rangemode="tozero")
    fig.update_xaxes(tickangle=0)
    return fig


def scaling_prediction_figure(sweeps: dict[str, list], title: str) -> go.Figure:
    """Predicted efficiency vs device count per strategy; a marker where each limit first appears.

    Limits are marker shapes named in the legend, not text on the plot: words at the edge of
    the plotting area were cut ("nemory does not fit") and overlapped where strategies meet.
    """
    fig = base_figure(title, height=420)
    named: set[str] = set()
    for strategy, rows in sweeps.items():
        if not rows:
            continue
        color = STRATEGY_COLORS.get(strategy, COLORS[4])
        fig.add_scatter(
            x=[r.devices for r in rows],
            y=[r.efficiency for r in rows],
            mode="lines+markers",
            name=strategy,
            line=dict(color=color),
            customdata=[[r.step_s * 1e3, r.memory_per_device / 2**30, "; ".join(r.limits) or "pays"] for r in rows],
            hovertemplate="%{x} devices: %{y:.0%}<br>step %{customdata[0]:.1f} ms, %{customdata[1]:.1f} GiB/device<br>%{customdata[2]}<extra>"
            + strategy
            + "</extra>",
        )
        seen: set[str] = set()
        for r in rows:
            for reason in r.limits:
                key = reason.split(" (")[0]
                if key in seen:
                    continue
                seen.add(key)
                fig.add_scatter(
                    x=[r.devices],
                    y=[r.efficiency],
                    mode="markers",
                    marker=dict(symbol=LIMIT_SYMBOLS.get(key, "x"), size=14, color=color, line=dict(width=2)),
                    legendgroup=key,
                    showlegend=False,
                    hovertext=f"{strategy}: {reason} from {r.devices} devices",
                    hoverinfo="text",
                )
                named.add(key)
    for key in [k for k in LIMIT_SYMBOLS if k in named]:  # one neutral legend entry per shape
        fig.add_scatter(
            x=[None],
            y=[None],
            mode="markers",
            marker=dict(symbol=LIMIT_SYMBOLS[key], size=12, color=NEUTRAL, line=dict(width=2)),
            name=key,
            legendgroup=key,
        )
    fig.update_xaxes(title="devices", type="log", dtick=0.30103, tickformat="d")
    fig.update_yaxes(title="scaling efficiency", tickformat=".0%", rangemode="tozero")
    _legend_below(fig, rows=2)
    return fig


def predicted_breakdown_figure(rows: list) -> go.Figure:
    """Stacked predicted step time (compute, exposed communication, bubble, stragglers, optimiser)."""
    fig = base_figure("Predicted step time", height=340, barmode="stack")
    labels = [f"{r.strategy} ×{r.devices}" for r in rows]
    parts = (
        ("compute", lambda r: r.compute_s, "forward"),
        ("exposed communication", lambda r: r.exposed_comm_s, "all-reduce (exposed)"),
        ("bubble", lambda r: r.bubble_s, "bubble"),
        ("straggler", lambda r: r.straggler_s, "straggler"),
        ("optimiser", lambda r: r.optimizer_s, "optimiser"),
    )
    for name, value, color in parts:
        fig.add_bar(x=labels, y=[1e3 * value(r) for r in rows], name=name, marker_color=PHASE_COLORS[color])
    fig.update_yaxes(title="ms per step")
    return fig
