"""Decode a clip and sample frames uniformly over it, in one sequential pass.

Every frame is ``grab()``-ed (demux + decode, cheap) and only the wanted ones are
``retrieve()``-d (colour conversion) and shrunk at once, so memory holds ``n`` small frames
whatever the clip's length or resolution. We never seek: in H.264 a seek decodes from the
previous keyframe, which made sampling 5-7x slower. The container's frame count is only a
plan: if the pass reads a different number of frames (truncated file, no count, wrong count),
a second pass samples over the frames actually read. Uploads are read from memory
(``cv2.VideoCapture(BytesIO)``), so no temporary file is ever written.
"""

from __future__ import annotations

import io
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from core import limits
from core.errors import UserError
from core.video import motion_crop

os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # FFmpeg's own chatter about bad files goes nowhere
cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)

EXTENSIONS = ("mp4", "mov", "avi", "mkv", "webm", "gif")
MAX_FRAMES = 9000  # frames read at most (5 min at 30 fps); the rest of a longer clip is ignored
MAX_PIXELS = 4096 * 4096  # larger frames are refused before decoding (one would be 50+ MB)
DISPLAY_SIZE = 160  # sampled frames are kept with their longer side at most this many pixels
MAX_FPS = 240.0  # a container fps above this (or missing) is not trusted for time ranges
BROWSER_CODECS = {"avc1", "h264", "H264", "vp08", "vp09", "VP80", "VP90", "av01", "AV01"}  # what Chromium plays

Source = bytes | str | Path


@dataclass
class Clip:
    frames: np.ndarray  # (N, H, W, 3) uint8 RGB, longer side <= DISPLAY_SIZE
    indices: list[int]  # source frame number of each sampled frame
    frames_read: int  # frames actually decoded (not the container's claim)
    fps: float  # container frame rate (30 when missing)
    width: int  # decoded frame size, after OpenCV applied any rotation metadata
    height: int
    notes: list[str] = field(default_factory=list)  # things the user should know (repeats, truncation)

    @property
    def duration(self) -> float:
        return self.frames_read / self.fps


def sample_indices(total: int, n: int, start: int = 0) -> list[int]:
    """n frame numbers spread uniformly over [start, start + total): the centre of each of n equal bins."""
    return [start + min(total - 1, int((i + 0.5) * total / n)) for i in range(n)]


def _check_bytes(data: bytes) -> None:
    if len(data) == 0:
        raise UserError("the file is empty (0 bytes)")
    if len(data) > limits.VIDEO_MAX_MB * 2**20:
        raise UserError(f"the file is {len(data) / 2**20:.0f} MB; clips up to {limits.VIDEO_MAX_MB} MB are accepted")


# In-memory streams of open captures: OpenCV keeps no reference to the BytesIO it reads from,
# and reading after Python collected it crashes the process. Entries leave in _release.
_STREAMS: dict[int, io.BytesIO] = {}


def _release(capture: cv2.VideoCapture) -> None:
    capture.release()
    _STREAMS.pop(id(capture), None)


def _open(source: Source) -> cv2.VideoCapture:
    if isinstance(source, bytes | bytearray | memoryview):
        _check_bytes(bytes(source))
        stream = io.BytesIO(bytes(source))
        capture = cv2.VideoCapture(stream, cv2.CAP_FFMPEG, [])
        _STREAMS[id(capture)] = stream
    else:
        path = Path(source)
        if not path.is_file():
            raise FileNotFoundError(f"no such file: {path}")
        if path.stat().st_size == 0:
            raise UserError("the file is empty (0 bytes)")
        capture = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    if not capture.isOpened():
        _release(capture)
        raise UserError(
            "this file is not a video that can be decoded (it may be truncated, empty or another kind of file); "
            f"accepted: {', '.join(EXTENSIONS)}"
        )
    width, height = capture.get(cv2.CAP_PROP_FRAME_WIDTH), capture.get(cv2.CAP_PROP_FRAME_HEIGHT)
    if width * height > MAX_PIXELS:
        _release(capture)
        raise UserError(
            f"the video is {width:.0f}x{height:.0f}; frames up to {MAX_PIXELS / 1e6:.0f} megapixels "
            "(4096x4096) are accepted: downscale it first"
        )
    return capture


def _shrink(frame: np.ndarray, size: int) -> np.ndarray:
    """BGR frame -> RGB with its longer side at most ``size`` (area averaging, no aliasing)."""
    height, width = frame.shape[:2]
    scale = min(1.0, size / max(height, width))
    if scale < 1.0:
        shape = (max(1, round(width * scale)), max(1, round(height * scale)))
        # Halving even sides is OpenCV's fast 2x2 path: 640x480 -> 160x120 by two halvings took 0.08 ms
        # against 0.25 ms at once (the same 4x4 averages, rounded twice), 16 times per classified clip.
        while width % 2 == height % 2 == 0 and width // 2 >= shape[0] and height // 2 >= shape[1]:
            width, height = width // 2, height // 2
            frame = cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA)
        if (width, height) != shape:
            frame = cv2.resize(frame, shape, interpolation=cv2.INTER_AREA)  # a 3rd positional argument is dst
    return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)


def _sequential_pass(
    capture: cv2.VideoCapture, wanted: set[int], max_frames: int, size: int
) -> tuple[dict[int, np.ndarray], int, tuple[int, int]]:
    """grab() frames 0..max_frames-1 in order, retrieve() only ``wanted``.

    Returns (shrunk frames by number, frames read, (height, width) of a decoded frame)."""
    frames: dict[int, np.ndarray] = {}
    count, shape = 0, (0, 0)
    try:
        while count < max_frames and capture.grab():
            if count in wanted:
                ok, frame = capture.retrieve()
                if ok and frame is not None:
                    if frame.shape[0] * frame.shape[1] > MAX_PIXELS:
                        raise UserError(f"a frame is {frame.shape[1]}x{frame.shape[0]}; at most 4096x4096 is accepted")
                    shape = frame.shape[:2]
                    frames[count] = _shrink(frame, size)
            count += 1
    finally:
        _release(capture)
    return frames, count, shape


def _fps(capture: cv2.VideoCapture) -> float:
    fps = capture.get(cv2.CAP_PROP_FPS)
    return fps if math.isfinite(fps) and 0 < fps <= MAX_FPS else 30.0


def _range_notes(ranges: list[tuple[float, float]], read: int, fps: float, n_frames: int) -> list[list[str]]:
    """Per range, what the user should know; a range past the clip's end, or on one frame, is refused.

    Sampling clamps a range into the clip, so a range after the end would be its last frame repeated:
    a still picture labelled as a motion."""
    duration, notes = read / fps, []
    for start_s, end_s in ranges:
        first, late = round(start_s * fps), round(min(end_s * fps, read + 1)) > read
        last = read if late else round(end_s * fps)
        if first >= read:
            raise UserError(f"the range {start_s:g}-{end_s:g} s starts after the clip ends ({duration:.2f} s)")
        if last - first < min(2, n_frames):
            raise UserError(
                f"the range {start_s:g}-{end_s:g} s holds under 2 frames at {fps:.3g} fps: a motion needs at least 2"
            )
        notes.append(
            [f"the range {start_s:g}-{end_s:g} s ends after the clip ({duration:.2f} s): used up to its end"] * late
        )
    return notes


def read_segments(
    source: Source,
    n_frames: int,
    ranges: list[tuple[float, float]] | None = None,
    size: int = DISPLAY_SIZE,
    max_frames: int | None = None,
) -> list[Clip]:
    """Sample ``n_frames`` uniformly from each time range ``(start_s, end_s)`` (default: the whole clip).

    All ranges share one sequential pass (two if the container's frame count was wrong).
    """
    if not 1 <= n_frames <= 256:
        raise UserError(f"frames to sample must be between 1 and 256, not {n_frames}")
    max_frames = max_frames or MAX_FRAMES
    capture = _open(source)
    fps = _fps(capture)
    claimed = capture.get(cv2.CAP_PROP_FRAME_COUNT)
    planned = int(claimed) if math.isfinite(claimed) and 0 < claimed < 1e9 else 0
    planned = min(planned, max_frames)

    def plan(total: int) -> list[list[int]]:
        spans = []
        for start_s, end_s in ranges or [(0.0, math.inf)]:
            first = min(max(0, round(start_s * fps)), max(total - 1, 0))
            last = total if math.isinf(end_s) else min(total, max(first + 1, round(end_s * fps)))
            spans.append(sample_indices(last - first, n_frames, first))
        return spans

    spans = plan(planned) if planned else []
    frames, read, shape = _sequential_pass(capture, {i for span in spans for i in span}, max_frames, size)
    if read == 0:
        raise UserError("no frame could be decoded from this file (it may be truncated or not a video)")
    if read == 1 and n_frames > 1:  # OpenCV opens a still image (a PNG renamed .mp4) as a one-frame video
        raise UserError("only 1 frame could be decoded: a single image shows no motion (is it a picture?)")
    range_notes = _range_notes(ranges, read, fps, n_frames) if ranges else [[]]
    if plan(read) != spans:  # the container's count was missing or wrong: sample over what is really there
        spans = plan(read)
        wanted = {i for span in spans for i in span}
        frames, _, shape = _sequential_pass(_open(source), wanted, max(wanted) + 1, size)
    clips = []
    for span, notes in zip(spans, range_notes):
        missing = [i for i in span if i not in frames]
        if missing:  # a frame grabbed but not convertible: borrow the nearest one that was
            available = sorted(frames)
            if not available:
                raise UserError("the frames of this file could not be converted to images")
            span = [i if i in frames else min(available, key=lambda a, i=i: abs(a - i)) for i in span]
        first = frames[span[0]]
        stack = np.stack(
            [cv2.resize(frames[i], first.shape[1::-1]) if frames[i].shape != first.shape else frames[i] for i in span]
        )
        if len(set(span)) < n_frames:
            notes.append(f"only {len(set(span))} distinct frames were available for {n_frames} samples, so some repeat")
        if read >= max_frames:
            notes.append(f"the clip is long: only its first {max_frames:,} frames ({max_frames / fps:.0f} s) were used")
        if planned and planned != read and read < max_frames:
            notes.append(f"the file claims {planned:,} frames but {read:,} could be decoded (truncated?)")
        height, width = shape
        clips.append(Clip(stack, list(span), read, fps, width, height, notes))
    return clips


def read_clip(source: Source, n_frames: int = 16, size: int = DISPLAY_SIZE, max_frames: int | None = None) -> Clip:
    """Sample ``n_frames`` uniformly over the whole clip (bytes of an upload, or a path)."""
    return read_segments(source, n_frames, None, size, max_frames)[0]


def codec(capture: cv2.VideoCapture) -> str:
    """The stream's FourCC as text ("h264", "VP80", "FMP4" for mp4v, "MJPG"...)."""
    code = int(capture.get(cv2.CAP_PROP_FOURCC)) & 0xFFFFFFFF
    return code.to_bytes(4, "little").decode("latin-1").strip("\x00 ")


def probe(source: Source) -> dict:
    """What the container claims (frame count, fps, size), without decoding: for sliders, not for truth."""
    capture = _open(source)
    try:
        claimed = capture.get(cv2.CAP_PROP_FRAME_COUNT)
        fps = _fps(capture)
        frames = int(claimed) if math.isfinite(claimed) and 0 < claimed < 1e9 else 0
        return {
            "frames": frames,
            "fps": fps,
            "duration": frames / fps if frames else 0.0,
            "width": int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
            "height": int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)),
            "codec": codec(capture),
        }
    finally:
        _release(capture)


def grab_all(source: Source) -> int:
    """A bare grab() pass over the whole clip (the speed floor the classifier is compared with)."""
    capture = _open(source)
    _, read, _ = _sequential_pass(capture, set(), 10**9, DISPLAY_SIZE)
    return read


def model_input(frames: np.ndarray, size: int, crop: bool = False) -> np.ndarray:
    """(N, H, W, 3) uint8 frames -> (N, size, size, 3) uint8, area-averaged like the training data; with ``crop``,
    cut to where the clip changes first (``core.video.motion_crop``, a model's ``motion_crop`` setting)."""
    if crop:
        frames = motion_crop.crop(frames, motion_crop.motion_box(frames))
    return np.stack([cv2.resize(f, (size, size), interpolation=cv2.INTER_AREA) for f in frames])
