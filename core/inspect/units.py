"""Find interpretable units in a char model, measured: correlate every unit with features of the text.

Karpathy, Johnson & Fei-Fei (2015), "Visualizing and Understanding Recurrent Networks", found
cells that track quotes, line length and brackets in char LSTMs. Here each feature is computed
from the text itself, every unit's activation over held-out text (never trained on) is
correlated with it (Pearson r), and the best unit per feature is reported with its r — including
when no unit reaches ``CLEAR``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch.nn.utils.rnn import pad_sequence

from core.errors import UserError
from core.inspect.steps import cell_input

CLEAR = 0.3  # |r| below this is reported as "no clear unit"
MAX_CHARS = 20_000  # held-out characters searched (a few seconds on 2 cores)
PIECE_CHARS = 1_000  # held-out text is read in pieces of at most this many characters, each from a fresh state
BATCH = 16  # pieces read together
SAMPLE_CHARS = 600  # characters shown coloured by a found unit

DESCRIPTIONS = {
    "in_quotes": 'inside "double quotes"',
    "in_brackets": "inside [brackets]",
    "in_parentheses": "inside (parentheses), any depth",
    "line_position": "characters since the line began",
    "indent": "indentation of the current line (leading spaces)",
    "bar_position": "characters since the last bar line |",
    "in_chord": "inside a chord [...]",
    "part_b": "part B: after the first section end (:| || |])",
    "to_next_bar": "characters until the next bar line |",
}


def _line_features(text: str) -> dict[str, np.ndarray]:
    position, indent = np.zeros(len(text)), np.zeros(len(text))
    column, leading, in_lead = 0, 0, True
    for i, ch in enumerate(text):
        if ch == "\n":
            column, leading, in_lead = 0, 0, True
        else:
            column += 1
            if in_lead and ch == " ":
                leading += 1
            else:
                in_lead = False
        position[i], indent[i] = column, leading
    return {"line_position": position, "indent": indent}


def prose_features(text: str) -> dict[str, np.ndarray]:
    """Per character of ``text``: quote / bracket / parenthesis state, position in the line, indentation."""
    quotes, brackets, parens = np.zeros(len(text)), np.zeros(len(text)), np.zeros(len(text))
    in_quote, bracket_depth, paren_depth = False, 0, 0
    for i, ch in enumerate(text):
        if ch == '"':
            in_quote = not in_quote
        elif ch == "\n" and i + 1 < len(text) and text[i + 1] == "\n":
            in_quote = False  # an unmatched quote ends with its paragraph
        bracket_depth = max(0, bracket_depth + (ch == "[") - (ch == "]"))
        paren_depth = max(0, paren_depth + (ch == "(") - (ch == ")"))
        quotes[i], brackets[i], parens[i] = in_quote, bracket_depth > 0, paren_depth > 0
    return {"in_quotes": quotes, "in_brackets": brackets, "in_parentheses": parens, **_line_features(text)}


def abc_features(text: str) -> dict[str, np.ndarray]:
    """Per character of an ABC tune: position in the bar, inside a chord, part A/B, distance to the next bar."""
    n = len(text)
    bar_position, chord, part_b, to_next = np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n)
    since_bar, in_chord, second_part = 0, False, False
    for i, ch in enumerate(text):
        if ch == "|":
            since_bar = 0
            pair = text[max(0, i - 1) : i + 2]
            second_part = second_part or ":|" in pair or "||" in pair or "|]" in pair
        else:
            since_bar += 1
        if ch == "[":
            in_chord = True
        bar_position[i], chord[i], part_b[i] = since_bar, in_chord, second_part
        if ch == "]":
            in_chord = False
    following = n  # distance to the next "|" (to the end of the text when there is none)
    for i in range(n - 1, -1, -1):
        if text[i] == "|":
            following = i
        to_next[i] = following - i
    return {"bar_position": bar_position, "in_chord": chord, "part_b": part_b, "to_next_bar": to_next}


def correlations(activations: np.ndarray, feature: np.ndarray) -> np.ndarray:
    """Pearson r of every unit (N, H) with one feature (N,); 0 where either side is constant."""
    a = activations - activations.mean(0)
    f = feature - feature.mean()
    denominator = np.sqrt((a**2).sum(0) * (f**2).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (a * f[:, None]).sum(0) / denominator
    return np.nan_to_num(r)


def check_char_model(model) -> None:
    if getattr(model, "model_type", "") != "char-rnn":
        raise UserError("the unit search is for the character models (folk-abc, python-prose)")


def is_abc(model) -> bool:
    """The folk model (and any model conditioned on tune styles) reads ABC; other char models read prose."""
    return bool(model.config.style_fields) or model.meta.get("corpus", "") == "folk-abc"


def held_out(model, max_chars: int | None = None) -> list[tuple[str, dict | None]]:
    """(text, style) of the model's held-out tunes or documents (the split its training used), up to max_chars,
    in pieces of at most PIECE_CHARS characters."""
    from core.generation.train import folk_corpus, prose_corpus

    check_char_model(model)
    max_chars = max_chars or MAX_CHARS
    corpus = folk_corpus() if is_abc(model) else prose_corpus()
    styles = corpus.valid_styles or [None] * len(corpus.valid)
    pieces, total = [], 0
    for text, style in zip(corpus.valid, styles):
        for piece in _cut(text):
            pieces.append((piece[: max_chars - total], style))
            total += len(pieces[-1][0])
            if total >= max_chars:
                return pieces
    return pieces


def _cut(text: str) -> list[str]:
    """A text in pieces of at most PIECE_CHARS characters, cut after a line break where there is one."""
    pieces = []
    while len(text) > PIECE_CHARS:
        end = text.rfind("\n", 0, PIECE_CHARS) + 1 or PIECE_CHARS
        pieces.append(text[:end])
        text = text[end:]
    return [*pieces, text] if text else pieces


@torch.no_grad()
def activations(model, pieces: list[tuple[str, dict | None]]) -> list[tuple[str, np.ndarray]]:
    """Per piece (text, style): (the text as read, top-layer hidden state after each character (N, H)).

    The inputs are the step-through's (``cell_input``, whose states equal the module's: tested); the
    states come from the model's own nn.GRU/LSTM, BATCH pieces of similar length at a time, padded
    at the end (a forward-only cell never sees what follows a piece).
    """
    prepared = [cell_input(model, "model", text, "rnn", style, max_steps=len(text) + 1) for text, style in pieces]
    order = sorted(range(len(prepared)), key=lambda i: len(prepared[i].tokens))
    results: list = [None] * len(prepared)
    for begin in range(0, len(order), BATCH):
        rows = order[begin : begin + BATCH]
        out, _ = prepared[0].rnn(pad_sequence([prepared[i].x for i in rows], batch_first=True))  # (B, T, H)
        for b, i in enumerate(rows):  # step 0 reads the boundary token: character j is step j + 1
            results[i] = ("".join(prepared[i].tokens[1:]), out[b, 1 : len(prepared[i].tokens)].numpy())
    return results


@dataclass
class Finding:
    feature: str
    description: str
    unit: int
    r: float
    clear: bool  # |r| >= CLEAR
    sample: list[float]  # the unit's activation over the sample text


@dataclass
class UnitSearch:
    corpus: str  # "abc" or "prose"
    chars: int  # held-out characters searched
    findings: list[Finding]
    sample_text: str  # the start of the held-out text, for colouring


def search(model, max_chars: int | None = None) -> UnitSearch:
    """The best unit (largest |r|) per text feature over the model's held-out text."""
    check_char_model(model)
    abc = is_abc(model)
    features_of = abc_features if abc else prose_features
    texts, acts, features = [], [], {}
    for read, states in activations(model, held_out(model, max_chars)):
        texts.append(read)
        acts.append(states)
        for name, values in features_of(read).items():
            features.setdefault(name, []).append(values)
    all_acts = np.concatenate(acts)
    sample_text = "".join(texts)[:SAMPLE_CHARS]
    findings = []
    for name, parts in features.items():
        r = correlations(all_acts, np.concatenate(parts))
        unit = int(np.abs(r).argmax())
        sample = all_acts[: len(sample_text), unit].round(4).tolist()
        findings.append(Finding(name, DESCRIPTIONS[name], unit, float(r[unit]), bool(abs(r[unit]) >= CLEAR), sample))
    return UnitSearch("abc" if abc else "prose", len(all_acts), findings, sample_text)


def verdict(finding: Finding) -> str:
    """What a row of the search says, in words, with the number."""
    if finding.clear:
        return f"unit {finding.unit} tracks it (r = {finding.r:+.2f})"
    return f"no clear unit (best: unit {finding.unit}, r = {finding.r:+.2f}, |r| < {CLEAR})"
