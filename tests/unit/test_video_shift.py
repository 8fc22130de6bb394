"""core.video.shift: the shift test set is drawn independently of the training generator and reads like an upload."""

import ast
import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from core.video import shift
from core.video.io import read_clip
from tests.helpers.cli import run_cli

pytest.importorskip("skimage")  # its wheel holds the photos (the shift set needs them)


def test_shares_no_code_with_the_training_generator():
    tree = ast.parse(Path(shift.__file__).read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {
        f"{node.module}.{alias.name}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert not [name for name in imported if "synth" in name or "recipes" in name]


def test_shift_and_transfer_photos_are_disjoint():
    shift_photos = set(shift.PHOTOS["shift"]["objects"] + shift.PHOTOS["shift"]["backgrounds"])
    transfer_photos = set(shift.PHOTOS["transfer"]["objects"] + shift.PHOTOS["transfer"]["backgrounds"])
    assert not shift_photos & transfer_photos
    for name in shift_photos | transfer_photos:
        assert shift.photo(name).ndim == 3


def test_poses_follow_the_class():
    def poses(label):
        spec = shift.random_spec(label, shift.clip_seed(7, 0, label))
        return spec, [shift.pose(spec, i) for i in range(spec.frames)]

    _, left = poses("move_left")
    assert left[-1][0] < left[0][0]
    _, right = poses("move_right")
    assert right[-1][0] > right[0][0]
    _, grow = poses("grow")
    assert grow[-1][2] > 2 * grow[0][2]
    _, cw = poses("rotate_cw")
    assert cw[-1][3] - cw[0][3] >= 150
    for label, cycles in (("blink_fast", (5, 8)), ("blink_slow", (1, 2))):
        spec, states = poses(label)
        assert cycles[0] <= spec.cycles <= cycles[1]
        assert 0.3 < np.mean([visible for *_, visible in states]) < 0.7
    spec, exits = poses("exit")
    assert exits[-1][0] - exits[-1][2] / 2 > spec.width  # wholly outside by the last frame
    spec, still = poses("still")
    assert len({state[:4] for state in still}) == 1


def test_sprite_turns_clockwise_on_screen():
    tip = np.array([shift.SPRITE, shift.SPRITE / 2, 1.0])  # the sprite's rightmost point
    for angle, expected in ((0, (150, 100)), (90, (100, 150)), (-90, (100, 50))):  # image y points down
        x, y = shift.sprite_warp(100, 100, 100, angle) @ tip
        assert (round(x), round(y)) == expected


def test_make_shift_set_writes_real_files_that_decode_like_uploads(tmp_path):
    result = run_cli("video", "make-shift-set", "--out", str(tmp_path), "--per-class", "1", "--seed", "3", "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads((tmp_path / "labels.json").read_text())
    assert [row["label"] for row in rows] == shift.LABELS
    for row in rows:
        assert read_clip(tmp_path / row["file"], 16).frames_read == row["frames"]
    again = [dataclasses.asdict(shift.random_spec(label, shift.clip_seed(3, 0, label))) for label in shift.LABELS]
    assert [{k: v for k, v in row.items() if k != "file"} for row in json.loads(json.dumps(rows))] == json.loads(
        json.dumps(again)
    )
