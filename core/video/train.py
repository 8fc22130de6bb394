"""Training a video classifier on sampled frames held in memory (shipped recipes, CLI and page alike)."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn

from core.errors import UserError
from core.training import Callback, History, Progress, TrainConfig, Trainer
from core.video.model import VideoClassifier, predict_batch, train_loss
from core.video.motion_stream import streams_of_flips


@dataclass
class ClipSet:
    clips: np.ndarray  # (N, T, S, S, 3) uint8 sampled frames
    labels: np.ndarray  # (N,) int64 class index
    states: np.ndarray | None = None  # (N, T, 6) object states of synthetic clips (auxiliary targets)

    def __len__(self) -> int:
        return len(self.labels)


class WithStateHead(nn.Module):
    """The classifier plus a linear head that predicts each frame's object state from its CNN features.

    Only the classifier is saved; the extra head exists to teach the CNN where, how big, how turned
    and whether visible the object is, which the clip label alone teaches slowly."""

    def __init__(self, model: VideoClassifier, weight: float):
        super().__init__()
        self.model, self.weight = model, weight
        self.state_head = nn.Linear(model.config.feature_dim, 6)

    def loss(self, batch, stream: torch.Tensor | None = None) -> torch.Tensor:
        frames, labels, states = batch
        guess = self.state_head(self.model.frame_features(frames, stream))  # (B, T, 6)
        visible = states[..., 5]
        shown = visible.unsqueeze(-1).expand_as(states[..., :5])  # geometry only counts where the object is
        geometry = ((guess[..., :5] - states[..., :5]) ** 2 * shown).sum() / shown.sum().clamp(min=1)
        seen = nn.functional.binary_cross_entropy_with_logits(guess[..., 5], visible)
        return train_loss(self.model, (frames, labels), stream) + self.weight * (geometry + seen)


def _flip(batch: list, kind: str, rows: torch.Tensor, swap: list[int]) -> list:
    """Mirror (left-right) or reverse (in time) the chosen rows of (clips, labels, states) and relabel them."""
    clips, labels, states = (x.clone() if x is not None else None for x in batch)
    dim = 3 if kind == "mirror" else 1  # clips (B, T, S, S, 3): width or time
    clips[rows] = clips[rows].flip(dim)
    labels[rows] = torch.tensor(swap)[labels[rows]]
    if states is not None:
        if kind == "mirror":
            states[rows, :, 0] = 1 - states[rows, :, 0]  # x as a share of the width
            states[rows, :, 4] = -states[rows, :, 4]  # cos(angle): a mirrored direction points the other way
        else:
            states[rows] = states[rows].flip(1)
    return [clips, labels, states]


@torch.no_grad()
def recalibrate_batchnorm(
    model: VideoClassifier, clips: np.ndarray, batch_size: int, streams: torch.Tensor | None = None
) -> None:
    """Recompute the CNN's BatchNorm running statistics over ``clips`` with the current weights.

    Training normalises with each batch's own statistics; evaluation uses running averages that
    start at mean 0, variance 1 and move 10 % a step. A page run on 5 clips takes one step an epoch:
    after 15 steps the first layer's running variance still held 0.9^15 ~ 0.2 of that initial 1
    against a true 0.0006, so eval-mode answers disagreed with a near-zero loss (training accuracy
    67 % at loss 0.01). Equal-weight averages over batches of the training size (PyTorch's
    ``momentum=None``) give the statistics training used ("precise BN": Wu & Johnson, 2021)."""
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    momenta = [norm.momentum for norm in norms]
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None
        norm.train()
    for i in range(0, len(clips), batch_size):
        stream = streams[i : i + batch_size] if streams is not None else None
        model.frame_features(torch.from_numpy(clips[i : i + batch_size]), stream)
    for norm, momentum in zip(norms, momenta):
        norm.momentum = momentum
        norm.train(model.training)


def accuracy(model: VideoClassifier, data: ClipSet) -> float:
    return float((predict_batch(model, data.clips) == data.labels).mean()) if len(data) else 0.0


def confusion_matrix(model: VideoClassifier, data: ClipSet) -> np.ndarray:
    """(C, C) counts: row = true class, column = the model's answer."""
    n = len(model.config.labels)
    confusion = np.zeros((n, n), int)
    if len(data):
        np.add.at(confusion, (data.labels, predict_batch(model, data.clips)), 1)
    return confusion


def fit(
    model: VideoClassifier,
    train: ClipSet,
    config: TrainConfig,
    val: ClipSet | None = None,
    batch_size: int = 32,
    state_weight: float = 0.0,
    callback: Callback | None = None,
    cancel: threading.Event | None = None,
    mirror: list[int] | None = None,
    reverse: list[int] | None = None,
    measure_start: bool = False,
    stream_workers: int = 1,
) -> History:
    """Train ``model`` on ``train`` (shuffled each epoch by the seed); report train/val accuracy per epoch.

    ``state_weight`` > 0 adds the auxiliary object-state loss (needs ``train.states``). ``mirror`` and
    ``reverse`` (class index -> class index, e.g. move_left -> move_right) turn on augmentation: each clip
    is flipped left-right and/or played backwards with probability 1/2 and relabelled. The flipped twin
    looks the same frame by frame but belongs to the other class of its pair, so fitting both leaves the
    model nothing to memorise but the direction of the change.

    ``measure_start`` (fine-tuning) first scores the model as it comes, before any step, and reports that as
    epoch 0 (the first point of the curve and of the history).

    A model that reads the motion stream gets each clip's stream for every flip computed once, before the first
    epoch (in ``stream_workers`` processes), not at every step: the same values, so the same steps."""
    if len(train) == 0:
        raise UserError("no training clips")
    side = model.config.input_size
    if train.clips.shape[1:] != (model.config.frames, side, side, 3):
        raise UserError(
            f"training clips have shape {train.clips.shape[1:]}, the model expects {model.config.frames} frames "
            f"of {side}x{side}"
        )
    clips, labels = torch.from_numpy(train.clips), torch.from_numpy(train.labels)
    aux = state_weight > 0 and train.states is not None
    states = torch.from_numpy(train.states) if aux else None
    trained = WithStateHead(model, state_weight) if aux else model
    steps = (len(train) + batch_size - 1) // batch_size
    mirrors, backwards = (
        (False, True) if mirror is not None else (False,),
        (False, True) if reverse is not None else (False,),
    )
    streams = None  # (N, flips, T, s, s, 3): each clip's stream for every flip the augmentation may draw
    if model.config.flow:
        factor = model.config.input_size // model.config.image_size
        flips = [(m, b) for m in mirrors for b in backwards]  # index: m * len(backwards) + b
        c = model.config
        streams = streams_of_flips(train.clips, flips, factor, stream_workers, c.flow_method, c.flow_polar)
        streams = torch.from_numpy(streams)

    def make_batches(epoch: int):
        generator = torch.Generator().manual_seed(config.seed * 1000 + epoch)
        order = torch.randperm(len(train), generator=generator)
        for i in range(0, len(order), batch_size):
            pick = order[i : i + batch_size]
            batch = [clips[pick], labels[pick], states[pick] if aux else None]
            drawn = {}  # kind -> rows flipped that way
            for kind, swap in (("mirror", mirror), ("reverse", reverse)):
                drawn[kind] = torch.zeros(len(pick), dtype=torch.bool)
                if swap is not None:
                    drawn[kind] = torch.rand(len(pick), generator=generator) < 0.5
                    batch = _flip(batch, kind, drawn[kind], swap)
            flip = drawn["mirror"].long() * len(backwards) + drawn["reverse"].long()
            yield (*batch, streams[pick, flip] if streams is not None else None)

    def loss_fn(module, batch):
        *batch, stream = batch
        return module.loss(batch, stream) if aux else train_loss(module, batch[:2], stream)

    seen = ClipSet(train.clips[:512], train.labels[:512])  # a bounded sample: evaluation must stay cheap

    def evaluate(module) -> dict[str, float]:
        # after every epoch that took a step, so the model also ends with its final weights' statistics;
        # 128 clips (2,048 frames) pin them down, more would only add to every epoch's evaluation
        calibration = streams[:128, 0] if streams is not None else None  # the clips as they are
        recalibrate_batchnorm(model, seen.clips[:128], batch_size, calibration)
        metrics = {"train_accuracy": accuracy(model, seen)}
        if val is not None and len(val):
            metrics["val_accuracy"] = accuracy(model, val)
        return metrics

    start = _start_point(model, seen, val) if measure_start else None
    if start is not None and callback is not None:
        metrics = {k: v for k, v in start.items() if k.endswith("accuracy")}
        callback.on_epoch(Progress(0, config.epochs, 0, steps, start["loss"], 0.0, metrics))
    history = Trainer(trained, config, callback, cancel).fit(make_batches, loss_fn, evaluate, steps)
    if start is not None:
        history.epochs.insert(0, start)
    model.eval()
    return history


@torch.no_grad()
def _start_point(model: VideoClassifier, seen: ClipSet, val: ClipSet | None) -> dict:
    """Epoch 0 of a fine-tune: the start model's loss and accuracy on the clips it is about to learn, as it
    comes (its own BatchNorm statistics: fit recalibrates them only after a step). ``seen`` is bounded."""
    model.eval()
    loss = float(train_loss(model, (torch.from_numpy(seen.clips), torch.from_numpy(seen.labels))))
    point = {"epoch": 0, "loss": loss, "seconds": 0.0, "train_accuracy": accuracy(model, seen)}
    if val is not None and len(val):
        point["val_accuracy"] = accuracy(model, val)
    return point
