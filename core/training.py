"""One training loop for every model in the app.

The trainer knows nothing about the UI: it reports through a ``Callback`` (a page turns it
into a progress bar and a live chart, the CLI into a progress line, tests pass nothing) and
stops early when its ``cancel`` event is set or its time budget runs out.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from core.errors import UserError


@dataclass
class TrainConfig:
    epochs: int = 10  # passes over the training data
    lr: float = 1e-3  # Adam learning rate
    weight_decay: float = 0.0  # AdamW decoupled weight decay
    grad_clip: float = 1.0  # max global gradient norm; 0 turns clipping off
    seed: int = 0  # seeds python, numpy and torch before the model's first step
    max_seconds: float = 0.0  # stop after this much wall time (checked every step); 0 = no limit
    lr_decay: float = 1.0  # multiply the learning rate by this after every epoch
    device: str = ""  # where the steps run; "" = the one set by ``training_device`` (the CPU unless set)
    keep_best: str = ""  # a metric of ``evaluate`` to minimise: the model ends with the weights of its best epoch


@dataclass
class Progress:
    epoch: int  # 1-based epoch being run
    epochs: int
    step: int  # 1-based step within the epoch
    steps: int  # steps per epoch, 0 when unknown
    loss: float  # training loss of this step (on_step) or mean over the epoch (on_epoch)
    elapsed: float  # seconds since fit() started
    metrics: dict[str, float] = field(default_factory=dict)  # validation metrics (on_epoch only)

    @property
    def fraction(self) -> float:
        """Share of the whole run done, for progress bars."""
        within = self.step / self.steps if self.steps else 0.0
        return min(1.0, (self.epoch - 1 + within) / self.epochs)


class Callback:
    """Override what you need; every hook is optional."""

    def on_step(self, progress: Progress) -> None:
        pass

    def on_epoch(self, progress: Progress) -> None:
        pass


@dataclass
class History:
    epochs: list[dict[str, float]] = field(default_factory=list)  # {"epoch", "loss", "seconds", **metrics}
    cancelled: bool = False  # stopped by the cancel event
    timed_out: bool = False  # stopped by max_seconds
    seconds: float = 0.0
    best_epoch: int = 0  # the epoch whose weights the model ends with (``keep_best``); 0 = the last


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def default_threads() -> int:
    """Threads for a CLI process: every core this process may use."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


LossFn = Callable[[torch.nn.Module, Any], torch.Tensor]

_DEVICE = contextvars.ContextVar("training_device", default="cpu")


def current_device() -> str:
    """The device Trainers run on here: ``training_device``'s, else the CPU."""
    return _DEVICE.get()


@contextlib.contextmanager
def training_device(device: str) -> Iterator[None]:
    """Run every Trainer started inside on ``device`` (``models build --device cuda``); pages never set it."""
    try:
        parsed = torch.device(device)
    except RuntimeError:
        raise UserError(f"unknown torch device {device!r}; e.g. cpu, cuda, cuda:1") from None
    if parsed.type == "cuda" and not torch.cuda.is_available():
        raise UserError("device cuda asked for, but this machine has no CUDA GPU")
    token = _DEVICE.set(device)
    try:
        yield
    finally:
        _DEVICE.reset(token)


def to_device(batch: Any, device: torch.device) -> Any:
    """Move every tensor in a nested batch (tuples, lists, dicts) to ``device``; other values pass through."""
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, (tuple, list)):
        return type(batch)(to_device(b, device) for b in batch)
    if isinstance(batch, dict):
        return {k: to_device(v, device) for k, v in batch.items()}
    return batch


class Trainer:
    """Adam(W) + gradient clipping over batches from ``make_batches(epoch)``.

    ``loss_fn(model, batch)`` returns a scalar loss; ``evaluate(model)`` (run in eval mode
    under no_grad after each epoch) returns validation metrics. The model is left in eval mode.
    With ``config.device`` other than the CPU, steps run there and the model comes back to the
    CPU for evaluation, callbacks and the caller, so those never see device tensors.
    """

    def __init__(
        self,
        model: torch.nn.Module,
        config: TrainConfig,
        callback: Callback | None = None,
        cancel: threading.Event | None = None,
    ):
        self.model = model
        self.config = config
        self.callback = callback or Callback()
        self.cancel = cancel or threading.Event()
        self.optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)

    def fit(
        self,
        make_batches: Callable[[int], Iterable[Any]],
        loss_fn: LossFn,
        evaluate: Callable[[torch.nn.Module], dict[str, float]] | None = None,
        steps_per_epoch: int = 0,
    ) -> History:
        cfg, history = self.config, History()
        seed_everything(cfg.seed)  # fixes data order and dropout; the caller seeds model init
        device = torch.device(cfg.device or current_device())
        best, best_weights = float("inf"), None
        start = time.perf_counter()
        for epoch in range(1, cfg.epochs + 1):
            self.model.to(device).train()
            total, count = 0.0, 0
            for step, batch in enumerate(make_batches(epoch), start=1):
                if self.cancel.is_set():
                    history.cancelled = True
                    break
                if cfg.max_seconds and time.perf_counter() - start > cfg.max_seconds:
                    history.timed_out = True
                    break
                loss = loss_fn(self.model, to_device(batch, device))
                self.optimizer.zero_grad(set_to_none=True)
                loss.backward()
                if cfg.grad_clip > 0:
                    torch.nn.utils.clip_grad_norm_(self.model.parameters(), cfg.grad_clip)
                self.optimizer.step()
                total, count = total + loss.item(), count + 1
                elapsed = time.perf_counter() - start
                self.callback.on_step(Progress(epoch, cfg.epochs, step, steps_per_epoch, loss.item(), elapsed))
            self.model.cpu().eval()
            metrics = {}
            if evaluate is not None and count:
                with torch.no_grad():
                    metrics = evaluate(self.model)
            elapsed = time.perf_counter() - start
            mean = total / max(count, 1)
            if count:
                history.epochs.append({"epoch": epoch, "loss": mean, "seconds": elapsed, **metrics})
                if cfg.keep_best and metrics.get(cfg.keep_best, float("inf")) < best:
                    best, history.best_epoch = metrics[cfg.keep_best], epoch
                    best_weights = {k: v.clone() for k, v in self.model.state_dict().items()}
                self.callback.on_epoch(
                    Progress(epoch, cfg.epochs, steps_per_epoch or count, steps_per_epoch, mean, elapsed, metrics)
                )
            for group in self.optimizer.param_groups:
                group["lr"] *= cfg.lr_decay
            if history.cancelled or history.timed_out:
                break
        history.seconds = time.perf_counter() - start
        self.model.cpu().eval()
        if best_weights is not None:
            self.model.load_state_dict(best_weights)
        return history
