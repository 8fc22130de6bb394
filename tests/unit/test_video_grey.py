"""core.video.grey: the flow and the crop see an object whose colour differs from its background's, not its
brightness; a clip luma shows well stays luma exactly."""

import numpy as np

from core.video import motion_crop
from core.video.grey import change_axis, clip_grey, luma
from core.video.motion_stream import PIXELS_PER_UNIT, motion_stream

MAGENTA, GREEN = (255, 0, 255), (0, 179, 0)  # luma 105.3 and 105.1: one shade of grey


def _moving_square(object_rgb, background_rgb, frames=8, side=32, square=8, step=1) -> np.ndarray:
    """(frames, side, side, 3) uint8: a square moving ``step`` pixels right per frame, in the middle rows."""
    clip = np.empty((frames, side, side, 3), np.uint8)
    clip[:] = background_rgb
    top = (side - square) // 2
    for t in range(frames):
        left = 4 + t * step
        clip[t, top : top + square, left : left + square] = object_rgb
    return clip


def test_an_object_of_the_backgrounds_shade_stands_out_in_its_grey():
    clip = _moving_square(MAGENTA, GREEN)
    assert np.ptp(luma(clip).astype(int)) <= 1  # luma hides it
    grey = clip_grey(clip).astype(int)
    assert abs(grey[0, 16, 8] - grey[0, 0, 0]) > 100  # inside the square vs the background


def test_a_clip_luma_shows_stays_luma():
    clip = _moving_square((230, 220, 210), (20, 30, 40))
    assert change_axis(clip) is None
    assert np.array_equal(clip_grey(clip), luma(clip))
    still, single = np.full((4, 8, 8, 3), 77, np.uint8), clip[:1]
    assert np.array_equal(clip_grey(still), luma(still)) and np.array_equal(clip_grey(single), luma(single))


def test_the_flow_follows_an_object_of_the_backgrounds_shade():
    clip = _moving_square(MAGENTA, GREEN, frames=6, step=2)
    stream = motion_stream(clip[None])[0]  # (T, S, S, 3)
    inside = stream[1:, 13:19, 8:20, 0]  # where the square passes, after the first frame
    assert inside.mean() * PIXELS_PER_UNIT > 0.5  # rightwards; luma's flow would see nothing move


def test_the_crop_finds_an_object_of_the_backgrounds_shade():
    clip = np.repeat(np.repeat(_moving_square(MAGENTA, GREEN, side=40, square=4), 4, axis=1), 4, axis=2)
    box = motion_crop.motion_box(clip)
    assert box != motion_crop.WHOLE and (box[3] - box[1]) < 0.5  # a band round the middle rows
