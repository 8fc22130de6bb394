"""A long high-resolution clip that is cheap to make, and the memory a fresh process needs to read it.

Used by tests/unit/test_video_memory.py (a few hundred 1080p frames) and bench/bench_video_memory.py
(10 minutes of 1080p). The frames are a still background with a moving box: mp4v then stores
mostly small P-frames, so 10 minutes take about a minute to write and stay under the 200 MB upload
limit, while the reader still has to decode every frame at full size.

``python -m bench.clip_memory CLIP [--model NAME]`` reads the clip's bytes (as the page gets an
upload) and samples its frames, or classifies it with a shipped model, then prints one JSON line:
resident memory once imports (and the model) are loaded, and the process's peak.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def write_clip(path: Path, frames: int, fps: float = 8.0, size: tuple[int, int] = (1920, 1080)) -> Path:
    """``frames`` mp4v frames of ``size`` (width, height): a gradient with diagonal bands, a box moving over it."""
    width, height = size
    y, x = np.mgrid[0:height, 0:width]
    background = np.stack([x * 255 // width, y * 255 // height, (x + y) // 32 % 2 * 60 + 90], -1).astype(np.uint8)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    if not writer.isOpened():
        raise RuntimeError(f"OpenCV could not open an mp4v writer for {path}")
    try:
        for i in range(frames):
            frame = background.copy()
            left = (i * 7) % (width - width // 8)
            cv2.rectangle(frame, (left, height // 3), (left + width // 10, height // 2), (255, 255, 255), -1)
            writer.write(frame)
    finally:
        writer.release()
    return path


def measure(path: Path, model: str | None = None, timeout: float = 600) -> dict:
    """Run this module on ``path`` in a fresh process (its peak is the reading's, not the caller's)."""
    command = [sys.executable, "-m", "bench.clip_memory", str(path), *(["--model", model] if model else [])]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if done.returncode:
        raise RuntimeError(f"reading {path.name} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.splitlines()[-1])


def _high_water_mark() -> int:
    """Peak resident bytes of this process's memory since exec (Linux). Not ru_maxrss: that keeps the
    peak of the process that spawned us (the whole pytest process), so it measured the caller."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024  # kB
    raise RuntimeError("no VmHWM in /proc/self/status")


def _main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("clip", type=Path)
    parser.add_argument("--model", help="classify with this shipped model (default: only sample 16 frames)")
    args = parser.parse_args()
    import psutil

    from core.video.io import read_clip

    if args.model:
        from core import checkpoints
        from core.video.cli import classify_file

        model = checkpoints.load(args.model)
    idle = psutil.Process().memory_info().rss
    start = time.perf_counter()
    data = args.clip.read_bytes()  # an upload is held in memory: it counts
    if args.model:
        result = classify_file(model, data)
        frames_read, label = result["frames_read"], result["label"]
    else:
        frames_read, label = read_clip(data, 16).frames_read, None
    seconds = time.perf_counter() - start
    peak = _high_water_mark()
    print(
        json.dumps(
            {
                "idle_mb": round(idle / 2**20, 1),
                "peak_mb": round(peak / 2**20, 1),
                "above_idle_mb": round((peak - idle) / 2**20, 1),
                "clip_mb": round(len(data) / 2**20, 1),
                "frames_read": frames_read,
                "label": label,
                "seconds": round(seconds, 2),
            }
        )
    )


if __name__ == "__main__":
    _main()
