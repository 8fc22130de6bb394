"""Inside-the-cell benchmark: step-through of 500 characters of folk-abc (all gates, all units) and the unit search.

Writes bench/results/inspect.json. Each figure is the best of REPEATS runs (the CPU is shared), with
torch's default threads and with one thread side by side, plus the load average at the time, so a
figure taken on a busy machine says so. Targets (issue 16): step-through <= 0.5 s, unit search <= 10 s,
the page's tanh RNN recipe <= 60 s (it stops at ``TANH_RECIPE.max_seconds``; the steps it reached are recorded).
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core import checkpoints  # noqa: E402
from core.inspect import gradients, steps, units  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "inspect.json"
STEP_CHARS = 500
REPEATS = 3


def best_of(fn, repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        begin = time.perf_counter()
        fn()
        times.append(time.perf_counter() - begin)
    return min(times)


def held_out_text(model, chars: int) -> str:
    """The first ``chars`` characters of the model's held-out tunes, joined."""
    return "".join(text for text, _ in units.held_out(model, chars))[:chars]


def measure(threads: int, folk, prose, text: str) -> dict:
    torch.set_num_threads(threads)
    traced = steps.trace(folk, "folk-abc", text)  # warm-up, and the shape of what is timed
    return {
        "threads": threads,
        "step_through_500_chars_s": round(best_of(lambda: steps.trace(folk, "folk-abc", text)), 3),
        "steps": len(traced),
        "gates_x_units": f"{len(traced.layers[0].gates)} x {traced.layers[0].hidden.shape[1]}",
        "unit_search_folk_abc_s": round(best_of(lambda: units.search(folk), 1), 2),
        "unit_search_python_prose_s": round(best_of(lambda: units.search(prose), 1), 2),
        "tanh_recipe_folk_abc": gradients.train_tanh(folk).meta,  # steps done within the recipe's time limit
    }


def main() -> None:
    folk, prose = checkpoints.load("folk-abc"), checkpoints.load("python-prose")
    text = held_out_text(folk, STEP_CHARS)
    units.held_out(folk)  # parse music21's corpus once (cached), outside the timed search
    default_threads = torch.get_num_threads()
    runs = [measure(default_threads, folk, prose, text)]
    if default_threads != 1:
        runs.append(measure(1, folk, prose, text))
    findings = {}
    for name, model in (("folk-abc", folk), ("python-prose", prose)):
        found = units.search(model)
        findings[name] = {
            "chars": found.chars,
            "features": [
                {"feature": f.feature, "unit": f.unit, "r": round(f.r, 3), "clear": f.clear} for f in found.findings
            ],
        }
    result = {
        "benchmark": "inspect",
        "measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cores": os.cpu_count(),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "torch": torch.__version__,
        "targets": {"step_through_500_chars_s": 0.5, "unit_search_s": 10, "tanh_recipe_s": 60},
        "tanh_recipe": dataclasses.asdict(gradients.TANH_RECIPE),
        "unit_search_chars": units.MAX_CHARS,
        "runs": runs,
        "units": findings,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
