"""core.video.motion_crop: the box around what changes in a clip, and object states in its coordinates."""

from dataclasses import replace

import numpy as np

from core.video import motion_crop, synth
from core.video.io import model_input, sample_indices

SMALL_PLAIN = replace(synth.HELDOUT, size=(0.1, 0.1), backgrounds=("solid",), noise=(0.0, 0.0))


def _object_bounds(spec: synth.ClipSpec, indices: list[int]) -> tuple[float, float, float, float]:
    """The shares of the frame the object's (unrotated) extent covers over the sampled frames."""
    states = [synth.frame_state(spec, i) for i in indices]
    x0 = min(x - size / 2 for x, _, size, _, _ in states) / spec.width
    x1 = max(x + size / 2 for x, _, size, _, _ in states) / spec.width
    y0 = min(y - size / 2 for _, y, size, _, _ in states) / spec.height
    y1 = max(y + size / 2 for _, y, size, _, _ in states) / spec.height
    return x0, y0, x1, y1


def test_the_box_holds_a_small_object_and_little_else():
    for label in ("move_right", "rotate_cw", "grow", "blink_fast"):
        spec = synth.random_spec(label, 11, SMALL_PLAIN)
        indices = sample_indices(spec.frames, 16)
        box = motion_crop.motion_box(synth.render(spec, indices))
        x0, y0, x1, y1 = _object_bounds(spec, indices)
        assert box[0] <= x0 and box[1] <= y0 and box[2] >= x1 and box[3] >= y1, (label, box)
        assert (box[2] - box[0]) * (box[3] - box[1]) < 0.5, (label, box)  # the whole frame would be 1


def test_a_clip_without_change_is_read_whole():
    frames = np.full((8, 60, 80, 3), 90, np.uint8)
    assert motion_crop.motion_box(frames) == motion_crop.WHOLE
    assert motion_crop.motion_box(frames[:1]) == motion_crop.WHOLE  # one frame: no change to find


def test_the_box_stays_inside_the_frame_and_keeps_a_minimum_side():
    frames = np.zeros((6, 40, 40, 3), np.uint8)
    for t in range(6):
        frames[t, 0:3, 36 + t % 2 : 38 + t % 2] = 255  # a speck flickering in the top-right corner
    x0, y0, x1, y1 = motion_crop.motion_box(frames)
    assert 0.0 <= x0 < x1 <= 1.0 and 0.0 <= y0 < y1 <= 1.0
    assert x1 - x0 >= motion_crop.MIN_SIDE - 1e-9 and y1 - y0 >= motion_crop.MIN_SIDE - 1e-9
    assert x1 == 1.0 and y0 == 0.0  # slid into the frame at the corner, not cut short


def test_states_follow_the_crop():
    states = np.array([[0.5, 0.25, 0.1, 0.0, 1.0, 1.0]], np.float32)
    cropped = motion_crop.crop_states(states, (0.25, 0.0, 0.75, 0.5))
    np.testing.assert_allclose(cropped[0], [0.5, 0.5, 0.2, 0.0, 1.0, 1.0])


def test_a_cropping_model_sees_a_small_object_larger():
    """Training clips and uploads are cut the same way (synth.training_clip and io.model_input)."""
    spec = synth.random_spec("rotate_cw", 11, SMALL_PLAIN)
    frames = synth.render(spec, sample_indices(spec.frames, 16))
    whole, cut = model_input(frames, 32), model_input(frames, 32, crop=True)
    background = frames[0, 0, 0].astype(int)

    def covered(clip: np.ndarray) -> float:
        return float((np.abs(clip.astype(int) - background).sum(-1) > 30).mean())

    assert covered(cut) > 2 * covered(whole)
    plain = replace(SMALL_PLAIN, shapes=("arrow",))
    _, states = synth.training_clip("rotate_cw", 11, 16, 32, plain)
    _, cut_states = synth.training_clip("rotate_cw", 11, 16, 32, plain, crop=True)
    assert (cut_states[:, 2] > 1.5 * states[:, 2]).all()  # the extent, as a share of what the model sees


def test_the_box_is_drawn_on_a_copy_of_the_frame():
    frame = np.full((40, 80, 3), 128, np.uint8)
    drawn = motion_crop.outlined(frame, (0.25, 0.5, 0.75, 1.0))
    assert (frame == 128).all()  # the original is untouched
    yellow, black = [255, 230, 0], [0, 0, 0]
    np.testing.assert_array_equal(drawn[20, 20:60], [yellow] * 40)  # top edge, x 20..59
    np.testing.assert_array_equal(drawn[39, 20:60], [yellow] * 40)  # bottom edge, the frame's last row
    np.testing.assert_array_equal(drawn[[19, 21], 30], [black, black])  # a black line either side of it
    assert (drawn[23:37, 23:57] == 128).all() and (drawn[:16] == 128).all()  # inside and above stay as they were
