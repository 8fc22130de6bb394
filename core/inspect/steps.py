"""Run a shipped model's recurrent cell one step at a time and keep every gate and state.

The gates are computed from the module's own weights (``weight_ih_l*``, ``weight_hh_l*``, biases)
with PyTorch's equations, in the same order ``torch.gru_cell`` / ``torch.lstm_cell`` use, so the
states are the model's own (a unit test checks them against ``nn.GRU`` / ``nn.LSTM`` to 1e-6):

    GRU   r = σ(W_ir x + b_ir + W_hr h + b_hr)    z = σ(W_iz x + b_iz + W_hz h + b_hz)
          n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))    h' = (1 − z) ⊙ n + z ⊙ h
    LSTM  i, f, o = σ(...), g = tanh(...)    c' = f ⊙ c + i ⊙ g    h' = o ⊙ tanh(c')

Every model with a cell gets an adapter that turns an input (text, a clip name) into the cell's
input vectors x_t and initial state: char models, a translator's encoder or decoder, the plain
seq2seq RNN, the video GRU over the CNN features of a clip.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

from core.errors import UserError

MAX_STEPS = 1000  # longer inputs are cut here, and the result says so
GATES = {"gru": ("r", "z", "n"), "lstm": ("i", "f", "g", "o")}  # PyTorch's row order in weight_ih
GATE_NAMES = {
    "r": "reset",
    "z": "update",
    "n": "candidate",
    "i": "input",
    "f": "forget",
    "g": "cell input",
    "o": "output",
}
SAMPLES_DIR = Path(__file__).resolve().parents[2] / "assets" / "samples"
START = "⏹"  # how the char models' boundary token and a decoder's BOS are shown


@dataclass
class LayerTrace:
    name: str  # "layer 1", or "layer 1 forward" / "layer 1 backward" in a bidirectional encoder
    gates: dict[str, np.ndarray]  # gate letter -> (T, H) values after their nonlinearity
    hidden: np.ndarray  # (T, H) state after reading token t (a backward direction: tokens t..T-1)
    cell: np.ndarray | None  # (T, H) LSTM cell state, None for a GRU
    h0: np.ndarray  # (H,) state before the first step
    c0: np.ndarray | None

    def previous(self, t: int, backward: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
        """The (h, c) the cell read at step t."""
        edge = t == (len(self.hidden) - 1 if backward else 0)
        before = t + 1 if backward else t - 1
        h = self.h0 if edge else self.hidden[before]
        c = None if self.cell is None else (self.c0 if edge else self.cell[before])
        return h, c


@dataclass
class Trace:
    model: str
    part: str  # "rnn", "encoder" or "decoder"
    kind: str  # "gru" or "lstm"
    tokens: list[str]  # what the cell read at each step, as shown
    unknown: list[int]  # steps whose token is outside the vocabulary (read as <unk>)
    notices: list[str]  # what was done to the input (truncated, characters dropped ...)
    layers: list[LayerTrace] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.tokens)


@dataclass
class CellInput:
    rnn: nn.RNNBase
    x: torch.Tensor  # (T, I) the cell's input at every step
    tokens: list[str]
    unknown: list[int] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    state: tuple[torch.Tensor, ...] | None = None  # initial (h0,) or (h0, c0), each (layers * directions, H)


# ---------------------------------------------------------------------------------------------
# The cell, step by step


def _weights(rnn: nn.RNNBase, layer: int, suffix: str) -> list[torch.Tensor]:
    return [getattr(rnn, f"{name}_l{layer}{suffix}") for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]


@torch.no_grad()
def step_layer(kind: str, x: torch.Tensor, h: torch.Tensor, c: torch.Tensor | None, weights) -> dict:
    """One direction of one layer over x (T, I): gates (T, G, H), hidden (T, H), cell (T, H) or None.

    The input's share of every gate is one matrix product for all steps; each step then adds the
    recurrent share for all units at once.
    """
    w_ih, w_hh, b_ih, b_hh = weights
    steps, width = x.size(0), w_hh.size(1)
    from_input = torch.addmm(b_ih, x, w_ih.t()).view(steps, -1, width)  # (T, G, H)
    gates = torch.empty(steps, len(GATES[kind]), width)
    hidden = torch.empty(steps, width)
    cell = torch.empty(steps, width) if kind == "lstm" else None
    for t in range(steps):
        recurrent = torch.addmv(b_hh, w_hh, h).view(-1, width)  # (G, H)
        if kind == "gru":
            rz = torch.sigmoid(from_input[t, :2] + recurrent[:2])
            n = torch.tanh(from_input[t, 2] + rz[0] * recurrent[2])
            h = (h - n) * rz[1] + n  # = (1 - z) n + z h, in torch.gru_cell's order of operations
            gates[t, :2], gates[t, 2] = rz, n
        else:
            total = from_input[t] + recurrent
            i, f, g, o = torch.sigmoid(total[0]), torch.sigmoid(total[1]), torch.tanh(total[2]), torch.sigmoid(total[3])
            c = f * c + i * g
            h = o * torch.tanh(c)
            gates[t] = torch.stack([i, f, g, o])
            cell[t] = c
        hidden[t] = h
    return {"gates": gates, "hidden": hidden, "cell": cell}


def run_cell(rnn: nn.RNNBase, x: torch.Tensor, state: tuple[torch.Tensor, ...] | None = None) -> list[LayerTrace]:
    """Every layer and direction of a stacked (bi)directional nn.GRU / nn.LSTM over x (T, I)."""
    kind = cell_kind(rnn)
    directions = 2 if rnn.bidirectional else 1
    zeros = torch.zeros(rnn.num_layers * directions, rnn.hidden_size)
    h0 = state[0] if state is not None else zeros
    c0 = state[1] if state is not None and kind == "lstm" else (zeros if kind == "lstm" else None)
    traces, layer_input = [], x.float()
    for layer in range(rnn.num_layers):
        outputs = []
        for direction in range(directions):
            index = layer * directions + direction
            seq = layer_input.flip(0) if direction else layer_input
            c_start = c0[index] if c0 is not None else None
            out = step_layer(kind, seq, h0[index], c_start, _weights(rnn, layer, "_reverse" if direction else ""))
            if direction:  # back to the order of the tokens
                out = {k: v.flip(0) if v is not None else None for k, v in out.items()}
            name = f"layer {layer + 1}" + (" backward" if direction else " forward" if directions == 2 else "")
            gates = {g: out["gates"][:, i].numpy() for i, g in enumerate(GATES[kind])}
            cell = out["cell"].numpy() if out["cell"] is not None else None
            c_np = c_start.numpy() if c_start is not None else None
            traces.append(LayerTrace(name, gates, out["hidden"].numpy(), cell, h0[index].numpy(), c_np))
            outputs.append(out["hidden"])
        layer_input = torch.cat(outputs, -1)
    return traces


def cell_kind(rnn: nn.Module) -> str:
    if isinstance(rnn, nn.LSTM):
        return "lstm"
    if isinstance(rnn, nn.GRU):
        return "gru"
    raise UserError(f"{type(rnn).__name__} is not a GRU or LSTM")


# ---------------------------------------------------------------------------------------------
# Adapters: from a model and an input to the cell's inputs


def parts(model: nn.Module) -> list[str]:
    """The recurrent cells a model has, by part name ([] when it has none)."""
    kind = getattr(model, "model_type", "")
    if kind == "rnn-translator":
        return ["encoder", "decoder"]
    if kind in ("char-rnn", "rnn-plain-seq2seq") or isinstance(getattr(model, "rnn", None), nn.GRU | nn.LSTM):
        return ["rnn"]
    return []


def _cap(text: str, limit: int, notices: list[str]) -> str:
    if not text.strip():
        raise UserError("the input is empty: type some text (or pick a clip) for the cell to read")
    if len(text) > limit:
        notices.append(f"the input has {len(text):,} characters; the cell reads the first {limit:,}")
        return text[:limit]
    return text


def _char_input(model, text: str, style: dict | None, max_steps: int) -> CellInput:
    from core.generation.generate import prepare_prime
    from core.generation.model import BOUNDARY

    notices: list[str] = []
    prime = prepare_prime(model, _cap(text, max_steps - 1, notices))
    if not prime.ids:
        raise UserError("none of the input's characters are in the model's vocabulary")
    ids = torch.tensor([BOUNDARY, *prime.ids])
    x = model.embed(ids)  # (T, E)
    style_ids = model.style_ids(style)
    if style_ids is not None and style is None:
        fallback = ", ".join(f"{f} {v[-1]!r}" for f, v in zip(model.config.style_fields, model.config.style_values))
        notices.append(f"the model also reads a style vector at every step; here the fallback: {fallback}")
    if style_ids is not None:
        x = torch.cat([x, model.style_vector(style_ids[None]).expand(len(ids), -1)], -1)
    return CellInput(model.rnn, x, [START, *prime.text], [], notices + prime.notices)


def _source(model, text: str, notices: list[str]):
    encoded = model.src_tokenizer.encode(_cap(text, 10 * MAX_STEPS, notices), max_len=model.config.max_source_len)
    if encoded.truncated:
        notices.append(f"the model reads at most {model.config.max_source_len} source tokens; the rest is cut")
    if encoded.unknown:
        shown = ", ".join(repr(encoded.tokens[i]) for i in encoded.unknown)
        notices.append(f"tokens outside the vocabulary are read as <unk>: {shown}")
    return encoded


def _translator_input(model, text: str, part: str) -> CellInput:
    from core import decoding
    from core.translation.tokenizer import BOS_ID, EOS_ID

    notices: list[str] = []
    encoded = _source(model, text, notices)
    if part == "encoder":
        x = model.encoder.embed(torch.tensor(encoded.ids))
        return CellInput(model.encoder.rnn, x, encoded.tokens, encoded.unknown, notices)
    src, lengths = torch.tensor([encoded.ids]), torch.tensor([len(encoded.ids)])
    state = model.start_state(src, lengths)
    start = torch.tensor([BOS_ID])
    output = decoding.greedy(model.step, state, start, model.max_output_len(lengths), EOS_ID)[0].tokens
    read = [BOS_ID, *output[:-1]] if output and output[-1] == EOS_ID else [BOS_ID, *output]
    notices.append(f"the decoder reads its own greedy output: {model.tgt_tokenizer.decode(output)!r}")
    x = model.decoder.embed(torch.tensor(read))
    if model.config.attention == "none":  # the encoder's summary is read at every step
        x = torch.cat([x, state["context"].expand(len(read), -1)], -1)
    hidden = state["hidden"]
    initial = tuple(h[0] for h in hidden) if isinstance(hidden, tuple) else (hidden[0],)  # (L, H) each
    tokens = [START, *model.tgt_tokenizer.tokens(read[1:])]
    return CellInput(model.decoder.rnn, x, tokens, [], notices, initial)


def _plain_input(model, text: str) -> CellInput:
    notices: list[str] = []
    encoded = _source(model, text, notices)
    inputs = model._inputs(torch.tensor([encoded.ids]))[0]
    tokens = encoded.tokens + ["<pad>"] * model.config.delay
    return CellInput(model.rnn, model.embed(inputs), tokens, encoded.unknown, notices)


def sample_clips() -> list[str]:
    """Names of the sample clips shipped in assets/samples (the video input choices)."""
    return sorted(p.stem for p in SAMPLES_DIR.glob("*.webm"))


def _video_input(model, clip: str) -> CellInput:
    from core.video.io import read_clip
    from core.video.model import RECURRENT

    if model.config.temporal not in RECURRENT:
        raise UserError(f"this video model reads frames with '{model.config.temporal}', not a recurrent cell")
    if clip not in sample_clips():
        raise UserError(f"no sample clip {clip!r}; the samples are {', '.join(sample_clips())}")
    frames = read_clip(SAMPLES_DIR / f"{clip}.webm", model.config.frames).frames
    pixels = torch.from_numpy(model.config.model_input(frames))[None]
    x = model.frame_features(pixels)[0]  # (T, F)
    return CellInput(model.rnn, x, [f"frame {t + 1}" for t in range(len(x))])


@torch.no_grad()
def cell_input(
    model: nn.Module, name: str, text: str, part: str = "rnn", style: dict | None = None, max_steps: int = MAX_STEPS
) -> CellInput:
    """The cell's inputs for ``text`` (a clip name for a video model); UserError for a model without a cell.

    Char models read at most ``max_steps`` steps (the boundary token and the text); longer text is cut.
    """
    available = parts(model)
    if not available:
        how = getattr(getattr(model, "config", None), "temporal", None)
        reads = f"it reads its frames with '{how}'" if how else f"a {getattr(model, 'model_type', 'model')}"
        raise UserError(f"{name} has no recurrent cell to step through ({reads}); pick a GRU or LSTM model")
    if part not in available:
        raise UserError(f"{name} has no part {part!r}; its cells: {', '.join(available)}")
    kind = model.model_type
    if kind == "char-rnn":
        return _char_input(model, text, style, max_steps)
    if kind == "rnn-translator":
        return _translator_input(model, text, part)
    if kind == "rnn-plain-seq2seq":
        return _plain_input(model, text)
    if kind == "video-cnn-rnn":
        return _video_input(model, text)
    raise UserError(f"{name}: no step-through for model type {kind!r}")


def trace(model: nn.Module, name: str, text: str, part: str = "rnn", style: dict | None = None) -> Trace:
    """Step ``model``'s cell through ``text`` and keep every gate and state."""
    prepared = cell_input(model, name, text, part, style)
    layers = run_cell(prepared.rnn, prepared.x, prepared.state)
    kind = cell_kind(prepared.rnn)
    return Trace(name, part, kind, prepared.tokens, prepared.unknown, prepared.notices, layers)


def default_input(model: nn.Module, max_chars: int = 300) -> str:
    """A piece of held-out input for the model: a held-out tune or document, a test-split pair, a sample clip."""
    kind = getattr(model, "model_type", "")
    if kind == "char-rnn":
        from core.inspect.units import held_out

        return held_out(model, max_chars)[0][0][:max_chars]
    if kind in ("rnn-translator", "rnn-plain-seq2seq") and model.config.task not in ("", "pairs"):
        from core.translation.data import task_pairs

        return task_pairs(model.config.task, 1, seed=0, split="test")[0][0]
    if kind == "video-cnn-rnn":
        return sample_clips()[0]
    return ""


# ---------------------------------------------------------------------------------------------
# Reading a trace


def step_json(trace: Trace, layer: int = 0, digits: int = 5) -> list[dict]:
    """Per step {t, token, gates: {letter: [...]}, hidden: [...], (cell: [...])} of one layer."""
    chosen = trace.layers[layer]
    rows = []
    for t, token in enumerate(trace.tokens):
        row = {"t": t, "token": token, "unknown": t in trace.unknown}
        row["gates"] = {g: _rounded(v[t], digits) for g, v in chosen.gates.items()}
        row["hidden"] = _rounded(chosen.hidden[t], digits)
        if chosen.cell is not None:
            row["cell"] = _rounded(chosen.cell[t], digits)
        rows.append(row)
    return rows


def _rounded(values: np.ndarray, digits: int) -> list[float]:
    return np.round(values.astype(np.float64), digits).tolist()


def equation(trace: Trace, layer: int, t: int, unit: int) -> str:
    """The cell's update of one unit at step t, written with the actual numbers."""
    chosen = trace.layers[layer]
    h_prev, c_prev = chosen.previous(t, backward=chosen.name.endswith("backward"))
    g = {name: float(values[t, unit]) for name, values in chosen.gates.items()}
    h = float(chosen.hidden[t, unit])
    if trace.kind == "gru":
        return (
            f"h[{unit}] = (1 − z)·n + z·h_prev = (1 − {g['z']:.3f})·{g['n']:.3f} + {g['z']:.3f}·{h_prev[unit]:.3f}"
            f" = {h:.3f}   (reset r = {g['r']:.3f})"
        )
    c = float(chosen.cell[t, unit])
    return (
        f"c[{unit}] = f·c_prev + i·g = {g['f']:.3f}·{c_prev[unit]:.3f} + {g['i']:.3f}·{g['g']:.3f} = {c:.3f};   "
        f"h[{unit}] = o·tanh(c) = {g['o']:.3f}·tanh({c:.3f}) = {h:.3f}"
    )


def units_by_variance(values: np.ndarray) -> list[int]:
    """Unit indices of a (T, H) array, most variable over time first."""
    return np.argsort(-values.var(axis=0), kind="stable").tolist()
