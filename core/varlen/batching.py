"""Batches of sequences of different lengths: length distributions, padding, truncation, masks,
packing and bucketing, each with the share of computed cells that are padding.

A batch is a plain ``list[list[int]]`` of token ids; every function here works on that, so the
page, the CLI and the benchmarks all describe the same batch the same way.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np
import torch
from torch.nn.utils.rnn import pack_sequence

from core.errors import UserError

# Caps that keep a request inside what a page can draw and a 2-core CPU can run in about a second.
MAX_BATCH = 128  # sequences per batch
MAX_LEN = 500  # tokens per sequence from a length distribution
MAX_TYPED_LINES = 32  # typed sequences
MAX_TYPED_TOKENS = 200  # tokens per typed sequence
MAX_TOKEN_ID = 999  # token ids are 0..MAX_TOKEN_ID (the pad value is one of them)
VOCAB = 50  # random tokens are drawn from 1..VOCAB-1 so the default pad value 0 never collides

SYNTHETIC = ("uniform", "long-tailed")
REAL = ("numbers", "dates", "folk tunes")
DISTRIBUTIONS = SYNTHETIC + REAL
SIDES = ("post", "pre")


@dataclass
class Batch:
    sequences: list[list[int]]  # token ids, one list per sequence
    source: str  # where the lengths came from, in words
    notices: list[str] = field(default_factory=list)  # caps that were applied, shown to the user

    @property
    def lengths(self) -> list[int]:
        return [len(s) for s in self.sequences]


def capped(value: int, low: int, high: int, name: str, notices: list[str]) -> int:
    """Clamp ``value`` to [low, high]; a clamp is reported in ``notices`` instead of failing."""
    if value > high:
        notices.append(f"{name} {value:,} is above the cap of {high:,}; using {high:,}.")
        return high
    if value < low:
        notices.append(f"{name} {value:,} is below {low:,}; using {low:,}.")
        return low
    return value


def sample_lengths(distribution: str, batch_size: int, max_len: int, rng: np.random.Generator) -> list[int]:
    """Lengths from a synthetic distribution, all in 1..max_len.

    ``long-tailed``: log-normal with median max_len/10 and sigma 1, so most sequences are short
    and a few are far longer, which is what makes naive padding expensive.
    """
    if distribution == "uniform":
        lengths = rng.integers(1, max_len + 1, size=batch_size)
    elif distribution == "long-tailed":
        lengths = np.ceil(rng.lognormal(math.log(max(max_len / 10, 1)), 1.0, size=batch_size))
    else:
        raise UserError(f"unknown synthetic distribution {distribution!r}; choose one of {', '.join(SYNTHETIC)}")
    return [int(n) for n in np.clip(lengths, 1, max_len)]


def real_sequences(name: str) -> list[str]:
    """Texts from the app's own datasets (source sides of translation data, folk-tune bodies)."""
    from core.varlen import sources  # the real data generators belong to other packages

    return sources.texts(name)


def encode_chars(texts: list[str]) -> list[list[int]]:
    """Character ids 1..VOCAB-1 (a stable hash of the code point), so real texts fit the demo's vocabulary."""
    return [[1 + ord(ch) % (VOCAB - 1) for ch in text] for text in texts]


def make_batch(distribution: str, batch_size: int, max_len: int = 200, seed: int = 0) -> Batch:
    """A batch of random tokens with lengths from ``distribution`` (caps applied with a notice)."""
    if distribution not in DISTRIBUTIONS:
        raise UserError(f"unknown length distribution {distribution!r}; choose one of {', '.join(DISTRIBUTIONS)}")
    notices: list[str] = []
    batch_size = capped(int(batch_size), 1, MAX_BATCH, "Batch size", notices)
    max_len = capped(int(max_len), 1, MAX_LEN, "Maximum length", notices)
    rng = np.random.default_rng(seed)
    if distribution in SYNTHETIC:
        lengths = sample_lengths(distribution, batch_size, max_len, rng)
        sequences = [rng.integers(1, VOCAB, size=n).tolist() for n in lengths]
        return Batch(sequences, f"{distribution} lengths in 1..{max_len}", notices)
    texts = real_sequences(distribution)
    picked = rng.choice(len(texts), size=batch_size, replace=len(texts) < batch_size)
    chosen = [texts[i] for i in picked]
    longer = sum(len(t) > MAX_LEN for t in chosen)
    if longer:
        notices.append(f"{longer} sequence(s) longer than {MAX_LEN} characters were cut to {MAX_LEN}.")
    sequences = encode_chars([t[:MAX_LEN] for t in chosen])
    return Batch(sequences, f"{distribution}: {batch_size} real examples, one token per character", notices)


_SEPARATORS = re.compile(r"[\s,]+")


def parse_sequences(text: str) -> Batch:
    """Typed sequences: one per line, integer token ids separated by spaces or commas."""
    if not isinstance(text, str):
        raise UserError(f"typed sequences must be text, got {type(text).__name__}")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        raise UserError("no sequences typed: enter one sequence per line, e.g. '3 1 4 1 5'")
    if len(lines) > MAX_TYPED_LINES:
        raise UserError(f"{len(lines)} sequences typed; at most {MAX_TYPED_LINES} are accepted")
    sequences = []
    for number, line in enumerate(lines, start=1):
        tokens = [t for t in _SEPARATORS.split(line) if t]
        if len(tokens) > MAX_TYPED_TOKENS:
            raise UserError(f"line {number} has {len(tokens):,} tokens; at most {MAX_TYPED_TOKENS} per sequence")
        ids = []
        for token in tokens:
            if not re.fullmatch(r"\d+", token):
                raise UserError(
                    f"line {number}: {token[:20]!r} is not a token id; "
                    f"use whole numbers 0..{MAX_TOKEN_ID} separated by spaces or commas"
                )
            value = int(token)
            if value > MAX_TOKEN_ID:
                raise UserError(f"line {number}: token id {value} is above {MAX_TOKEN_ID}")
            ids.append(value)
        sequences.append(ids)
    return Batch(sequences, f"{len(sequences)} typed sequence(s)")


def truncate(sequences: list[list[int]], max_len: int, side: str = "post") -> list[list[int]]:
    """Cut every sequence to ``max_len`` tokens, dropping its end ("post") or its start ("pre")."""
    _check_side(side)
    if max_len < 1:
        raise UserError(f"maximum length must be at least 1, got {max_len}")
    return [s[:max_len] if side == "post" else s[-max_len:] for s in sequences]


def pad(sequences: list[list[int]], value: int = 0, side: str = "post", length: int | None = None) -> torch.Tensor:
    """(B, T) token grid, pads after ("post") or before ("pre") each sequence; T = longest or ``length``."""
    _check_side(side)
    longest = max((len(s) for s in sequences), default=0)
    length = longest if length is None else length
    if length < longest:
        raise ValueError(f"cannot pad to {length}: a sequence has {longest} tokens (truncate first)")
    grid = torch.full((len(sequences), length), value, dtype=torch.long)
    for row, seq in enumerate(sequences):
        if seq:
            ids = torch.tensor(seq, dtype=torch.long)
            if side == "post":
                grid[row, : len(seq)] = ids
            else:
                grid[row, length - len(seq) :] = ids
    return grid


def mask(lengths: list[int] | torch.Tensor, length: int, side: str = "post") -> torch.Tensor:
    """(B, T) bool, True on real tokens. Built from the lengths, never from the pad value."""
    _check_side(side)
    lengths = torch.as_tensor(lengths, dtype=torch.long)
    positions = torch.arange(length)[None, :]  # (1, T)
    if side == "post":
        return positions < lengths[:, None]
    return positions >= (length - lengths)[:, None]


def padding_fraction(lengths: list[int], length: int | None = None) -> float:
    """Share of the (B, T) cells that are padding."""
    if not lengths:
        return 0.0
    length = max(lengths) if length is None else length
    return 1.0 - sum(lengths) / (len(lengths) * length) if length else 0.0


@dataclass
class PackedLayout:
    batch_sizes: list[int]  # sequences still running at each time step (what nn.LSTM loops over)
    sorted_indices: list[int]  # batch rows, longest first: the order packed data is stored in
    grid: list[list[int | None]]  # (B, T) tokens in packed order, None where nothing is computed
    data_order: list[list[int | None]]  # (B, T) position of each cell in PackedSequence.data


def pack_layout(sequences: list[list[int]]) -> PackedLayout:
    """What ``pack_sequence`` stores: time-major data of shrinking width, no padding at all."""
    nonempty = [s for s in sequences if s]
    if len(nonempty) != len(sequences):
        raise UserError("every sequence needs at least one token to be packed")
    packed = pack_sequence([torch.tensor(s) for s in sequences], enforce_sorted=False)
    batch_sizes = packed.batch_sizes.tolist()
    order = packed.sorted_indices.tolist()
    data = packed.data.tolist()
    steps = len(batch_sizes)
    grid: list[list[int | None]] = [[None] * steps for _ in sequences]
    where: list[list[int | None]] = [[None] * steps for _ in sequences]
    offset = 0
    for t, width in enumerate(batch_sizes):
        for slot in range(width):  # slot k at step t is the k-th longest sequence
            grid[slot][t] = data[offset + slot]
            where[slot][t] = offset + slot
        offset += width
    return PackedLayout(batch_sizes, order, grid, where)


def buckets(lengths: list[int], n_buckets: int) -> list[list[int]]:
    """Row indices sorted by length and cut into ``n_buckets`` groups of near-equal count."""
    if n_buckets < 1:
        raise UserError(f"number of buckets must be at least 1, got {n_buckets}")
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    n_buckets = min(n_buckets, len(order)) or 1
    return [chunk.tolist() for chunk in np.array_split(np.array(order, dtype=int), n_buckets) if len(chunk)]


def bucketed_padding_fraction(lengths: list[int], groups: list[list[int]]) -> float:
    """Padding share when every bucket is padded only to its own longest sequence."""
    cells = sum(len(g) * max(lengths[i] for i in g) for g in groups)
    return 1.0 - sum(lengths) / cells if cells else 0.0


def summary(lengths: list[int], n_buckets: int = 4) -> dict:
    """Padding fractions of naive padding, packing and bucketing for one batch."""
    groups = buckets(lengths, n_buckets)
    return {
        "batch_size": len(lengths),
        "min_length": min(lengths),
        "mean_length": float(np.mean(lengths)),
        "max_length": max(lengths),
        "padding_fraction": padding_fraction(lengths),
        "packed_padding_fraction": 0.0,
        "bucketed_padding_fraction": bucketed_padding_fraction(lengths, groups),
        "buckets": len(groups),
    }


def _check_side(side: str) -> None:
    if side not in SIDES:
        raise UserError(f"side must be one of {', '.join(SIDES)}, got {side!r}")
