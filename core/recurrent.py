"""One time step of a stacked nn.GRU / nn.LSTM, for decoders that feed back one token at a time."""

from __future__ import annotations

import torch
import torch.nn as nn


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
