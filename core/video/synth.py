"""The eight built-in motion classes, drawn with OpenCV and deterministic by seed.

The classes come in pairs that differ only in the ORDER of their frames: every frame of
``move_left`` could belong to ``move_right`` (the middle frame's position is symmetric), the
set of sizes of ``grow`` is that of ``shrink``, and the two blink classes show the object half
of the time. Only a model that reads frames in order can tell a pair apart.

A clip is a ``ClipSpec`` (every random choice, made once from a seed) rendered at any list of
frame numbers, so training renders just the frames the sampler would pick, at low resolution,
and the held-out set writes every frame to a real encoded file.
"""

from __future__ import annotations

import math
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np

from core.video import motion_crop
from core.video.io import model_input, sample_indices

LABELS = ["move_left", "move_right", "grow", "shrink", "rotate_cw", "rotate_ccw", "blink_fast", "blink_slow"]
PAIRS = [tuple(LABELS[i : i + 2]) for i in range(0, len(LABELS), 2)]  # the classes only the order tells apart
# The class a clip becomes when flipped left-right, or played backwards (classes not named stay themselves).
MIRRORED = {"move_left": "move_right", "move_right": "move_left", "rotate_cw": "rotate_ccw", "rotate_ccw": "rotate_cw"}
REVERSED = {**MIRRORED, "grow": "shrink", "shrink": "grow"}
MIN_FRAMES = 24  # a clip has at least this many frames, so 5-8 blink cycles get >= 1.5 frames per half-cycle

# Asymmetric outlines (no rotational symmetry, so turning is visible), unit size, centred on 0.
SHAPES = {
    "arrow": [(-0.5, -0.15), (0.1, -0.15), (0.1, -0.4), (0.5, 0.0), (0.1, 0.4), (0.1, 0.15), (-0.5, 0.15)],
    "L": [(-0.35, -0.5), (-0.05, -0.5), (-0.05, 0.2), (0.4, 0.2), (0.4, 0.5), (-0.35, 0.5)],
    "T": [(-0.5, -0.5), (0.5, -0.5), (0.5, -0.2), (0.15, -0.2), (0.15, 0.5), (-0.15, 0.5), (-0.15, -0.2), (-0.5, -0.2)],
    "triangle": [(-0.5, -0.45), (0.5, 0.45), (-0.5, 0.45)],
    "pacman": [(0.0, 0.0)] + [(0.5 * math.cos(a), 0.5 * math.sin(a)) for a in np.linspace(0.6, 2 * math.pi - 0.6, 24)],
    "flag": [(-0.4, -0.5), (0.45, -0.3), (-0.2, -0.1), (-0.2, 0.5), (-0.4, 0.5)],
}
BACKGROUNDS = ("solid", "gradient", "noise", "stripes", "checker")
FILLS = ("solid", "stripes", "checker", "gradient")
# Training also draws dead-leaves textures (overlapping discs and ellipses of many sizes, whose statistics
# resemble photographs') and "blob" outlines (a random non-convex polygon per clip). Each texture by name: the
# smallest radius as a share of the frame's short side, the largest radius over the smallest, how many leaves.
LEAVES = {"leaves": (0.02, 15.0, (60, 160)), "large leaves": (0.08, 7.5, (10, 30))}


@dataclass
class Ranges:
    """Where the random parameters are drawn from. Training uses the interior, the held-out set all of it."""

    width: tuple[int, int] = (128, 1280)  # frame width in pixels (height follows the aspect ratio)
    aspect: tuple[float, float] = (1.33, 1.78)  # width / height (4:3 to 16:9)
    duration: tuple[float, float] = (1.0, 10.0)  # seconds
    fps: tuple[float, float] = (8.0, 30.0)
    size: tuple[float, float] = (0.10, 0.40)  # object extent as a share of the frame height
    travel: tuple[float, float] = (0.30, 0.80)  # move_*: centre travel as a share of the frame width
    scale: tuple[float, float] = (2.0, 4.0)  # grow/shrink: size factor over the clip
    turn: tuple[float, float] = (90.0, 360.0)  # rotate_*: degrees over the clip
    fast_cycles: tuple[int, int] = (5, 8)  # blink_fast: on/off cycles over the clip
    slow_cycles: tuple[int, int] = (1, 2)
    noise: tuple[float, float] = (0.0, 8.0)  # camera noise, standard deviation in 0-255 units
    # What the held-out set never varies (its defaults leave clips as they were drawn before these existed):
    backgrounds: tuple[str, ...] = BACKGROUNDS
    fills: tuple[str, ...] = FILLS
    shapes: tuple[str, ...] = tuple(SHAPES)
    shake: tuple[float, float] = (0.0, 0.0)  # camera shake: std of a smoothed random walk, share of the width
    gain: tuple[float, float] = (1.0, 1.0)  # exposure at the start and at the end, each drawn here (lighting drift)
    blur: tuple[float, float] = (0.0, 0.0)  # defocus sigma, share of the height
    fill_moves: float = 0.0  # share of clips whose fill the object carries as it moves, turns and scales


HELDOUT = Ranges()
# Training never sees the ends of the ranges (nor the codecs: it renders frames in memory).
TRAIN_PLAIN = Ranges(
    width=(64, 128),  # rendered small then area-resized, like a large frame decoded and shrunk
    duration=(1.5, 8.0),
    fps=(10.0, 25.0),
    size=(0.12, 0.38),
    travel=(0.35, 0.75),
    scale=(2.2, 3.8),
    turn=(110.0, 340.0),
    noise=(0.0, 6.0),
)
TRAIN = replace(
    TRAIN_PLAIN,
    noise=(0.0, 10.0),
    # Appearance and camera randomised so that only the motion is left to learn (issue 15): the
    # dev set of core.video.shift showed textured scenes and lighting drift read as rotation.
    # Large leaves: a few big shapes with long high-contrast edges, like the photos a shaking camera made hardest
    # on the shift renderer's dev set (bench/results/video_dev_sets.json).
    backgrounds=BACKGROUNDS + ("leaves",) * 3 + ("large leaves",) * 2,
    fills=FILLS + ("leaves",) * 2,
    shapes=(*SHAPES, "blob", "blob", "blob"),
    shake=(0.0, 0.015),
    gain=(0.7, 1.3),
    blur=(0.0, 0.008),
    # Half the textured objects carry their fill as they move, turn and scale, as real objects (and the shift
    # renderer's photo sprites) do; the held-out set keeps the scene-fixed fills it was drawn with.
    fill_moves=0.5,
)


@dataclass
class ClipSpec:
    label: str
    width: int
    height: int
    fps: float
    frames: int  # frames in the whole clip
    shape: str
    size: float  # object extent (pixels) at the start
    end_size: float  # ... and at the end (grow/shrink)
    start: tuple[float, float]  # object centre (pixels) at the start
    end: tuple[float, float]  # ... and at the end (move)
    angle: float  # degrees at the start
    end_angle: float
    cycles: int  # blink cycles over the clip; 0 = always visible
    phase: float  # blink phase in cycles
    fill: str
    colors: list[tuple[int, int, int]]  # object colour, second object colour, background colours
    background: str
    texture_period: float  # pixels, for stripes/checker fills and backgrounds
    texture_angle: float
    noise: float
    seed: int
    jpeg: int = 0  # training only: JPEG quality to roughen frames like a codec would (0 = off)
    shake: float = 0.0  # camera shake, pixels
    gain: tuple[float, float] = (1.0, 1.0)  # exposure at the first and the last frame
    blur: float = 0.0  # defocus sigma, pixels
    fill_moves: bool = False  # the fill moves, turns and scales with the object (else it stays with the scene)
    extra: dict = field(default_factory=dict)


def relabelling(mapping: dict[str, str], labels: list[str] = LABELS) -> list[int]:
    """Class index -> class index under MIRRORED or REVERSED, for ``core.video.train.fit``."""
    return [labels.index(mapping.get(label, label)) for label in labels]


def _contrasting_colors(rng: np.random.Generator) -> list[tuple[int, int, int]]:
    """Object colours a, b and background colours c, d: textures vary within each, the object stands out."""
    while True:
        obj, bg = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
        if np.abs(obj - bg).sum() > 200:
            break
    colors = [obj, obj + rng.integers(-70, 71, 3), bg, bg + rng.integers(-50, 51, 3)]
    return [tuple(int(v) for v in np.clip(c, 0, 255)) for c in colors]


def random_spec(label: str, seed: int, ranges: Ranges = TRAIN) -> ClipSpec:
    """Every random choice of one clip of class ``label``, from ``seed``."""
    if label not in LABELS:
        raise ValueError(f"unknown class {label!r}; classes: {', '.join(LABELS)}")
    rng = np.random.default_rng(seed)
    width = int(rng.integers(ranges.width[0], ranges.width[1] + 1)) // 2 * 2
    height = max(16, int(width / rng.uniform(*ranges.aspect))) // 2 * 2
    fps = float(rng.uniform(*ranges.fps))
    frames = max(MIN_FRAMES, round(rng.uniform(*ranges.duration) * fps))
    size = rng.uniform(*ranges.size) * height
    end_size, angle = size, rng.uniform(0, 360)
    end_angle, cycles = angle, 0
    margin = 0.55 * size
    start = (rng.uniform(margin, width - margin), rng.uniform(margin, height - margin))
    end = start
    if label.startswith("move"):
        travel = min(rng.uniform(*ranges.travel) * width, width - 2 * margin)
        x0 = margin + rng.uniform(0, max(0.0, width - 2 * margin - travel))
        start, end = (x0, start[1]), (x0 + travel, start[1])
        if label == "move_left":
            start, end = end, start
    elif label in ("grow", "shrink"):
        factor = rng.uniform(*ranges.scale)
        small = rng.uniform(ranges.size[0], max(ranges.size[0], ranges.size[1] / factor)) * height
        size, end_size = (small, small * factor) if label == "grow" else (small * factor, small)
        margin = 0.55 * max(size, end_size)
        start = end = (rng.uniform(margin, width - margin), rng.uniform(margin, height - margin))
    elif label.startswith("rotate"):
        turn = rng.uniform(*ranges.turn)
        end_angle = angle + (turn if label == "rotate_cw" else -turn)  # image y points down: + is clockwise
    else:
        cycles = int(
            rng.integers(*(ranges.fast_cycles if label == "blink_fast" else ranges.slow_cycles), endpoint=True)
        )
    return ClipSpec(
        label=label,
        width=width,
        height=height,
        fps=fps,
        frames=frames,
        shape=str(rng.choice(list(ranges.shapes))),
        size=float(size),
        end_size=float(end_size),
        start=(float(start[0]), float(start[1])),
        end=(float(end[0]), float(end[1])),
        angle=float(angle),
        end_angle=float(end_angle),
        cycles=cycles,
        phase=float(rng.uniform(0, 1)),
        fill=str(rng.choice(list(ranges.fills))),
        colors=_contrasting_colors(rng),
        background=str(rng.choice(list(ranges.backgrounds))),
        texture_period=float(rng.uniform(0.04, 0.15) * height),
        texture_angle=float(rng.uniform(0, 180)),
        noise=float(rng.uniform(*ranges.noise)),
        seed=seed,
        **_camera(seed, width, height, ranges),
        fill_moves=bool(np.random.default_rng([seed, 6]).random() < ranges.fill_moves),
    )


def _camera(seed: int, width: int, height: int, ranges: Ranges) -> dict:
    """Shake, lighting drift and blur, from a stream of their own: the other draws stay what they were."""
    rng = np.random.default_rng([seed, 3])
    return {
        "shake": float(rng.uniform(*ranges.shake) * width),
        "gain": (float(rng.uniform(*ranges.gain)), float(rng.uniform(*ranges.gain))),
        "blur": float(rng.uniform(*ranges.blur) * height),
    }


def _pattern(spec: ClipSpec, kind: str, a, b, rng: np.random.Generator, margin: int = 0) -> np.ndarray:
    """A (H + 2m, W + 2m, 3) float image: solid, gradient, noise, stripes, checker or leaves between colours a and b."""
    h, w = spec.height + 2 * margin, spec.width + 2 * margin
    a, b = np.array(a, np.float32), np.array(b, np.float32)
    if kind in LEAVES:
        return _dead_leaves(h, w, a, b, rng, *LEAVES[kind])
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    theta = math.radians(spec.texture_angle)
    u = xs * math.cos(theta) + ys * math.sin(theta)
    v = -xs * math.sin(theta) + ys * math.cos(theta)
    if kind == "solid":
        t = np.zeros((h, w), np.float32)
    elif kind == "gradient":
        t = (u - u.min()) / max(float(u.max() - u.min()), 1.0)
    elif kind == "noise":
        coarse = rng.random((max(2, h // 12), max(2, w // 12))).astype(np.float32)
        t = cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC).clip(0, 1)
    elif kind == "stripes":
        t = (np.sin(2 * math.pi * u / spec.texture_period) > 0).astype(np.float32)
    else:  # checker
        t = ((np.floor(u / spec.texture_period) + np.floor(v / spec.texture_period)) % 2).astype(np.float32)
    return a + t[..., None] * (b - a)


def _dead_leaves(
    h: int, w: int, a, b, rng: np.random.Generator, smallest: float, span: float, count: tuple[int, int]
) -> np.ndarray:
    """Overlapping ellipses with log-uniform radii (``smallest`` to ``smallest * span`` of the short side, ``count``
    of them), coloured between a and b with jitter (Lee et al. 2001's dead-leaves model: edges and sizes at every
    scale, like a photograph, and nothing shared with one)."""
    image = np.empty((h, w, 3), np.float32)
    image[:] = a
    for _ in range(int(rng.integers(*count))):
        radius = min(h, w) * smallest * span ** rng.random()
        axes = (max(1, int(radius)), max(1, int(radius * rng.uniform(0.3, 1.0))))
        color = a + rng.random() * (b - a) + rng.normal(0, 25, 3)
        centre = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        cv2.ellipse(image, centre, axes, float(rng.uniform(0, 180)), 0, 360, color.tolist(), -1, cv2.LINE_AA)
    return image


def _outline(spec: ClipSpec) -> np.ndarray:
    """The shape's unit outline; a "blob" is a non-convex polygon of its own per clip."""
    if spec.shape != "blob":
        return np.array(SHAPES[spec.shape], np.float64)
    rng = np.random.default_rng([spec.seed, 4])
    corners = int(rng.integers(6, 12))
    angles = np.sort(rng.uniform(0, 2 * math.pi, corners))
    radii = rng.uniform(0.2, 0.5, corners)
    return np.stack([radii * np.cos(angles), radii * np.sin(angles)], 1)


def _shake_path(spec: ClipSpec) -> np.ndarray:
    """(frames, 2) camera offsets in pixels: a smoothed random walk with standard deviation ``spec.shake``."""
    rng = np.random.default_rng([spec.seed, 5])
    walk = np.cumsum(rng.normal(0, 1, (spec.frames + 6, 2)), 0)
    walk = np.stack([np.convolve(walk[:, i], np.ones(7) / 7, "valid")[: spec.frames] for i in range(2)], 1)
    walk -= walk.mean(0)
    return walk / max(float(walk.std()), 1e-6) * spec.shake


def frame_state(spec: ClipSpec, index: int) -> tuple[float, float, float, float, bool]:
    """The object at frame ``index``: centre x, y (pixels), extent (pixels), angle (degrees), visible."""
    p = index / max(spec.frames - 1, 1)
    x = spec.start[0] + (spec.end[0] - spec.start[0]) * p
    y = spec.start[1] + (spec.end[1] - spec.start[1]) * p
    size = spec.size + (spec.end_size - spec.size) * p
    angle = spec.angle + (spec.end_angle - spec.angle) * p
    visible = not spec.cycles or (spec.phase + spec.cycles * index / spec.frames) % 1.0 < 0.5  # half of each cycle
    return x, y, size, angle, visible


def render(spec: ClipSpec, indices: list[int] | None = None) -> np.ndarray:
    """RGB frames (len(indices), H, W, 3) uint8 of the clip at the given frame numbers (default: all)."""
    indices = list(range(spec.frames)) if indices is None else indices
    rng = np.random.default_rng(spec.seed + 7919)
    margin = int(math.ceil(3 * spec.shake))  # the scene is drawn larger; the camera's window moves within it
    background = _pattern(spec, spec.background, spec.colors[2], spec.colors[3], rng, margin)
    texture = _pattern(spec, spec.fill, spec.colors[0], spec.colors[1], rng, margin)
    outline = _outline(spec)
    shake = _shake_path(spec) if spec.shake else np.zeros((spec.frames, 2))
    frames = np.empty((len(indices), spec.height, spec.width, 3), np.uint8)
    for k, index in enumerate(indices):
        x, y, size, angle, visible = frame_state(spec, index)
        frame = background.copy()
        if visible:
            theta = math.radians(angle)
            rotation = np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
            points = outline @ rotation.T * size + (x + margin, y + margin)
            mask = np.zeros(frame.shape[:2], np.uint8)
            cv2.fillPoly(mask, [np.round(points * 16).astype(np.int32)], 255, cv2.LINE_AA, shift=4)
            alpha = (mask.astype(np.float32) / 255.0)[..., None]
            fill = _carried(texture, spec, index, margin) if spec.fill_moves else texture
            frame = frame * (1 - alpha) + fill * alpha
        if margin:
            dx, dy = np.clip(np.round(shake[index]).astype(int), -margin, margin)
            frame = frame[margin + dy : margin + dy + spec.height, margin + dx : margin + dx + spec.width]
        frame = frame * (spec.gain[0] + (spec.gain[1] - spec.gain[0]) * index / max(spec.frames - 1, 1))
        if spec.blur:
            frame = cv2.GaussianBlur(frame, (0, 0), spec.blur)
        if spec.noise:
            frame = frame + np.random.default_rng(spec.seed * 1000 + index).normal(0, spec.noise, frame.shape)
        frame = frame.clip(0, 255).astype(np.uint8)
        if spec.jpeg:
            ok, encoded = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, spec.jpeg])
            frame = cv2.imdecode(encoded, cv2.IMREAD_COLOR)
        frames[k] = frame
    return frames


def _carried(texture: np.ndarray, spec: ClipSpec, index: int, margin: int) -> np.ndarray:
    """The fill as the object carries it at frame ``index``: moved, turned and scaled with the object from where
    it lay at frame 0 (a real object's surface moves with it; a fill fixed to the scene moves only at the edges)."""
    x0, y0, size0, angle0, _ = frame_state(spec, 0)
    x, y, size, angle, _ = frame_state(spec, index)
    theta = math.radians(angle - angle0)
    linear = size / size0 * np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
    centre0, centre = np.array([x0 + margin, y0 + margin]), np.array([x + margin, y + margin])
    warp = np.hstack([linear, (centre - linear @ centre0)[:, None]])  # (2, 3): frame-0 pixels -> frame-index pixels
    return cv2.warpAffine(texture, warp, texture.shape[1::-1], flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def state_targets(spec: ClipSpec, indices: list[int]) -> np.ndarray:
    """(T, 6) per-frame targets for the CNN's auxiliary head: x, y, extent (shares of the frame),
    sin and cos of the angle, visible. They teach the CNN what to look at far faster than the clip label."""
    rows = []
    for index in indices:
        x, y, size, angle, visible = frame_state(spec, index)
        theta = math.radians(angle)
        rows.append([x / spec.width, y / spec.height, size / spec.height, math.sin(theta), math.cos(theta), visible])
    return np.array(rows, np.float32)


def jpeg_quality(seed: int) -> int:
    """JPEG quality that roughens a training clip like a codec would, or 0 (half the clips).

    Drawn from the seed's own random stream: a rule on the seed itself (its parity, once) follows
    the class order of ``training_set`` and taught models "blocky means the first class of a pair"."""
    rng = np.random.default_rng([seed, 1])
    return int(rng.integers(35, 85)) if rng.random() < 0.5 else 0


def training_clip(
    label: str, seed: int, n_frames: int, image_size: int, ranges: Ranges = TRAIN, crop: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """The n frames a uniform sampler would pick, rendered small and area-resized: (n, S, S, 3) uint8,
    with their (n, 6) object states; with ``crop``, cut to where the clip changes first (as ``model_input``)."""
    spec = random_spec(label, seed, ranges)
    spec.jpeg = jpeg_quality(seed)
    indices = sample_indices(spec.frames, n_frames)
    frames, states = render(spec, indices), state_targets(spec, indices)
    if crop:
        box = motion_crop.motion_box(frames)
        frames, states = motion_crop.crop(frames, box), motion_crop.crop_states(states, box)
    return model_input(frames, image_size), states


def training_set(
    per_class: int,
    n_frames: int,
    image_size: int,
    seed: int,
    labels: list[str] = LABELS,
    workers: int = 1,
    ranges: Ranges = TRAIN,
    crop: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Frames (per_class * C, n, S, S, 3) uint8, labels (per_class * C,) and object states
    (per_class * C, n, 6), deterministic by seed (each clip has its own, so ``workers`` processes
    render the same set)."""
    jobs = [
        (label, seed * 1_000_003 + k * len(LABELS) + c, n_frames, image_size, ranges, crop)
        for k in range(per_class)
        for c, label in enumerate(labels)
    ]
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            rendered = list(pool.map(training_clip, *zip(*jobs), chunksize=16))
    else:
        rendered = [training_clip(*job) for job in jobs]
    targets = [c for _ in range(per_class) for c in range(len(labels))]
    return (
        np.stack([frames for frames, _ in rendered]),
        np.array(targets, np.int64),
        np.stack([state for _, state in rendered]),
    )


CODECS = {"mp4v": ".mp4", "MJPG": ".avi", "VP80": ".webm", "VP90": ".webm"}


def write_clip(spec: ClipSpec, path: str | Path, codec: str = "VP80") -> Path:
    """Encode every frame of ``spec`` with OpenCV (mp4v .mp4, MJPG .avi, VP80/VP90 .webm)."""
    if codec not in CODECS:
        raise ValueError(f"unknown codec {codec!r}; choose from {', '.join(CODECS)}")
    path = Path(path).with_suffix(CODECS[codec])
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*codec), spec.fps, (spec.width, spec.height))
    if not writer.isOpened():
        raise RuntimeError(f"OpenCV could not open a {codec} writer for {path.name}")
    try:
        for start in range(0, spec.frames, 32):  # render in chunks: a 10 s 720p clip would be 800 MB at once
            for frame in render(spec, list(range(start, min(start + 32, spec.frames)))):
                writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    finally:
        writer.release()
    return path
