"""Fixed-seed recipes for the shipped generator checkpoints (``make weights``).

``folk-abc``: a 1-layer GRU of 512 units with dropout 0.25 on the training tunes plus 3 copies of
each moved to other common keys of its mode (49,156 tunes, 8.9 M characters), in two phases:
``FOLK``, 16 rounds of 200 steps of 128 x 128 characters (52 M characters, about 6 passes; the
learning rate falls 15 % a round), then ``FOLK_AVERAGING``, 8 more rounds at a constant 6e-4 with
the weights averaged every 50 steps, ending with the average when it validates lower. The shipped
weights were built on this 2-core CPU by ``python -m core models build folk-abc`` (61 + 31 min):
held-out loss 1.0066 nats/char after the first phase, 0.9987 after the second. Without the copies
the same GRU overfit after about ten passes (best 1.046); with them it was still improving when
the first phase ended (training loss 0.950). Deeper 2-3 layer variants (1.019-1.027 without copies)
sample slower per character on this CPU; the 1-layer GRU keeps one stream above 2,500 characters/s.
Why the copies: a tune moved to another key is a new character sequence with the same music in it,
more data rather than a repeat (``bench/probe_folk_transpose.py`` measures their effect side by
side). The averaging phase is Polyak averaging of the late weights, as in AWD-LSTM.

``python-prose``: the same 512-unit GRU and dropout 0.25, 450 steps (6 rounds of 75) of 32 x 128
characters (1.8 M, about 4.4 passes over the prose), one thread, built on the CPU in about 4 minutes
when idle.

``PAGE``: the defaults of the page's "Train your own" form (the user picks cell, width, rounds, steps).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from core import checkpoints
from core.cli import ProgressLine
from core.generation.model import CharRNN
from core.generation.train import Corpus, GeneratorTraining, folk_corpus, prose_corpus, train_char_rnn

TRAINED_WITH = "make weights / python -m core models build {name}"
FOLK_TRANSPOSITIONS = 3  # copies of each training tune in other keys of its mode

FOLK = GeneratorTraining(
    cell="gru",
    hidden=512,
    embed=64,
    dropout=0.25,
    batch=128,
    bptt=128,
    lr=3e-3,
    lr_decay=0.85,
    rounds=16,
    steps_per_round=200,
    seed=0,
    threads=2,
    min_char_count=20,  # drops a few stray symbols (e.g. '$', '*') that appear in a handful of tunes
    gallery_steps=[10, 30],
    sample_chars=300,
    sample_style={"meter": "6/8", "key": "D", "type": "jig"},
)

# The second phase: the same network continued at a constant rate, its weights averaged every 50 steps.
FOLK_AVERAGING = replace(FOLK, lr=6e-4, lr_decay=1.0, rounds=8, seed=1, average_every=50, gallery_steps=[])

# The prose model: the same network and schedule on a smaller corpus, with a prime for its samples.
PROSE = replace(
    FOLK, batch=32, rounds=6, steps_per_round=75, threads=1, min_char_count=3, sample_prime="The ", sample_style={}
)


# A small, quick model for the page's form; the form sets cell, hidden, rounds and steps_per_round.
PAGE = GeneratorTraining(
    hidden=128, batch=32, bptt=64, rounds=4, steps_per_round=50, eval_chars=20_000, sample_chars=200
)

# Fine-tuning a model on a handful of the user's texts (the page's "Start from"): small batches (20 tunes are
# ~4,000 characters: 8 rows of 64), a lower learning rate than training from scratch, and every held-out
# character scored; the network sizes come from the start model, rounds and steps from the form.
FINETUNE = replace(PAGE, batch=8, bptt=64, lr=1e-3, eval_chars=0, sample_chars=120)


def _log(name: str) -> ProgressLine:
    """A progress line per round (make weights runs for minutes)."""
    return ProgressLine(name=name, epoch_word="round")


def build_folk(directory: Path) -> dict:
    corpus = folk_corpus(transpositions=FOLK_TRANSPOSITIONS)
    first = train_char_rnn(corpus, FOLK, _log("folk-abc"))
    model, meta = average_folk(corpus, first.model)
    checkpoints.save(model, directory, meta)
    return meta


def average_folk(corpus: Corpus, first: CharRNN) -> tuple[CharRNN, dict]:
    """The averaging phase after ``FOLK``; the model and meta of whichever phase validates lower.

    The meta joins both phases' history and samples, steps counted from the start of the first.
    """
    first_meta = first.meta
    first_weights = {k: v.clone() for k, v in first.state_dict().items()}
    second = train_char_rnn(corpus, FOLK_AVERAGING, _log("folk-abc averaging"), start=first)
    steps = FOLK.rounds * FOLK.steps_per_round
    meta = {
        **second.meta,
        "description": "Char-level GRU on music21's ABC folk tunes, conditioned on meter, key, type",
        "trained_with": TRAINED_WITH.format(name="folk-abc"),
        "history": first_meta["history"] + [{**e, "epoch": e["epoch"] + FOLK.rounds} for e in second.meta["history"]],
        "gallery": first_meta["gallery"]
        + [
            {**g, "step": g["step"] + steps, "chars_seen": g["chars_seen"] + steps * FOLK.batch * FOLK.bptt}
            for g in second.meta["gallery"]
        ],
        "training": {**first_meta["training"], "averaging_phase": second.meta["training"]},
    }
    if second.meta["metrics"]["valid_loss"] > first_meta["metrics"]["valid_loss"]:
        first.load_state_dict(first_weights)
        meta["metrics"] = first_meta["metrics"]
    return first, meta


def build_prose(directory: Path) -> dict:
    result = train_char_rnn(prose_corpus(), PROSE, _log("python-prose"))
    meta = {**result.meta, "description": "Char-level GRU on the Python Language Reference (pydoc_data.topics)"}
    meta["trained_with"] = TRAINED_WITH.format(name="python-prose")
    checkpoints.save(result.model, directory, meta)
    return meta


RECIPES = {"folk-abc": build_folk, "python-prose": build_prose}
