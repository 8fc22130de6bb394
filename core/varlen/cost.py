"""What padding costs: forward+backward time and memory of naive padding vs packing vs bucketing,
and the training-speed ratio on a real task.

Memory on CPU: PyTorch keeps no peak-allocation counter for the CPU allocator, so we count what
dominates the peak of a forward+backward pass: the bytes autograd saves for backward (every
tensor passed to ``saved_tensors_hooks``, each storage once). The same counter is used for every
strategy, so the ratios are fair; the absolute numbers leave out weights and optimizer state.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence

from core.training import TrainConfig, Trainer, seed_everything
from core.varlen.batching import buckets, mask, pad

STRATEGIES = ("naive padding", "packing", "bucketing")


class SavedBytes:
    """Counts the bytes autograd saves for backward inside the ``with`` block."""

    def __init__(self):
        self.bytes = 0
        self._seen: set[int] = set()

    def _pack(self, tensor: torch.Tensor) -> torch.Tensor:
        storage = tensor.untyped_storage()
        if storage.data_ptr() not in self._seen:
            self._seen.add(storage.data_ptr())
            self.bytes += storage.nbytes()
        return tensor

    def __enter__(self):
        self._hooks = torch.autograd.graph.saved_tensors_hooks(self._pack, lambda t: t)
        self._hooks.__enter__()
        return self

    def __exit__(self, *exc):
        self._hooks.__exit__(*exc)


def _padded_loss(lstm: nn.LSTM, x: torch.Tensor, lengths: list[int]) -> torch.Tensor:
    out, _ = lstm(x)  # (B, T, H): every cell computed, pads included
    valid = mask(lengths, x.size(1)).unsqueeze(-1)  # (B, T, 1)
    return (out * valid).sum()  # pads must not reach the loss


def strategy_loss(strategy: str, lstm: nn.LSTM, x: torch.Tensor, lengths: list[int], n_buckets: int = 4):
    """A forward pass of ``lstm`` over post-padded ``x`` (B, T, I) the way ``strategy`` batches it."""
    if strategy == "naive padding":
        return _padded_loss(lstm, x, lengths)
    if strategy == "packing":
        packed = pack_padded_sequence(x, torch.tensor(lengths), batch_first=True, enforce_sorted=False)
        out, _ = lstm(packed)
        return out.data.sum()  # packed data holds real positions only
    if strategy == "bucketing":
        total = x.new_zeros(())
        for group in buckets(lengths, n_buckets):
            longest = max(lengths[i] for i in group)
            total = total + _padded_loss(lstm, x[group, :longest], [lengths[i] for i in group])
        return total
    raise ValueError(f"unknown strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}")


def best_seconds(fn: Callable[[], None], repeats: int) -> float:
    """Fastest of ``repeats`` timed calls: on a shared machine the minimum is the least disturbed run."""
    fn()  # warm-up: first calls allocate and pick kernels
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


@dataclass
class Cost:
    strategy: str
    seconds: float  # fastest forward+backward time
    saved_bytes: int  # bytes autograd keeps for backward
    cells: int  # LSTM steps x rows actually computed
    padding_fraction: float  # share of those cells that are padding


def measure(
    lengths: list[int],
    hidden: int = 64,
    input_size: int = 32,
    repeats: int = 5,
    n_buckets: int = 4,
    seed: int = 0,
    progress: Callable[[float], None] | None = None,
) -> list[Cost]:
    """Forward+backward of one LSTM layer on a batch with these lengths, per strategy."""
    torch.manual_seed(seed)
    lstm = nn.LSTM(input_size, hidden, batch_first=True)
    x = torch.randn(len(lengths), max(lengths), input_size)  # (B, T, I)
    groups = buckets(lengths, n_buckets)
    cells = {
        "naive padding": len(lengths) * max(lengths),
        "packing": sum(lengths),
        "bucketing": sum(len(g) * max(lengths[i] for i in g) for g in groups),
    }

    def step(strategy: str) -> None:
        lstm.zero_grad(set_to_none=True)
        strategy_loss(strategy, lstm, x, lengths, n_buckets).backward()

    # Round-robin over the strategies, keeping each one's fastest run: a burst of load from other
    # processes then slows one round of all three instead of every run of one strategy.
    best = {strategy: best_seconds(lambda s=strategy: step(s), 1) for strategy in STRATEGIES}
    for round_ in range(1, repeats):
        for strategy in STRATEGIES:
            start = time.perf_counter()
            step(strategy)
            best[strategy] = min(best[strategy], time.perf_counter() - start)
        if progress:
            progress(round_ / repeats)
    results = []
    for strategy in STRATEGIES:
        with SavedBytes() as saved:
            loss = strategy_loss(strategy, lstm, x, lengths, n_buckets)
        loss.backward()
        fraction = 1 - sum(lengths) / cells[strategy]
        results.append(Cost(strategy, best[strategy], saved.bytes, cells[strategy], fraction))
    if progress:
        progress(1.0)
    return results


def speedups(costs: list[Cost]) -> dict[str, float]:
    """How many times faster than naive padding each strategy ran."""
    naive = next(c.seconds for c in costs if c.strategy == "naive padding")
    return {c.strategy: naive / c.seconds for c in costs}


class CharLM(nn.Module):
    """Next-token LSTM language model used for the training-speed comparison."""

    def __init__(self, vocab: int, embed: int = 32, hidden: int = 128):
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, hidden, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def loss(self, strategy: str, sequences: list[list[int]]) -> torch.Tensor:
        lengths = [len(s) - 1 for s in sequences]  # predict token t+1 from tokens ..t
        inputs = pad([s[:-1] for s in sequences])  # (B, T)
        targets = pad([s[1:] for s in sequences], value=-100)  # -100: ignored by cross_entropy
        x = self.embed(inputs)  # (B, T, E)
        if strategy == "packing":
            lens = torch.tensor(lengths)
            out, _ = self.lstm(pack_padded_sequence(x, lens, batch_first=True, enforce_sorted=False))
            gold = pack_padded_sequence(targets, lens, batch_first=True, enforce_sorted=False).data
            return nn.functional.cross_entropy(self.head(out.data), gold)
        out, _ = self.lstm(x)  # (B, T, H) padded: naive and bucketed batches alike
        return nn.functional.cross_entropy(self.head(out).flatten(0, 1), targets.flatten())


def training_batches(lengths: list[int], batch_size: int, strategy: str, seed: int) -> list[list[int]]:
    """Index batches: random for naive padding and packing, length-sorted chunks for bucketing."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(lengths)).tolist()
    if strategy == "bucketing":
        order = sorted(order, key=lambda i: lengths[i])  # stable: ties keep their random order
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    if strategy == "bucketing":
        batches = [batches[i] for i in rng.permutation(len(batches))]  # mixed lengths across steps
    return batches


def training_speed(
    sequences: list[list[int]],
    vocab: int,
    batch_size: int = 32,
    steps: int = 20,
    hidden: int = 128,
    seed: int = 0,
    progress: Callable[[float], None] | None = None,
) -> list[dict]:
    """Train the same char LM for ``steps`` steps per strategy with the shared Trainer; seconds per step."""
    sequences = [s for s in sequences if len(s) >= 2]
    lengths = [len(s) for s in sequences]
    results = []
    for index, strategy in enumerate(STRATEGIES):
        batches = training_batches(lengths, batch_size, strategy, seed)[:steps]
        seed_everything(seed)
        model = CharLM(vocab, hidden=hidden)
        trainer = Trainer(model, TrainConfig(epochs=1, lr=3e-3, seed=seed))
        history = trainer.fit(
            lambda epoch, batches=batches: ([sequences[i] for i in b] for b in batches),
            lambda m, batch, strategy=strategy: m.loss(strategy, batch),
            steps_per_epoch=len(batches),
        )
        cells = sum(len(b) * max(lengths[i] - 1 for i in b) for b in batches)
        real = sum(lengths[i] - 1 for b in batches for i in b)
        results.append(
            {
                "strategy": strategy,
                "seconds_per_step": history.seconds / len(batches),
                "loss": history.epochs[-1]["loss"],
                "steps": len(batches),
                "padding_fraction": 0.0 if strategy == "packing" else 1 - real / cells,
            }
        )
        if progress:
            progress((index + 1) / len(STRATEGIES))
    return results
