"""Plain (synchronous) sequence-to-sequence RNN: one output token per input token, after a delay.

One unidirectional RNN reads the source a token at a time and, from step ``delay`` on, emits one
target token per step; the target (with EOS) is padded or cut to the source length. After the
source ends the RNN reads padding for ``delay`` more steps. Output i may therefore use only the
first i + delay source tokens: when the target's first token depends on the source's last ones
(dates -> ISO starts with the year), it fails unless the delay covers that distance.

Decoded through ``core.decoding`` like the encoder–decoder: ``start_state`` reads the first
``delay`` inputs, each ``step`` reads one more and emits one token (the previous output is not
fed back).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn as nn
import torch.nn.functional as F

from core import checkpoints
from core.errors import UserError
from core.recurrent import CELLS, map_state, step_state
from core.translation.model import mask_specials
from core.translation.tokenizer import EOS_ID, LEVELS, PAD_ID, SPECIALS, Tokenizer


@dataclass
class PlainConfig:
    src_vocab: list[str] = field(default_factory=lambda: list(SPECIALS))  # source tokens, specials first
    tgt_vocab: list[str] = field(default_factory=lambda: list(SPECIALS))  # target tokens, specials first
    src_level: str = "char"  # "word" or "char" tokenisation of the source
    tgt_level: str = "char"  # ... and of the target
    task: str = ""  # where examples and references come from (see TranslatorConfig.task)
    normalize_source: bool = False  # sources go through tokenizer.normalize first (see TranslatorConfig)
    cell: str = "gru"  # "gru" or "lstm"
    embed: int = 64  # token embedding size
    hidden: int = 256  # RNN state size
    layers: int = 1  # stacked RNN layers
    delay: int = 0  # output t is emitted after reading input t + delay
    max_source_len: int = 64  # longer inputs are truncated (and the user told)

    def validate(self) -> None:
        if self.cell not in CELLS:
            raise UserError(f"cell must be one of {', '.join(CELLS)}, got {self.cell!r}")
        if self.src_level not in LEVELS or self.tgt_level not in LEVELS:
            raise UserError(f"levels must be one of {', '.join(LEVELS)}")
        if not 0 <= self.delay <= 500:
            raise UserError(f"delay must be in 0..500, got {self.delay}")
        for name, low, high in (("embed", 4, 1024), ("hidden", 4, 2048), ("layers", 1, 4)):
            if not low <= getattr(self, name) <= high:
                raise UserError(f"{name} must be in {low}..{high}, got {getattr(self, name)}")


@checkpoints.register("rnn-plain-seq2seq")
class PlainSeq2Seq(nn.Module):
    config_class = PlainConfig

    def __init__(self, config: PlainConfig):
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(len(config.src_vocab), config.embed, padding_idx=PAD_ID)
        self.rnn = CELLS[config.cell](config.embed, config.hidden, config.layers, batch_first=True)
        self.out = nn.Linear(config.hidden, len(config.tgt_vocab))
        self.src_tokenizer = Tokenizer(config.src_vocab, config.src_level, config.normalize_source)
        self.tgt_tokenizer = Tokenizer(config.tgt_vocab, config.tgt_level)

    def max_output_len(self, lengths: torch.Tensor) -> int:
        return int(lengths.max())  # one output per input token

    def _inputs(self, src: torch.Tensor) -> torch.Tensor:
        """Source followed by ``delay`` padding steps: (B, S) -> (B, S + delay)."""
        return F.pad(src, (0, self.config.delay), value=PAD_ID)

    def start_state(self, src: torch.Tensor, lengths: torch.Tensor) -> dict:
        inputs = self._inputs(src)
        d = self.config.delay
        _, hidden = self.rnn(self.embed(inputs[:, :d])) if d else (None, None)
        if hidden is None:
            zeros = torch.zeros(self.config.layers, src.size(0), self.config.hidden, device=src.device)
            hidden = (zeros, zeros.clone()) if self.config.cell == "lstm" else zeros
        return {
            "hidden": map_state(hidden, lambda h: h.transpose(0, 1)),
            "inputs": inputs[:, d:],  # (B, S) inputs still to read
            "position": torch.zeros(src.size(0), dtype=torch.long, device=src.device),
            "lengths": lengths.to(src.device),
        }

    def step(self, tokens: torch.Tensor, state: dict):
        """Reads the next input (``tokens``, the previous output, is not used) and emits one token."""
        position = state["position"]
        inputs = state["inputs"]
        index = position.clamp(max=inputs.size(1) - 1)[:, None]
        x = inputs.gather(1, index)[:, 0]  # (B,)
        output, hidden = step_state(self.rnn, self.embed(x), state["hidden"])  # (B, H)
        new_state = {**state, "hidden": hidden, "position": position + 1}
        logits = mask_specials(self.out(output))  # (B, V)
        # a row whose source is used up can only end: EOS with probability 1 (log-prob 0)
        ended = torch.full_like(logits, float("-inf")).index_fill(-1, torch.tensor([EOS_ID]), 0.0)
        return torch.where((position >= state["lengths"])[:, None], ended, logits), new_state, None

    def forward(self, src: torch.Tensor) -> torch.Tensor:
        """src (B, S) -> logits (B, S, V): output i after reading input i + delay."""
        outputs, _ = self.rnn(self.embed(self._inputs(src)))  # (B, S + delay, H)
        return self.out(outputs[:, self.config.delay :])

    def loss(self, batch: dict) -> torch.Tensor:
        logits = self(batch["src"])  # (B, S, V)
        target = batch["tgt_out"][:, : logits.size(1)]
        target = F.pad(target, (0, logits.size(1) - target.size(1)), value=PAD_ID)
        beyond = torch.arange(target.size(1))[None, :] >= batch["src_len"][:, None]
        target = target.masked_fill(beyond, PAD_ID)  # each row's target is cut to its own source length
        return F.cross_entropy(logits.flatten(0, 1), target.flatten(), ignore_index=PAD_ID)
