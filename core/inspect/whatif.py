"""What-if decoding: score an output you type, token by token, and force a prefix then let the model go on.

Scores come from ``core.decoding.teacher_forced_score`` (the function the decoders are checked
with); a wrapper around the model's step records each step's distribution (for the per-token
log-probabilities) and state (to continue greedily after a forced prefix). Like Seq2Seq-Vis
(Strobelt et al. 2018): why does the model prefer its own answer to yours?
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from core import decoding
from core.errors import UserError

CONTINUE_CHARS = 200  # a char model continues a forced prefix by at most this many characters


@dataclass
class Scored:
    tokens: list[str]  # the scored tokens, as shown (EOS / end of text included)
    log_probs: list[float]  # log p(token | source, tokens before it), nats
    total: float  # teacher_forced_score of the whole sequence


@dataclass
class WhatIf:
    yours: Scored  # the typed output
    own: Scored  # the model's greedy output, scored the same way
    continued: str  # greedy decoding after the typed output's tokens, forced as a prefix
    notices: list[str]


class _Recording:
    """A step function that remembers every distribution and state it produced."""

    def __init__(self, step):
        self.step, self.rows, self.states = step, [], []

    def __call__(self, tokens, state):
        logits, state, attention = self.step(tokens, state)
        self.rows.append(logits.float().log_softmax(-1)[0])
        self.states.append(state)
        return logits, state, attention


def _score(step, state, start: torch.Tensor, ids: list[int], names: list[str]) -> tuple[Scored, _Recording]:
    recording = _Recording(step)
    total = decoding.teacher_forced_score(recording, state, start, ids)
    per_token = [float(row[i]) for row, i in zip(recording.rows, ids)]
    return Scored(names, per_token, total), recording


def _continue(step, state, start, recording: _Recording, prefix: list[int], max_len: int, eos: int) -> list[int]:
    """Greedy decoding after ``prefix`` was forced; ``recording`` scored a sequence that starts with it.

    Step call k read the start token (k = 0) or prefix[k - 1], so the state before reading the
    prefix's last token is the one call len(prefix) - 1 left; greedy then feeds that token.
    """
    if prefix:
        state, start = recording.states[len(prefix) - 1], torch.tensor([prefix[-1]])
    return decoding.greedy(step, state, start, max(1, max_len - len(prefix)), eos)[0].tokens


@torch.inference_mode()
def translation(model, source: str, target: str) -> WhatIf:
    """Score ``target`` for ``source`` against the model's own greedy answer; continue from ``target`` as a prefix."""
    from core.translation.inference import encode_sources
    from core.translation.tokenizer import BOS_ID, EOS_ID

    src, lengths, encoded = encode_sources(model, [source])
    notices = [f"source tokens read as <unk>: {', '.join(encoded[0].tokens[i] for i in encoded[0].unknown)}"]
    notices = notices if encoded[0].unknown else []
    typed = model.tgt_tokenizer.encode(target)
    if typed.unknown:
        missing = ", ".join(repr(typed.tokens[i]) for i in typed.unknown)
        raise UserError(f"the target has tokens the model cannot output: {missing}")
    start, max_len = torch.tensor([BOS_ID]), model.max_output_len(lengths)
    if len(typed.ids) >= max_len:
        raise UserError(f"the target has {len(typed.ids)} tokens; this model outputs at most {max_len - 1}")
    vocab = model.tgt_tokenizer.vocab
    yours_ids = typed.ids + [EOS_ID]
    yours, recording = _score(model.step, model.start_state(src, lengths), start, yours_ids, _names(vocab, yours_ids))
    own_ids = decoding.greedy(model.step, model.start_state(src, lengths), start, max_len, EOS_ID)[0].tokens
    own, _ = _score(model.step, model.start_state(src, lengths), start, own_ids, _names(vocab, own_ids))
    more = _continue(model.step, model.start_state(src, lengths), start, recording, typed.ids, max_len, EOS_ID)
    return WhatIf(yours, own, model.tgt_tokenizer.decode(typed.ids + more), notices)


def _names(vocab: list[str], ids: list[int]) -> list[str]:
    return [vocab[i] for i in ids]


@torch.inference_mode()
def generation(model, text: str, style: dict | None = None) -> WhatIf:
    """Score ``text`` as a char model's output from the start (end of text included); greedy continuation after it."""
    from core.generation.generate import prepare_prime
    from core.generation.model import BOUNDARY

    prime = prepare_prime(model, text)
    if not prime.ids:
        raise UserError("type some text for the model to score (characters from its vocabulary)")
    style_ids = model.style_ids(style)
    zeros = torch.zeros(model.config.layers, 1, model.config.hidden)
    rnn_state = (zeros, zeros.clone()) if model.config.cell == "lstm" else zeros

    def start_state():
        return model.pack_state(rnn_state, style_ids[None] if style_ids is not None else None)

    start, names = torch.tensor([BOUNDARY]), [*prime.text, "⏹"]
    yours, recording = _score(model.step, start_state(), start, [*prime.ids, BOUNDARY], names)
    own_ids = decoding.greedy(model.step, start_state(), start, len(prime.ids) + 1, BOUNDARY)[0].tokens
    own, _ = _score(model.step, start_state(), start, own_ids, [model.config.vocab[i] or "⏹" for i in own_ids])
    more = _continue(model.step, start_state(), start, recording, prime.ids, len(prime.ids) + CONTINUE_CHARS, BOUNDARY)
    return WhatIf(yours, own, prime.text + model.decode(more), prime.notices)
