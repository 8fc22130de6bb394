"""Catalogue of bad inputs on the video page: each gets its message (or is processed), never a traceback."""

import dataclasses
import io

import cv2
import numpy as np
import pytest

from core.video import io as vio
from core.video import shift, synth
from tests.helpers.apptest import titles

PAGE = "pages/2_Video.py"


def mjpg(tmp_path, frames: int, width=96, height=64) -> bytes:
    path = tmp_path / "c.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (width, height))
    for i in range(frames):
        writer.write(np.full((height, width, 3), 4 * i, np.uint8))
    writer.release()
    return path.read_bytes()


def gif() -> bytes:
    from PIL import Image

    images = [Image.new("RGB", (48, 32), (30 * i, 0, 0)) for i in range(6)]
    buffer = io.BytesIO()
    images[0].save(buffer, "GIF", save_all=True, append_images=images[1:], duration=100, loop=0)
    return buffer.getvalue()


def png() -> bytes:
    return cv2.imencode(".png", np.zeros((30, 40, 3), np.uint8))[1].tobytes()


CASES = {
    # name: (file name, bytes maker, kind of message, expected substring)
    "zero-byte": ("empty.mp4", lambda t: b"", "error", "the file is empty (0 bytes)"),
    "text renamed .mp4": ("notes.mp4", lambda t: b"just some text\n" * 50, "error", "not a video that can be decoded"),
    "truncated": ("cut.avi", lambda t: mjpg(t, 60)[:9000], "warning", "could be decoded (truncated?)"),
    "PNG renamed .mp4": ("image.mp4", lambda t: png(), "error", "a single image shows no motion"),
    "1-frame clip": ("one.avi", lambda t: mjpg(t, 1), "error", "only 1 frame could be decoded"),
    "fewer frames than requested": ("short.avi", lambda t: mjpg(t, 5), "warning", "only 5 distinct frames"),
    "huge resolution": ("big.avi", lambda t: mjpg(t, 3, 640, 480), "error", "megapixels (4096x4096) are accepted"),
    "very long clip": ("long.avi", lambda t: mjpg(t, 60), "warning", "the clip is long: only its first 40 frames"),
    "animated GIF": ("anim.gif", lambda t: gif(), "metric", ""),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_upload(open_page, tmp_path, monkeypatch, case):
    name, make, kind, expected = CASES[case]
    if case == "huge resolution":
        monkeypatch.setattr(vio, "MAX_PIXELS", 320 * 240)  # the real limit is 4096x4096; same code path
    if case == "very long clip":
        monkeypatch.setattr(vio, "MAX_FRAMES", 40)
    at = open_page(PAGE)
    at.radio(key="video_source").set_value("Upload").run()
    at.file_uploader(key="video_upload").upload(name, make(tmp_path), "application/octet-stream").run()
    assert not at.exception, at.exception
    if kind == "metric":  # read and classified (a brightening flat GIF may well show no clear motion)
        assert at.metric[0].label == "Prediction"
        assert at.metric[0].value in [*synth.LABELS, "no clear motion"]
    else:
        messages = [m.value for m in getattr(at, kind)]
        assert any(expected in m for m in messages), messages
    assert "Confusion matrix" in titles(at)  # the held-out section stays whatever the upload


@pytest.mark.parametrize(
    ("names", "ranges", "expected"),
    [
        ("only-one", None, "name 2-8 distinct classes"),
        ("a, b", "a: 0-1\nb 2 to 3", "line 2: write 'class: start-end'"),
        ("a, b", "a: 0-1\nc: 1-2", "line 2: unknown class 'c'"),
        ("left, right", "left: 9-12\nright: 1-3", "the range 9-12 s starts after the clip ends (4.00 s)"),
    ],
)
def test_bad_training_setup(open_page, tmp_path, names, ranges, expected):
    at = open_page(PAGE)
    at.text_input(key="vt_names").set_value(names).run()
    if ranges is not None:
        at.radio(key="vt_mode").set_value("Time ranges of one long clip").run()
        at.file_uploader(key="vt_long").upload("long.avi", mjpg(tmp_path, 40), "video/x-msvideo").run()
        at.text_area(key="vt_ranges").set_value(ranges).run()
        at.button(key="vt_train").click().run()
    assert not at.exception, at.exception
    assert any(expected in e.value for e in at.error), [e.value for e in at.error]


def shift_clip(tmp_path, label: str, seed: int = 0) -> bytes:
    """A small MJPG clip from the shift renderer (photo-textured object on a photo background)."""
    spec = dataclasses.replace(shift.random_spec(label, seed), width=160, height=120, frames=24, codec="MJPG")
    if label == "exit":
        spec = dataclasses.replace(spec, start=(80.0, 60.0), end=(160 + spec.size, 60.0))
    return shift.write(spec, tmp_path / label).read_bytes()


def test_no_motion_is_not_named_a_class(open_page, tmp_path):
    """Nothing moves (shake, lighting and noise only): video-motion's best guess is under the dev-set threshold."""
    at = open_page(PAGE)
    at.radio(key="video_source").set_value("Upload").run()
    at.file_uploader(key="video_upload").upload("still.avi", shift_clip(tmp_path, "still"), "video/x-msvideo").run()
    assert not at.exception, at.exception
    assert at.metric[0].value == "no clear motion"
    assert any("The model sees no clear motion in this clip: its best guess" in i.value for i in at.info)


def test_object_leaving_the_frame_is_classified_without_error(open_page, tmp_path):
    at = open_page(PAGE)
    at.radio(key="video_source").set_value("Upload").run()
    at.file_uploader(key="video_upload").upload("exit.avi", shift_clip(tmp_path, "exit"), "video/x-msvideo").run()
    assert not at.exception, at.exception
    assert at.metric[0].value in synth.LABELS + ["no clear motion"]
    assert not at.error


HOSTILE_LINKS = {
    # widget key: (a value it must not take, how the notice names the setting)
    "video_model": ("nonsense", "Model"),
    "video_frames": ("1e400", "Frames sampled from the clip"),
    "video_source": ("<script>alert(1)</script>", "Clip"),
    "video_sample": ("../../etc/passwd", "Sample"),
    "vt_epochs": ("inf", "Epochs"),
    "vt_heldout": ("nan", "Held out"),
    "vt_hidden": ("65", "RNN size"),
    "vt_names": ("x" * 500, "the class names"),
    "vt_start": ("pretrained", "Start from"),
}


def test_hostile_links_are_ignored_with_a_notice(open_page):
    at = open_page(PAGE, query={key: value for key, (value, _) in HOSTILE_LINKS.items()})
    assert not at.exception, at.exception
    notices = " ".join(w.value for w in at.warning)
    for key, (_, label) in HOSTILE_LINKS.items():
        assert f"Ignored the link's value for {label} (`" in notices, key
    assert at.selectbox(key="video_model").value == "video-motion" and at.slider(key="video_frames").value == 16
    assert at.number_input(key="vt_epochs").value == 15 and at.radio(key="vt_start").value == "transfer"
    assert at.metric[0].label == "Prediction"  # the page still classifies the default sample
