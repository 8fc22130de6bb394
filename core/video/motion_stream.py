"""The motion stream: where each pixel went between consecutive sampled frames (dense optical flow, the
camera's own motion removed) and how much its brightness changed.

A CNN that reads pixels learns what the training generator's objects look like. On clips drawn elsewhere
(photo-textured objects on photo backgrounds, a shaking camera, drifting light) the shipped model that read
RGB and its change called almost everything a rotation (48 % on the shift set). Flow says where things
moved whatever they look like, as in two-stream ConvNets (Simonyan & Zisserman, 2014). A blink moves
nothing, so the stream also carries the brightness change. Two flows (``flow_method``): OpenCV's DIS
(Kroeger et al., 2016) on its ultrafast preset matches 8x8 patches, about 0.14 ms for a 32x32 pair on one
core, and a small object fits in one patch; Farneback's (2003) fits a polynomial to every pixel's
neighbourhood, about 2 ms more per classified clip. The shipped model reads DIS: what a rebuild with
Farneback's flow measured is in ``core.video.recipes`` (MOTION) and bench/probe_flow_method.py.
A shaking or panning camera moves the whole frame; the median flow of a pair is the background's motion
(the object covers less than half of the frame), and subtracting it leaves the object's own motion.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

import cv2
import numpy as np

from core.video.grey import clip_grey

STREAM_CHANNELS = 3  # flow dx, flow dy, brightness change
POLAR_CHANNELS = 2  # with ``polar``: the flow's part away from the frame's centre, and its part turning about it
PIXELS_PER_UNIT = 2.0  # flow is divided by this: a move across a 32-pixel frame in 16 frames is about 1 unit
STREAM_CHUNK = 256  # clips per job of streams_of_flips
FLOW_METHODS = ("dis", "farneback")
# pyramid scale, levels, window, iterations, poly_n, poly_sigma, flags: two levels suffice at 32x32
FARNEBACK = (0.5, 2, 9, 3, 5, 1.1, 0)


class _Farneback:
    """Farneback's dense flow behind DIS's ``calc`` call."""

    def calc(self, previous: np.ndarray, current: np.ndarray, flow: None) -> np.ndarray:
        return cv2.calcOpticalFlowFarneback(previous, current, flow, *FARNEBACK)


def flow_of(method: str):
    """A new flow estimator for ``method`` (per call: OpenCV's DIS object is not safe across threads)."""
    if method == "dis":
        return cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST)
    if method == "farneback":
        return _Farneback()
    raise ValueError(f"unknown flow method {method!r}; choose from {', '.join(FLOW_METHODS)}")


def motion_stream(clips: np.ndarray, factor: int = 1, method: str = "dis", polar: bool = False) -> np.ndarray:
    """(B, T, S, S, 3) uint8 -> (B, T, S / factor, S / factor, 3) float32: flow (dx, dy) from frame t-1 to t minus
    its median, in PIXELS_PER_UNIT of the output frame, and |grey(t) - grey(t-1)| in [0, 1], on each clip's
    ``clip_grey``. The first frame has no predecessor: zeros. With ``factor`` > 1 the flow is computed on the frames
    as given (a small turning shape moves a pixel or two between sampled 32x32 frames, below what DIS resolves) and
    each output pixel is the mean of a factor x factor block (cv2.INTER_AREA's shrink). ``method``: one of
    FLOW_METHODS. ``polar`` adds POLAR_CHANNELS (``with_polar``)."""
    estimator = flow_of(method)
    stream = np.zeros((*clips.shape[:4], STREAM_CHANNELS), np.float32)
    for b, clip in enumerate(clips):
        grey = clip_grey(clip)  # (T, S, S): luma, or the colour axis an object of luma's shade moves along
        for t in range(1, len(grey)):
            stream[b, t, ..., :2] = estimator.calc(grey[t - 1], grey[t], None)  # (S, S, 2) pixels
            stream[b, t, ..., 2] = cv2.absdiff(grey[t], grey[t - 1]) / 255.0
        # one median call for all the clip's pairs: 0.3 ms less a classified clip than one call a pair
        flow = stream[b, 1:, ..., :2]  # (T-1, S, S, 2) pixels, a view
        flow -= np.median(flow.reshape(len(flow), -1, 2), axis=1)[:, None, None]
        flow /= PIXELS_PER_UNIT
    if factor > 1:
        n, t, side, _, c = stream.shape
        blocks = stream.reshape(n, t, side // factor, factor, side // factor, factor, c)
        stream = blocks.mean(axis=(3, 5)) / np.array([factor, factor, 1], np.float32)  # flow in the output's pixels
    return with_polar(stream) if polar else stream


def with_polar(stream: np.ndarray) -> np.ndarray:
    """(..., S, S, 3) stream -> (..., S, S, 5): also the flow's radial part (out from the frame's centre: growing)
    and its tangential part (clockwise on screen: turning). Within the motion crop the object sits near the
    centre, where a shape growing and one turning differ only in these parts' signs, and 3x3 convolutions do
    not know where the centre is."""
    side = stream.shape[-2]
    offset = np.arange(side, dtype=np.float32) - (side - 1) / 2
    y, x = np.meshgrid(offset, offset, indexing="ij")  # (S, S) pixels from the centre; image y points down
    norm = np.maximum(np.hypot(x, y), 0.5)
    ux, uy = x / norm, y / norm
    dx, dy = stream[..., 0], stream[..., 1]
    polar = np.stack([dx * ux + dy * uy, dy * ux - dx * uy], axis=-1)  # radial, tangential
    return np.concatenate([stream, polar.astype(np.float32)], axis=-1)


def flipped(clips: np.ndarray, mirrored: bool, backwards: bool) -> np.ndarray:
    """(N, T, S, S, 3) clips mirrored left-right and/or played backwards, as training augments them."""
    if mirrored:
        clips = clips[:, :, :, ::-1]
    if backwards:
        clips = clips[:, ::-1]
    return np.ascontiguousarray(clips)


def streams_of_flips(
    clips: np.ndarray, flips, factor: int = 1, workers: int = 1, method: str = "dis", polar: bool = False
) -> np.ndarray:
    """(N, T, S, S, 3) uint8 -> (N, len(flips), T, S / factor, S / factor, 3) float32: each clip's stream for each
    (mirrored, backwards) of ``flips``, computed once. Training reads every clip, flipped at random, every epoch:
    recomputing its flow there (twice a step with the object-state head) was about half of an epoch at 64x64 on
    2 cores, and on a GPU the flow is all CPU work. ``workers`` > 1 computes chunks in that many processes."""
    side = clips.shape[2] // factor
    channels = STREAM_CHANNELS + POLAR_CHANNELS * polar
    out = np.empty((len(clips), len(flips), clips.shape[1], side, side, channels), np.float32)
    chunks = [slice(i, i + STREAM_CHUNK) for i in range(0, len(clips), STREAM_CHUNK)]
    jobs = [(clips[chunk], flips, factor, method, polar) for chunk in chunks]
    if workers > 1 and len(chunks) > 1:
        with ProcessPoolExecutor(workers) as pool:
            for chunk, streams in zip(chunks, pool.map(_chunk_streams, *zip(*jobs))):
                out[chunk] = streams
    else:
        for chunk, job in zip(chunks, jobs):
            out[chunk] = _chunk_streams(*job)
    return out


def _chunk_streams(clips: np.ndarray, flips, factor: int, method: str, polar: bool) -> np.ndarray:
    return np.stack([motion_stream(flipped(clips, *flip), factor, method, polar) for flip in flips], axis=1)
