"""Probe: is video-motion's motion stream better computed on 64x64 frames than on the 32x32 frames its CNN reads?

The shipped model's weakest classes are the rotations (86-88 % on the held-out set) and its training accuracy
stays near its held-out accuracy (underfitting): at 32x32 a small turning object moves a pixel or two between
sampled frames, below what DIS flow resolves. Both arms train the same fresh CNN+GRU (MOTION's shape,
schedule and augmentation) on the same clips, rendered at 64x64:
- ``flow32``: the frames are area-resized to 32x32 and the stream is computed there, as shipped;
- ``flow64``: the stream is computed on the 64x64 frames, then area-averaged to 32x32 (flow in 32-pixel units),
  so the CNN and everything after it are unchanged.
Scored on development sets only: a training-range validation set (seed 2) and the shift renderer's dev set
(``shift.DEV_SEED``), never the held-out or shift test sets. Writes bench/results/flow_size_probe.json.
Not part of ``make bench`` (about 15 minutes on 2 cores with the defaults).
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.training import Callback, Progress, TrainConfig, default_threads, seed_everything  # noqa: E402
from core.video import shift, synth  # noqa: E402
from core.video.io import model_input  # noqa: E402
from core.video.model import VideoClassifier, predict_batch  # noqa: E402
from core.video.recipes import MOTION  # noqa: E402
from core.video.train import ClipSet, fit  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "flow_size_probe.json"
RENDER = 64  # clips are rendered (and dev clips decoded) at this side
ARMS = ("flow32", "flow64")


def shrink(clips: np.ndarray, size: int) -> np.ndarray:
    """(N, T, S, S, C) -> (N, T, size, size, C), each frame area-averaged as the page's model input is."""
    return np.stack([model_input(clip, size) for clip in clips])


def build(arm: str) -> VideoClassifier:
    """flow64 reads RENDER-sized frames (``VideoConfig.flow_size``): the stream is computed there and area-averaged
    to the CNN's size."""
    return VideoClassifier(replace(MOTION, flow_size=RENDER if arm == "flow64" else 0).config())


class EpochLog(Callback):
    """Keeps each epoch's metrics of an arm and prints them as they come."""

    def __init__(self, arm: str):
        self.arm, self.epochs = arm, []

    def on_epoch(self, progress: Progress) -> None:
        self.epochs.append({k: round(v, 4) for k, v in progress.metrics.items()})
        print(f"{self.arm}: epoch {progress.epoch} {self.epochs[-1]}", file=sys.stderr, flush=True)


def per_class_accuracy(predicted: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    return {label: round(float((predicted[labels == c] == c).mean()), 3) for c, label in enumerate(synth.LABELS)}


def run_arm(arm: str, data: dict, epochs: int) -> dict:
    seed_everything(0)
    model = build(arm)
    train, val, dev = data["train"], data["val"], data["dev"]
    if arm == "flow32":
        train = ClipSet(shrink(train.clips, MOTION.image_size), train.labels, train.states)
        val, dev = (ClipSet(shrink(s.clips, MOTION.image_size), s.labels) for s in (val, dev))
    callback = EpochLog(arm)
    start = time.perf_counter()
    config = TrainConfig(epochs=epochs, lr=MOTION.lr, lr_decay=MOTION.lr_decay, seed=0)
    fit(model, train, config, val, state_weight=MOTION.state_weight, mirror=model.config.mirror_labels,
        reverse=synth.relabelling(synth.REVERSED), callback=callback)  # fmt: skip
    predicted = predict_batch(model, dev.clips)
    per_class = per_class_accuracy(predicted, dev.labels)
    return {
        "epochs": callback.epochs,
        "dev_shift_accuracy": round(float((predicted == dev.labels).mean()), 4),
        "dev_shift_per_class": per_class,
        "seconds": round(time.perf_counter() - start, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-class", type=int, default=250, help="training clips per class")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--dev-per-class", type=int, default=25, help="shift-renderer dev clips per class")
    parser.add_argument("--dry-run", action="store_true", help="a few clips and one epoch, nothing written")
    args = parser.parse_args()
    if args.dry_run:
        args.per_class, args.epochs, args.dev_per_class = 4, 1, 1
    workers = default_threads()
    torch.set_num_threads(workers)
    x, y, states = synth.training_set(args.per_class, MOTION.frames, RENDER, MOTION.train_seed, workers=workers)
    val = synth.training_set(max(1, args.per_class // 10), MOTION.frames, RENDER, MOTION.val_seed, workers=workers)
    with tempfile.TemporaryDirectory(prefix="rnnplay-flowprobe-") as tmp:
        shift.make_set(tmp, args.dev_per_class, shift.DEV_SEED, workers=workers)
        dev, _ = shift.load_set(tmp, MOTION.frames, RENDER)
    data = {"train": ClipSet(x, y, states), "val": ClipSet(*val[:2]), "dev": dev}
    arms = {arm: run_arm(arm, data, args.epochs) for arm in ARMS}
    result = {
        "benchmark": "flow_size_probe",
        "command": "python bench/probe_flow_size.py" + (" --dry-run" if args.dry_run else ""),
        "measured": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "config": {"per_class": args.per_class, "epochs": args.epochs, "dev_per_class": args.dev_per_class},
        "sets": {
            "train": f"synth.TRAIN, seed {MOTION.train_seed}, {len(y)} clips rendered at {RENDER}x{RENDER}",
            "val": f"synth.TRAIN, seed {MOTION.val_seed}, {len(val[1])} clips (val_accuracy per epoch)",
            "dev_shift": f"core.video.shift seed {shift.DEV_SEED}, {len(dev.labels)} clips, decoded like uploads",
        },
        "arms": arms,
    }
    print(json.dumps(result, indent=1))
    if not args.dry_run:
        RESULTS.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
