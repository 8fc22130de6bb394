"""Video speed: end-to-end classification vs a bare grab() pass, and training a user's 2-class set.

Writes bench/results/video.json. The 10 s 640x480 30 fps H.264 clip is made with PyAV (OpenCV
cannot encode H.264); PyAV is used here only.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core import checkpoints  # noqa: E402
from core.training import Callback, TrainConfig, seed_everything  # noqa: E402
from core.video import custom, synth  # noqa: E402
from core.video.cli import classify_file  # noqa: E402
from core.video.io import grab_all  # noqa: E402
from core.video.model import VideoClassifier  # noqa: E402
from core.video.train import ClipSet, fit  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "video.json"
REPEATS = 9


def h264_clip(path: Path) -> Path:
    import av

    spec = synth.random_spec(
        "move_right",
        123,
        synth.Ranges(width=(640, 640), aspect=(4 / 3, 4 / 3), duration=(10.0, 10.0), fps=(30.0, 30.0)),
    )
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 640, 480, "yuv420p"
        for start in range(0, spec.frames, 30):
            for frame in synth.render(spec, list(range(start, min(start + 30, spec.frames)))):
                for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                    container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def seconds(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def interleaved(*fns) -> list[float]:
    """Best of REPEATS for each function, runs interleaved: the host's other tenants come and go, so
    back-to-back blocks of one then the other can land on different loads."""
    best = [float("inf")] * len(fns)
    for _ in range(REPEATS):
        for i, fn in enumerate(fns):
            best[i] = min(best[i], seconds(fn))
    return best


class StopAtPerfect(Callback):
    def __init__(self, cancel):
        self.cancel, self.epochs = cancel, 0

    def on_epoch(self, progress) -> None:
        self.epochs = progress.epoch
        if progress.metrics.get("train_accuracy", 0) >= 1.0:
            self.cancel.set()


def train_two_classes() -> dict:
    """The page's defaults on 10 clips (grow vs shrink, 5 each) until 100 % training accuracy."""
    import threading

    page = custom.CustomTraining()
    x, y, _ = synth.training_set(5, page.frames, page.image_size, seed=77, labels=["grow", "shrink"])
    seed_everything(page.seed)
    model = VideoClassifier(page.config(["grow", "shrink"]))
    cancel = threading.Event()
    stop = StopAtPerfect(cancel)
    start = time.perf_counter()
    config = TrainConfig(epochs=100, lr=page.lr, seed=page.seed)
    history = fit(model, ClipSet(x, y), config, batch_size=page.batch_size, callback=stop, cancel=cancel)
    return {
        "seconds_to_100pct_train_accuracy": round(time.perf_counter() - start, 2),
        "epochs": stop.epochs,
        "reached_100pct": history.epochs[-1]["train_accuracy"] >= 1.0,
        "target_seconds": 60,
    }


def main() -> None:
    torch.set_num_threads(2)
    model = checkpoints.load("video-motion")
    with tempfile.TemporaryDirectory(prefix="rnnplay-bench-") as tmp:
        clip = h264_clip(Path(tmp) / "bench.mp4")
        classify_file(model, clip)  # warm up
        g, f = interleaved(lambda: grab_all(clip), lambda: classify_file(model, clip))
        frames = grab_all(clip)
    result = {
        "benchmark": "video",
        "note": "2-core CPU; the ratio is measured side by side on the same file, best of each, runs interleaved",
        "classify_10s_640x480_30fps_h264": {
            "frames": frames,
            "grab_pass_seconds": round(g, 3),
            "classify_seconds": round(f, 3),
            "ratio_classify_over_grab": round(f / g, 3),
            "target_ratio": 1.3,
            "target_seconds": 1.5,
            "repeats": REPEATS,
        },
        "train_user_2_classes_10_clips": train_two_classes(),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
