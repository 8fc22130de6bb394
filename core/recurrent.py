"""Cell helpers shared by the recurrent models: the cell table, one time step of a stacked
nn.GRU / nn.LSTM (for decoders that feed back one token at a time), and mapping over a state
that is ``h`` for a GRU and ``(h, c)`` for an LSTM."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn as nn

CELLS = {"gru": nn.GRU, "lstm": nn.LSTM}


def cell_step(rnn: nn.RNNBase, x: torch.Tensor, h: torch.Tensor, c: torch.Tensor | None = None):
    """x (B, I), h and (LSTM only) c batch-first (B, L, H) -> top output (B, H), new h, new c (or None).

    Calls the fused cell functions with the module's own weights: the same numbers as
    ``rnn(x[:, None], state)`` (inference, unidirectional), without the sequence-level bookkeeping
    that dominates when a step is one token.
    """
    lstm = isinstance(rnn, nn.LSTM)
    hs, cs = [], []
    for layer in range(rnn.num_layers):
        weights = [getattr(rnn, f"{name}_l{layer}") for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
        if lstm:
            x, c_layer = torch.lstm_cell(x, (h[:, layer], c[:, layer]), *weights)  # (B, H) each
            cs.append(c_layer)
        else:
            x = torch.gru_cell(x, h[:, layer], *weights)  # (B, H)
        hs.append(x)
    return x, torch.stack(hs, 1), torch.stack(cs, 1) if lstm else None


def map_state(state, fn: Callable[[torch.Tensor], torch.Tensor]):
    """Apply ``fn`` to the tensor(s) of a GRU state (h) or an LSTM state ((h, c))."""
    return tuple(fn(s) for s in state) if isinstance(state, tuple) else fn(state)


def step_state(rnn: nn.RNNBase, x: torch.Tensor, state):
    """``cell_step`` on a batch-first state: (B, L, H), or (h, c) for an LSTM -> output (B, H), new state."""
    if isinstance(state, tuple):
        out, h, c = cell_step(rnn, x, *state)
        return out, (h, c)
    out, h, _ = cell_step(rnn, x, state)
    return out, h
