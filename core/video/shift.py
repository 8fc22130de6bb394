"""A shift test set: the eight motions drawn by a renderer that shares no drawing code with ``synth``.

What differs from the training generator, on purpose: other shape families (a star with one long
tip, a crescent, a key, a lightning bolt, a random non-convex blob), objects textured with
photographs and photographic backgrounds (scikit-image's bundled sample photos, which no training
run reads), a drifting exposure (lighting), camera shake, defocus blur, sensor noise, other sizes
and frame rates, and four codecs. Every clip is encoded to a real file and, when scored, decoded by
``core.video.io`` like an upload. The object is a sprite (texture + mask) warped into each frame by
one affine map, so moving, scaling, turning and blinking all come from the same few lines.

Seeds: ``SHIFT_SEED`` draws the test set (never used for training or model selection);
``DEV_SEED`` draws a development set from the same renderer for choices such as the no-motion
threshold. The photos are split in two disjoint groups: the shift/dev clips use one, the
"train your own" transfer test (classes ``wave`` and ``still``) the other.
"""

from __future__ import annotations

import importlib.util
import json
import math
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

import cv2
import numpy as np

from core.errors import UserError

LABELS = ["move_left", "move_right", "grow", "shrink", "rotate_cw", "rotate_ccw", "blink_fast", "blink_slow"]
EXTRA = ["still", "wave", "exit"]  # no motion; a swing left-right (transfer test); leaves the frame (bad input)
SHIFT_SEED, DEV_SEED, TRANSFER_SEED = 50, 51, 52
SHIFT_PER_CLASS = 50  # 400 clips
SKIMAGE_PIN = "scikit-image==0.26.0"  # its wheel bundles the photos; nothing is downloaded
PHOTOS = {  # disjoint: the shift and dev sets never show the transfer test's photos, and vice versa
    "shift": {
        "objects": ("astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "ihc.png", "brick.png", "gravel.png"),
        "backgrounds": ("motorcycle_left.png", "hubble_deep_field.jpg", "camera.png", "moon.png", "coins.png")
        + ("grass.png", "page.png"),
    },
    "transfer": {
        "objects": ("retina.jpg", "color.png", "clock_motion.png"),
        "backgrounds": ("motorcycle_right.png", "cell.png", "text.png"),
    },
}
CODECS = {"mp4v": ".mp4", "MJPG": ".avi", "VP80": ".webm", "VP90": ".webm"}
FPS = (8.0, 12.0, 15.0, 24.0, 25.0, 30.0, 50.0, 60.0)
SPRITE = 160  # the object's texture and mask are drawn at this size, then warped into each frame


@cache
def photo(name: str) -> np.ndarray:
    """An RGB uint8 sample photo from scikit-image's wheel, read with OpenCV (skimage itself is never imported)."""
    found = importlib.util.find_spec("skimage")
    if found is None or not found.submodule_search_locations:
        raise UserError(f"the shift set draws on scikit-image's bundled photos: pip install {SKIMAGE_PIN}")
    image = cv2.imread(str(Path(found.submodule_search_locations[0]) / "data" / name), cv2.IMREAD_COLOR)
    if image is None:
        raise UserError(f"scikit-image's photo {name} is missing: pip install {SKIMAGE_PIN}")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


# ---- shapes: outlines with no rotational symmetry, non-convex, extent about 1, centred on 0 ----------


def _star(rng: np.random.Generator) -> np.ndarray:
    tips = int(rng.integers(5, 8))
    angles = np.linspace(0, 2 * math.pi, 2 * tips, endpoint=False)
    radii = np.where(np.arange(2 * tips) % 2 == 0, 0.5, rng.uniform(0.18, 0.28))
    radii[0] = 0.75  # one long tip: the star's turn is visible
    return np.stack([radii * np.cos(angles), radii * np.sin(angles)], 1)


def _crescent(rng: np.random.Generator) -> np.ndarray:
    a = np.linspace(0.5, 2 * math.pi - 0.5, 40)
    inner_r, offset = rng.uniform(0.3, 0.4), rng.uniform(0.15, 0.25)
    outer = np.stack([0.5 * np.cos(a), 0.5 * np.sin(a)], 1)
    b = np.linspace(2 * math.pi - 0.9, 0.9, 30)
    inner = np.stack([offset + inner_r * np.cos(b), 0.15 + inner_r * np.sin(b)], 1)
    return np.concatenate([outer, inner])


def _key(rng: np.random.Generator) -> np.ndarray:
    a = np.linspace(0.35, 2 * math.pi - 0.35, 24)
    head = np.stack([-0.3 + 0.22 * np.cos(a), 0.22 * np.sin(a)], 1)
    t = rng.uniform(0.06, 0.09)
    shaft = [(-0.08, t), (0.3, t), (0.3, t + 0.14), (0.38, t + 0.14), (0.38, t), (0.5, t), (0.5, -t), (-0.08, -t)]
    return np.concatenate([head[head[:, 0] < -0.09], np.array(shaft)[::-1]])


def _bolt(rng: np.random.Generator) -> np.ndarray:
    w = rng.uniform(0.08, 0.14)
    return np.array(
        [(-0.1, -0.5), (0.25, -0.5), (0.05, -0.1), (0.3, -0.1), (-0.2, 0.5), (-0.02, 0.05), (-0.3, 0.05 + w / 2)]
    )


def _blob(rng: np.random.Generator) -> np.ndarray:
    a = np.linspace(0, 2 * math.pi, 64, endpoint=False)
    r = np.ones_like(a)
    for k in (1, 2, 3, 5):  # the odd terms break every rotational symmetry
        r += rng.uniform(0.1, 0.3) * np.cos(k * a + rng.uniform(0, 2 * math.pi))
    r = 0.5 * np.clip(r, 0.25, None) / r.max()
    return np.stack([r * np.cos(a), r * np.sin(a)], 1)


SHAPES = {"star": _star, "crescent": _crescent, "key": _key, "bolt": _bolt, "blob": _blob}


@dataclass
class ShiftSpec:
    label: str
    seed: int
    width: int
    height: int
    fps: float
    frames: int
    codec: str
    shape: str
    object_photo: str
    background_photo: str
    size: float  # object extent in pixels at the start ...
    end_size: float  # ... and at the end
    start: tuple[float, float]  # object centre in pixels at the start ...
    end: tuple[float, float]  # ... and at the end
    angle: float  # degrees, clockwise on screen
    end_angle: float
    cycles: float  # blink: on/off cycles over the clip; wave: swings; 0 otherwise
    phase: float
    shake: float  # camera shake, pixels (standard deviation of a smoothed random walk)
    gain: tuple[float, float]  # exposure at the start and end (lighting drift)
    blur: float  # Gaussian defocus sigma in pixels (0 = sharp)
    noise: float  # sensor noise, standard deviation in 0-255 units
    group: str = "shift"  # which photos: shift or transfer


def random_spec(label: str, seed: int, group: str = "shift") -> ShiftSpec:
    """Every random choice of one clip, from ``seed``."""
    if label not in LABELS + EXTRA:
        raise ValueError(f"unknown class {label!r}")
    rng = np.random.default_rng([seed, 77])
    width = int(rng.integers(80, 201)) * 2  # 160-400 pixels
    height = int(width / (4 / 3 if rng.random() < 0.5 else 16 / 9)) // 2 * 2
    fps = float(rng.choice(FPS))
    frames = max(24, min(150, round(rng.uniform(1.5, 4.0) * fps)))
    codec = str(rng.choice(list(CODECS)))
    if codec == "VP90" and width > 240:
        codec = "VP80"  # OpenCV's VP9 encoder is slow at larger sizes
    size = rng.uniform(0.3, 0.5) * height
    end_size, angle = size, rng.uniform(0, 360)
    end_angle, cycles = angle, 0.0
    cx, cy = rng.uniform(0.35, 0.65) * width, rng.uniform(0.35, 0.65) * height
    start = end = (cx, cy)
    if label.startswith("move"):
        travel = rng.uniform(0.35, 0.6) * width
        x0 = rng.uniform(0.5 * size, width - 0.5 * size - travel) if width - size > travel else (width - travel) / 2
        drift = rng.uniform(-0.08, 0.08) * height
        start, end = (x0, cy - drift), (x0 + travel, cy + drift)
        if label == "move_left":
            start, end = end, start
    elif label in ("grow", "shrink"):
        small = rng.uniform(0.15, 0.25) * height
        big = small * rng.uniform(2.2, 3.2)
        size, end_size = (small, big) if label == "grow" else (big, small)
    elif label.startswith("rotate"):
        turn = rng.uniform(150, 330)
        end_angle = angle + (turn if label == "rotate_cw" else -turn)
    elif label.startswith("blink"):
        cycles = float(rng.integers(5, 9) if label == "blink_fast" else rng.integers(1, 3))
    elif label == "wave":
        cycles = float(rng.uniform(1.0, 2.5))  # left-right swings over the clip
        end = (rng.uniform(0.15, 0.3) * width, 0.0)  # swing amplitude (x), stored in ``end``
    elif label == "exit":
        start, end = (cx, cy), (width + size, cy)  # walks out through the right edge by the last frame
    photos = PHOTOS[group]
    return ShiftSpec(
        label=label,
        seed=seed,
        width=width,
        height=height,
        fps=fps,
        frames=frames,
        codec=codec,
        shape=str(rng.choice(list(SHAPES))),
        object_photo=str(rng.choice(photos["objects"])),
        background_photo=str(rng.choice(photos["backgrounds"])),
        size=float(size),
        end_size=float(end_size),
        start=(float(start[0]), float(start[1])),
        end=(float(end[0]), float(end[1])),
        angle=float(angle),
        end_angle=float(end_angle),
        cycles=cycles,
        phase=float(rng.uniform(0, 1)),
        shake=float(rng.uniform(0, 0.012) * width),
        gain=(float(rng.uniform(0.75, 1.25)), float(rng.uniform(0.75, 1.25))),
        blur=float(rng.choice([0.0, 0.0, rng.uniform(0.5, 1.5)])),
        noise=float(rng.uniform(0, 10)),
        group=group,
    )


def _crop(image: np.ndarray, width: int, height: int, rng: np.random.Generator) -> np.ndarray:
    """A random crop of ``image`` with the aspect of width x height, resized to it; grey photos get a tint."""
    h, w = image.shape[:2]
    scale = rng.uniform(0.5, 1.0) * min(w / width, h / height)
    cw, ch = max(8, int(width * scale)), max(8, int(height * scale))
    x, y = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
    patch = cv2.resize(image[y : y + ch, x : x + cw], (width, height), interpolation=cv2.INTER_AREA).astype(np.float32)
    if np.abs(patch[..., 0] - patch[..., 1]).mean() < 1 and np.abs(patch[..., 1] - patch[..., 2]).mean() < 1:
        patch = patch * rng.uniform(0.5, 1.2, 3).astype(np.float32)
    return patch


def _scene(spec: ShiftSpec, margin: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Background (with a margin for shake), the object's texture and its mask (SPRITE x SPRITE)."""
    rng = np.random.default_rng([spec.seed, 78])
    background = _crop(photo(spec.background_photo), spec.width + 2 * margin, spec.height + 2 * margin, rng)
    texture = _crop(photo(spec.object_photo), SPRITE, SPRITE, rng)
    # A real object stands out from its surroundings: lift or darken it when the two photos look alike.
    gap = texture.mean() - background.mean()
    if abs(gap) < 60:
        texture = texture + (60 - abs(gap)) * (1 if gap >= 0 and background.mean() < 180 else -1)
    outline = SHAPES[spec.shape](np.random.default_rng([spec.seed, 79]))
    outline = outline / np.abs(outline).max() / 2  # extent 1 in the larger direction
    mask = np.zeros((SPRITE, SPRITE), np.uint8)
    points = np.round((outline * 0.98 + 0.5) * SPRITE * 16).astype(np.int32)
    cv2.fillPoly(mask, [points], 255, cv2.LINE_AA, shift=4)
    return background, texture.clip(0, 255), mask.astype(np.float32) / 255.0


def _shake_path(spec: ShiftSpec) -> np.ndarray:
    """(frames, 2) camera offsets: a random walk, smoothed, scaled to ``spec.shake`` pixels."""
    rng = np.random.default_rng([spec.seed, 80])
    walk = np.cumsum(rng.normal(0, 1, (spec.frames + 8, 2)), 0)
    walk = np.stack([np.convolve(walk[:, i], np.ones(5) / 5, "valid")[: spec.frames] for i in range(2)], 1)
    walk -= walk.mean(0)
    return walk / max(float(walk.std()), 1e-6) * spec.shake


def pose(spec: ShiftSpec, index: int) -> tuple[float, float, float, float, bool]:
    """Centre x, y (pixels), extent (pixels), clockwise angle (degrees) and visibility at frame ``index``."""
    p = index / (spec.frames - 1)
    size = spec.size + (spec.end_size - spec.size) * p
    angle = spec.angle + (spec.end_angle - spec.angle) * p
    if spec.label == "wave":
        x = spec.start[0] + spec.end[0] * math.sin(2 * math.pi * (spec.cycles * p + spec.phase))
        return x, spec.start[1], size, angle, True
    x = spec.start[0] + (spec.end[0] - spec.start[0]) * p
    y = spec.start[1] + (spec.end[1] - spec.start[1]) * p
    visible = spec.label not in ("blink_fast", "blink_slow") or (spec.phase + spec.cycles * p) % 1.0 < 0.5
    return x, y, size, angle, visible


def sprite_warp(x: float, y: float, size: float, angle: float) -> np.ndarray:
    """The 2x3 affine map from sprite pixels to frame pixels: centre at (x, y), extent ``size``, turned
    ``angle`` degrees clockwise on screen (OpenCV's positive angle turns counter-clockwise, hence the sign)."""
    warp = cv2.getRotationMatrix2D((SPRITE / 2, SPRITE / 2), -angle, size / SPRITE)
    warp[:, 2] += (x - SPRITE / 2, y - SPRITE / 2)
    return warp


def render(spec: ShiftSpec):
    """Yield the clip's RGB uint8 frames one at a time (a long clip is never held whole)."""
    margin = int(math.ceil(4 * spec.shake)) + 2
    background, texture, mask = _scene(spec, margin)
    shake = _shake_path(spec)
    noise = np.random.default_rng([spec.seed, 81])
    canvas = (spec.width + 2 * margin, spec.height + 2 * margin)
    for index in range(spec.frames):
        x, y, size, angle, visible = pose(spec, index)
        frame = background.copy()
        if visible:
            warp = sprite_warp(x + margin, y + margin, size, angle)
            alpha = cv2.warpAffine(mask, warp, canvas, flags=cv2.INTER_LINEAR)[..., None]
            sprite = cv2.warpAffine(texture, warp, canvas, flags=cv2.INTER_LINEAR)
            frame = frame * (1 - alpha) + sprite * alpha
        dx, dy = shake[index]
        ox, oy = int(round(margin + dx)), int(round(margin + dy))
        frame = frame[oy : oy + spec.height, ox : ox + spec.width]
        frame = frame * (spec.gain[0] + (spec.gain[1] - spec.gain[0]) * index / (spec.frames - 1))
        if spec.blur:
            frame = cv2.GaussianBlur(frame, (0, 0), spec.blur)
        if spec.noise:
            frame = frame + noise.standard_normal(frame.shape, np.float32) * spec.noise
        yield frame.clip(0, 255).astype(np.uint8)


def write(spec: ShiftSpec, stem: Path) -> Path:
    """Encode the clip with ``spec.codec`` to ``stem`` + the codec's extension."""
    path = stem.with_suffix(CODECS[spec.codec])
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*spec.codec), spec.fps, (spec.width, spec.height))
    if not writer.isOpened():
        raise RuntimeError(f"OpenCV could not open a {spec.codec} writer for {path.name}")
    try:
        for frame in render(spec):
            writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    finally:
        writer.release()
    return path


def clip_seed(seed: int, k: int, label: str) -> int:
    return seed * 1_000_003 + k * 16 + (LABELS + EXTRA).index(label)


def _write_one(out: Path, label: str, k: int, seed: int, group: str) -> dict:
    spec = random_spec(label, clip_seed(seed, k, label), group)
    path = write(spec, out / f"{label}_{k:03d}")
    return {"file": path.name, **asdict(spec)}


def make_set(
    out: str | Path,
    per_class: int = SHIFT_PER_CLASS,
    seed: int = SHIFT_SEED,
    labels: list[str] = LABELS,
    group: str = "shift",
    workers: int = 1,
) -> list[dict]:
    """Write ``per_class`` clips of each label to ``out`` with labels.json (one row per clip: file + spec)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    jobs = [(out, label, k, seed, group) for k in range(per_class) for label in labels]
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            rows = list(pool.map(_write_one, *zip(*jobs), chunksize=4))
    else:
        rows = [_write_one(*job) for job in jobs]
    (out / "labels.json").write_text(json.dumps(rows, indent=1) + "\n")
    return rows


def load_set(folder: str | Path, frames: int, size: int, labels: list[str] = LABELS, crop: bool = False):
    """Decode every clip of a folder written by ``make_set`` like an upload, as a model with ``motion_crop`` =
    ``crop`` reads them: (ClipSet, labels.json rows)."""
    from core.video.io import model_input, read_clip
    from core.video.train import ClipSet

    folder = Path(folder)
    rows = json.loads((folder / "labels.json").read_text())
    clips = [model_input(read_clip(folder / row["file"], frames).frames, size, crop) for row in rows]
    return ClipSet(np.stack(clips), np.array([labels.index(row["label"]) for row in rows])), rows


def score(model, data, shuffled: bool = False) -> dict:
    """Accuracy, per-class accuracy and confusion of ``model`` on ``data`` (``shuffled``: frames permuted per clip)."""
    from core.video.model import predict
    from core.video.train import confusion_matrix

    names = model.config.labels
    if shuffled:
        confusion = np.zeros((len(names), len(names)), int)
        for i, (clip, label) in enumerate(zip(data.clips, data.labels)):
            confusion[label, names.index(predict(model, clip, shuffle_seed=i)["label"])] += 1
    else:
        confusion = confusion_matrix(model, data)
    return {
        "accuracy": round(float(np.trace(confusion) / max(len(data), 1)), 4),
        "per_class": {
            name: round(float(confusion[i, i] / max(confusion[i].sum(), 1)), 4) for i, name in enumerate(names)
        },
        "confusion": confusion.tolist(),
        "clips": len(data),
    }


RESULTS = "bench/results/video_shift.json"  # written by bench/bench_video_shift.py, read by the video page


def side_by_side(results: dict) -> list[dict]:
    """One row per model of a stored ``RESULTS`` file: held-out and shift accuracy, the weakest shift class."""
    rows = []
    for name, parts in results.get("models", {}).items():
        per_class = parts["shift"]["per_class"]
        weakest = min(per_class, key=per_class.get)
        rows.append(
            {
                "model": name,
                "held-out": parts["heldout"]["accuracy"],
                "shift": parts["shift"]["accuracy"],
                "weakest shift class": f"{weakest} {per_class[weakest]:.0%}",
            }
        )
    return rows
