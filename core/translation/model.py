"""Encoder–decoder RNN translator with optional attention (none / additive / dot / general).

Encoder: embedding -> GRU or LSTM (uni- or bidirectional), run on packed sequences so padding
never reaches a state. Decoder: an RNN over the previous target tokens; with attention, each
decoder state h_t scores every encoder output, padding masked out, and the context
c_t = sum_s a_ts e_s is combined as tanh(W [c_t; h_t]) before the output layer (Luong et al.
2015, without input feeding, so training runs the decoder RNN over the whole target in one call).
Scores: additive v·tanh(W_q h + W_k e) (Bahdanau et al. 2014), dot h·e, general h·W e.
Without attention the decoder starts from the encoder's final state and also reads it at every
step (Cho et al. 2014): everything about the source must pass through that one vector.

Decoding goes through ``core.decoding`` with ``start_state`` + ``step``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from core import checkpoints
from core.errors import UserError
from core.recurrent import CELLS, map_state, step_state
from core.translation.tokenizer import LEVELS, NEVER_GENERATED, PAD_ID, SPECIALS, Tokenizer

ATTENTIONS = ("none", "additive", "dot", "general")


@dataclass
class TranslatorConfig:
    src_vocab: list[str] = field(default_factory=lambda: list(SPECIALS))  # source tokens, specials first
    tgt_vocab: list[str] = field(default_factory=lambda: list(SPECIALS))  # target tokens, specials first
    src_level: str = "word"  # "word" or "char" tokenisation of the source
    tgt_level: str = "word"  # ... and of the target
    task: str = ""  # "numbers:en-fr", "dates" or "pairs": where examples and references come from
    normalize_source: bool = False  # sources go through tokenizer.normalize first (False: read as typed)
    cell: str = "gru"  # "gru" or "lstm"
    bidirectional: bool = True  # encoder reads both ways; each direction gets hidden // 2 units
    attention: str = "general"  # "none", "additive", "dot" or "general"
    embed: int = 64  # token embedding size (source and target)
    hidden: int = 128  # decoder state size = encoder output size
    attention_dim: int = 64  # additive attention's inner size
    layers: int = 1  # stacked RNN layers in encoder and decoder
    dropout: float = 0.0  # between stacked layers
    max_source_len: int = 64  # longer inputs are truncated (and the user told)
    max_target_len: int = 64  # decoding stops here when no EOS came

    def validate(self) -> None:
        if self.cell not in CELLS:
            raise UserError(f"cell must be one of {', '.join(CELLS)}, got {self.cell!r}")
        if self.attention not in ATTENTIONS:
            raise UserError(f"attention must be one of {', '.join(ATTENTIONS)}, got {self.attention!r}")
        for name in ("src_level", "tgt_level"):
            if getattr(self, name) not in LEVELS:
                raise UserError(f"{name} must be one of {', '.join(LEVELS)}")
        for name, low, high in (("embed", 4, 1024), ("hidden", 4, 2048), ("attention_dim", 4, 1024), ("layers", 1, 4)):
            if not low <= getattr(self, name) <= high:
                raise UserError(f"{name} must be in {low}..{high}, got {getattr(self, name)}")
        if self.bidirectional and self.hidden % 2:
            raise UserError("hidden must be even for a bidirectional encoder")
        for name in ("src_vocab", "tgt_vocab"):
            vocab = getattr(self, name)
            if vocab[: len(SPECIALS)] != SPECIALS or not 4 <= len(vocab) <= 100_000:
                raise UserError(f"{name} must start with {SPECIALS} and hold at most 100,000 tokens")
        if not 1 <= self.max_source_len <= 2000 or not 1 <= self.max_target_len <= 2000:
            raise UserError("max_source_len and max_target_len must be in 1..2000")


_NEVER_GENERATED = torch.tensor(NEVER_GENERATED)


def mask_specials(logits: torch.Tensor) -> torch.Tensor:
    """Padding, BOS and <unk> are never outputs: decoders (and samplers) must not pick them."""
    return logits.index_fill(-1, _NEVER_GENERATED.to(logits.device), float("-inf"))


class Encoder(nn.Module):
    def __init__(self, config: TranslatorConfig):
        super().__init__()
        self.config = config
        directions = 2 if config.bidirectional else 1
        self.embed = nn.Embedding(len(config.src_vocab), config.embed, padding_idx=PAD_ID)
        self.rnn = CELLS[config.cell](
            config.embed,
            config.hidden // directions,
            config.layers,
            batch_first=True,
            bidirectional=config.bidirectional,
            dropout=config.dropout if config.layers > 1 else 0.0,
        )

    def forward(self, src: torch.Tensor, lengths: torch.Tensor):
        """src (B, S), lengths (B,) -> outputs (B, S, H) zero on padding, final state (layers, B, H)."""
        if bool((lengths == src.size(1)).all()):  # no padding (a single input, say): packing would only cost
            outputs, final = self.rnn(self.embed(src))
        else:
            packed = pack_padded_sequence(self.embed(src), lengths.cpu(), batch_first=True, enforce_sorted=False)
            outputs, final = self.rnn(packed)
            outputs, _ = pad_packed_sequence(outputs, batch_first=True, total_length=src.size(1))  # (B, S, H)
        layers, directions = self.config.layers, 2 if self.config.bidirectional else 1

        def merge(h):  # (layers * directions, B, H / d) -> (layers, B, H): both directions side by side
            h = h.view(layers, directions, h.size(1), h.size(2))
            return torch.cat(list(h.unbind(1)), dim=-1)

        return outputs, map_state(final, merge)


class Attention(nn.Module):
    def __init__(self, kind: str, hidden: int, attention_dim: int):
        super().__init__()
        self.kind = kind
        if kind == "additive":
            self.query = nn.Linear(hidden, attention_dim, bias=False)
            self.key = nn.Linear(hidden, attention_dim)
            self.energy = nn.Linear(attention_dim, 1, bias=False)
        elif kind == "general":
            self.key = nn.Linear(hidden, hidden, bias=False)

    def keys(self, memory: torch.Tensor) -> torch.Tensor:
        """Per-source projections, computed once per input: (B, S, H) -> (B, S, K)."""
        return memory if self.kind == "dot" else self.key(memory)

    def forward(self, queries: torch.Tensor, keys: torch.Tensor, padding: torch.Tensor) -> torch.Tensor:
        """queries (B, T, H), keys (B, S, K), padding (B, 1, S) -inf on padding, else 0
        -> weights (B, T, S), rows sum to 1, 0 on padding."""
        if self.kind == "additive":
            scores = self.energy(torch.tanh(self.query(queries)[:, :, None] + keys[:, None])).squeeze(-1)
        else:
            scores = queries @ keys.transpose(1, 2)  # (B, T, S)
        return (scores + padding).softmax(-1)


class Decoder(nn.Module):
    def __init__(self, config: TranslatorConfig):
        super().__init__()
        self.config = config
        with_context = config.attention == "none"
        self.embed = nn.Embedding(len(config.tgt_vocab), config.embed, padding_idx=PAD_ID)
        self.rnn = CELLS[config.cell](
            config.embed + config.hidden * with_context,
            config.hidden,
            config.layers,
            batch_first=True,
            dropout=config.dropout if config.layers > 1 else 0.0,
        )
        if not with_context:
            self.attention = Attention(config.attention, config.hidden, config.attention_dim)
            self.combine = nn.Linear(2 * config.hidden, config.hidden)
        self.out = nn.Linear(config.hidden, len(config.tgt_vocab))

    def forward(self, tokens: torch.Tensor, hidden, memory: dict[str, torch.Tensor]):
        """tokens (B, T), hidden (layers, B, H) -> logits (B, T, V), hidden, attention (B, T, S) or None."""
        x = self.embed(tokens)  # (B, T, E)
        if self.config.attention == "none":
            fixed = memory["context"][:, None].expand(-1, tokens.size(1), -1)  # (B, T, H)
            states, hidden = self.rnn(torch.cat([x, fixed], -1), hidden)
            return self.out(states), hidden, None
        states, hidden = self.rnn(x, hidden)  # (B, T, H)
        logits, weights = self.read_out(states, memory)
        return logits, hidden, weights

    def read_out(self, states: torch.Tensor, memory: dict[str, torch.Tensor]):
        """Decoder states (B, T, H) -> logits (B, T, V) and attention (B, T, S), through the context."""
        weights = self.attention(states, memory["keys"], memory["padding"])  # (B, T, S)
        context = weights @ memory["memory"]  # (B, T, H)
        attended = torch.tanh(self.combine(torch.cat([context, states], -1)))
        return self.out(attended), weights

    def step(self, tokens: torch.Tensor, hidden, memory: dict[str, torch.Tensor]):
        """Inference, one token: tokens (B,), hidden batch-first -> logits (B, V), hidden, attention (B, S) or None."""
        x = self.embed(tokens)  # (B, E)
        if self.config.attention == "none":
            state, hidden = step_state(self.rnn, torch.cat([x, memory["context"]], -1), hidden)
            return self.out(state), hidden, None
        state, hidden = step_state(self.rnn, x, hidden)  # (B, H)
        logits, weights = self.read_out(state[:, None], memory)
        return logits[:, 0], hidden, weights[:, 0]


@checkpoints.register("rnn-translator")
class Translator(nn.Module):
    config_class = TranslatorConfig

    def __init__(self, config: TranslatorConfig):
        super().__init__()
        self.config = config
        self.encoder = Encoder(config)
        self.decoder = Decoder(config)
        self.src_tokenizer = Tokenizer(config.src_vocab, config.src_level, config.normalize_source)
        self.tgt_tokenizer = Tokenizer(config.tgt_vocab, config.tgt_level)

    def max_output_len(self, lengths: torch.Tensor) -> int:
        return self.config.max_target_len

    def start_state(self, src: torch.Tensor, lengths: torch.Tensor) -> dict:
        """Encode once; the decoding state is batch-first so beam search can reorder it."""
        outputs, final = self.encoder(src, lengths)
        mask = torch.arange(src.size(1), device=src.device)[None, :] < lengths[:, None]  # (B, S)
        padding = torch.zeros(mask.shape, device=src.device).masked_fill(~mask, float("-inf"))[:, None]  # (B, 1, S)
        state = {"hidden": map_state(final, lambda h: h.transpose(0, 1)), "padding": padding}
        if self.config.attention == "none":
            state["context"] = final[0][-1] if self.config.cell == "lstm" else final[-1]  # (B, H) top layer
        else:
            state["memory"], state["keys"] = outputs, self.decoder.attention.keys(outputs)
        return state

    def step(self, tokens: torch.Tensor, state: dict):
        """core.decoding step: tokens (B,) -> logits (B, V), state, attention (B, S) or None."""
        logits, hidden, weights = self.decoder.step(tokens, state["hidden"], state)
        return mask_specials(logits), {**state, "hidden": hidden}, weights

    def forward(self, src: torch.Tensor, lengths: torch.Tensor, tgt_in: torch.Tensor):
        """Teacher forcing: src (B, S), tgt_in (B, T) starting with BOS -> logits (B, T, V), attention."""
        state = self.start_state(src, lengths)
        hidden = map_state(state["hidden"], lambda h: h.transpose(0, 1).contiguous())
        logits, _, weights = self.decoder(tgt_in, hidden, state)
        return logits, weights

    def loss(self, batch: dict) -> torch.Tensor:
        logits, _ = self(batch["src"], batch["src_len"], batch["tgt_in"])
        return F.cross_entropy(logits.flatten(0, 1), batch["tgt_out"].flatten(), ignore_index=PAD_ID)
