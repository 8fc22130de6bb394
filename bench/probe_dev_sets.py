"""Probe: video checkpoints on the two development sets, the sets choices about video-motion are made on.

- the held-out ranges and codecs with other clips (``recipes.HELDOUT_DEV_SEED``), decoded like uploads, with the
  accuracy on clips whose object is small (extent under SMALL of the frame height at its smallest) apart;
- the shift renderer's dev set (``shift.DEV_SEED``), decoded like uploads.
Never the held-out or shift test sets. Each model reads the clips as it would an upload (its own size and
motion crop). Rows are kept by name in bench/results/video_dev_sets.json, so a candidate that was not shipped
stays beside the model that was. Not part of ``make bench`` (about 10 minutes on 2 cores per crop setting).

    python bench/probe_dev_sets.py --model video-motion=assets/models/video-motion --model crop=/tmp/run/video-motion
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.probe_flow_size import per_class_accuracy  # noqa: E402
from core import checkpoints  # noqa: E402
from core.training import default_threads  # noqa: E402
from core.video import recipes, shift, synth  # noqa: E402
from core.video.grey import clip_grey  # noqa: E402
from core.video.model import predict_batch  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "video_dev_sets.json"
SMALL = 0.2  # an object this share of the frame height or smaller, at its smallest, counts as small


def small_objects(per_class: int) -> np.ndarray:
    """(clips,) bool in ``recipes.heldout_data``'s order: is clip k's object small at its smallest?"""
    flags = []
    for k in range(per_class):
        for label in synth.LABELS:
            spec, _ = recipes.heldout_spec(label, k, recipes.HELDOUT_DEV_SEED)
            flags.append(min(spec.size, spec.end_size) / spec.height < SMALL)
    return np.array(flags)


def score(model, heldout, shift_set, small: np.ndarray) -> dict:
    row = {}
    for name, data in (("dev_heldout", heldout), ("dev_shift", shift_set)):
        predicted = np.asarray(predict_batch(model, data.clips))
        row[f"{name}_accuracy"] = round(float((predicted == data.labels).mean()), 4)
        row[f"{name}_per_class"] = per_class_accuracy(predicted, data.labels)
        if name == "dev_heldout":
            right = predicted == data.labels
            row["dev_heldout_small"] = {"clips": int(small.sum()), "accuracy": round(float(right[small].mean()), 4)}
            row["dev_heldout_larger"] = {
                "clips": int((~small).sum()),
                "accuracy": round(float(right[~small].mean()), 4),
            }
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", required=True, help="NAME=checkpoint folder (repeat)")
    parser.add_argument("--dry-run", action="store_true", help="one clip per class of each set, nothing written")
    args = parser.parse_args()
    torch.set_num_threads(default_threads())
    per_class = 1 if args.dry_run else recipes.HELDOUT_PER_CLASS
    models = {}
    for spec in args.model:
        name, _, folder = spec.partition("=")
        if not name or not Path(folder, checkpoints.CONFIG_NAME).is_file():
            raise SystemExit(f"error: --model wants NAME=FOLDER with a checkpoint in FOLDER, not {spec!r}")
        models[name] = (folder, checkpoints.load_folder(folder).eval())
    small = small_objects(per_class)
    rows = {}
    with tempfile.TemporaryDirectory(prefix="rnnplay-devsets-") as tmp:
        shift.make_set(tmp, per_class, shift.DEV_SEED, workers=default_threads())
        decoded = {}  # (frames, side, crop) -> the two sets, read as such a model reads them
        for name, (folder, model) in models.items():
            c = model.config
            key = (c.frames, c.input_size, c.motion_crop)
            if key not in decoded:
                heldout = recipes.heldout_data(*key[:2], recipes.HELDOUT_DEV_SEED, c.motion_crop, per_class)[0]
                decoded[key] = heldout, shift.load_set(tmp, *key[:2], crop=c.motion_crop)[0]
            reads = {name: getattr(c, name) for name in ("flow_method", "flow_size", "motion_crop", "flow_polar")}
            reads["grey"] = clip_grey.__name__  # rows measured before it existed read luma
            rows[name] = {"checkpoint": folder, "reads": reads, "measured": datetime.date.today().isoformat()}
            rows[name].update(score(model, *decoded[key], small))
            print(name, json.dumps(rows[name]), flush=True)
    if args.dry_run:
        return
    kept = json.loads(RESULTS.read_text())["models"] if RESULTS.is_file() else {}
    result = {
        "benchmark": "video_dev_sets",
        "command": "python bench/probe_dev_sets.py --model NAME=FOLDER ...",
        "cpu_cores": os.cpu_count(),
        "sets": {
            "dev_heldout": f"the held-out ranges and codecs, seed {recipes.HELDOUT_DEV_SEED}, {len(small)} clips, "
            f"decoded like uploads; small: object extent under {SMALL} of the frame height at its smallest",
            "dev_shift": f"core.video.shift seed {shift.DEV_SEED}, {per_class * len(synth.LABELS)} clips, "
            "decoded like uploads",
        },
        "models": {**kept, **rows},
    }
    RESULTS.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
