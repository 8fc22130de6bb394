"""Fixed-seed, fixed-step recipes for the shipped translation checkpoints (``make weights``).

Each recipe generates its data from the task's seed, trains with ``core.translation.train``
(one thread, so the numbers are comparable across machines), evaluates greedy exact match and
chrF on held-out test pairs (never used for model selection) and saves the checkpoint.
``dates-iso-plain`` also stores a sweep over delays: a delay helps a plain seq2seq model only where it
covers the reordering distance (an ISO date starts with the year, which the inputs give last).
"""

from __future__ import annotations

import functools
import time
from pathlib import Path

import torch

from core import checkpoints
from core.training import Callback
from core.translation import data, inference
from core.translation.train import TrainSettings, seeded_model, train

TEST_PAIRS = 2000
DELAYS = (0, 12, 36)  # delays tried for the plain seq2seq sweep on dates (inputs are 10-35 chars)


def _pairs(task: str, counts: tuple[int, int, int]) -> tuple[list, list, list]:
    return tuple(data.task_pairs(task, n, seed=0, split=s) for n, s in zip(counts, data.SPLITS))


def _evaluate(model, test: list) -> dict:
    rows = inference.evaluate_pairs(model, test)
    buckets = inference.accuracy_by_length(rows, inference.length_edges(rows, 5))
    overall = inference.accuracy_by_length(rows, [0, 10**6])[0]
    return {"test_exact": overall["exact"], "test_chrf": overall["chrf"], "test_pairs": len(rows)}, buckets


class _PrintEpochs(Callback):
    def __init__(self, name: str):
        self.name = name

    def on_epoch(self, progress) -> None:
        metrics = " ".join(f"{k} {v:.4f}" for k, v in progress.metrics.items())
        print(
            f"{self.name} epoch {progress.epoch}/{progress.epochs} {progress.elapsed:.0f}s loss {progress.loss:.4f} {metrics}",
            flush=True,
        )


def _fit_and_save(directory: Path, name: str, description: str, kind: str, task: str, counts, sizes, settings):
    torch.set_num_threads(1)
    train_pairs, valid_pairs, test_pairs = _pairs(task, counts)
    model = seeded_model(0, kind, task, train_pairs, **sizes)
    start = time.perf_counter()
    history = train(model, train_pairs, valid_pairs, settings, _PrintEpochs(name))
    seconds = time.perf_counter() - start
    metrics, buckets = _evaluate(model, test_pairs)
    metrics["train_seconds"] = round(seconds, 1)
    meta = {
        "task": task,
        "description": description,
        "metrics": metrics,
        "headline": "test_exact",
        "by_length": buckets,
        "history": history.epochs,
        "trained_with": f"python -m core models build {name} (1 thread)",
        "data": f"{counts[0]} train / {counts[1]} valid / {counts[2]} test pairs, seed 0, splits by hash",
        "steps": settings.epochs * settings.steps_per_epoch,
        "batch_size": settings.batch_size,
    }
    model.meta = meta
    checkpoints.save(model, directory, meta)
    return meta


NUMBERS = dict(counts=(60_000, 500, TEST_PAIRS), task="numbers:en-fr")
NUMBERS_SETTINGS = TrainSettings(epochs=10, steps_per_epoch=300, batch_size=128, lr=3e-3, lr_decay=0.8)
DATES = dict(counts=(40_000, 500, TEST_PAIRS), task="dates")
DATES_SETTINGS = TrainSettings(epochs=4, steps_per_epoch=150, batch_size=128, lr=3e-3, lr_decay=0.7)
# The delay sweep gets five times that budget: plain RNNs learn slowly, and the point is what a delay allows.
SWEEP_SETTINGS = TrainSettings(epochs=15, steps_per_epoch=200, batch_size=128, lr=3e-3, lr_decay=0.85)
SIZES = dict(cell="gru", bidirectional=True, embed=64, hidden=128)


# The encoder-decoders (bi-GRU 128): name -> description, attention, extra sizes, task data, budget.
# Within a task every model gets the same data and steps, so they differ only in their attention.
ENCODER_DECODERS = {
    "numbers-en-fr": (
        "English number words -> French, bi-GRU encoder, Luong 'general' attention",
        "general",
        {},
        NUMBERS,
        NUMBERS_SETTINGS,
    ),
    "numbers-en-fr-noattn": (
        "English number words -> French, bi-GRU encoder, no attention (same budget)",
        "none",
        {},
        NUMBERS,
        NUMBERS_SETTINGS,
    ),
    "dates-iso": (
        "Human-written dates (5 locales x full/long/medium) -> ISO, bi-GRU encoder, additive attention",
        "additive",
        {"max_target_len": 16},
        DATES,
        DATES_SETTINGS,
    ),
    "dates-iso-dot": (
        "Human-written dates -> ISO, bi-GRU encoder, Luong 'dot' attention (same budget; a second attention type)",
        "dot",
        {"max_target_len": 16},
        DATES,
        DATES_SETTINGS,
    ),
    "dates-iso-noattn": (
        "Human-written dates -> ISO, bi-GRU encoder, no attention (same budget)",
        "none",
        {"max_target_len": 16},
        DATES,
        DATES_SETTINGS,
    ),
}


def _encoder_decoder(name: str, directory: Path) -> dict:
    description, attention, extra, task, settings = ENCODER_DECODERS[name]
    sizes = {**SIZES, "attention": attention, **extra}
    return _fit_and_save(directory, name, description, "encoder-decoder", sizes=sizes, settings=settings, **task)


def dates_iso_plain(directory: Path) -> dict:
    """The shipped plain model has no delay (same budget as dates-iso). Then a sweep over delays, each
    with a longer budget (SWEEP_SETTINGS), goes into its meta, saved after every delay."""
    meta = _fit_and_save(
        directory,
        "dates-iso-plain",
        "Human-written dates -> ISO, plain seq2seq GRU (one output per input step, no delay; same budget)",
        "plain",
        sizes={"cell": "gru", "embed": 64, "hidden": 128, "delay": 0},
        settings=DATES_SETTINGS,
        **DATES,
    )
    model = checkpoints.load_folder(directory)
    meta["delay_sweep"], meta["delay_sweep_steps"] = [], SWEEP_SETTINGS.epochs * SWEEP_SETTINGS.steps_per_epoch
    for delay in DELAYS:
        scratch = directory / f"delay-{delay}"
        with_delay = _fit_and_save(
            scratch,
            f"sweep-delay-{delay}",
            "",
            "plain",
            sizes={"cell": "gru", "embed": 64, "hidden": 128, "delay": delay},
            settings=SWEEP_SETTINGS,
            **DATES,
        )
        meta["delay_sweep"].append({"delay": delay, **with_delay["metrics"], "by_length": with_delay["by_length"]})
        for path in scratch.iterdir():
            path.unlink()
        scratch.rmdir()
        checkpoints.save(model, directory, meta)
    return meta


RECIPES = {
    **{name: functools.partial(_encoder_decoder, name) for name in ENCODER_DECODERS},
    "dates-iso-plain": dates_iso_plain,
}
