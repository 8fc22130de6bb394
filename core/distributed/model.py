"""A deep stacked LSTM/GRU language model that splits into pipeline stages.

Every recurrent layer is its own one-layer ``nn.LSTM``/``nn.GRU`` so that a contiguous run of
layers can live in another process: stage 0 owns the embedding, the last stage owns the output
head, and the stages in between only pass hidden states (B, T, H) along. The same arithmetic
(parameters, FLOPs, activation bytes) feeds the cost model, so the runs and the predictions
describe one network.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from core.errors import UserError

CELLS = {"lstm": (nn.LSTM, 4), "gru": (nn.GRU, 3)}  # module, gates per cell
MAX_PARAMETERS = 200_000_000  # refuse before allocating anything bigger


@dataclass
class DeepRNNConfig:
    cell: str = "lstm"  # "lstm" or "gru"
    vocab_size: int = 64  # tokens of the synthetic corpus
    hidden_size: int = 128  # width of every recurrent layer (the embedding has the same width)
    layers: int = 4  # stacked recurrent layers; pipeline stages split these

    def validate(self) -> None:
        if self.cell not in CELLS:
            raise UserError(f"cell must be one of {', '.join(CELLS)}, not {self.cell!r}")
        for name, low, high in (("vocab_size", 2, 100_000), ("hidden_size", 1, 16_384), ("layers", 1, 256)):
            value = getattr(self, name)
            if not isinstance(value, int) or not low <= value <= high:
                raise UserError(f"{name} must be an integer in {low}…{high}, not {value!r}")
        if parameter_count(self) > MAX_PARAMETERS:
            raise UserError(
                f"{parameter_count(self) / 1e6:.0f} M parameters is above the {MAX_PARAMETERS / 1e6:.0f} M limit: "
                "use fewer layers or a smaller hidden size"
            )


def _gates(config: DeepRNNConfig) -> int:
    return CELLS[config.cell][1]


def layer_parameters(config: DeepRNNConfig) -> int:
    """One recurrent layer: gates × (input and recurrent weights + PyTorch's two bias vectors)."""
    h = config.hidden_size
    return _gates(config) * (h * h + h * h + 2 * h)


def parameter_count(config: DeepRNNConfig) -> int:
    h, v = config.hidden_size, config.vocab_size
    return v * h + config.layers * layer_parameters(config) + h * v + v  # embedding, layers, head


def forward_flops_per_token(config: DeepRNNConfig) -> float:
    """Multiply-adds ×2 of the matrix products (the element-wise gate maths is a few % more)."""
    h, v = config.hidden_size, config.vocab_size
    return 2.0 * (config.layers * _gates(config) * 2 * h * h + h * v)


def train_flops_per_token(config: DeepRNNConfig) -> float:
    """Forward + backward ≈ 3 × forward (backward computes gradients for inputs and for weights)."""
    return 3.0 * forward_flops_per_token(config)


def activation_bytes_per_token(config: DeepRNNConfig, dtype_bytes: int = 4) -> float:
    """What autograd keeps per token for backward: per layer its input, gates and cell state; plus logits."""
    h, v = config.hidden_size, config.vocab_size
    per_layer = h + _gates(config) * h + 3 * h  # input, gate pre-activations, c / h / tanh(c)
    return dtype_bytes * (config.layers * per_layer + 2 * v)  # logits and their softmax


def split_layers(layers: int, stages: int) -> list[range]:
    """Contiguous, as-even-as-possible layer ranges; earlier stages get the remainder (they also embed)."""
    if not 1 <= stages <= layers:
        raise UserError(f"{stages} pipeline stages need at least {stages} layers; the model has {layers}")
    base, extra = divmod(layers, stages)
    ranges, start = [], 0
    for stage in range(stages):
        # the last stage also runs the output head, so it is the one that gets fewer layers
        size = base + (1 if stage < extra else 0)
        ranges.append(range(start, start + size))
        start += size
    return ranges


class Stage(nn.Module):
    """Layers ``layer_range`` of the deep RNN; the first stage embeds tokens, the last one predicts them."""

    def __init__(self, config: DeepRNNConfig, layer_range: range, first: bool, last: bool):
        super().__init__()
        config.validate()
        self.config = config
        cell = CELLS[config.cell][0]
        h = config.hidden_size
        self.embed = nn.Embedding(config.vocab_size, h) if first else None
        self.rnns = nn.ModuleList(cell(h, h, batch_first=True) for _ in layer_range)
        self.head = nn.Linear(h, config.vocab_size) if last else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T) token ids or (B, T, H) hidden states → (B, T, H) states or (B, T, V) logits."""
        if self.embed is not None:
            x = self.embed(x)  # (B, T, H)
        for rnn in self.rnns:
            x, _ = rnn(x)  # (B, T, H)
        return self.head(x) if self.head is not None else x


def build_stages(config: DeepRNNConfig, stages: int, seed: int = 0) -> list[Stage]:
    """All stages from one seed, so a pipeline's weights equal the single-process model's."""
    torch.manual_seed(seed)
    ranges = split_layers(config.layers, stages)
    return [Stage(config, r, first=i == 0, last=i == stages - 1) for i, r in enumerate(ranges)]


class SyntheticCorpus:
    """A fixed-seed first-order Markov chain over the vocabulary: learnable, so the loss goes down.

    Every replica draws its own windows (seeded by replica and step), and every stage of one
    pipeline draws the same ones, so the last stage knows the targets without receiving them.
    """

    def __init__(self, vocab_size: int, tokens: int = 100_000, seed: int = 1234, branching: int = 4):
        generator = torch.Generator().manual_seed(seed)
        successors = torch.randint(vocab_size, (vocab_size, branching), generator=generator).tolist()
        choices = torch.randint(branching, (tokens,), generator=generator).tolist()
        data = [0]
        for choice in choices[1:]:  # sequential by nature; plain lists keep 100k steps at ~30 ms
            data.append(successors[data[-1]][choice])
        self.data = torch.tensor(data)

    def batch(self, batch_size: int, seq_len: int, replica: int, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, T) inputs and (B, T) next-token targets."""
        generator = torch.Generator().manual_seed(1_000_003 * replica + step)
        starts = torch.randint(len(self.data) - seq_len - 1, (batch_size,), generator=generator)
        window = torch.stack([self.data[s : s + seq_len + 1] for s in starts.tolist()])  # (B, T+1)
        return window[:, :-1], window[:, 1:]
