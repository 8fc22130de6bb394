"""Reading what an AppTest run drew: plotly figures, their titles, markdown text."""

from __future__ import annotations

import json
from pathlib import Path

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
