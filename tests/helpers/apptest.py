"""Reading what an AppTest run drew: plotly figures, their titles, markdown text."""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1.element_tree import Block

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
TIMEOUT = 60  # seconds per script run; first loads of torch models are slow on 2 cores


def charts(at) -> list[dict]:
    """Every plotly figure on the page, as its JSON dict (AppTest returns them as unknown elements)."""
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def titles(at) -> list[str]:
    """The title text of every plotly figure ("" for an untitled one)."""
    out = []
    for figure in charts(at):
        title = figure["layout"].get("title") or {}
        out.append((title.get("text") or "") if isinstance(title, dict) else str(title))
    return out


def text_of(at) -> str:
    """All markdown on the page as one string."""
    return " ".join(m.value for m in at.markdown)


def chart_captions(at) -> list[str]:
    """The caption drawn right after each plotly figure, in page order ("" where the next element is no caption):
    what a reader who cannot see the chart is told about it."""
    elements = [node for node in at.main if not isinstance(node, Block)]  # depth first: page order
    return [
        after.value if after is not None and after.type == "caption" else ""
        for node, after in zip(elements, [*elements[1:], None])
        if node.type == "plotly_chart"
    ]
