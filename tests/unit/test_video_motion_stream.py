"""core.video.motion_stream: flow that follows the object, not the camera, and a brightness change for blinks."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from core.errors import UserError
from core.video import custom
from core.video.model import VideoClassifier, VideoConfig
from core.video.motion_stream import POLAR_CHANNELS, STREAM_CHANNELS, motion_stream, streams_of_flips, with_polar

SIZE = 32


def scene(square_x: int, camera_x: int = 0, visible: bool = True) -> np.ndarray:
    """A textured background seen by a camera shifted by ``camera_x``, with a textured square at ``square_x``."""
    rng = np.random.default_rng(0)
    world = (rng.random((SIZE, SIZE + 16)) * 255).astype(np.uint8)
    world = np.kron(world[::4, ::4], np.ones((4, 4), np.uint8))  # blobs of 4x4 pixels: trackable texture
    frame = np.roll(world, -camera_x, axis=1)[:, 8 : 8 + SIZE].copy()
    if visible:
        frame[12:20, square_x : square_x + 8] = np.kron([[250, 10], [10, 250]], np.ones((4, 4), np.uint8))
    return np.repeat(frame[..., None], 3, axis=2)


def object_dx(stream: np.ndarray, x: int) -> float:
    return float(stream[1, 13:19, x + 1 : x + 7, 0].mean())


@pytest.mark.parametrize("step", [2, -2])
def test_flow_follows_the_object_and_not_a_panning_camera(step):
    still_camera = motion_stream(np.stack([scene(10), scene(10 + step)])[None])[0]
    assert np.sign(object_dx(still_camera, 10 + step)) == np.sign(step)
    assert still_camera[0].max() == 0  # the first frame has no predecessor
    # the camera pans the other way by 3 pixels while the object moves: the background's motion is removed
    panning = motion_stream(np.stack([scene(10), scene(10 + step - 3, camera_x=3)])[None])[0]
    assert np.sign(object_dx(panning, 10 + step - 3)) == np.sign(step)
    background = np.abs(panning[1, :8, :, :2]).mean()
    assert background < 0.25, background  # 3 pixels are 1.5 units before the median is subtracted


def test_a_blink_moves_nothing_but_changes_brightness():
    stream = motion_stream(np.stack([scene(10), scene(10, visible=False)])[None])[0]
    assert stream[1, 12:20, 10:18, 2].mean() > 0.3
    assert stream[1, :8, :, 2].max() == 0  # the background did not change


def test_streams_of_flips_are_the_streams_of_the_flipped_clips():
    from core.video.motion_stream import flipped, streams_of_flips

    clips = np.stack([np.stack([scene(x), scene(x + 2), scene(x + 5)]) for x in (4, 10)])  # (2, 3, S, S, 3)
    flips = [(False, False), (False, True), (True, False), (True, True)]
    streams = streams_of_flips(clips, flips, factor=2)
    assert streams.shape == (2, 4, 3, SIZE // 2, SIZE // 2, 3)
    for k, flip in enumerate(flips):
        np.testing.assert_array_equal(streams[:, k], motion_stream(flipped(clips, *flip), factor=2))
    assert not np.array_equal(streams[:, 0], streams[:, 2])  # a mirror image moves the other way
    in_processes = streams_of_flips(np.concatenate([clips] * 150), flips, factor=2, workers=2)  # two chunks
    np.testing.assert_array_equal(in_processes[-2:], streams)


def test_polar_parts_tell_growing_from_turning():
    """with_polar: flow straight out from the centre is all radial, flow turning clockwise on screen all tangential."""
    offset = np.arange(8, dtype=np.float32) - 3.5
    y, x = np.meshgrid(offset, offset, indexing="ij")
    growing = np.stack([x, y, np.zeros_like(x)], axis=-1) * 0.1  # (8, 8, 3)
    turning = np.stack([-y, x, np.zeros_like(x)], axis=-1) * 0.1  # image y points down: clockwise on screen
    for field, radial, tangential in ((growing, 1, 0), (turning, 0, 1), (-turning, 0, -1)):
        out = with_polar(field[None])[0]
        assert out.shape == (8, 8, STREAM_CHANNELS + POLAR_CHANNELS)
        np.testing.assert_array_equal(out[..., :3], field)
        for channel, sign in ((3, radial), (4, tangential)):
            values = out[..., channel] * sign if sign else np.abs(out[..., channel])
            assert (values > 0.1 * 0.5).all() if sign else (values < 1e-6).all(), (channel, out[..., channel])


def test_a_polar_stream_reaches_the_cnn_and_is_kept_by_fine_tuning():
    clips = np.random.default_rng(0).integers(0, 255, (2, 4, 16, 16, 3), dtype=np.uint8)
    assert motion_stream(clips, polar=True).shape == (2, 4, 16, 16, 5)
    assert streams_of_flips(clips, [(False, False), (True, True)], polar=True).shape == (2, 2, 4, 16, 16, 5)
    small = {"labels": ["a", "b"], "image_size": 16, "channels": [4, 8], "feature_dim": 8, "hidden": 8}
    config = VideoConfig(**small, appearance=False, flow=True, flow_polar=True)
    model = VideoClassifier(config).eval()
    assert model.cnn.convs[0].in_channels == 5
    assert model(torch.from_numpy(clips)).logits.shape == (2, 2)
    with pytest.raises(UserError, match="needs flow"):
        VideoConfig(**small, flow_polar=True).validate()
    tuned = custom.CustomTraining().like(model)
    assert tuned.flow_polar and tuned.config(["x", "y"]).flow_polar
    with pytest.raises(UserError, match="radial and turning flow off \\(the start model: on\\)"):
        custom.check_start(model, replace(tuned, flow_polar=False))
