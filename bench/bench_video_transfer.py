"""Train your own classes: from scratch vs from the shipped CNN (transfer), on clips the shipped model never saw.

Two new classes drawn by ``core.video.shift`` with the photos kept for this test (never in the shift
set, never in training): ``wave`` (a photo-textured object swinging left and right) and ``still``
(nothing moves; camera shake, lighting drift and noise remain). Each run trains on 5 clips a class
(written to files, decoded like uploads) and is scored on 20 other clips a class; three seeds.
Writes bench/results/video_transfer.json (the video page reads it).

    python bench/bench_video_transfer.py
"""

from __future__ import annotations

import datetime
import json
import sys
import tempfile
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.video import custom, shift  # noqa: E402
from core.video.train import accuracy  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "video_transfer.json"
CLASSES = ["wave", "still"]
TRAIN_PER_CLASS, TEST_PER_CLASS, SEEDS = 5, 20, (0, 1, 2)
THREADS = 2


def clips(folder: Path, per_class: int, seed: int, settings: custom.CustomTraining):
    shift.make_set(folder, per_class, seed, CLASSES, group="transfer", workers=THREADS)
    rows = json.loads((folder / "labels.json").read_text())
    uploads = [[(r["file"], (folder / r["file"]).read_bytes()) for r in rows if r["label"] == c] for c in CLASSES]
    return custom.clips_from_uploads(uploads, CLASSES, settings)


def main() -> None:
    torch.set_num_threads(THREADS)
    base = custom.CustomTraining(held_share=0.0)  # every one of the 5 clips trains; the 20 others test
    with tempfile.TemporaryDirectory(prefix="rnnplay-transfer-") as tmp:
        train_set = clips(Path(tmp) / "train", TRAIN_PER_CLASS, shift.TRANSFER_SEED, base)
        test_set = clips(Path(tmp) / "test", TEST_PER_CLASS, shift.TRANSFER_SEED + 1, base).data
    runs = {}
    for start in ("transfer", "scratch"):  # what the page compares; "model" fine-tunes a given model
        rows = []
        for seed in SEEDS:
            settings = replace(base, start=start, seed=seed)
            began, cpu = time.perf_counter(), time.process_time()
            trained = custom.train(train_set, CLASSES, settings)
            rows.append(
                {
                    "seed": seed,
                    "seconds": round(time.perf_counter() - began, 1),
                    "cpu_seconds": round(
                        time.process_time() - cpu, 1
                    ),  # wall time inflates when others share the cores
                    "train_accuracy": trained.train_accuracy,
                    "test_accuracy": round(accuracy(trained.model, test_set), 4),
                }
            )
            print(start, rows[-1])
        runs[start] = {
            "test_accuracy_mean": round(float(np.mean([r["test_accuracy"] for r in rows])), 4),
            "test_accuracy_min": min(r["test_accuracy"] for r in rows),
            "seconds_max": max(r["seconds"] for r in rows),
            "cpu_seconds_max": max(r["cpu_seconds"] for r in rows),
            "runs": rows,
        }
    result = {
        "benchmark": "video_transfer",
        "command": "python bench/bench_video_transfer.py",
        "date": datetime.date.today().isoformat(),
        "threads": THREADS,
        "classes": CLASSES,
        "train_clips_per_class": TRAIN_PER_CLASS,
        "test_clips_per_class": TEST_PER_CLASS,
        "clips": "core.video.shift, photo group 'transfer' (never in the shift set or any training), "
        f"seeds {shift.TRANSFER_SEED} (train) and {shift.TRANSFER_SEED + 1} (test)",
        "settings": {k: v for k, v in asdict(base).items() if k not in ("start", "seed")},
        "starts": runs,
    }
    RESULTS.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
