"""The motion stream: where each pixel went between consecutive sampled frames (dense optical flow, the
camera's own motion removed) and how much its brightness changed.

A CNN that reads pixels learns what the training generator's objects look like. On clips drawn elsewhere
(photo-textured objects on photo backgrounds, a shaking camera, drifting light) the shipped model that read
RGB and its change called almost everything a rotation (48 % on the shift set). Flow says where things
moved whatever they look like, as in two-stream ConvNets (Simonyan & Zisserman, 2014). A blink moves
nothing, so the stream also carries the brightness change. OpenCV's DIS flow (Kroeger et al., 2016) on
its ultrafast preset takes about 0.14 ms for a 32x32 pair on one core: 16 frames add about 2 ms to a clip.
A shaking or panning camera moves the whole frame; the median flow of a pair is the background's motion
(the object covers less than half of the frame), and subtracting it leaves the object's own motion.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import os
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np

STREAM_CHANNELS = 3  # flow dx, flow dy, brightness change
PIXELS_PER_UNIT = 2.0  # flow is divided by this: a move across a 32-pixel frame in 16 frames is about 1 unit
FLOW_THREADS = os.cpu_count() or 1
MEMO_BYTES = 8 * 2**30  # streams kept at most while remembering (8,000 clips x 4 flips at 32x32: 6.3 GB)

# Set by remembered() for the thread that entered it: other threads (other sessions of the app) never see it.
_memo: contextvars.ContextVar[dict[bytes, np.ndarray] | None] = contextvars.ContextVar("stream_memo", default=None)


@contextlib.contextmanager
def remembered():
    """Within this block, this thread computes each distinct clip's stream once (keyed by a digest of its
    pixels) and reuses it after. Training reads every clip, mirrored and/or reversed, once an epoch: recomputing
    the flow each time was about a third of an epoch on 2 cores, and the whole flow cost on a GPU. The values
    are the ones computed, so training with and without the memo takes the same steps. Past MEMO_BYTES, new
    streams are computed and not kept."""
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def motion_stream(clips: np.ndarray, factor: int = 1) -> np.ndarray:
    """(B, T, S, S, 3) uint8 -> (B, T, S / factor, S / factor, 3) float32: flow (dx, dy) from frame t-1 to t minus
    its median, in PIXELS_PER_UNIT of the output frame, and |grey(t) - grey(t-1)| in [0, 1]. The first frame has no
    predecessor: zeros. With ``factor`` > 1 the flow is computed on the frames as given (a small turning shape
    moves a pixel or two between sampled 32x32 frames, below what DIS resolves) and each output pixel is the mean
    of a factor x factor block (cv2.INTER_AREA's shrink)."""
    memo = _memo.get()
    if memo is None:
        return _computed(clips, factor)
    keys = [
        hashlib.blake2b(repr((clip.shape, factor)).encode() + clip.tobytes(), digest_size=16).digest() for clip in clips
    ]
    missing = [i for i, key in enumerate(keys) if key not in memo]
    fresh = dict(zip(missing, _computed(clips[missing], factor))) if missing else {}
    for i, stream in fresh.items():
        if (len(memo) + 1) * stream.nbytes <= MEMO_BYTES:
            memo[keys[i]] = stream
    return np.stack([fresh[i] if i in fresh else memo[key] for i, key in enumerate(keys)])


def _computed(clips: np.ndarray, factor: int) -> np.ndarray:
    """Clips in up to FLOW_THREADS threads (OpenCV releases the GIL): a clip and its mirror image, read together
    for every answer, take the time of one on 2 cores."""
    parts = np.array_split(np.arange(len(clips)), min(len(clips), FLOW_THREADS))
    if len(parts) == 1:
        stream = _clip_streams(clips)
    else:
        with ThreadPoolExecutor(len(parts)) as pool:
            stream = np.concatenate(list(pool.map(lambda rows: _clip_streams(clips[rows]), parts)))
    if factor == 1:
        return stream
    n, t, side, _, c = stream.shape
    blocks = stream.reshape(n, t, side // factor, factor, side // factor, factor, c)
    return blocks.mean(axis=(3, 5)) / np.array([factor, factor, 1], np.float32)  # flow in the output's pixels


def _clip_streams(clips: np.ndarray) -> np.ndarray:
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST)  # per call: not safe across threads
    stream = np.zeros((*clips.shape[:4], STREAM_CHANNELS), np.float32)
    for b, clip in enumerate(clips):
        grey = [cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY) for frame in clip]
        for t in range(1, len(grey)):
            flow = dis.calc(grey[t - 1], grey[t], None)  # (S, S, 2) pixels
            stream[b, t, ..., :2] = (flow - np.median(flow.reshape(-1, 2), axis=0)) / PIXELS_PER_UNIT
            stream[b, t, ..., 2] = cv2.absdiff(grey[t], grey[t - 1]) / 255.0
    return stream
