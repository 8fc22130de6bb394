"""The shipped measurements of the variable-length page and the figures its conclusions quote.

``measured.json`` is written by ``python -m core varlen --train-steps 10 --unroll ... --save``; its
``measured`` block says when, with which command and on what machine (see ``cli.provenance``).
"""

from __future__ import annotations

import json
from pathlib import Path

PATH = Path(__file__).with_name("measured.json")


def load(path: Path = PATH) -> dict:
    """The shipped measurements, or {} when the file is missing or unreadable."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def machine(measured: dict) -> str:
    """'AMD EPYC, 2 cores, 1 torch thread, no GPU, load average 6.6 when it began' for the measuring machine."""
    m = measured.get("measured")
    if not m:
        return "an unrecorded machine"
    threads = m["torch_threads"]
    gpus = ", ".join(m["cuda_devices"]) or "no GPU"
    load = f", load average {m['load_average']} when it began" if "load_average" in m else ""
    return f"{m['cpu']}, {m['cores']} cores, {threads} torch thread{'s' * (threads != 1)}, {gpus}{load}"


def provenance(measured: dict) -> str:
    """One sentence saying that these are stored numbers, when and how they were measured."""
    m = measured.get("measured")
    if not m:
        return "Stored measurement (when and where it was measured was not recorded)."
    return f"Stored measurement from {m['measured_at']} on {machine(measured)}: `{m['command']}`."


def unrolling_summary(points: list[dict]) -> dict:
    """The figures the static / dynamic / packed conclusions quote, from a sweep over T."""
    small, large = points[0], points[-1]
    # below the batch's longest sequence the data itself is clipped to T: compare from the first T that holds it all
    fits = next((p for p in points if p["T"] > p["batch_max_length"]), large)
    return {
        "small": small,
        "large": large,
        "fits": fits,
        "nodes_per_step": (large["static_nodes"] - small["static_nodes"]) / (large["T"] - small["T"]),
        "build_ratio": large["static_build_seconds"] / small["static_build_seconds"],
        "time_ratio": {k: large[f"{k}_seconds"] / fits[f"{k}_seconds"] for k in ("static", "dynamic", "packed")},
        "dynamic_vs_packed": large["dynamic_seconds"] / large["packed_seconds"],
        "dynamic_cells": large["batch_size"] * large["batch_max_length"],  # every row at every step
        "packed_cells": large["real_cells"],
        "max_abs_diff": max(p["max_abs_diff"] for p in points),
    }


def padding_summary(measured: dict) -> dict | None:
    """Padding vs packing vs bucketing figures of the shipped file; None when a part is missing."""
    speed = measured.get("speedup_vs_naive_padding")
    costs = {c["strategy"]: c for c in measured.get("cost", [])}
    training = measured.get("training_folk_tunes", {})
    if not speed or not costs or not training:
        return None
    return {
        "padding_fraction": measured["batch"]["padding_fraction"],
        "speedup": speed,
        "saved_mb": {name: c["saved_bytes"] / 2**20 for name, c in costs.items()},
        "training_speedup": {name: r["speedup"] for name, r in training.items()},
    }
