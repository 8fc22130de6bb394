"""Do padded+masked, packed and one-sequence-at-a-time runs of one LSTM agree? And what do
unmasked pads do?

All runs share the weights of one ``nn.LSTM``; the masked run steps an ``nn.LSTMCell`` holding
the same weights and copies the old state through wherever the mask is False (what Keras'
masking and TF's ``sequence_length`` do), so every difference measured is the method's own.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from core.varlen.batching import MAX_TOKEN_ID, mask, pad


class SequenceEncoder(nn.Module):
    """Embedding + one LSTM layer; the pad value is an ordinary token, as in most real code."""

    def __init__(self, embed: int = 8, hidden: int = 16, vocab: int = MAX_TOKEN_ID + 1):
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, hidden, batch_first=True)

    def cell(self) -> nn.LSTMCell:
        """An LSTMCell with this LSTM's weights, for stepping by hand."""
        cell = nn.LSTMCell(self.lstm.input_size, self.lstm.hidden_size)
        with torch.no_grad():
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(cell, name).copy_(getattr(self.lstm, f"{name}_l0"))
        return cell


@dataclass
class Run:
    outputs: list[torch.Tensor]  # per sequence (L_i, H): outputs at its real positions, in order
    h: torch.Tensor  # (B, H) final hidden state
    c: torch.Tensor  # (B, H) final cell state


def one_at_a_time(model: SequenceEncoder, sequences: list[list[int]]) -> Run:
    """The reference: each sequence alone, batch of one, no padding anywhere."""
    outputs, hs, cs = [], [], []
    for seq in sequences:
        out, (h, c) = model.lstm(model.embed(torch.tensor([seq])))
        outputs.append(out[0])
        hs.append(h[0, 0])
        cs.append(c[0, 0])
    return Run(outputs, torch.stack(hs), torch.stack(cs))


def packed(model: SequenceEncoder, sequences: list[list[int]], pad_value: int = 0) -> Run:
    """``nn.LSTM`` on a PackedSequence: it never sees a pad, h_n is each sequence's own last state."""
    lengths = torch.tensor([len(s) for s in sequences])
    x = model.embed(pad(sequences, pad_value, "post"))  # (B, T, E)
    out, (h, c) = model.lstm(pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False))
    out, _ = pad_packed_sequence(out, batch_first=True)  # (B, T, H), back in batch order
    return Run([out[b, :n] for b, n in enumerate(lengths.tolist())], h[0], c[0])


def padded_masked(model: SequenceEncoder, sequences: list[list[int]], pad_value: int = 0, side: str = "post") -> Run:
    """Step the padded batch; where the mask is False the state is carried over unchanged."""
    lengths = [len(s) for s in sequences]
    grid = pad(sequences, pad_value, side)  # (B, T)
    valid = mask(lengths, grid.size(1), side)  # (B, T)
    x = model.embed(grid)  # (B, T, E)
    cell = model.cell()
    h = x.new_zeros(len(sequences), model.lstm.hidden_size)  # (B, H)
    c = torch.zeros_like(h)
    steps = []
    for t in range(grid.size(1)):
        h_new, c_new = cell(x[:, t], (h, c))
        keep = valid[:, t : t + 1]  # (B, 1)
        h, c = torch.where(keep, h_new, h), torch.where(keep, c_new, c)
        steps.append(h)
    out = torch.stack(steps, 1)  # (B, T, H)
    return Run([out[b][valid[b]] for b in range(len(sequences))], h, c)


def padded_unmasked(model: SequenceEncoder, sequences: list[list[int]], pad_value: int = 0, side: str = "post") -> Run:
    """``nn.LSTM`` on the padded grid with no mask: pads are read like tokens."""
    lengths = [len(s) for s in sequences]
    grid = pad(sequences, pad_value, side)
    valid = mask(lengths, grid.size(1), side)
    out, (h, c) = model.lstm(model.embed(grid))
    return Run([out[b][valid[b]] for b in range(len(sequences))], h[0], c[0])


def _max_diff(run: Run, reference: Run) -> dict[str, float]:
    outputs = max(float((a - b).abs().max()) for a, b in zip(run.outputs, reference.outputs))
    return {
        "outputs": outputs,
        "h": float((run.h - reference.h).abs().max()),
        "c": float((run.c - reference.c).abs().max()),
    }


@torch.inference_mode()
def check(sequences: list[list[int]], pad_value: int = 0, hidden: int = 16, seed: int = 0) -> dict:
    """Max |difference| from the one-at-a-time reference for each way of batching.

    ``per_sequence`` holds, for the unmasked runs, each sequence's final-hidden-state error and
    how many pads it read: the shortest sequences absorb the most pads.
    """
    if not sequences or any(not s for s in sequences):
        raise ValueError("every sequence needs at least one token")
    torch.manual_seed(seed)
    model = SequenceEncoder(hidden=hidden).eval()
    reference = one_at_a_time(model, sequences)
    runs = {
        "packed": packed(model, sequences, pad_value),
        "padded + masked (post)": padded_masked(model, sequences, pad_value, "post"),
        "padded + masked (pre)": padded_masked(model, sequences, pad_value, "pre"),
        "padded, no mask (post)": padded_unmasked(model, sequences, pad_value, "post"),
        "padded, no mask (pre)": padded_unmasked(model, sequences, pad_value, "pre"),
    }
    longest = max(len(s) for s in sequences)
    per_sequence = [
        {
            "length": len(seq),
            "pads": longest - len(seq),
            "post_h_error": float((runs["padded, no mask (post)"].h[b] - reference.h[b]).abs().max()),
            "pre_h_error": float((runs["padded, no mask (pre)"].h[b] - reference.h[b]).abs().max()),
        }
        for b, seq in enumerate(sequences)
    ]
    return {
        "max_abs_diff": {name: _max_diff(run, reference) for name, run in runs.items()},
        "per_sequence": per_sequence,
        "pad_value_is_a_real_token": any(pad_value in s for s in sequences),
    }
