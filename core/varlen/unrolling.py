"""Static vs dynamic unrolling vs packing of one LSTM, all honest PyTorch on the same weights.

static  = TF's ``static_rnn``: a Python loop over the LSTM step math, unrolled for a fixed T and
          traced by ``torch.fx`` into one graph with a node per operation per time step. Inputs
          are padded to T; a mask carries the state through pads so final states stay right.
dynamic = TF's ``dynamic_rnn`` with ``sequence_length``: a loop (TF's ``while_loop``; here eager
          PyTorch) over a *padded* batch that runs as many steps as the batch's longest sequence,
          computes every row at every step, then copies the state through and zeroes the output
          of rows past their length. TF documents this as "more for correctness than performance".
packed  = ``nn.LSTM`` on a PackedSequence: one op whose loop also runs to the longest sequence,
          but each step computes only the sequences still running. Skipping finished rows is
          packing's gain, not dynamic unrolling's.

All three read the same weights, so on inputs no longer than T they compute the same states.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.fx
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from core.errors import UserError
from core.varlen.batching import mask, sample_lengths
from core.varlen.cost import SavedBytes, best_seconds

MAX_T = 1000  # the longest static graph built on request
LIVE_MAX_T = 200  # the longest the page measures live (larger ones come from the shipped file)
DEFAULT_TS = (10, 20, 50, 100, 200, 500, 1000)
DATA_MEDIAN = 20  # the variable-length batches: long-tailed lengths, median 20, clipped to T


def lstm_step(lstm: nn.LSTM, x_t: torch.Tensor, h: torch.Tensor, c: torch.Tensor):
    """One step of ``lstm``'s first layer on every row: x_t (B, I), h and c (B, H) -> new h, c."""
    hidden = lstm.hidden_size
    gates = torch.nn.functional.linear(x_t, lstm.weight_ih_l0, lstm.bias_ih_l0)
    gates = gates + torch.nn.functional.linear(h, lstm.weight_hh_l0, lstm.bias_hh_l0)  # (B, 4H)
    i = torch.sigmoid(gates[:, :hidden])  # PyTorch's gate order: input, forget, cell, output
    f = torch.sigmoid(gates[:, hidden : 2 * hidden])
    g = torch.tanh(gates[:, 2 * hidden : 3 * hidden])
    o = torch.sigmoid(gates[:, 3 * hidden :])
    c_new = f * c + i * g
    return o * torch.tanh(c_new), c_new


class MaskedLoop(nn.Module):
    """The LSTM recurrence over ``steps`` time steps with a mask: rows past their end copy their state
    through and output 0. Traced by torch.fx it is the static graph; run eagerly with ``steps`` set to
    the batch's longest sequence it is the dynamic loop."""

    def __init__(self, lstm: nn.LSTM, steps: int):
        super().__init__()
        self.lstm = lstm  # shared: every version reads the packed model's parameters
        self.steps = steps

    def forward(self, x: torch.Tensor, valid: torch.Tensor):
        # x (B, >= steps, I), valid (B, >= steps, 1) float: 1 on real tokens. Only the first `steps` are read.
        h = x.new_zeros(x.size(0), self.lstm.hidden_size)  # (B, H)
        c = x.new_zeros(x.size(0), self.lstm.hidden_size)
        outputs = []
        for t in range(self.steps):
            h_new, c_new = lstm_step(self.lstm, x[:, t], h, c)
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
    graph = torch.fx.symbolic_trace(MaskedLoop(lstm, steps))
    return graph, time.perf_counter() - start


def run_static(graph: torch.fx.GraphModule, x: torch.Tensor, lengths: list[int]):
    """Run the static graph on post-padded ``x``; it reads only its own T steps, whatever x holds."""
    valid = mask(lengths, x.size(1)).unsqueeze(-1).to(x.dtype)  # (B, L, 1)
    return graph(x, valid)


def run_dynamic(lstm: nn.LSTM, x: torch.Tensor, lengths: list[int]):
    """TF's dynamic_rnn with sequence_length: max(lengths) steps over every row of the padded ``x``.

    Past its length a row still computes, but its state is copied through and its output zeroed,
    so the final states are each sequence's own and outputs past the end are exactly 0.
    """
    steps = max(lengths)  # the loop bound follows the data (TF: min(T, max(sequence_length)))
    valid = mask(lengths, steps).unsqueeze(-1).to(x.dtype)  # (B, steps, 1)
    return MaskedLoop(lstm, steps)(x, valid)  # eager: nothing is built ahead for a fixed T


def run_packed(lstm: nn.LSTM, x: torch.Tensor, lengths: list[int]):
    """nn.LSTM on the packed batch: as many steps as the longest sequence, shrinking width."""
    packed = pack_padded_sequence(x, torch.tensor(lengths), batch_first=True, enforce_sorted=False)
    out, (h, c) = lstm(packed)
    return out, h[0], c[0]


def packed_graph_nodes(lstm: nn.LSTM) -> int:
    """Nodes of the traced nn.LSTM model: the time loop lives inside the one LSTM op, so T is absent."""

    class Packed(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = lstm

        def forward(self, x):
            return self.lstm(x)

    return len(torch.fx.symbolic_trace(Packed()).graph.nodes)


def variable_lengths(batch_size: int, steps: int, seed: int) -> list[int]:
    """Long-tailed lengths (median ``DATA_MEDIAN``, at most 10x that) clipped to T: the same data for every T."""
    rng = np.random.default_rng(seed)
    return [min(n, steps) for n in sample_lengths("long-tailed", batch_size, DATA_MEDIAN * 10, rng)]


@dataclass
class UnrollPoint:
    T: int
    static_nodes: int  # fx graph nodes of the unrolled graph
    packed_nodes: int  # fx graph nodes of the nn.LSTM model (the same at every T)
    static_build_seconds: float  # symbolic trace + Python code generation
    static_seconds: float  # fastest forward+backward per batch
    dynamic_seconds: float  # the loop over the padded batch with lengths
    packed_seconds: float
    static_saved_bytes: int  # bytes autograd keeps for backward (see cost.SavedBytes)
    dynamic_saved_bytes: int
    packed_saved_bytes: int
    batch_size: int
    batch_max_length: int  # longest sequence in the measured batch: dynamic computes batch_size x this many cells
    real_cells: int  # the sum of the lengths: the cells packing computes
    max_abs_diff: float  # static and dynamic vs packed outputs at real positions, the larger


def _largest_difference(outputs: list[torch.Tensor], packed_out, lengths: list[int]) -> float:
    """Max |difference| from the packed outputs over real positions (outputs: (B, >= max len, H))."""
    reference = pad_packed_sequence(packed_out, batch_first=True)[0].detach()  # (B, max len, H)
    valid = mask(lengths, reference.size(1))
    return max(float((out[:, : reference.size(1)].detach() - reference)[valid].abs().max()) for out in outputs)


def measure_point(
    steps: int, batch_size: int = 32, hidden: int = 64, input_size: int = 32, repeats: int = 3, seed=0, builds: int = 1
):
    """Build the static graph for T=steps and time all three on one variable-length batch."""
    torch.manual_seed(seed)
    lstm = nn.LSTM(input_size, hidden, batch_first=True)
    graph, build = build_static(lstm, steps)
    for _ in range(builds - 1):  # the fastest build: tracing is pure Python, easily slowed by other processes
        build = min(build, build_static(lstm, steps)[1])
    lengths = variable_lengths(batch_size, steps, seed)
    x = torch.randn(batch_size, steps, input_size)  # (B, T, I): padded to T for the static graph
    runs = {
        "static": lambda: run_static(graph, x, lengths)[0],
        "dynamic": lambda: run_dynamic(lstm, x, lengths)[0],
        "packed": lambda: run_packed(lstm, x, lengths)[0].data,
    }

    def timed(run):
        def step():
            lstm.zero_grad(set_to_none=True)
            run().sum().backward()

        return best_seconds(step, repeats)

    saved = {}
    for name, run in runs.items():
        with SavedBytes() as counter:
            run()
        saved[name] = counter.bytes
    packed_out = run_packed(lstm, x, lengths)[0]
    return UnrollPoint(
        T=steps,
        static_nodes=len(graph.graph.nodes),
        packed_nodes=packed_graph_nodes(lstm),
        static_build_seconds=build,
        static_seconds=timed(runs["static"]),
        dynamic_seconds=timed(runs["dynamic"]),
        packed_seconds=timed(runs["packed"]),
        static_saved_bytes=saved["static"],
        dynamic_saved_bytes=saved["dynamic"],
        packed_saved_bytes=saved["packed"],
        batch_size=batch_size,
        batch_max_length=max(lengths),
        real_cells=sum(lengths),
        max_abs_diff=_largest_difference([runs["static"](), runs["dynamic"]()], packed_out, lengths),
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
    _, h_full, _ = run_packed(lstm, x, [length])
    _, h_first_t, _ = run_packed(lstm, x[:, :steps], [steps])
    return {
        "T": steps,
        "input_length": length,
        "static_vs_full_h_diff": float((h_static - h_full).abs().max()),
        "static_vs_truncated_h_diff": float((h_static - h_first_t).abs().max()),
    }
