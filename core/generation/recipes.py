"""Fixed-seed recipes for the shipped generator checkpoints (``make weights``).

Both train a 1-layer GRU of 512 units (per character the cheapest of the LSTM/GRU sizes timed on
this CPU) for a fixed number of steps: 600 steps of 64 x 128 characters (4.9 M characters, about
2.2 passes over the folk tunes) and 450 steps of 32 x 128 (1.8 M, about 4.4 passes over the prose).
One thread each. Timed per step on this CPU when idle that is roughly 8 + 4 minutes; built side by
side on a machine shared with four other trainings they took 33 and 26 minutes of wall time
(meta.training.seconds in each checkpoint).
"""

from __future__ import annotations

import sys
from pathlib import Path

from core import checkpoints
from core.generation.train import GeneratorTraining, folk_corpus, prose_corpus, train_char_rnn
from core.training import Callback, Progress

TRAINED_WITH = "make weights / python -m core models build {name}"

FOLK = GeneratorTraining(
    cell="gru",
    hidden=512,
    embed=64,
    batch=64,
    bptt=128,
    lr=3e-3,
    lr_decay=0.88,
    rounds=8,
    steps_per_round=75,
    seed=0,
    threads=1,
    min_char_count=20,  # drops a few stray symbols (e.g. '$', '*') that appear in a handful of tunes
    gallery_steps=[10, 30],
    sample_chars=300,
    sample_style={"meter": "6/8", "key": "D", "type": "jig"},
)

PROSE = GeneratorTraining(
    cell="gru",
    hidden=512,
    embed=64,
    dropout=0.25,
    batch=32,
    bptt=128,
    lr=3e-3,
    lr_decay=0.85,
    rounds=6,
    steps_per_round=75,
    seed=0,
    threads=1,
    min_char_count=3,
    gallery_steps=[10, 30],
    sample_chars=300,
    sample_prime="The ",
)


class _Log(Callback):
    """A progress line per round on stderr (make weights runs for minutes)."""

    def __init__(self, name: str):
        self.name = name

    def on_step(self, progress: Progress) -> None:
        if progress.step % 25 == 0:
            print(
                f"{self.name}: round {progress.epoch} step {progress.step} loss {progress.loss:.3f}, "
                f"{progress.elapsed:.0f}s",
                file=sys.stderr,
                flush=True,
            )

    def on_epoch(self, progress: Progress) -> None:
        loss = progress.metrics.get("valid_loss", float("nan"))
        print(
            f"{self.name}: round {progress.epoch}/{progress.epochs} train {progress.loss:.3f}"
            f" valid {loss:.3f} nats/char, {progress.elapsed:.0f}s",
            file=sys.stderr,
            flush=True,
        )


def build_folk(directory: Path) -> dict:
    result = train_char_rnn(folk_corpus(), FOLK, _Log("folk-abc"))
    meta = {**result.meta, "description": "Char-level GRU on music21's ABC folk tunes, conditioned on meter, key, type"}
    meta["trained_with"] = TRAINED_WITH.format(name="folk-abc")
    checkpoints.save(result.model, directory, meta)
    return meta


def build_prose(directory: Path) -> dict:
    result = train_char_rnn(prose_corpus(), PROSE, _Log("python-prose"))
    meta = {**result.meta, "description": "Char-level GRU on the Python Language Reference (pydoc_data.topics)"}
    meta["trained_with"] = TRAINED_WITH.format(name="python-prose")
    checkpoints.save(result.model, directory, meta)
    return meta


RECIPES = {"folk-abc": build_folk, "python-prose": build_prose}
