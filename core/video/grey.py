"""The grey frames the flow and the motion crop read: luma, unless what changes in the clip differs from its
background in colour more than in brightness.

OpenCV's flow reads one channel. A green shape on a magenta background of the same brightness vanishes in luma,
and on the held-out-range dev set (seed 17) such clips were where video-motion failed: 61 % right when the luma of
object and background differed by under 15 levels (51 clips of 400), 99 % on the rest. ``clip_grey`` then reads the
clip along the colour axis its frame-to-frame change spans most (the first principal axis of the changes), so the
object stands out however it is coloured. Where luma carries at least ``LUMA_SHARE`` of that axis's change (photos,
most scenes), the frames stay luma exactly, as the flow read them before.
"""

from __future__ import annotations

import cv2
import numpy as np

LUMA = np.array([0.299, 0.587, 0.114], np.float32)  # cv2.COLOR_RGB2GRAY's weights
LUMA_SHARE = 0.5  # luma's change below this share of the strongest colour axis's: read that axis instead
STILL = 1e-3  # mean squared change (levels) below which a clip has no colour axis to speak of


def luma(frames: np.ndarray) -> np.ndarray:
    """(T, H, W, 3) uint8 RGB -> (T, H, W) uint8, as cv2.cvtColor's RGB2GRAY."""
    return np.stack([cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY) for frame in frames])


def change_axis(frames: np.ndarray) -> np.ndarray | None:
    """(T, H, W, 3) uint8 RGB -> the unit colour axis (3,) along which the clip changes most between consecutive
    frames, or None where luma shows that change well enough (or nothing changes)."""
    if len(frames) < 2:
        return None
    change = np.diff(frames.astype(np.float32), axis=0).reshape(-1, 3)  # (N, 3)
    moments = change.T @ change / len(change)  # (3, 3) noise adds to every axis alike, so it leaves the axis be
    values, axes = np.linalg.eigh(moments)
    unit_luma = LUMA / np.linalg.norm(LUMA)
    if values[-1] < STILL or unit_luma @ moments @ unit_luma >= LUMA_SHARE * values[-1]:
        return None
    axis = axes[:, -1]
    return axis if axis.sum() >= 0 else -axis


def clip_grey(frames: np.ndarray) -> np.ndarray:
    """(T, H, W, 3) uint8 RGB -> (T, H, W) uint8: luma, or the clip along its ``change_axis``. One axis and one
    offset for the whole clip, so a pixel that keeps its colour keeps its grey (the flow's assumption)."""
    axis = change_axis(frames)
    if axis is None:
        return luma(frames)
    projected = frames.astype(np.float32) @ axis  # (T, H, W) within a span of 255 * |axis|_1
    return ((projected - projected.min()) / np.abs(axis).sum()).round().clip(0, 255).astype(np.uint8)
