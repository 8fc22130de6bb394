"""Figures of the video page: probability timeline, hidden-state trajectory, accuracy bars, confusion."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from core.plots.theme import COLORS, base_figure


def timeline_figure(
    timeline: list[list[float]], labels: list[str], title: str = "Class probabilities per frame"
) -> go.Figure:
    """One line per class: the model's answer after reading frames 1..t."""
    probs = np.asarray(timeline)  # (T, C)
    fig = base_figure(title, height=320, xaxis_title="sampled frame", yaxis_title="probability")
    steps = list(range(1, len(probs) + 1))
    for c, label in enumerate(labels):
        fig.add_scatter(
            x=steps,
            y=probs[:, c],
            mode="lines+markers",
            name=label,
            line=dict(color=COLORS[c % len(COLORS)], dash="solid" if c < len(COLORS) else "dot"),
        )
    fig.update_yaxes(range=[0, 1.02])
    fig.update_layout(legend=dict(orientation="v", x=1.02, xanchor="left", y=1, yanchor="top"))  # clear of the title
    return fig


def pca_2d(states: np.ndarray) -> np.ndarray:
    """(T, D) -> (T, 2) projection on the two main directions of the states (zeros if they do not vary)."""
    centred = states - states.mean(0, keepdims=True)
    if len(states) < 2 or not np.any(centred):
        return np.zeros((len(states), 2))
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    out = centred @ vt[:2].T
    return np.pad(out, ((0, 0), (0, 2 - out.shape[1])))


def trajectory_figure(states: np.ndarray, title: str = "Hidden state over time (PCA)") -> go.Figure:
    """The RNN's hidden state after each frame, projected to 2-D and coloured by time."""
    xy = pca_2d(np.asarray(states, dtype=np.float64))
    steps = np.arange(1, len(xy) + 1)
    fig = base_figure(title, height=320, xaxis_title="PC 1", yaxis_title="PC 2")
    fig.add_scatter(x=xy[:, 0], y=xy[:, 1], mode="lines", line=dict(color="#bbb"), showlegend=False, hoverinfo="skip")
    fig.add_scatter(
        x=xy[:, 0],
        y=xy[:, 1],
        mode="markers+text",
        text=[str(s) for s in steps],
        textposition="top center",
        marker=dict(size=10, color=steps, colorscale="Viridis", colorbar=dict(title="frame")),
        showlegend=False,
        hovertemplate="frame %{text}<extra></extra>",
    )
    return fig


def accuracy_bars(
    names: list[str], values: list[float | None], title: str = "Accuracy on the held-out set"
) -> go.Figure:
    fig = base_figure(title, height=300, yaxis_title="accuracy")
    shown = [v if v is not None else 0.0 for v in values]
    fig.add_bar(
        x=names,
        y=shown,
        text=[f"{v:.1%}" if v is not None else "n/a" for v in values],
        textposition="outside",
        marker_color=[COLORS[i % len(COLORS)] for i in range(len(names))],
    )
    fig.add_hline(y=0.5, line=dict(color="#999", dash="dot"), annotation_text="pair-level ceiling without order")
    fig.update_yaxes(range=[0, 1.1], tickformat=".0%")
    return fig


def confusion_figure(confusion: list[list[int]], labels: list[str], title: str = "Confusion matrix") -> go.Figure:
    matrix = np.asarray(confusion)
    fig = base_figure(title, height=420, xaxis_title="predicted", yaxis_title="true")
    fig.add_heatmap(
        z=matrix,
        x=labels,
        y=labels,
        colorscale="Blues",
        text=matrix,
        texttemplate="%{text}",
        hovertemplate="true %{y}<br>predicted %{x}<br>%{z} clips<extra></extra>",
        showscale=False,
    )
    fig.update_yaxes(autorange="reversed")
    return fig


def per_class_figure(per_class: dict[str, float], title: str = "Per-class accuracy") -> go.Figure:
    fig = base_figure(title, height=300, yaxis_title="accuracy")
    fig.add_bar(
        x=list(per_class),
        y=list(per_class.values()),
        marker_color=COLORS[0],
        text=[f"{v:.0%}" for v in per_class.values()],
        textposition="outside",
    )
    fig.update_yaxes(range=[0, 1.1], tickformat=".0%")
    return fig


def robustness_figure(rows: list[dict], title: str = "Held-out set vs shift set") -> go.Figure:
    """Grouped bars: each model's accuracy on clips like its training data and on clips drawn differently."""
    fig = base_figure(title, height=320, yaxis_title="accuracy")
    for i, part in enumerate(("held-out", "shift")):
        values = [row[part] for row in rows]
        fig.add_bar(
            x=[row["model"] for row in rows],
            y=values,
            name=f"{part} set",
            text=[f"{v:.1%}" for v in values],
            textposition="outside",
            marker_color=COLORS[i],
        )
    fig.add_hline(y=0.5, line=dict(color="#999", dash="dot"), annotation_text="pair-level ceiling without order")
    fig.update_yaxes(range=[0, 1.1], tickformat=".0%")
    fig.update_layout(barmode="group")
    return fig
