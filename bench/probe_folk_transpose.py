"""Probe: do transposed copies of the folk tunes keep the char-RNN from overfitting?

Trains the shipped folk GRU (512 units, dropout 0.25) on a fraction of the training tunes, once as
written and once with N transposed copies of each, side by side (one process and one thread each),
and records the held-out loss after every round. Both arms use one vocabulary and
validate on all held-out tunes, so their losses compare. Writes bench/results/folk_transpose_probe.json.
Not part of ``make bench`` (about 9 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.generation import corpora  # noqa: E402
from core.generation import train as gt  # noqa: E402
from core.generation.recipes import FOLK  # noqa: E402
from core.training import Callback, Progress  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "folk_transpose_probe.json"


class _Rounds(Callback):
    def __init__(self, arm: str):
        self.arm, self.valid = arm, []

    def on_epoch(self, progress: Progress) -> None:
        self.valid.append(round(progress.metrics["valid_loss"], 4))
        print(f"{self.arm}: round {progress.epoch} valid {self.valid[-1]}", file=sys.stderr, flush=True)


def run_arm(copies: int, args: argparse.Namespace) -> dict:
    full = gt.folk_corpus()
    # one vocabulary for both arms, so they score the same text: the one all tunes as written give
    vocab = gt.build_vocab(full.train, FOLK.min_char_count)
    train, _ = corpora.split_by_item(corpora.folk_tunes(), 0.05, 0)
    tunes = random.Random(1).sample(train, int(len(train) * args.fraction))
    if copies:
        tunes += gt.transposed_copies(tunes, full.style_values[gt.FOLK_STYLE_FIELDS.index("key")], copies, 0)
    corpus = gt.Corpus(
        "probe",
        [gt.folk_text(t) for t in tunes],
        full.valid,
        [gt.folk_style(t) for t in tunes],
        full.valid_styles,
        full.style_fields,
        full.style_values,
    )
    # the shipped folk recipe at batch 32, one thread, with no gallery samples
    cfg = replace(FOLK, batch=32, threads=1, sample_chars=20, gallery_steps=[], vocab=vocab)
    cfg.rounds, cfg.steps_per_round = (1, 2) if args.dry_run else (args.rounds, args.steps)
    rounds = _Rounds(f"copies={copies}")
    start = time.perf_counter()
    gt.train_char_rnn(corpus, cfg, rounds)
    return {
        "copies": copies,
        "train_tunes": len(tunes),
        "train_chars": corpus.train_chars,
        "valid_loss_per_round": rounds.valid,
        "best_round": rounds.valid.index(min(rounds.valid)) + 1,
        "best_valid_loss": min(rounds.valid),
        "seconds": round(time.perf_counter() - start),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fraction", type=float, default=0.1, help="share of the training tunes to use")
    parser.add_argument("--copies", type=int, default=3, help="transposed copies per tune in the second arm")
    parser.add_argument("--rounds", type=int, default=12, help="validation rounds")
    parser.add_argument("--steps", type=int, default=80, help="steps of 32 x 128 characters per round")
    parser.add_argument("--dry-run", action="store_true", help="2 steps per arm, nothing written")
    args = parser.parse_args()
    with ProcessPoolExecutor(2) as pool:
        arms = list(pool.map(run_arm, [0, args.copies], [args, args]))
    report = {"fraction": args.fraction, "rounds": args.rounds, "steps_per_round": args.steps, "arms": arms}
    print(json.dumps(report, indent=1))
    if not args.dry_run:
        RESULTS.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
