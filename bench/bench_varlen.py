"""Naive padding vs packing vs bucketing (forward+backward, long-tailed lengths) and static-graph
build time vs T. Writes bench/results/varlen.json.

Target (issue 6): bucketing or packing >= 1.5x faster than naive padding when >= 50 % of the
cells would be padding. One thread, timings side by side in one process: compare ratios.
"""

import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.varlen import batching, cost, sources, unrolling  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "varlen.json"
SEEDS = (0, 1, 2)
TS = (10, 20, 50, 100, 200, 500, 1000)


def padding_vs_packing_vs_bucketing() -> dict:
    runs = []
    for seed in SEEDS:
        lengths = batching.make_batch("long-tailed", 64, 200, seed).lengths
        costs = cost.measure(lengths, repeats=15, n_buckets=4, seed=seed)
        runs.append(
            {
                "seed": seed,
                "padding_fraction": batching.padding_fraction(lengths),
                "ms": {c.strategy: c.seconds * 1000 for c in costs},
                "saved_mb": {c.strategy: c.saved_bytes / 2**20 for c in costs},
                "speedup": cost.speedups(costs),
            }
        )
    best = [max(r["speedup"]["packing"], r["speedup"]["bucketing"]) for r in runs]
    return {
        "batch": "long-tailed lengths (median 20, max 200), 64 sequences, LSTM 32->64, 4 buckets",
        "runs": runs,
        "min_padding_fraction": min(r["padding_fraction"] for r in runs),
        "min_best_speedup": min(best),
        "target_1_5x_met": min(best) >= 1.5 and min(r["padding_fraction"] for r in runs) >= 0.5,
    }


def training_on_folk_tunes(steps: int = 10) -> dict:
    tunes = sources.texts("folk tunes")
    vocab = sources.char_vocab(tunes)
    sequences = [[vocab[ch] for ch in tune] for tune in tunes[: steps * 32]]
    runs = cost.training_speed(sequences, len(vocab) + 1, steps=steps)
    naive = runs[0]["seconds_per_step"]
    return {
        r["strategy"]: {
            "ms_per_step": r["seconds_per_step"] * 1000,
            "speedup": naive / r["seconds_per_step"],
            "padding_fraction": r["padding_fraction"],
        }
        for r in runs
    }


def static_build_vs_t() -> dict:
    lstm = torch.nn.LSTM(32, 64, batch_first=True)
    rows = {}
    for steps in TS:
        graph, seconds = unrolling.build_static(lstm, steps)
        rows[str(steps)] = {"nodes": len(graph.graph.nodes), "build_seconds": seconds}
    return {"T": rows, "build_seconds_ratio_T1000_vs_T10": rows["1000"]["build_seconds"] / rows["10"]["build_seconds"]}


def main() -> None:
    torch.set_num_threads(1)
    start = time.perf_counter()
    result = {
        "benchmark": "varlen",
        "note": "CPU, 1 thread, shared 2-core machine under load: ratios measured side by side",
        "padding_vs_packing_vs_bucketing": padding_vs_packing_vs_bucketing(),
        "training_folk_tunes_10_steps": training_on_folk_tunes(),
        "static_graph_build": static_build_vs_t(),
    }
    result["seconds"] = time.perf_counter() - start
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=1) + "\n")
    p = result["padding_vs_packing_vs_bucketing"]
    print(
        f"padding >= {p['min_padding_fraction']:.0%}; best of packing/bucketing >= x{p['min_best_speedup']:.2f} "
        f"(target x1.5 met: {p['target_1_5x_met']})"
    )
    print(json.dumps(result["training_folk_tunes_10_steps"], indent=1))
    print(json.dumps(result["static_graph_build"], indent=1))


if __name__ == "__main__":
    main()
