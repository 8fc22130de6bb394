"""Reopen -> classify: a checkpoint zip uploaded on the Video page, validated, loaded and used on a sample clip.

Issue 18's target: at most 2 s for checkpoints up to 10 MB. Three zips: the shipped video-motion model and
two wider CNN+GRU models of about 5 and 10 MB (random weights: the work does not depend on their values).
Two figures per zip, each the median of ``--repeats`` (wall seconds):

- ``core``: ``checkpoints.load_zip`` (checks, safetensors, shapes) + decode and sample the clip + predict;
- ``page``: an AppTest session of the Video page (warm: the page open already), the upload's rerun (it
  validates and loads the zip) plus the rerun that picks "your uploaded model" and classifies with it.
  A browser adds the transfer of the zip and the drawing (the browser test records it as
  ``interaction.video_reopen_classify`` in browser_timings.json).

    python bench/bench_video_reopen.py [--repeats 5]

Writes bench/results/video_reopen.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.report import measured  # noqa: E402
from core import checkpoints  # noqa: E402
from core.video.cli import classify_file  # noqa: E402
from core.video.model import VideoClassifier, VideoConfig  # noqa: E402

OUT = ROOT / "bench" / "results" / "video_reopen.json"
TARGET_SECONDS, TARGET_MB = 2.0, 10
SAMPLE = ROOT / "assets" / "samples" / "rotate_cw.webm"  # the largest shipped sample
WIDER = {"about 5 MB": 480, "about 10 MB": 790}  # GRU hidden size of a wider model (most of its weights)
UPLOADED = "your uploaded model"


def zips() -> dict[str, bytes]:
    shipped = checkpoints.load("video-motion")
    out = {"video-motion (shipped)": checkpoints.to_zip(shipped, shipped.meta)}
    for name, hidden in WIDER.items():
        torch.manual_seed(0)
        config = VideoConfig(labels=list(shipped.config.labels), channels=[32, 64, 64], feature_dim=256, hidden=hidden)
        out[name] = checkpoints.to_zip(VideoClassifier(config), {"task": "video classification (bench)"})
    return out


def core_seconds(data: bytes) -> float:
    start = time.perf_counter()
    model = checkpoints.load_zip(data)
    classify_file(model, SAMPLE)
    return time.perf_counter() - start


def page_seconds(data: bytes) -> float:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "pages" / "2_Video.py"), default_timeout=120)
    at.query_params["video_sample"] = SAMPLE.name
    at.run()  # the page as a user finds it (caches warm after the first repeat)
    start = time.perf_counter()
    at.file_uploader(key="video_ckpt_upload").upload("model.zip", data, "application/zip").run()
    at.selectbox(key="video_model").set_value(UPLOADED).run()
    seconds = time.perf_counter() - start
    assert not at.exception and not at.error, (at.exception, [e.value for e in at.error])
    assert at.selectbox(key="video_model").value == UPLOADED and at.metric[0].label == "Prediction"
    return seconds


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    load_start = os.getloadavg()
    page_seconds(next(iter(zips().values())))  # imports, shipped models and sample decoding, once
    rows = {}
    for name, data in zips().items():
        core = [core_seconds(data) for _ in range(args.repeats)]
        page = [page_seconds(data) for _ in range(args.repeats)]
        rows[name] = {
            "zip_mb": round(len(data) / 2**20, 2),
            "core_median_s": round(statistics.median(core), 3),
            "page_median_s": round(statistics.median(page), 3),
            "core_s": [round(s, 3) for s in core],
            "page_s": [round(s, 3) for s in page],
        }
    report = {
        "benchmark": "video_reopen",
        "target": f"reopen -> classify in <= {TARGET_SECONDS:g} s for checkpoints <= {TARGET_MB} MB",
        "clip": SAMPLE.name,
        "checkpoints": rows,
        "target_met": all(
            row["page_median_s"] <= TARGET_SECONDS for row in rows.values() if row["zip_mb"] <= TARGET_MB
        ),
        "measured": measured(
            load_start,
            "bench_video_reopen.py",
            argv,
            "wall seconds, median of --repeats",
            f"torch threads {torch.get_num_threads()}",
        ),
    }
    OUT.write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report, indent=1))
    return report


if __name__ == "__main__":
    main()
