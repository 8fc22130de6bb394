"""Train your own classes from a user's clips: the video page's "Train your own", without Streamlit.

Class names and time ranges come as the page's text; clips are decoded and sampled like any upload
(``core.video.io``), a share of each class is held out, and a small CNN+RNN trains on the rest.
By default it starts from the shipped ``video-motion`` model's CNN and keeps it fixed (transfer): five
real-looking clips a class are too few to teach a CNN to see, but enough to teach a GRU and a head what
the shipped CNN's features mean for the user's classes. That CNN reads the motion stream, which carries
the frame order, so an order-blind or single-frame model starts from ``video-motion-synthetic``'s CNN
(its frame channels) instead. bench/bench_video_transfer.py measures both starts.
A third start fine-tunes a whole given model (shipped or uploaded): its network is kept, its head too when
the classes are its own, and epoch 0 of the curve is that model on the user's clips before any step.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field, replace

import numpy as np
import torch.nn as nn

from core import checkpoints
from core.errors import UserError
from core.training import Callback, TrainConfig, seed_everything
from core.video.io import read_clip, read_segments
from core.video.model import RECURRENT, VideoClassifier, VideoConfig, adapt_cnn_weights, input_groups
from core.video.train import ClipSet, accuracy, confusion_matrix, fit

MIN_CLASSES, MAX_CLASSES = 2, 8
TRANSFER_FROM = "video-motion"  # the shipped model whose CNN a user's classes start from
TRANSFER_FROM_FRAMES = "video-motion-synthetic"  # ... when they are read order-blind or from one frame
STARTS = ("transfer", "scratch", "model")


@dataclass
class Segment:
    label: str  # one of the class names
    start: float  # seconds into the long clip
    end: float


@dataclass
class CustomTraining:
    start: str = "transfer"  # transfer: TRANSFER_FROM's CNN, fixed (its size wins over width); scratch: a new CNN;
    # model: fine-tune a given model (its network: the settings must match it, see ``like``)
    freeze_cnn: bool = True  # model: keep the start model's CNN fixed (as transfer does)
    temporal: str = "gru"  # gru | lstm (read frames in order), mean (order-blind), frame (middle frame)
    hidden: int = 64  # RNN size (transfer: 93 % vs 90 % at 32 on 20 dev clips of wave/still, 3 seeds)
    width: int = 16  # CNN width: conv blocks of width, 2 x width, 2 x width channels
    motion: bool = True  # the CNN also sees each frame's change (recurrent models only: it carries order)
    flow: bool = False  # the CNN reads the motion stream instead of the frames (recurrent models only)
    epochs: int = 15
    held_share: float = 0.2  # share of each class with 2+ clips held out (at least one clip of it)
    frames: int = 16  # frames sampled per clip
    image_size: int = 32  # frames are area-resized to this square
    flow_size: int = 0  # model: the start model's (it computes its stream on frames of this side)
    flow_method: str = "dis"  # model: the start model's (the optical flow its stream is made of)
    motion_crop: bool = False  # model: the start model's (it reads frames cut to where the clip changes)
    flow_polar: bool = False  # model: the start model's (its stream carries the flow's radial and turning parts)
    lr: float = 3e-3
    batch_size: int = 8
    seed: int = 0  # model init, data order and the held-out split

    def config(self, names: list[str], cnn: VideoConfig | None = None) -> VideoConfig:
        """The model for ``names``; with ``cnn`` (the transfer source's config) its CNN's shape and input size."""
        recurrent = self.temporal in RECURRENT
        shape = {"channels": [self.width, self.width * 2, self.width * 2], "image_size": self.image_size}
        inputs = input_groups(self.temporal, self.motion, self.flow)
        inputs["flow_size"] = self.flow_size if inputs["flow"] else 0
        inputs["flow_method"], inputs["motion_crop"] = self.flow_method, self.motion_crop
        inputs["flow_polar"] = self.flow_polar and inputs["flow"]
        if cnn is not None:
            shape = {"channels": list(cnn.channels), "image_size": cnn.image_size, "feature_dim": cnn.feature_dim}
            inputs = {"appearance": cnn.appearance, "motion": cnn.motion and recurrent, "flow": cnn.flow and recurrent}
            inputs["flow_size"] = cnn.flow_size if inputs["flow"] else 0  # the stream its CNN learned to read
            inputs["flow_method"], inputs["motion_crop"] = cnn.flow_method, cnn.motion_crop
            inputs["flow_polar"] = cnn.flow_polar and inputs["flow"]
        return VideoConfig(
            labels=list(names), frames=self.frames, temporal=self.temporal, hidden=self.hidden, **shape, **inputs
        )

    def like(self, model: VideoClassifier) -> CustomTraining:
        """These settings fine-tuning ``model``: its network, sampling and input size."""
        c = model.config
        return replace(
            self,
            start="model",
            temporal=c.temporal,
            hidden=c.hidden,
            motion=c.motion,
            flow=c.flow,
            frames=c.frames,
            image_size=c.image_size,
            flow_size=c.flow_size,
            flow_method=c.flow_method,
            motion_crop=c.motion_crop,
            flow_polar=c.flow_polar,
            width=c.channels[0],
        )

    def clip_config(self) -> VideoConfig:
        """The model a user's clips are sampled for (``VideoConfig.model_input``): a transferred CNN reads what its
        source read (a stream computed on larger frames than itself, frames cut to the motion)."""
        if self.start == "transfer":
            documents = checkpoints.shipped_documents()
            source = documents.get(transfer_source(self.temporal))
            if source is not None:  # without it, new_model says what to do
                return self.config(["a", "b"], checkpoints.config_from_dict(VideoConfig, source["config"]))
        return self.config(["a", "b"])


NETWORK = {  # what fine-tuning keeps: setting -> (in words, the start model's value from its config)
    "temporal": ("over time", lambda c: c.temporal),
    "hidden": ("RNN size", lambda c: c.hidden),
    "motion": ("frame changes", lambda c: c.motion),
    "flow": ("motion stream", lambda c: c.flow),
    "frames": ("frames per clip", lambda c: c.frames),
    "image_size": ("frame size", lambda c: c.image_size),
    "flow_size": ("stream frame size", lambda c: c.flow_size),
    "flow_method": ("optical flow", lambda c: c.flow_method),
    "motion_crop": ("motion crop", lambda c: c.motion_crop),
    "flow_polar": ("radial and turning flow", lambda c: c.flow_polar),
}


def _said(value) -> str:
    return {True: "on", False: "off"}[value] if isinstance(value, bool) else str(value)


def check_start(start: VideoClassifier, settings: CustomTraining) -> None:
    """Fine-tuning keeps the start model's network: settings asking for another one are refused, saying which."""
    asked = {name: getattr(settings, name) for name in NETWORK}
    built = settings.config(["a", "b"])  # as config() builds it
    asked["motion"], asked["flow"], asked["flow_size"] = built.motion, built.flow, built.flow_size
    asked["flow_polar"] = built.flow_polar
    differ = [
        f"{words} {_said(asked[name])} (the start model: {_said(value(start.config))})"
        for name, (words, value) in NETWORK.items()
        if asked[name] != value(start.config)
    ]
    if differ:
        raise UserError(
            "fine-tuning keeps the start model's network, and these settings ask for another: "
            + "; ".join(differ)
            + ". Use the start model's settings, or start from the shipped CNN or from scratch"
        )


@dataclass
class Collected:
    data: ClipSet  # every clip, before the split
    notes: list[str] = field(default_factory=list)  # what the user should know (a range cut at the clip's end)


@dataclass
class Trained:
    model: VideoClassifier
    held: ClipSet  # the held-out clips (may be empty)
    train_accuracy: float
    held_accuracy: float | None  # None when nothing was held out
    confusion: list[list[int]]  # on the held-out clips; row = true class
    notes: list[str] = field(default_factory=list)
    start_name: str = ""  # the model fine-tuned from ("" for transfer and scratch)
    start_point: dict | None = None  # epoch 0 of a fine-tune: that model on these clips before any step

    def meta(self) -> dict:
        """Checkpoint metadata for the download."""
        meta = {
            "task": "video classification (your classes)",
            "description": "trained on the video page",
            "metrics": {"train_accuracy": self.train_accuracy, "held_accuracy": self.held_accuracy},
            "headline": "train_accuracy",
            "trained_with": "the video page, Train your own",
        }
        if self.start_point is not None:
            meta.update(fine_tuned_from=self.start_name, start=self.start_point)
        return meta


def class_names(text: str) -> list[str]:
    """'wave, clap' -> ['wave', 'clap']: 2-8 distinct names."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not MIN_CLASSES <= len(names) <= MAX_CLASSES or len(set(names)) != len(names):
        raise UserError(f"name {MIN_CLASSES}-{MAX_CLASSES} distinct classes, separated by commas")
    return names


def parse_ranges(text: str, names: list[str]) -> list[Segment]:
    """Lines 'class: start-end' (seconds) -> segments; blank lines are skipped."""
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            label, span = line.split(":", 1)
            start, end = (float(v) for v in span.split("-", 1))
        except ValueError:
            raise UserError(f"line {number}: write 'class: start-end' in seconds, e.g. 'wave: 2.5-4'") from None
        if label.strip() not in names:
            raise UserError(f"line {number}: unknown class {label.strip()!r}; classes: {', '.join(names)}")
        if not 0 <= start < end:
            raise UserError(f"line {number}: a range needs 0 <= start < end")
        out.append(Segment(label.strip(), start, end))
    if not out:
        raise UserError("give at least one range per class, one per line: 'class: start-end'")
    return out


def _every_class(labels: list[int], names: list[str]) -> np.ndarray:
    counts = np.bincount(np.array(labels, int), minlength=len(names))
    empty = [n for n, k in zip(names, counts) if k == 0]
    if empty:
        raise UserError(f"every class needs at least one clip; none for {', '.join(empty)}")
    return np.array(labels, np.int64)


def clips_from_uploads(uploads: list[list[tuple[str, bytes]]], names: list[str], settings: CustomTraining) -> Collected:
    """One list of (file name, bytes) per class -> the sampled clips, labelled by class."""
    clips, labels, reader = [], [], settings.clip_config()
    for c, (name, files) in enumerate(zip(names, uploads)):
        for file_name, data in files:
            try:
                clip = read_clip(data, settings.frames)
            except UserError as error:
                raise UserError(f"{name} / {file_name}: {error}") from None
            clips.append(reader.model_input(clip.frames))
            labels.append(c)
    labels = _every_class(labels, names)
    return Collected(ClipSet(np.stack(clips), labels))


def clips_from_ranges(data: bytes, segments: list[Segment], names: list[str], settings: CustomTraining) -> Collected:
    """Time ranges of one long clip -> one sampled clip per range (one decoding pass for all)."""
    clips = read_segments(data, settings.frames, [(s.start, s.end) for s in segments])
    labels = _every_class([names.index(s.label) for s in segments], names)
    reader = settings.clip_config()
    frames = np.stack([reader.model_input(clip.frames) for clip in clips])
    notes = [note for clip in clips for note in clip.notes]
    return Collected(ClipSet(frames, labels), notes)


def new_model(names: list[str], settings: CustomTraining, start: VideoClassifier | None = None) -> VideoClassifier:
    """A model for the user's classes; with ``start="transfer"`` its CNN is the shipped one's, frozen; with
    ``start="model"`` a copy of ``start`` (a new head when the classes are not its own)."""
    if settings.start not in STARTS:
        raise UserError(f"start must be one of {', '.join(STARTS)}, not {settings.start!r}")
    if settings.start == "model":
        return _fine_tuned(start, names, settings)
    if settings.start == "scratch":
        return VideoClassifier(settings.config(names))
    name = transfer_source(settings.temporal)
    if not (checkpoints.ASSETS_DIR / name / checkpoints.CONFIG_NAME).is_file():
        raise UserError(f"transfer needs the shipped {name} model: run make weights, or start from scratch")
    source = checkpoints.load(name)
    model = VideoClassifier(settings.config(names, source.config))
    model.cnn.load_state_dict(adapt_cnn_weights(source.cnn.state_dict(), source.config, model.config))
    model.cnn.requires_grad_(False)  # BatchNorm statistics still adapt: fit recalibrates them on the user's clips
    return model


def transfer_source(temporal: str) -> str:
    """The shipped model whose CNN a user's model reading frames ``temporal``-wise starts from."""
    return TRANSFER_FROM if temporal in RECURRENT else TRANSFER_FROM_FRAMES


def _fine_tuned(start: VideoClassifier | None, names: list[str], settings: CustomTraining) -> VideoClassifier:
    if start is None:
        raise UserError("fine-tuning needs a start model: pick a shipped or an uploaded one")
    check_start(start, settings)
    model = copy.deepcopy(start)  # the start model (shared, cached or the session's upload) stays as it was
    if list(start.config.labels) != list(names):  # other classes: the network is kept, the head is new
        model.config = replace(start.config, labels=list(names), mirror_labels=[])  # pairs of the old classes
        model.head = nn.Linear(model.head.in_features, len(names))
    model.cnn.requires_grad_(not settings.freeze_cnn)
    return model


def split(labels: np.ndarray, share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train, held-out) indices: ``share`` of each class with at least 2 clips (at least one of them, if share > 0)."""
    rng = np.random.default_rng(seed)
    held = []
    for c in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == c))
        if len(members) >= 2 and share > 0:
            held += list(members[: max(1, round(share * len(members)))])
    held = np.array(sorted(held), int)
    return np.setdiff1d(np.arange(len(labels)), held), held


def train(
    collected: Collected,
    names: list[str],
    settings: CustomTraining,
    callback: Callback | None = None,
    cancel: threading.Event | None = None,
    start: VideoClassifier | None = None,
    start_name: str = "",
) -> Trained:
    """Hold out a share of each class, train a model (new, or ``start`` fine-tuned) on the rest, score both parts."""
    data = collected.data
    train_idx, held_idx = split(data.labels, settings.held_share, settings.seed)
    seen = ClipSet(data.clips[train_idx], data.labels[train_idx])
    held = ClipSet(data.clips[held_idx], data.labels[held_idx])
    seed_everything(settings.seed)
    model = new_model(names, settings, start)
    fine_tune = settings.start == "model"
    history = fit(
        model,
        seen,
        TrainConfig(epochs=settings.epochs, lr=settings.lr, seed=settings.seed),
        held if len(held) else None,
        batch_size=settings.batch_size,
        callback=callback,
        cancel=cancel,
        measure_start=fine_tune,
    )
    return Trained(
        model=model,
        held=held,
        train_accuracy=accuracy(model, seen),
        held_accuracy=accuracy(model, held) if len(held) else None,
        confusion=confusion_matrix(model, held).tolist(),
        notes=collected.notes,
        start_name=(start_name or "a checkpoint") if fine_tune else "",
        start_point=history.epochs[0] if fine_tune else None,
    )
