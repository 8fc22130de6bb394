"""Token grids of one batch for the page's pictures: every cell is a token, a pad, a token cut by
truncation, or nothing at all (``None``: a cell the RNN never computes)."""

from __future__ import annotations

from dataclasses import dataclass

from core.plots.varlen import CUT, EOS, PAD, PAST_EOS, TOKEN
from core.varlen.batching import buckets, mask, pad, truncate


@dataclass
class Grid:
    tokens: list[list[int | None]]  # (rows, columns) token id shown in each cell
    kinds: list[list[int | None]]  # PAD / TOKEN / CUT, None where nothing is computed
    x: list[int]  # time-step label of each column
    rows: list[str]  # label of each row
    padding_fraction: float  # share of computed cells that are pads


def _fraction(kinds: list[list[int | None]]) -> float:
    computed = [k for row in kinds for k in row if k in (PAD, TOKEN)]
    return computed.count(PAD) / len(computed) if computed else 0.0


def padding_view(sequences: list[list[int]], value: int = 0, side: str = "post") -> Grid:
    grid = pad(sequences, value, side)
    valid = mask([len(s) for s in sequences], grid.size(1), side)
    kinds = [[TOKEN if v else PAD for v in row] for row in valid.tolist()]
    labels = [f"seq {i}" for i in range(len(sequences))]
    return Grid(grid.tolist(), kinds, list(range(grid.size(1))), labels, _fraction(kinds))


def truncation_view(
    sequences: list[list[int]], max_len: int, side: str = "post", value: int = 0, pad_side: str = "post"
) -> Grid:
    """The truncated batch padded to ``max_len`` in columns 0..max_len-1; cut tokens drawn outside
    that window: right of it for post-truncation, left of it (negative t) for pre-truncation.
    A cut row fills the window, so pads only ever sit in rows that lost nothing."""
    kept = truncate(sequences, max_len, side)
    width = max(len(s) for s in kept)
    overflow = max(max(len(s) for s in sequences) - max_len, 0)
    left = overflow if side == "pre" else 0
    right = overflow if side == "post" else 0
    tokens, kinds = [], []
    for seq, short in zip(sequences, kept):
        cut = len(seq) - len(short)
        row_tokens: list[int | None] = [None] * (left + width + right)
        row_kinds: list[int | None] = [None] * (left + width + right)
        pads = width - len(short)
        window = short + [None] * pads if pad_side == "post" else [None] * pads + short
        for t, token in enumerate(window):
            row_tokens[left + t] = value if token is None else token
            row_kinds[left + t] = PAD if token is None else TOKEN
        dropped = seq[len(short) :] if side == "post" else seq[:cut]
        start = left + width if side == "post" else left - cut
        for offset, token in enumerate(dropped):
            row_tokens[start + offset], row_kinds[start + offset] = token, CUT
        tokens.append(row_tokens)
        kinds.append(row_kinds)
    x = list(range(-left, width + right))
    return Grid(tokens, kinds, x, [f"seq {i}" for i in range(len(sequences))], _fraction(kinds))


def bucket_view(sequences: list[list[int]], n_buckets: int, value: int = 0) -> Grid:
    """Rows sorted by length, each bucket post-padded only to its own longest sequence."""
    lengths = [len(s) for s in sequences]
    width = max(lengths)
    tokens, kinds, labels = [], [], []
    for number, group in enumerate(buckets(lengths, n_buckets)):
        longest = max(lengths[i] for i in group)
        for i in group:
            seq = sequences[i]
            tokens.append([seq[t] if t < len(seq) else (value if t < longest else None) for t in range(width)])
            kinds.append([TOKEN if t < len(seq) else (PAD if t < longest else None) for t in range(width)])
            labels.append(f"seq {i} · bucket {number + 1}")
    return Grid(tokens, kinds, list(range(width)), labels, _fraction(kinds))


def decoded_view(outputs: list[list[str]], stop_at_eos: bool, width: int) -> Grid:
    """Decoded target tokens per example: stopped at EOS and padded, or run on for ``width`` steps."""
    tokens, kinds = [], []
    for row in outputs:
        end = row.index("</s>") if "</s>" in row else len(row)
        row_tokens: list = list(row[:width]) + [None] * (width - len(row[:width]))
        row_kinds: list[int | None] = []
        for t, token in enumerate(row_tokens):
            if t < end:
                row_kinds.append(TOKEN)
            elif t == end and token is not None:
                row_kinds.append(EOS)
            elif not stop_at_eos and token is not None:
                row_kinds.append(PAST_EOS)
            else:
                row_tokens[t] = "·"
                row_kinds.append(PAD)
        tokens.append(row_tokens)
        kinds.append(row_kinds)
    return Grid(tokens, kinds, list(range(width)), [f"ex {i}" for i in range(len(outputs))], _fraction(kinds))
