"""Translation speed and quality: latency, batched throughput, accuracy by input length, training time.

    python bench/bench_translation.py [--threads N] [--pairs 2000] [--train-seconds 180] [--skip-train]

Writes bench/results/translation.json. Speed numbers depend on machine load: compare the
ratios measured side by side in one run (batched vs one at a time).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from core import checkpoints  # noqa: E402
from core.training import Callback  # noqa: E402
from core.translation import data, inference  # noqa: E402
from core.translation.train import TrainSettings, seeded_model, train  # noqa: E402

OUT = ROOT / "bench" / "results" / "translation.json"


def median_ms(model, texts, **options) -> float:
    times = []
    for text in texts:
        start = time.perf_counter()
        inference.translate(model, [text], **options)
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def speed(name: str, count: int) -> dict:
    model = checkpoints.load(name)
    texts = [s for s, _ in data.task_pairs(model.config.task, count, seed=11, split="test")]
    inference.translate(model, texts[:20])  # warm-up
    single = texts[:200]
    greedy_ms = median_ms(model, single)
    beam_ms = median_ms(model, single[:100], method="beam", beam_size=5)
    start = time.perf_counter()
    inference.translate(model, texts)
    batched = len(texts) / (time.perf_counter() - start)
    start = time.perf_counter()
    inference.translate(model, texts, attention=False)
    batched_plain = len(texts) / (time.perf_counter() - start)
    start = time.perf_counter()
    for text in single:
        inference.translate(model, [text])
    one_at_a_time = len(single) / (time.perf_counter() - start)
    return {
        "greedy_single_median_ms": greedy_ms,
        "beam5_single_median_ms": beam_ms,
        "batched_greedy_inputs_per_s": batched,
        "batched_greedy_without_attention_rows_inputs_per_s": batched_plain,
        "one_at_a_time_inputs_per_s": one_at_a_time,
        "batched_vs_single_ratio": batched / one_at_a_time,
    }


def quality(name: str, count: int) -> dict:
    model = checkpoints.load(name)
    rows = inference.evaluate_pairs(model, data.task_pairs(model.config.task, count, seed=1, split="test"))
    overall = inference.accuracy_by_length(rows, [0, 10**6])[0]
    return {
        "exact": overall["exact"],
        "chrf": overall["chrf"],
        "pairs": len(rows),
        "by_length": {
            b["bucket"]: {"exact": b["exact"], "chrf": b["chrf"], "n": b["count"]}
            for b in inference.accuracy_by_length(rows, inference.length_edges(rows, 5))
        },
    }


class _Curve(Callback):
    def __init__(self):
        self.points = []

    def on_epoch(self, progress) -> None:
        self.points.append({"seconds": round(progress.elapsed, 1), **progress.metrics})
        print(f"  train {progress.elapsed:.0f}s {progress.metrics}", flush=True)


def training_time(seconds: float, threads: int) -> dict:
    """Default numbers model from scratch on numbers up to 10^9 (200,000 training pairs), evaluated on
    2,000 held-out numbers after every 100 steps."""
    torch.set_num_threads(threads)
    max_value = 10**9 - 1
    train_pairs = data.numbers_pairs(200_000, 0, "train", max_value=max_value)
    valid = data.numbers_pairs(2000, 0, "test", max_value=max_value)
    model = seeded_model(0, "encoder-decoder", "numbers:en-fr", train_pairs, attention="general", hidden=128, embed=64)
    curve = _Curve()
    settings = TrainSettings(
        epochs=40, steps_per_epoch=100, batch_size=128, lr=3e-3, lr_decay=0.95, eval_pairs=2000, max_seconds=seconds
    )
    history = train(model, train_pairs, valid, settings, curve)
    reached = next((p["seconds"] for p in curve.points if p.get("val_exact", 0) >= 0.999), None)
    return {
        "threads": threads,
        "budget_s": seconds,
        "seconds_to_99.9": reached,
        "curve": curve.points,
        "final_exact": history.epochs[-1].get("val_exact") if history.epochs else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch threads for latency and accuracy")
    parser.add_argument("--pairs", type=int, default=2000, help="held-out pairs per model for accuracy")
    parser.add_argument("--train-seconds", type=float, default=180.0, help="training-time budget")
    parser.add_argument("--skip-train", action="store_true", help="skip the training-time measurement")
    parser.add_argument("--speed-only", action="store_true", help="only latency and throughput (merged into the file)")
    parser.add_argument("--train-only", action="store_true", help="only the training-time run (merged into the file)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    previous = json.loads(OUT.read_text()) if OUT.exists() else {}
    if args.train_only:
        previous["train_numbers_1e9"] = training_time(args.train_seconds, 2)
        OUT.write_text(json.dumps(previous, indent=1) + "\n")
        print(json.dumps(previous["train_numbers_1e9"], indent=1))
        return
    results = {"benchmark": "translation", "threads": args.threads, "note": "2-core CPU, nothing else running"}
    results["speed"] = {name: speed(name, 2000) for name in ("numbers-en-fr", "dates-iso")}
    print(json.dumps(results["speed"], indent=1), flush=True)
    if args.speed_only:
        OUT.write_text(json.dumps({**previous, "threads": args.threads, "speed": results["speed"]}, indent=1) + "\n")
        return
    names = [
        "numbers-en-fr",
        "numbers-en-fr-noattn",
        "dates-iso",
        "dates-iso-dot",
        "dates-iso-noattn",
        "dates-iso-plain",
    ]
    results["quality"] = {name: quality(name, args.pairs) for name in names}
    results["delay_sweep"] = checkpoints.load("dates-iso-plain").meta.get("delay_sweep")
    if not args.skip_train:
        results["train_numbers_1e9"] = training_time(args.train_seconds, 2)
    elif "train_numbers_1e9" in previous:
        results["train_numbers_1e9"] = previous["train_numbers_1e9"]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=1) + "\n")
    print(json.dumps({k: v for k, v in results.items() if k != "quality"}, indent=1)[:3000])
    for name, q in results["quality"].items():
        print(
            name,
            f"exact {q['exact']:.4f} chrF {q['chrf']:.2f}",
            {k: round(v["exact"], 4) for k, v in q["by_length"].items()},
        )


if __name__ == "__main__":
    main()
