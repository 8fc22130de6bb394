"""Probe: which optical flow should video-motion's motion stream be made of, DIS or Farneback's?

On 32x32 frames OpenCV's DIS flow (ultrafast preset) matches 8x8 patches: a small object fits in one, and the
shipped model's weakest classes are those of small objects turning, growing and shrinking. Farneback's flow
fits a polynomial to each pixel's neighbourhood instead. Both arms train the same fresh CNN+GRU (MOTION's shape,
learning rate and augmentation) on the same 32x32 clips for the same epochs, and are scored on two development
sets, never on the held-out or shift test sets:
- the held-out ranges and codecs with other clips (``recipes.HELDOUT_DEV_SEED``), decoded like uploads;
- the shift renderer's dev set (``shift.DEV_SEED``), decoded like uploads.
Writes bench/results/flow_method_probe.json. Not part of ``make bench`` (about 25 minutes on 2 cores).
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

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.probe_flow_size import EpochLog, per_class_accuracy  # noqa: E402
from core.training import TrainConfig, default_threads, seed_everything  # noqa: E402
from core.video import recipes, shift, synth  # noqa: E402
from core.video.model import VideoClassifier, predict_batch  # noqa: E402
from core.video.motion_stream import FLOW_METHODS  # noqa: E402
from core.video.recipes import MOTION  # noqa: E402
from core.video.train import ClipSet, fit  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "flow_method_probe.json"


def run_arm(method: str, data: dict, epochs: int, workers: int) -> dict:
    seed_everything(0)
    # the probe's clips are whole frames, as video-motion read them before the motion crop
    model = VideoClassifier(replace(MOTION, flow_method=method, motion_crop=False).config())
    callback = EpochLog(method)
    start = time.perf_counter()
    config = TrainConfig(epochs=epochs, lr=MOTION.lr, lr_decay=MOTION.lr_decay, seed=0)
    fit(model, data["train"], config, data["val"], state_weight=MOTION.state_weight,
        mirror=model.config.mirror_labels, reverse=synth.relabelling(synth.REVERSED), callback=callback,
        stream_workers=workers)  # fmt: skip
    arm = {"epochs": callback.epochs, "seconds": round(time.perf_counter() - start, 1)}
    for name in ("dev_heldout", "dev_shift"):
        predicted = predict_batch(model, data[name].clips)
        arm[f"{name}_accuracy"] = round(float((predicted == data[name].labels).mean()), 4)
        arm[f"{name}_per_class"] = per_class_accuracy(predicted, data[name].labels)
    return arm


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-class", type=int, default=500, help="training clips per class")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--dev-per-class", type=int, default=50, help="shift-renderer dev clips per class")
    parser.add_argument("--dry-run", action="store_true", help="a few clips and one epoch, nothing written")
    args = parser.parse_args()
    if args.dry_run:
        args.per_class, args.epochs, args.dev_per_class = 4, 1, 1
    workers = default_threads()
    torch.set_num_threads(workers)
    size, frames = MOTION.image_size, MOTION.frames
    x, y, states = synth.training_set(args.per_class, frames, size, MOTION.train_seed, workers=workers)
    val = synth.training_set(max(1, args.per_class // 20), frames, size, MOTION.val_seed, workers=workers)
    dev_per_class = 1 if args.dry_run else recipes.HELDOUT_PER_CLASS
    dev_heldout = recipes.heldout_data(frames, size, recipes.HELDOUT_DEV_SEED, per_class=dev_per_class)[0]
    with tempfile.TemporaryDirectory(prefix="rnnplay-flowprobe-") as tmp:
        shift.make_set(tmp, args.dev_per_class, shift.DEV_SEED, workers=workers)
        dev_shift, _ = shift.load_set(tmp, frames, size)
    data = {
        "train": ClipSet(x, y, states),
        "val": ClipSet(*val[:2]),
        "dev_heldout": dev_heldout,
        "dev_shift": dev_shift,
    }
    arms = {method: run_arm(method, data, args.epochs, workers) for method in FLOW_METHODS}
    result = {
        "benchmark": "flow_method_probe",
        "command": "python bench/probe_flow_method.py" + (" --dry-run" if args.dry_run else ""),
        "measured": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "config": {"per_class": args.per_class, "epochs": args.epochs, "dev_per_class": args.dev_per_class},
        "sets": {
            "train": f"synth.TRAIN, seed {MOTION.train_seed}, {len(y)} clips at {size}x{size}",
            "val": f"synth.TRAIN, seed {MOTION.val_seed}, {len(val[1])} clips (val_accuracy per epoch)",
            "dev_heldout": f"the held-out ranges and codecs, seed {recipes.HELDOUT_DEV_SEED}, "
            f"{len(dev_heldout.labels)} clips, decoded like uploads",
            "dev_shift": f"core.video.shift seed {shift.DEV_SEED}, {len(dev_shift.labels)} clips, decoded like uploads",
        },
        "arms": arms,
    }
    print(json.dumps(result, indent=1))
    if not args.dry_run:
        RESULTS.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
