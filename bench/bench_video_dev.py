"""The no-clear-motion threshold of the video page, chosen on a development set.

The dev set is drawn by ``core.video.shift`` with its own seed (``DEV_SEED``: neither the shift test
set nor the held-out set): clips of the eight motions and clips in which nothing moves (``still``;
shake, lighting drift and noise remain). The threshold on ``video-motion``'s confidence is the one
that best separates the two (mean of the share of still clips below it and of motion clips at or
above it). Writes bench/results/video_dev.json.

    python bench/bench_video_dev.py
"""

from __future__ import annotations

import datetime
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core import checkpoints  # noqa: E402
from core.training import default_threads  # noqa: E402
from core.video import shift  # noqa: E402
from core.video.model import predict  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "video_dev.json"
MOTION_PER_CLASS, STILL_CLIPS = 6, 32
GRID = np.round(np.arange(0.3, 0.96, 0.05), 2)


def confidences(model, folder: Path, per_class: int, labels: list[str]) -> tuple[np.ndarray, np.ndarray]:
    shift.make_set(folder, per_class, shift.DEV_SEED, labels, workers=default_threads())
    config = model.config
    data, rows = shift.load_set(
        folder, config.frames, config.input_size, shift.LABELS + shift.EXTRA, config.motion_crop
    )
    answers = [predict(model, clip) for clip in data.clips]
    right = np.array([a["label"] == row["label"] for a, row in zip(answers, rows)])
    return np.array([a["confidence"] for a in answers]), right


def main() -> None:
    torch.set_num_threads(default_threads())
    model = checkpoints.load("video-motion")
    with tempfile.TemporaryDirectory(prefix="rnnplay-dev-") as tmp:
        moving, right = confidences(model, Path(tmp) / "motion", MOTION_PER_CLASS, shift.LABELS)
        still, _ = confidences(model, Path(tmp) / "still", STILL_CLIPS, ["still"])
    table = [
        {
            "threshold": float(t),
            "still_flagged": round(float((still < t).mean()), 4),
            "motion_kept": round(float((moving >= t).mean()), 4),
            "right_answers_kept": round(float((moving[right] >= t).mean()), 4) if right.any() else None,
        }
        for t in GRID
    ]
    best = max(table, key=lambda row: row["still_flagged"] + row["motion_kept"])
    result = {
        "benchmark": "video_dev",
        "command": "python bench/bench_video_dev.py",
        "date": datetime.date.today().isoformat(),
        "model": "video-motion",
        "dev_set": f"core.video.shift seed {shift.DEV_SEED}: {MOTION_PER_CLASS} clips of each motion, "
        f"{STILL_CLIPS} still clips",
        "motion_accuracy": round(float(right.mean()), 4),
        "confidence_quartiles": {
            "motion": np.round(np.percentile(moving, [25, 50, 75]), 3).tolist(),
            "still": np.round(np.percentile(still, [25, 50, 75]), 3).tolist(),
        },
        "chosen_threshold": best["threshold"],
        "table": table,
    }
    RESULTS.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "table"}, indent=1), best)


if __name__ == "__main__":
    main()
