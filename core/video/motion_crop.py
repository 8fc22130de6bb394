"""The motion crop: the part of the frame where something changed over the clip, cut out before the frames are
shrunk to the model's input, so that a small object fills more of its 32x32 frames.

The shipped video-motion's errors on its development sets sat on small objects (87 % when the object's extent
was under a fifth of the frame height, 93-100 % above): at 32x32 a small shape turning is a few pixels, below
what the flow resolves. One box per clip, the union over all sampled frames, so the crop carries no order
(a baseline could read it too) and a moving object moves inside it as it did in the frame. Where everything
changes (a shaking camera over a textured scene) the box spreads to the whole frame: the model then reads the
frame as it did without the crop.
"""

from __future__ import annotations

import cv2
import numpy as np

from core.video.grey import clip_grey

WORK_SIDE = 48  # the change map is computed with the frame's longer side shrunk to this (about 0.1 ms a pair)
FLOOR = 0.15  # change below this share of the map's 99th percentile is noise, not the object
MASS = 0.03  # the box leaves out this share of the change on each side (stray specks)
MARGIN = 0.25  # the box grows by this share of its side on each side (the object's edges change little)
MIN_SIDE = 0.3  # and spans at least this share of each of the frame's sides (a crop of noise stays coarse)

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 as shares of the frame's width and height
WHOLE: Box = (0.0, 0.0, 1.0, 1.0)


def motion_box(frames: np.ndarray) -> Box:
    """(T, H, W, 3) uint8 -> the box holding most of the clip's change between consecutive frames."""
    if len(frames) < 2:
        return WHOLE
    height, width = frames.shape[1:3]
    scale = WORK_SIDE / max(height, width)
    side_x, side_y = max(8, round(width * scale)), max(8, round(height * scale))
    small = np.stack([cv2.resize(frame, (side_x, side_y), interpolation=cv2.INTER_AREA) for frame in frames])
    grey = clip_grey(small).astype(np.float32)  # (T, h, w), as the flow will read the crop
    grey /= np.maximum(grey.mean(axis=(1, 2), keepdims=True), 1.0)  # lighting drift scales the whole frame
    change = np.abs(np.diff(grey, axis=0))  # (T-1, h, w)
    change = np.maximum(change - np.median(change.reshape(len(change), -1), axis=1)[:, None, None], 0)
    energy = cv2.GaussianBlur(change.sum(axis=0), (0, 0), 1.0)
    energy = np.maximum(energy - np.median(energy), 0)  # the object covers less than half of the frame
    energy = np.where(energy > FLOOR * np.percentile(energy, 99), energy, 0.0)
    total = energy.sum()
    if total <= 1e-6:  # nothing changed: the whole frame
        return WHOLE
    spans = []
    for axis, side in ((0, side_x), (1, side_y)):
        mass = np.cumsum(energy.sum(axis=axis)) / total
        low, high = np.searchsorted(mass, MASS) / side, (np.searchsorted(mass, 1 - MASS) + 1) / side
        pad = MARGIN * (high - low) + 1 / side
        length = min(max(high - low + 2 * pad, MIN_SIDE), 1.0)
        start = min(max((low + high) / 2 - length / 2, 0.0), 1.0 - length)  # slid inside the frame, not cut
        spans.append((start, start + length))
    (x0, x1), (y0, y1) = spans
    return (x0, y0, x1, y1)


def _pixels(box: Box, height: int, width: int) -> tuple[int, int, int, int]:
    """``box`` in pixels of a height x width frame: x0, y0, x1, y1 (ends excluded, at least one pixel each way)."""
    x0, y0 = round(box[0] * width), round(box[1] * height)
    return x0, y0, max(round(box[2] * width), x0 + 1), max(round(box[3] * height), y0 + 1)


def crop(frames: np.ndarray, box: Box) -> np.ndarray:
    """(T, H, W, C) frames cut to ``box``."""
    x0, y0, x1, y1 = _pixels(box, *frames.shape[1:3])
    return frames[:, y0:y1, x0:x1]


def crop_states(states: np.ndarray, box: Box) -> np.ndarray:
    """(T, 6) object states (x, y, extent as shares of the frame, sin, cos, visible; ``synth.state_targets``) as
    shares of the crop instead."""
    x0, y0, x1, y1 = box
    out = states.copy()
    out[:, 0] = (states[:, 0] - x0) / (x1 - x0)
    out[:, 1] = (states[:, 1] - y0) / (y1 - y0)
    out[:, 2] = states[:, 2] / (y1 - y0)
    return out


def outlined(frame: np.ndarray, box: Box) -> np.ndarray:
    """A copy of an (H, W, 3) RGB frame with ``box`` drawn on it: a yellow line inside a black one, seen on any
    background (what the page shows of the crop)."""
    x0, y0, x1, y1 = _pixels(box, *frame.shape[:2])
    out = frame.copy()
    for color, thickness in (((0, 0, 0), 3), ((255, 230, 0), 1)):
        cv2.rectangle(out, (x0, y0), (x1 - 1, y1 - 1), color, thickness)  # OpenCV's corners are inclusive
    return out
