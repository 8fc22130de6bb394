"""Static vs dynamic unrolling of one LSTM, both honest PyTorch.

static  = TF's ``static_rnn``: a Python loop over the LSTM step math, unrolled for a fixed T and
          traced by ``torch.fx`` into one graph with a node per operation per time step. Inputs
          are padded to T; a mask carries the state through pads so final states stay right.
dynamic = TF's ``dynamic_rnn``: ``nn.LSTM`` on a PackedSequence, one op whose loop runs as many
          steps as the batch's longest sequence, each step only over the sequences still running.

Both read the same weights, so on inputs no longer than T they compute the same states.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.fx
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence

from core.errors import UserError
from core.varlen.batching import mask, sample_lengths
from core.varlen.cost import SavedBytes, best_seconds

MAX_T = 1000  # the longest static graph built on request
LIVE_MAX_T = 200  # the longest the page measures live (larger ones come from the shipped file)
DEFAULT_TS = (10, 20, 50, 100, 200, 500, 1000)
DATA_MEDIAN = 20  # the variable-length batches: long-tailed lengths, median 20, clipped to T


class StaticLSTM(nn.Module):
    """The LSTM recurrence written out for exactly ``steps`` time steps (before tracing)."""

    def __init__(self, lstm: nn.LSTM, steps: int):
        super().__init__()
        self.lstm = lstm  # shared: the static graph reads the dynamic model's parameters
        self.steps = steps

    def forward(self, x: torch.Tensor, valid: torch.Tensor):
        # x (B, T, I), valid (B, T, 1) float: 1 on real tokens. Only the first `steps` are read.
        hidden = self.lstm.hidden_size
        h = x.new_zeros(x.size(0), hidden)  # (B, H)
        c = x.new_zeros(x.size(0), hidden)
        outputs = []
        for t in range(self.steps):
            gates = torch.nn.functional.linear(x[:, t], self.lstm.weight_ih_l0, self.lstm.bias_ih_l0)
            gates = gates + torch.nn.functional.linear(h, self.lstm.weight_hh_l0, self.lstm.bias_hh_l0)  # (B, 4H)
            i = torch.sigmoid(gates[:, :hidden])  # PyTorch's gate order: input, forget, cell, output
            f = torch.sigmoid(gates[:, hidden : 2 * hidden])
            g = torch.tanh(gates[:, 2 * hidden : 3 * hidden])
            o = torch.sigmoid(gates[:, 3 * hidden :])
            c_new = f * c + i * g
            h_new = o * torch.tanh(c_new)
            keep = valid[:, t]  # (B, 1): past its end a sequence keeps its state
            c = keep * c_new + (1 - keep) * c
            h = keep * h_new + (1 - keep) * h
            outputs.append(h * keep)
        return torch.stack(outputs, 1), h, c  # (B, steps, H), (B, H), (B, H)


def build_static(lstm: nn.LSTM, steps: int) -> tuple[torch.fx.GraphModule, float]:
    """Trace the unrolled loop into one graph; returns it and the build time (trace + codegen)."""
    if not 1 <= steps <= MAX_T:
        raise UserError(f"T must be in 1..{MAX_T}, got {steps}")
    start = time.perf_counter()
    graph = torch.fx.symbolic_trace(StaticLSTM(lstm, steps))
    return graph, time.perf_counter() - start


def run_static(graph: torch.fx.GraphModule, x: torch.Tensor, lengths: list[int]):
    """Run the static graph on post-padded ``x``; it reads only its own T steps, whatever x holds."""
    valid = mask(lengths, x.size(1)).unsqueeze(-1).to(x.dtype)  # (B, L, 1)
    return graph(x, valid)


def run_dynamic(lstm: nn.LSTM, x: torch.Tensor, lengths: list[int]):
    """nn.LSTM on the packed batch: as many steps as the longest sequence, shrinking width."""
    packed = pack_padded_sequence(x, torch.tensor(lengths), batch_first=True, enforce_sorted=False)
    out, (h, c) = lstm(packed)
    return out, h[0], c[0]


def dynamic_graph_nodes(lstm: nn.LSTM) -> int:
    """Nodes of the traced dynamic model: the time loop lives inside the one LSTM op, so T is absent."""

    class Dynamic(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = lstm

        def forward(self, x):
            return self.lstm(x)

    return len(torch.fx.symbolic_trace(Dynamic()).graph.nodes)


def variable_lengths(batch_size: int, steps: int, seed: int) -> list[int]:
    """Long-tailed lengths (median ``DATA_MEDIAN``, at most 10x that) clipped to T: the same data for every T."""
    rng = np.random.default_rng(seed)
    return [min(n, steps) for n in sample_lengths("long-tailed", batch_size, DATA_MEDIAN * 10, rng)]


@dataclass
class UnrollPoint:
    T: int
    static_nodes: int  # fx graph nodes of the unrolled graph
    dynamic_nodes: int
    static_build_seconds: float  # symbolic trace + Python code generation
    static_seconds: float  # fastest forward+backward per batch
    dynamic_seconds: float
    static_saved_bytes: int  # bytes autograd keeps for backward (see cost.SavedBytes)
    dynamic_saved_bytes: int
    batch_max_length: int  # longest sequence in the measured batch
    max_abs_diff: float  # static vs dynamic outputs at real positions


def measure_point(
    steps: int, batch_size: int = 32, hidden: int = 64, input_size: int = 32, repeats: int = 3, seed=0, builds: int = 1
):
    """Build the static graph for T=steps and time both on one variable-length batch."""
    torch.manual_seed(seed)
    lstm = nn.LSTM(input_size, hidden, batch_first=True)
    graph, build = build_static(lstm, steps)
    for _ in range(builds - 1):  # the fastest build: tracing is pure Python, easily slowed by other processes
        build = min(build, build_static(lstm, steps)[1])
    lengths = variable_lengths(batch_size, steps, seed)
    x = torch.randn(batch_size, steps, input_size)  # (B, T, I): padded to T for the static graph

    def static_step():
        lstm.zero_grad(set_to_none=True)
        out, _, _ = run_static(graph, x, lengths)
        out.sum().backward()

    def dynamic_step():
        lstm.zero_grad(set_to_none=True)
        out, _, _ = run_dynamic(lstm, x, lengths)
        out.data.sum().backward()

    with SavedBytes() as static_saved:
        static_out, _, _ = run_static(graph, x, lengths)
    with SavedBytes() as dynamic_saved:
        dynamic_out, _, _ = run_dynamic(lstm, x, lengths)
    valid = mask(lengths, steps)
    padded_dynamic = torch.zeros_like(static_out)
    padded_dynamic[:, : max(lengths)] = torch.nn.utils.rnn.pad_packed_sequence(dynamic_out, batch_first=True)[0]
    diff = float((static_out - padded_dynamic).detach()[valid].abs().max())
    return UnrollPoint(
        T=steps,
        static_nodes=len(graph.graph.nodes),
        dynamic_nodes=dynamic_graph_nodes(lstm),
        static_build_seconds=build,
        static_seconds=best_seconds(static_step, repeats),
        dynamic_seconds=best_seconds(dynamic_step, repeats),
        static_saved_bytes=static_saved.bytes,
        dynamic_saved_bytes=dynamic_saved.bytes,
        batch_max_length=max(lengths),
        max_abs_diff=diff,
    )


def sweep(
    ts=DEFAULT_TS, batch_size: int = 32, repeats: int = 3, progress: Callable[[float], None] | None = None
) -> list[dict]:
    results = []
    for index, steps in enumerate(ts):
        results.append(asdict(measure_point(int(steps), batch_size, repeats=repeats, builds=2)))
        if progress:
            progress((index + 1) / len(ts))
    return results


@torch.no_grad()
def longer_than_t(steps: int = 20, length: int = 35, hidden: int = 16, seed: int = 0) -> dict:
    """Feed one sequence longer than the static graph's T: it silently reads only the first T steps."""
    if length <= steps:
        raise UserError(f"the input must be longer than T={steps}, got {length}")
    torch.manual_seed(seed)
    lstm = nn.LSTM(8, hidden, batch_first=True)
    graph, _ = build_static(lstm, steps)
    x = torch.randn(1, length, 8)
    _, h_static, _ = run_static(graph, x, [length])
    _, h_full, _ = run_dynamic(lstm, x, [length])
    _, h_first_t, _ = run_dynamic(lstm, x[:, :steps], [steps])
    return {
        "T": steps,
        "input_length": length,
        "static_vs_full_h_diff": float((h_static - h_full).abs().max()),
        "static_vs_truncated_h_diff": float((h_static - h_first_t).abs().max()),
    }
