"""Character-level RNN language model, optionally conditioned on a style vector.

Every step reads one character embedding, concatenated with the style vector (one small
embedding per style field: meter, key, tune type) when the model has style fields. Feeding the
style at every step (not only into the initial state) keeps it in reach for a whole tune and lets
training run over one long stream of tunes with the hidden state carried across tune boundaries.

Vocabulary index 0 is the boundary token (stored as ``""``): it starts every text as input and
ends it as the target, so decoding uses it as both start token and EOS.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn as nn

from core import checkpoints
from core.errors import UserError
from core.recurrent import cell_step

BOUNDARY = 0  # vocabulary id of the start/end-of-text token

# Allowed (low, high) of every size a char-RNN or its training takes: the one table the config, the
# trainer and the CLI's help read.
RANGES = {
    "embed": (1, 1024),
    "hidden": (8, 1024),
    "layers": (1, 3),
    "style_embed": (1, 256),
    "batch": (1, 512),
    "bptt": (8, 1024),
}


def check_ranges(values, names: tuple[str, ...]) -> None:
    """UserError naming the first of ``names`` (attributes of ``values``) outside its range in ``RANGES``."""
    for name in names:
        low, high = RANGES[name]
        if not low <= getattr(values, name) <= high:
            raise UserError(f"{name} must be in {low}..{high}, got {getattr(values, name)}")


@dataclass
class CharRNNConfig:
    vocab: list[str] = field(default_factory=lambda: ["", *"abc \n"])  # id -> character; id 0 = boundary
    cell: str = "gru"  # "gru" or "lstm"
    embed: int = 64  # character embedding width
    hidden: int = 512  # RNN width
    layers: int = 1  # stacked RNN layers
    dropout: float = 0.0  # on the RNN output (and between layers)
    style_fields: list[str] = field(default_factory=list)  # e.g. ["meter", "key", "type"]; [] = unconditioned
    style_values: list[list[str]] = field(default_factory=list)  # allowed values per field; the last is the fallback
    style_embed: int = 16  # embedding width per style field

    def validate(self) -> None:
        if self.cell not in ("gru", "lstm"):
            raise UserError(f"cell must be 'gru' or 'lstm', got {self.cell!r}")
        if not 2 <= len(self.vocab) <= 5000 or self.vocab[0] != "":
            raise UserError("vocab needs 2..5000 entries and the boundary token '' first")
        if any(len(ch) != 1 for ch in self.vocab[1:]) or len(set(self.vocab)) != len(self.vocab):
            raise UserError("vocab entries after the boundary must be distinct single characters")
        check_ranges(self, ("embed", "hidden", "layers", "style_embed"))
        if not 0.0 <= self.dropout < 1.0:
            raise UserError(f"dropout must be in [0, 1), got {self.dropout}")
        if len(self.style_fields) != len(self.style_values) or any(not v for v in self.style_values):
            raise UserError("style_values needs one non-empty list per style field")


@checkpoints.register("char-rnn")
class CharRNN(nn.Module):
    config_class = CharRNNConfig

    def __init__(self, config: CharRNNConfig):
        super().__init__()
        self.config = config
        self.char_to_id = {ch: i for i, ch in enumerate(config.vocab) if i != BOUNDARY}
        self.embed = nn.Embedding(len(config.vocab), config.embed)
        self.styles = nn.ModuleList(nn.Embedding(len(values), config.style_embed) for values in config.style_values)
        rnn = nn.GRU if config.cell == "gru" else nn.LSTM
        in_width = config.embed + config.style_embed * len(config.style_fields)
        self.rnn = rnn(
            in_width, config.hidden, config.layers, batch_first=True, dropout=config.dropout if config.layers > 1 else 0
        )
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(config.hidden, len(config.vocab))

    # ---- vocabulary and style -------------------------------------------------------------

    def encode(self, text: str) -> list[int]:
        """Character ids; raises for characters outside the vocabulary (``prepare_prime`` maps them first)."""
        missing = sorted({ch for ch in text if ch not in self.char_to_id})
        if missing:
            raise UserError(f"characters not in the model's vocabulary: {''.join(missing)!r}")
        return [self.char_to_id[ch] for ch in text]

    def decode(self, ids) -> str:
        return "".join(self.config.vocab[i] for i in ids if i != BOUNDARY)

    def style_ids(self, style: dict[str, str] | None) -> torch.Tensor | None:
        """``{"meter": "6/8", "key": "D"}`` -> (F,) ids; missing or unknown values use the field's fallback."""
        if not self.config.style_fields:
            return None
        style = style or {}
        ids = []
        for name, values in zip(self.config.style_fields, self.config.style_values):
            value = style.get(name)
            ids.append(values.index(value) if value in values else len(values) - 1)
        return torch.tensor(ids, dtype=torch.long)

    # ---- network -----------------------------------------------------------------------------

    def forward(self, tokens: torch.Tensor, style: torch.Tensor | None = None, state=None):
        """tokens (B, T), style ids (B, T, F) or (B, F) or None, RNN state -> logits (B, T, V), new state."""
        x = self.embed(tokens)  # (B, T, E)
        if self.styles:
            if style.dim() == 2:
                style = style[:, None, :].expand(-1, tokens.size(1), -1)  # (B, T, F)
            vectors = [emb(style[..., i]) for i, emb in enumerate(self.styles)]  # F x (B, T, S)
            x = torch.cat([x, *vectors], dim=-1)
        out, state = self.rnn(x, state)  # (B, T, H)
        return self.head(self.drop(out)), state

    # ---- decoding (core.decoding step protocol) -------------------------------------------

    def style_vector(self, style: torch.Tensor) -> torch.Tensor:
        """Style ids (B, F) -> the concatenated style embeddings (B, F * S) fed at every step."""
        return torch.cat([emb(style[:, i]) for i, emb in enumerate(self.styles)], dim=-1)

    def pack_state(self, rnn_state, style: torch.Tensor | None) -> dict:
        """RNN state (L, B, H) [h, c for LSTM] -> batch-first dict, as core.decoding needs.

        The style embeddings are looked up once here, not at every step.
        """
        hidden = rnn_state if isinstance(rnn_state, tuple) else (rnn_state,)
        state = {"h": hidden[0].transpose(0, 1)}  # (B, L, H)
        if self.config.cell == "lstm":
            state["c"] = hidden[1].transpose(0, 1)
        if style is not None:
            state["style"] = self.style_vector(style)  # (B, F * S)
        return state

    def step(self, tokens: torch.Tensor, state: dict):
        """tokens (B,) -> logits (B, V), state, None: one character for every row.

        Goes through ``core.recurrent.cell_step``: per character, nn.GRU's sequence bookkeeping
        would cost more than the arithmetic.
        """
        x = self.embed(tokens)  # (B, E)
        if "style" in state:
            x = torch.cat([x, state["style"]], dim=-1)
        x, h, c = cell_step(self.rnn, x, state["h"], state.get("c"))  # (B, H)
        new_state = {"h": h} if c is None else {"h": h, "c": c}
        if "style" in state:
            new_state["style"] = state["style"]
        return self.head(x), new_state, None
