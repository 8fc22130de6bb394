"""Shipped video models on the in-distribution held-out set and on the shift set, side by side.

Writes bench/results/video_shift.json (the video page reads it). The shift set is drawn by
``core.video.shift`` (``python -m core video make-shift-set --out DIR``), written to real files and
decoded like uploads; pass ``--shift-dir`` to reuse a folder it wrote, otherwise it is drawn into a
temporary folder. The held-out set is the recipes' own (``core.video.recipes.heldout_data``): by
default its scores are those ``make weights`` stored in each checkpoint (the same weights, the same
400 clips; per-class accuracy of the shuffled reading is not stored there); ``--heldout recompute``
redraws and rescores it (400 files up to 1280x720: many minutes on 2 busy cores).

    python bench/bench_video_shift.py [--shift-dir DIR] [--heldout stored|recompute]
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core import checkpoints  # noqa: E402
from core.training import default_threads  # noqa: E402
from core.video import recipes, shift  # noqa: E402
from core.video.model import RECURRENT  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "video_shift.json"
MODELS = ("video-motion", "video-motion-synthetic", "video-motion-frame", "video-motion-mean")


def stored_heldout(model, shuffled: bool) -> dict:
    """The held-out scores ``make weights`` stored in the checkpoint."""
    metrics = model.meta["metrics"]
    if shuffled:
        return {"accuracy": metrics["shuffled_accuracy"], "clips": metrics["heldout_clips"], "stored": True}
    return {
        "accuracy": round(metrics["heldout_accuracy"], 4),
        "per_class": {k: round(v, 4) for k, v in metrics["per_class_accuracy"].items()},
        "confusion": metrics["confusion"],
        "clips": metrics["heldout_clips"],
        "stored": True,
    }


def evaluate(shift_dir: Path, recompute: bool) -> dict:
    if not (shift_dir / "labels.json").is_file():
        shift.make_set(shift_dir, workers=default_threads())
    loaded = {name: checkpoints.load(name) for name in MODELS}
    start = time.perf_counter()
    decoded = {}  # (frames, side, crop) -> {part: ClipSet}: the same files, sampled as each model reads them

    def sets_for(config) -> dict:
        frames, side, crop = key = (config.frames, config.input_size, config.motion_crop)
        if key not in decoded:
            decoded[key] = {"shift": shift.load_set(shift_dir, frames, side, crop=crop)[0]}
            if recompute:
                decoded[key]["heldout"] = recipes.heldout_data(frames, side, crop=crop)[0]
        return decoded[key]

    rows = json.loads((shift_dir / "labels.json").read_text())
    models = {}
    for name, model in loaded.items():
        sets = sets_for(model.config)
        readings = [(name, False)] + ([(f"{name} (shuffled)", True)] if model.config.temporal in RECURRENT else [])
        for shown, shuffled in readings:
            models[shown] = {part: shift.score(model, data, shuffled) for part, data in sets.items()}
            if not recompute:
                models[shown]["heldout"] = stored_heldout(model, shuffled)
    return {
        "benchmark": "video_shift",
        "command": "python bench/bench_video_shift.py" + (" --heldout recompute" if recompute else ""),
        "date": datetime.date.today().isoformat(),
        "seconds": round(time.perf_counter() - start, 1),
        "sets": {
            "heldout": {
                "what": "the recipes' held-out set: the training generator's full parameter ranges, other seeds, "
                "4 codecs",
                "clips": models["video-motion"]["heldout"]["clips"],
                "scores": "recomputed" if recompute else "stored in the checkpoints by make weights",
            },
            "shift": {
                "what": "core.video.shift: other shapes, photo-textured objects on photo backgrounds "
                "(scikit-image's sample photos), lighting drift, camera shake, blur, sensor noise",
                "command": f"python -m core video make-shift-set --out DIR --seed {shift.SHIFT_SEED}",
                "clips": len(rows),
                "codecs": sorted({row["codec"] for row in rows}),
                "fps": sorted({row["fps"] for row in rows}),
                "sizes": sorted(
                    {f"{row['width']}x{row['height']}" for row in rows}, key=lambda s: int(s.split("x")[0])
                )[:: max(1, len(rows) // 8)],
            },
        },
        "models": models,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shift-dir", default="", help="a folder written by make-shift-set (reused if complete)")
    parser.add_argument("--heldout", choices=["stored", "recompute"], default="stored", help="held-out scores")
    args = parser.parse_args()
    torch.set_num_threads(default_threads())
    if args.shift_dir:
        result = evaluate(Path(args.shift_dir), args.heldout == "recompute")
    else:
        with tempfile.TemporaryDirectory(prefix="rnnplay-shift-") as tmp:
            result = evaluate(Path(tmp), args.heldout == "recompute")
    RESULTS.write_text(json.dumps(result, indent=1) + "\n")
    for name, parts in result["models"].items():
        print(f"{name}: held-out {parts['heldout']['accuracy']:.1%}, shift {parts['shift']['accuracy']:.1%}")


if __name__ == "__main__":
    main()
