"""A classified clip's per-frame probabilities as CSV: the page's download and ``video classify --csv``."""

from __future__ import annotations

import csv
import io

FIXED_COLUMNS = ("clip", "sampled_frame", "frame_index", "time_s")


def columns(labels: list[str]) -> list[str]:
    """The header: the clip, the sampled frame's number (1-based), its frame number in the clip (0-based), its
    time in seconds, then ``p_<class>``: the probability of each class after reading sampled frames 1..n."""
    return [*FIXED_COLUMNS, *(f"p_{label}" for label in labels)]


def _cell(text: str) -> str:
    """A clip name as a spreadsheet shows it, not as a formula it would run (=, +, -, @ start one)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def rows(clip_name: str, result: dict, indices: list[int], fps: float) -> list[list]:
    """One row per sampled frame of ``result`` (``core.video.model.predict``'s), in the order the model read them."""
    out = []
    for number, (position, probs) in enumerate(zip(result["order"], result["timeline"]), start=1):
        frame = indices[position]
        out.append([_cell(clip_name), number, frame, round(frame / fps, 3), *(round(p, 6) for p in probs)])
    return out


def to_csv(labels: list[str], table: list[list]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns(labels))
    writer.writerows(table)
    return buffer.getvalue()
