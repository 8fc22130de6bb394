"""python -m core video classify | make-dataset, python -m core train video."""

import json

import cv2
import numpy as np
import pytest

from core import checkpoints
from core.cli import build_parser
from core.video import synth
from core.video.model import VideoClassifier, VideoConfig
from core.video.recipes import MOTION
from tests.helpers.cli import run_cli


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("model")
    model = VideoClassifier(
        VideoConfig(labels=list(synth.LABELS), image_size=16, frames=6, channels=[4, 8], feature_dim=8, hidden=8)
    )
    checkpoints.save(model, folder, {"task": "test"})
    return folder


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("clips")
    result = run_cli(
        "video",
        "make-dataset",
        str(out),
        "--per-class",
        "1",
        "--classes",
        "grow,blink_fast",
        "--codec",
        "MJPG",
        "--width",
        "128",
        "--seconds",
        "1",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["label"] for r in rows] == ["grow", "blink_fast"]
    assert json.loads((out / "labels.json").read_text()) == rows
    return out


def test_classify_json_with_an_unreadable_file(tiny_model, dataset, tmp_path):
    bad = tmp_path / "notes.mp4"
    bad.write_text("not a video")
    clip = dataset / "grow_000.avi"
    result = run_cli("video", "classify", "--model", str(tiny_model), "--frames", "8", "--json", str(clip), str(bad))
    assert result.returncode == 2  # at the end, after every file was tried
    good, error = (json.loads(line) for line in result.stdout.splitlines())
    assert {"file", "label", "confidence", "probs", "frames_read", "timeline"} <= set(good)
    assert good["frames_read"] == 24 and len(good["timeline"]) == 8 and len(good["probs"]) == 8
    assert error["file"] == str(bad) and "not a video" in error["error"]


def test_classify_csv_holds_every_sampled_frame_of_every_clip(tiny_model, dataset, tmp_path):
    import csv

    out = tmp_path / "probs.csv"
    clips = [str(dataset / "grow_000.avi"), str(dataset / "blink_fast_000.avi")]
    result = run_cli("video", "classify", "--model", str(tiny_model), "--json", "--csv", str(out), *clips)
    assert result.returncode == 0, result.stderr
    table = list(csv.DictReader(out.read_text().splitlines()))
    assert list(table[0]) == ["clip", "sampled_frame", "frame_index", "time_s", *(f"p_{c}" for c in synth.LABELS)]
    assert [row["clip"] for row in table] == [clips[0]] * 6 + [clips[1]] * 6  # the model's 6 frames each
    first = [row for row in table if row["clip"] == clips[0]]
    assert [int(row["sampled_frame"]) for row in first] == list(range(1, 7))
    frames = [int(row["frame_index"]) for row in first]
    assert frames == sorted(frames) and 0 <= frames[0] and frames[-1] < 24  # 24 frames in a 1 s clip
    fps = json.loads((dataset / "labels.json").read_text())[0]["fps"]  # as written (rounded to 0.01)
    assert [float(row["time_s"]) for row in first] == pytest.approx([f / fps for f in frames], abs=2e-3)
    printed = json.loads(result.stdout.splitlines()[0])
    for row, probs in zip(first, printed["timeline"]):
        assert [float(row[f"p_{c}"]) for c in synth.LABELS] == pytest.approx(probs, abs=1e-6)


def test_classify_csv_to_a_missing_folder_is_one_line_exit_2(tiny_model, dataset, tmp_path):
    clip = str(dataset / "grow_000.avi")
    result = run_cli("video", "classify", "--model", str(tiny_model), "--csv", str(tmp_path / "no" / "x.csv"), clip)
    assert result.returncode == 2 and "--csv: cannot write" in result.stderr


def test_classify_text_mode(tiny_model, dataset):
    result = run_cli("video", "classify", "--model", str(tiny_model), str(dataset / "blink_fast_000.avi"))
    assert result.returncode == 0 and "frames read" in result.stdout


def test_a_picture_renamed_mp4_is_refused(tiny_model, tmp_path):
    picture = tmp_path / "photo.mp4"
    picture.write_bytes(cv2.imencode(".png", np.zeros((30, 40, 3), np.uint8))[1].tobytes())
    result = run_cli("video", "classify", "--model", str(tiny_model), str(picture))
    assert result.returncode == 2 and "only 1 frame could be decoded" in result.stderr


def test_train_defaults_are_the_shipped_recipe():
    args = build_parser().parse_args(["train", "video"])
    assert (args.hidden, args.frames, args.image_size, args.lr) == (
        MOTION.hidden,
        MOTION.frames,
        MOTION.image_size,
        MOTION.lr,
    )


def test_train_dry_run_text_progress():
    result = run_cli("train", "video", "--dry-run", "--image-size", "16", "--frames", "6", "--threads", "1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("video epoch 1/1: loss ") and "done: seconds" in result.stdout


def test_train_dry_run(tmp_path):
    result = run_cli("train", "video", "--dry-run", "--json", "--image-size", "16", "--frames", "6", "--threads", "1")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.splitlines()[-1])
    assert summary["saved"] is None and "val_accuracy" in summary
    args = ("train", "video", "--flow", "--per-class", "2", "--epochs", "1", "--image-size", "16", "--frames", "6")
    result = run_cli(*args, "--flow-size", "32", "--out", str(tmp_path / "stream"))
    assert result.returncode == 0, result.stderr
    config = json.loads((tmp_path / "stream" / "config.json").read_text())["config"]
    assert (config["appearance"], config["motion"], config["flow"], config["flow_size"]) == (False, False, True, 32)


@pytest.mark.parametrize(
    "args",
    [
        ["video", "classify", "--model", "no-such-model", "x.mp4"],
        ["video", "classify", "--frames", "0", "x.mp4"],
        ["video", "make-dataset", "/tmp/x", "--classes", "jump"],
        ["train", "video", "--temporal", "attention"],
        ["train", "video", "--flow", "--flow-size", "48"],
    ],
)
def test_bad_command_lines_are_one_line_exit_2(args):
    result = run_cli(*args)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
