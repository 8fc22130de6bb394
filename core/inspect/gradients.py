"""Gradients through time: how much of d(loss at the last step)/d(h_t) reaches back to each step t.

Bengio, Simard & Frasconi (1994) showed that a plain tanh RNN's gradient shrinks (or grows)
geometrically with distance; Pascanu, Mikolov & Bengio (2013) measured it through the norm of the
Jacobian products. Gated cells (GRU, LSTM) add a path that can carry it further. Here both are
measured on the same input: a shipped char GRU/LSTM, and a plain tanh ``nn.RNN`` of the same width
trained on the same corpus by ``TANH_RECIPE`` (short and seeded).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from core.errors import UserError
from core.inspect.steps import cell_input

BACK = 50  # the page reports the fraction of the gradient norm that reaches this many steps back
MAX_CHARS = 200  # characters of the input measured (one backward pass through every step)


@dataclass
class TanhRecipe:
    steps: int = 300  # optimiser steps at most
    max_seconds: float = 45.0  # and at most this long (2 cores); the recipe stops at whichever comes first
    batch: int = 32  # windows per step
    bptt: int = 64  # characters per window
    lr: float = 2e-3  # Adam
    clip: float = 1.0  # gradient-norm clipping: a tanh RNN's gradient can also explode
    train_chars: int = 400_000  # characters of the training split sampled from
    seed: int = 0


TANH_RECIPE = TanhRecipe()


class TanhCharRNN(nn.Module):
    """A plain tanh RNN with the char model's vocabulary, embedding width and hidden width (no style vector)."""

    def __init__(self, vocab: int, embed: int, hidden: int):
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        self.rnn = nn.RNN(embed, hidden, nonlinearity="tanh", batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(self.embed(tokens))
        return self.head(out)


def training_ids(model, chars: int) -> torch.Tensor:
    """The char model's own training split (not the held-out text), as ids, up to ``chars`` characters."""
    from core.generation.train import folk_corpus, prose_corpus
    from core.inspect.units import check_char_model, is_abc

    check_char_model(model)
    corpus = folk_corpus() if is_abc(model) else prose_corpus()
    text = "".join(corpus.train)[:chars]
    return torch.tensor([model.char_to_id[ch] for ch in text if ch in model.char_to_id])


def train_tanh(model, recipe: TanhRecipe = TANH_RECIPE, progress: Callable[[float, float], None] | None = None):
    """Train a TanhCharRNN like ``model`` on its training text; ``progress(fraction, loss)`` after each step."""
    torch.manual_seed(recipe.seed)
    rng = random.Random(recipe.seed)
    ids = training_ids(model, recipe.train_chars)
    config = model.config
    tanh = TanhCharRNN(len(config.vocab), config.embed, config.hidden)
    optimiser = torch.optim.Adam(tanh.parameters(), lr=recipe.lr)
    begin = time.perf_counter()
    for step in range(recipe.steps):
        starts = [rng.randrange(len(ids) - recipe.bptt - 1) for _ in range(recipe.batch)]
        window = torch.stack([ids[s : s + recipe.bptt + 1] for s in starts])  # (B, bptt + 1)
        loss = F.cross_entropy(tanh(window[:, :-1]).flatten(0, 1), window[:, 1:].flatten())
        optimiser.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(tanh.parameters(), recipe.clip)
        optimiser.step()
        elapsed = time.perf_counter() - begin
        if progress:
            progress(min(1.0, max((step + 1) / recipe.steps, elapsed / recipe.max_seconds)), loss.item())
        if elapsed > recipe.max_seconds:
            break
    tanh.meta = {"steps": step + 1, "seconds": round(elapsed, 1), "final_loss": round(loss.item(), 3)}
    return tanh.eval()


def _cell(rnn: nn.RNNBase):
    weights = [rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0, rnn.bias_hh_l0]
    if isinstance(rnn, nn.LSTM):
        return lambda x, state: torch.lstm_cell(x, state, *weights)
    if isinstance(rnn, nn.GRU):
        return lambda x, h: (torch.gru_cell(x, h, *weights),)
    return lambda x, h: (torch.rnn_tanh_cell(x, h, *weights),)


def gradient_norms(rnn: nn.RNNBase, head: nn.Module, x: torch.Tensor, target: int) -> np.ndarray:
    """||d loss_T / d h_t|| for every step t, where loss_T is the cross-entropy of the last step's prediction."""
    if rnn.num_layers != 1 or rnn.bidirectional:
        raise UserError("gradients through time are measured for one-layer, one-direction cells")
    step = _cell(rnn)
    zeros = torch.zeros(1, rnn.hidden_size)
    state = (zeros, zeros.clone()) if isinstance(rnn, nn.LSTM) else zeros
    hidden = []
    for t in range(len(x)):
        out = step(x[t : t + 1], state)
        state = out if isinstance(rnn, nn.LSTM) else out[0]
        hidden.append(out[0])
    loss = F.cross_entropy(head(hidden[-1]), torch.tensor([target]))
    # autograd.grad, not backward(): the (shared, cached) model's parameters get no .grad
    grads = torch.autograd.grad(loss, hidden)
    return np.array([float(g.norm()) for g in grads])


def compare(model, tanh: TanhCharRNN, text: str) -> dict:
    """Gradient norms per step for the shipped cell and the tanh RNN on the same text (the last character is the target)."""
    from core.generation.model import BOUNDARY

    prepared = cell_input(
        model, "model", text, max_steps=MAX_CHARS + 1
    )  # [boundary, *text]: predict the last character from the rest
    if len(prepared.tokens) < 3:
        raise UserError("the input needs at least 2 characters: the last one is the prediction target")
    target = model.char_to_id[prepared.tokens[-1]]
    with torch.enable_grad():
        shipped = gradient_norms(prepared.rnn, model.head, prepared.x[:-1].detach(), target)
        ids = torch.tensor([BOUNDARY, *(model.char_to_id[ch] for ch in prepared.tokens[1:-1])])
        plain = gradient_norms(tanh.rnn, tanh.head, tanh.embed(ids).detach(), target)
    return {"tokens": prepared.tokens[:-1], "target": prepared.tokens[-1], "shipped": shipped, "tanh": plain}


def reach(norms: np.ndarray, back: int = BACK) -> float | None:
    """||dL/dh_{T-back}|| / ||dL/dh_T||: how much of the gradient norm reaches ``back`` steps back (None if shorter)."""
    if len(norms) <= back or norms[-1] == 0:
        return None
    return float(norms[-1 - back] / norms[-1])
