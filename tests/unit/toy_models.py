"""Tiny models for testing shared machinery (decoding, checkpoints, training)."""

from dataclasses import dataclass

import torch
import torch.nn as nn

from core import checkpoints
from core.errors import UserError


@dataclass
class ToyConfig:
    vocab: int = 7  # token ids; 0 = EOS, 1 = BOS
    hidden: int = 16  # GRU width
    source_len: int = 5  # length of the random memory attended over


@checkpoints.register("toy-attention-decoder")
class ToyDecoder(nn.Module):
    """A GRU cell with dot attention over a fixed memory: enough to exercise every decoder."""

    config_class = ToyConfig

    def __init__(self, config: ToyConfig):
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(config.vocab, config.hidden)
        self.cell = nn.GRUCell(2 * config.hidden, config.hidden)
        self.out = nn.Linear(2 * config.hidden, config.vocab)

    def initial_state(self, memory: torch.Tensor, lengths: torch.Tensor):
        mask = torch.arange(memory.size(1))[None, :] < lengths[:, None]  # (B, S)
        return (memory.mean(1), memory, mask)

    def step(self, tokens, state):
        h, memory, mask = state  # (B, H), (B, S, H), (B, S)
        scores = torch.einsum("bh,bsh->bs", h, memory).masked_fill(~mask, float("-inf"))
        attention = scores.softmax(-1)  # (B, S)
        context = torch.einsum("bs,bsh->bh", attention, memory)
        h = self.cell(torch.cat([self.embed(tokens), context], -1), h)
        return self.out(torch.cat([h, context], -1)), (h, memory, mask), attention


@dataclass
class BoundedConfig:
    width: int = 4  # must stay small

    def validate(self):
        if not 1 <= self.width <= 64:
            raise UserError(f"width must be in 1..64, got {self.width}")


@checkpoints.register("toy-linear")
class ToyLinear(nn.Module):
    config_class = BoundedConfig

    def __init__(self, config: BoundedConfig):
        super().__init__()
        self.config = config
        self.linear = nn.Linear(config.width, 1)

    def forward(self, x):
        return self.linear(x)
