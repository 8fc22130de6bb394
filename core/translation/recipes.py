"""Fixed-seed, fixed-step recipes for the shipped translation checkpoints (``make weights``).

Each recipe is a ``TranslationTraining``: it generates its data from the task's seed, trains
through ``core.translation.train.fit`` (one thread, so the numbers are comparable across
machines), evaluates greedy exact match and chrF on held-out test pairs (never used for model
selection) and saves the checkpoint. Within a task the ``*-generated``, ``-noattn``, ``-dot`` and
``-plain`` models get the same data and steps, so they differ only in their attention (or in being a
plain seq2seq RNN). ``numbers-en-fr`` and ``dates-iso`` continue from their ``*-generated`` model on
typed data (core.translation.phrasing), so they also read "twenty one", "twelve hundred" or "3/3/1999".
``dates-iso-plain`` also stores a sweep over delays: a delay helps a plain seq2seq model only where it
covers the reordering distance (an ISO date starts with the year, which the inputs give last).
"""

from __future__ import annotations

import functools
from dataclasses import replace
from pathlib import Path

import torch

from core import checkpoints
from core.cli import ProgressLine
from core.translation import data, inference
from core.translation.train import TrainSettings, TranslationTraining, fit

TEST_PAIRS = 2000
DELAYS = (0, 12, 36)  # delays tried for the plain seq2seq sweep on dates (inputs are 10-35 chars)
TRAINED_WITH = "python -m core models build {name} (1 thread)"

NUMBERS_EN_FR_GENERATED = TranslationTraining(
    description=(
        "English number words -> French, bi-GRU encoder, Luong 'general' attention; "
        "trained on the generator's (num2words) phrasing only"
    ),
    task="numbers:en-fr",
    train_pairs=60_000,
    valid_pairs=500,
    cell="gru",
    embed=64,
    hidden=128,
    bidirectional=True,
    attention="general",
    settings=TrainSettings(epochs=10, steps_per_epoch=300, batch_size=128, lr=3e-3, lr_decay=0.8),
)
# The shipped numbers model continues from that one on typed data (core.translation.phrasing): a
# shorter budget at a lower rate, since it only has to learn the new phrasings and round numbers.
NUMBERS_EN_FR = replace(
    NUMBERS_EN_FR_GENERATED,
    description=(
        "English number words -> French, bi-GRU encoder, Luong 'general' attention; typed phrasings "
        "(70 %, normalised input) and num2words phrasing, continued from numbers-en-fr-generated"
    ),
    typed=True,
    init_from="numbers-en-fr-generated",
    settings=TrainSettings(epochs=8, steps_per_epoch=300, batch_size=128, lr=1.5e-3, lr_decay=0.75),
)
NUMBERS_EN_FR_NOATTN = replace(
    NUMBERS_EN_FR_GENERATED,
    description="English number words -> French, bi-GRU encoder, no attention (same budget)",
    attention="none",
)
DATES_ISO_GENERATED = replace(
    NUMBERS_EN_FR_GENERATED,
    description=(
        "Human-written dates (5 locales x full/long/medium) -> ISO, bi-GRU encoder, additive attention; "
        "trained on the generator's (babel) formats only"
    ),
    task="dates",
    train_pairs=40_000,
    attention="additive",
    max_target_len=16,
    settings=TrainSettings(epochs=4, steps_per_epoch=150, batch_size=128, lr=3e-3, lr_decay=0.7),
)
# The shipped dates model continues from it on typed dates (numeric, ISO, any word order, ordinals, weekdays,
# abbreviations); more pairs and epochs than the numbers model since the forms combine more ways.
DATES_ISO = replace(
    DATES_ISO_GENERATED,
    description=(
        "Dates as people type them (numeric day first, ISO and compact ISO, day/month/year in any usual order with "
        "ordinals, weekdays and abbreviations; 70 %, normalised input) and babel's 5 locales x full/long/medium -> "
        "ISO, bi-GRU, additive attention, continued from dates-iso-generated"
    ),
    train_pairs=80_000,
    typed=True,
    init_from="dates-iso-generated",
    settings=TrainSettings(epochs=8, steps_per_epoch=300, batch_size=128, lr=2e-3, lr_decay=0.75),
)
DATES_ISO_DOT = replace(
    DATES_ISO_GENERATED,
    description="Human-written dates -> ISO, bi-GRU encoder, Luong 'dot' attention (same budget; a second attention type)",
    attention="dot",
)
DATES_ISO_NOATTN = replace(
    DATES_ISO_GENERATED,
    description="Human-written dates -> ISO, bi-GRU encoder, no attention (same budget)",
    attention="none",
)
DATES_ISO_PLAIN = replace(
    DATES_ISO_GENERATED,
    description="Human-written dates -> ISO, plain seq2seq GRU (one output per input step, no delay; same budget)",
    kind="plain",
    delay=0,
)
# The delay sweep gets five times that budget: plain RNNs learn slowly, and the point is what a delay allows.
DELAY_SWEEP = replace(
    DATES_ISO_PLAIN,
    description="",
    settings=TrainSettings(epochs=15, steps_per_epoch=200, batch_size=128, lr=3e-3, lr_decay=0.85),
)
ENCODER_DECODERS = {  # numbers-en-fr and dates-iso start from the shipped *-generated checkpoints
    "numbers-en-fr-generated": NUMBERS_EN_FR_GENERATED,
    "numbers-en-fr": NUMBERS_EN_FR,
    "numbers-en-fr-noattn": NUMBERS_EN_FR_NOATTN,
    "dates-iso-generated": DATES_ISO_GENERATED,
    "dates-iso": DATES_ISO,
    "dates-iso-dot": DATES_ISO_DOT,
    "dates-iso-noattn": DATES_ISO_NOATTN,
}


def _evaluate(model, test: list) -> tuple[dict, list[dict]]:
    rows = inference.evaluate_pairs(model, test)
    buckets = inference.accuracy_by_length(rows, inference.length_edges(rows, 5))
    overall = inference.accuracy_by_length(rows, [0, 10**6])[0]
    return {"test_exact": overall["exact"], "test_chrf": overall["chrf"], "test_pairs": len(rows)}, buckets


def fit_and_save(directory: Path, name: str, recipe: TranslationTraining) -> dict:
    """Train ``recipe`` on one thread, score it on the held-out test split, save it; returns its meta."""
    torch.set_num_threads(1)
    recipe = replace(recipe, trained_with=TRAINED_WITH.format(name=name))
    model, history = fit(recipe, callback=ProgressLine(name=name))
    test_pairs = data.task_pairs(recipe.task, TEST_PAIRS, seed=recipe.settings.seed, split="test")
    metrics, buckets = _evaluate(model, test_pairs)
    settings = recipe.settings
    model.meta |= {
        "metrics": {**metrics, "train_seconds": round(history.seconds, 1)},
        "headline": "test_exact",
        "by_length": buckets,
        "data": (
            f"{recipe.train_pairs} train / {recipe.valid_pairs} valid / {TEST_PAIRS} test pairs, "
            f"seed {settings.seed}, splits by hash"
        ),
        "steps": settings.epochs * settings.steps_per_epoch,
        "batch_size": settings.batch_size,
    }
    checkpoints.save(model, directory, model.meta)
    return model.meta


def dates_iso_plain(directory: Path) -> dict:
    """The shipped plain model has no delay (same budget as dates-iso). Then a sweep over delays, each
    with a longer budget (DELAY_SWEEP), goes into its meta, saved after every delay."""
    meta = fit_and_save(directory, "dates-iso-plain", DATES_ISO_PLAIN)
    model = checkpoints.load_folder(directory)
    sweep = DELAY_SWEEP.settings
    meta["delay_sweep"], meta["delay_sweep_steps"] = [], sweep.epochs * sweep.steps_per_epoch
    for delay in DELAYS:
        scratch = directory / f"delay-{delay}"
        with_delay = fit_and_save(scratch, f"sweep-delay-{delay}", replace(DELAY_SWEEP, delay=delay))
        meta["delay_sweep"].append({"delay": delay, **with_delay["metrics"], "by_length": with_delay["by_length"]})
        for path in scratch.iterdir():
            path.unlink()
        scratch.rmdir()
        checkpoints.save(model, directory, meta)
    return meta


RECIPES = {
    **{name: functools.partial(fit_and_save, name=name, recipe=recipe) for name, recipe in ENCODER_DECODERS.items()},
    "dates-iso-plain": dates_iso_plain,
}
