"""Greedy, beam and sampling decoders shared by every autoregressive model in the app.

A model is decoded through a step function::

    step(tokens (B,), state) -> (logits (B, V), new_state, attention (B, S) or None)

``state`` is any nesting of tuples/lists/dicts of tensors whose first dimension is the batch
(encoder outputs and masks included), so beam search can reorder it with ``index_select``.
Scores are sums of log-probabilities of the generated tokens, EOS included, so a returned
score always equals the teacher-forced score of the same tokens.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import torch

StepFn = Callable[[torch.Tensor, Any], tuple[torch.Tensor, Any, "torch.Tensor | None"]]


@dataclass
class Hypothesis:
    tokens: list[int]  # generated ids, EOS included when finished (the start token is not)
    score: float  # sum of log-probabilities of ``tokens``
    normalized_score: float  # score / GNMT length penalty (== score when alpha = 0)
    finished: bool  # ended with EOS (False: stopped at max_len)
    attention: torch.Tensor | None = None  # (len(tokens), S) when the model returns attention


@dataclass
class BeamNode:
    """One candidate considered by beam search, for drawing the search tree."""

    id: int
    parent: int  # -1 for children of the root
    step: int
    token: int
    score: float  # cumulative log-probability
    status: str  # "kept", "pruned" or "finished"


@dataclass
class BeamResult:
    hypotheses: list[Hypothesis]  # n-best, best first
    tree: list[BeamNode] = field(default_factory=list)


def length_penalty(length: int, alpha: float) -> float:
    """GNMT length penalty ((5 + |Y|) / 6) ** alpha (Wu et al. 2016)."""
    return ((5.0 + length) / 6.0) ** alpha


def map_state(state: Any, fn: Callable[[torch.Tensor], torch.Tensor]) -> Any:
    """Apply ``fn`` to every tensor in a nested state."""
    if state is None:
        return None
    if isinstance(state, torch.Tensor):
        return fn(state)
    if isinstance(state, (tuple, list)):
        return type(state)(map_state(s, fn) for s in state)
    if isinstance(state, dict):
        return {k: map_state(v, fn) for k, v in state.items()}
    raise TypeError(f"decoder state holds a {type(state).__name__}; use tensors, tuples, lists or dicts")


def select_state(state: Any, index: torch.Tensor) -> Any:
    return map_state(state, lambda t: t.index_select(0, index))


class NgramBlocker:
    """No-repeat n-gram blocking (fairseq's and Hugging Face's ``no_repeat_ngram_size``) for one hypothesis.

    Greedy and beam search loop: once the text reaches a state that led to a phrase, the phrase leads
    back to that state ("the comparison of the comparison of ..."). Blocking forbids any token that
    would complete an ``n``-gram the hypothesis already holds. Kept incrementally (a dict from each
    (n-1)-gram to the tokens that followed it), so a step costs O(n), not O(length); ``extended``
    returns a new blocker and shares the old one's sets, so beams can branch from one parent.
    """

    def __init__(self, n: int, tokens: tuple[int, ...] = (), seen: dict | None = None):
        self.n, self.tokens, self.seen = n, tokens, seen if seen is not None else {}

    def banned(self) -> frozenset[int]:
        if self.n <= 0 or len(self.tokens) < self.n - 1:
            return frozenset()
        return self.seen.get(self.tokens[len(self.tokens) - self.n + 1 :], frozenset())

    def extended(self, token: int) -> NgramBlocker:
        tokens = self.tokens + (token,)
        if self.n <= 0 or len(tokens) < self.n:
            return NgramBlocker(self.n, tokens, self.seen)
        prefix = tokens[len(tokens) - self.n : -1]
        seen = {**self.seen, prefix: self.seen.get(prefix, frozenset()) | {token}}
        return NgramBlocker(self.n, tokens[-(self.n - 1) :] if self.n > 1 else (), seen)


def block_repeats(logits: torch.Tensor, blockers: list[NgramBlocker]) -> torch.Tensor:
    """``logits`` (B, V) with each row's banned tokens at -inf; a row whose every token is banned is left alone."""
    mask = torch.zeros_like(logits, dtype=torch.bool)
    for row, blocker in enumerate(blockers):
        banned = blocker.banned()
        if banned and len(banned) < logits.size(-1):
            mask[row, list(banned)] = True
    return logits.masked_fill(mask, float("-inf")) if bool(mask.any()) else logits


def filter_logits(logits: torch.Tensor, temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0) -> torch.Tensor:
    """Log-probabilities after temperature, top-k and nucleus (top-p) filtering; removed tokens get -inf.

    ``temperature`` must be > 0 (use greedy for 0); ``top_k`` 0 keeps all; ``top_p`` 1.0 keeps all.
    The most likely token always survives.
    """
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    if not 0 < top_p <= 1:
        raise ValueError(f"top_p must be in (0, 1], got {top_p}")
    logits = logits.float() / temperature  # (B, V)
    if 0 < top_k < logits.size(-1):
        kth = logits.topk(top_k, dim=-1).values[:, -1:]  # (B, 1)
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p < 1.0:
        sorted_logits, order = logits.sort(dim=-1, descending=True)
        cumulative = sorted_logits.softmax(-1).cumsum(-1)
        # drop a token when the tokens before it already reach top_p
        drop_sorted = (cumulative - sorted_logits.softmax(-1)) >= top_p
        drop = torch.zeros_like(drop_sorted).scatter(-1, order, drop_sorted)
        logits = logits.masked_fill(drop, float("-inf"))
    return logits.log_softmax(-1)


@dataclass
class SampleStep:
    """What one step of ``iter_sample`` chose, for streaming and per-step views."""

    step: int
    tokens: torch.Tensor  # (B,) chosen ids
    log_probs: torch.Tensor  # (B,) log-probability of each chosen id under the unfiltered model
    logits: torch.Tensor  # (B, V) raw logits before filtering
    attention: torch.Tensor | None  # (B, S)


def iter_sample(
    step: StepFn,
    state: Any,
    start: torch.Tensor,
    max_len: int,
    eos_id: int | None = None,
    temperature: float = 1.0,
    top_k: int = 0,
    top_p: float = 1.0,
    greedy: bool = False,
    generator: torch.Generator | None = None,
    no_repeat_ngram: int = 0,
) -> Iterator[SampleStep]:
    """Yield one ``SampleStep`` per generated position; stops when every row has produced EOS.

    ``no_repeat_ngram`` > 0 never chooses a token that repeats an n-gram of the row's generated tokens
    (the start token included); 0 (the default) leaves the choice to the model alone."""
    tokens = start  # (B,)
    done = torch.zeros_like(start, dtype=torch.bool)
    unfiltered = temperature == 1.0 and top_k == 0 and top_p == 1.0 and not no_repeat_ngram
    blockers = [NgramBlocker(no_repeat_ngram, (int(t),)) for t in start.tolist()] if no_repeat_ngram else []
    for t in range(max_len):
        logits, state, attention = step(tokens, state)  # (B, V)
        model_log_probs = logits.float().log_softmax(-1)  # (B, V)
        allowed = block_repeats(logits, blockers) if blockers else logits
        if greedy:
            tokens = allowed.argmax(-1)
        else:
            filtered = model_log_probs if unfiltered else filter_logits(allowed, temperature, top_k, top_p)
            tokens = torch.multinomial(filtered.exp(), 1, generator=generator).squeeze(1)
        if eos_id is not None:
            tokens = tokens.masked_fill(done, eos_id)  # finished rows are padded with EOS, never extended
        log_probs = model_log_probs.gather(1, tokens[:, None]).squeeze(1)
        if eos_id is not None:
            log_probs = log_probs.masked_fill(done, 0.0)
        yield SampleStep(t, tokens, log_probs, logits, attention)
        blockers = [b.extended(token) for b, token in zip(blockers, tokens.tolist())]
        if eos_id is not None:
            done = done | (tokens == eos_id)
            if bool(done.all()):
                return


def _collect(steps: Iterator[SampleStep], batch: int, eos_id: int | None) -> list[Hypothesis]:
    """Per-step choices -> one hypothesis per row, cut after its EOS (tensors are read once, at the end)."""
    chosen, scores, attention = [], [], []
    for s in steps:
        chosen.append(s.tokens)
        scores.append(s.log_probs)
        if s.attention is not None:
            attention.append(s.attention)
    if not chosen:
        return [Hypothesis([], 0.0, 0.0, False) for _ in range(batch)]
    tokens = torch.stack(chosen, 1).tolist()  # (B, T)
    totals = torch.stack(scores, 1).sum(1).tolist()  # finished rows score 0 after their EOS
    weights = torch.stack(attention, 1) if attention else None  # (B, T, S)
    hypotheses = []
    for b in range(batch):
        row = tokens[b]
        finished = eos_id is not None and eos_id in row
        row = row[: row.index(eos_id) + 1] if finished else row
        rows = weights[b, : len(row)] if weights is not None else None
        hypotheses.append(Hypothesis(row, totals[b], totals[b], finished, rows))
    return hypotheses


def greedy(
    step: StepFn, state: Any, start: torch.Tensor, max_len: int, eos_id: int | None, no_repeat_ngram: int = 0
) -> list[Hypothesis]:
    """Argmax decoding (of the tokens ``no_repeat_ngram`` allows); one hypothesis per batch row."""
    steps = iter_sample(step, state, start, max_len, eos_id, greedy=True, no_repeat_ngram=no_repeat_ngram)
    return _collect(steps, start.size(0), eos_id)


def sample(
    step: StepFn,
    state: Any,
    start: torch.Tensor,
    max_len: int,
    eos_id: int | None,
    temperature: float = 1.0,
    top_k: int = 0,
    top_p: float = 1.0,
    generator: torch.Generator | None = None,
    no_repeat_ngram: int = 0,
) -> list[Hypothesis]:
    """Ancestral sampling with temperature / top-k / top-p; scores are under the unfiltered model."""
    steps = iter_sample(
        step,
        state,
        start,
        max_len,
        eos_id,
        temperature,
        top_k,
        top_p,
        generator=generator,
        no_repeat_ngram=no_repeat_ngram,
    )
    return _collect(steps, start.size(0), eos_id)


def beam_search(
    step: StepFn,
    state: Any,
    start: torch.Tensor,
    max_len: int,
    eos_id: int,
    beam_size: int = 5,
    alpha: float = 0.0,
    n_best: int = 1,
    record_tree: bool = False,
    no_repeat_ngram: int = 0,
) -> list[BeamResult]:
    """Beam search per batch row, with GNMT length penalty and an n-best list.

    Each row keeps ``beam_size`` live hypotheses; a candidate that emits EOS moves to the row's
    finished list and is never extended. A row stops once it has ``n_best`` finished hypotheses
    and no live one can still beat the worst of them: raw scores only fall as a hypothesis
    grows, so a live score divided by the largest penalty reachable (at ``max_len``) bounds
    what it can still reach. With ``beam_size=1, alpha=0`` it returns greedy's hypothesis
    whenever greedy's argmax is never EOS-as-runner-up: beam search also finishes an EOS that
    was second best, so it may return a shorter hypothesis that scores higher than greedy's.
    ``no_repeat_ngram`` > 0 removes candidates that repeat an n-gram of their own hypothesis;
    scores stay the model's log-probabilities.
    """
    if not 1 <= n_best <= beam_size:
        raise ValueError(f"n_best must be in 1..beam_size ({beam_size}), got {n_best}")
    batch, k = start.size(0), beam_size
    device = start.device
    rows = torch.arange(batch, device=device).repeat_interleave(k)  # (B*K,)
    state = select_state(state, rows)
    tokens = start.repeat_interleave(k)  # (B*K,)
    # only beam 0 is live at step 0, so the first expansion yields k distinct hypotheses
    scores = torch.full((batch, k), float("-inf"), device=device)
    scores[:, 0] = 0.0
    history = [[[] for _ in range(k)] for _ in range(batch)]  # generated ids per live beam
    attn_history: list[list[list[torch.Tensor]]] = [[[] for _ in range(k)] for _ in range(batch)]
    node_of = [[-1] * k for _ in range(batch)]  # tree node of each live beam
    blockers = [[NgramBlocker(no_repeat_ngram, (int(t),))] * k for t in start.tolist()]
    finished: list[list[Hypothesis]] = [[] for _ in range(batch)]
    trees: list[list[BeamNode]] = [[] for _ in range(batch)]
    done = [False] * batch
    best_lp = length_penalty(max_len, alpha)

    for t in range(max_len):
        logits, state, attention = step(tokens, state)
        log_probs = logits.float().log_softmax(-1)  # (B*K, V)
        if no_repeat_ngram:
            log_probs = block_repeats(log_probs, [blocker for row in blockers for blocker in row])
        vocab = log_probs.size(-1)
        candidates = scores.unsqueeze(-1) + log_probs.view(batch, k, vocab)  # (B, K, V)
        top_scores, top_index = candidates.view(batch, -1).topk(min(2 * k, k * vocab), dim=-1)  # (B, 2K)
        top_scores, top_index = top_scores.tolist(), top_index.tolist()
        attention_rows = attention.view(batch, k, -1) if attention is not None else None

        origin = torch.zeros(batch, k, dtype=torch.long)
        next_tokens = torch.full((batch, k), eos_id, dtype=torch.long)
        new_scores = torch.full((batch, k), float("-inf"))
        for b in range(batch):
            if done[b]:
                continue
            new_history, new_attn, new_nodes, new_blockers, live = [], [], [], [], 0
            for score, flat in zip(top_scores[b], top_index[b]):
                if score == float("-inf"):
                    break
                beam, token = divmod(flat, vocab)
                ids = history[b][beam] + [token]
                attn = attn_history[b][beam]
                if attention_rows is not None:
                    attn = attn + [attention_rows[b, beam]]
                status = "finished" if token == eos_id else ("kept" if live < k else "pruned")
                if record_tree:
                    node = BeamNode(len(trees[b]), node_of[b][beam], t, token, score, status)
                    trees[b].append(node)
                if token == eos_id:
                    norm = score / length_penalty(len(ids), alpha)
                    finished[b].append(Hypothesis(ids, score, norm, True, _stack(attn)))
                elif live < k:
                    origin[b, live], next_tokens[b, live], new_scores[b, live] = beam, token, score
                    new_history.append(ids)
                    new_attn.append(attn)
                    new_nodes.append(trees[b][-1].id if record_tree else -1)
                    new_blockers.append(blockers[b][beam].extended(token) if no_repeat_ngram else blockers[b][beam])
                    live += 1
            history[b] = new_history + [[] for _ in range(k - live)]
            attn_history[b] = new_attn + [[] for _ in range(k - live)]
            node_of[b] = new_nodes + [-1] * (k - live)
            blockers[b] = new_blockers + [NgramBlocker(no_repeat_ngram)] * (k - live)
            finished[b].sort(key=lambda h: h.normalized_score, reverse=True)
            if len(finished[b]) >= n_best:
                worst_kept = finished[b][n_best - 1].normalized_score
                best_live = max(new_scores[b].max().item() / best_lp, float("-inf"))
                done[b] = live == 0 or worst_kept >= best_live
        if all(done):
            break
        scores = new_scores.to(device)
        beam_index = (torch.arange(batch).unsqueeze(1) * k + origin).view(-1).to(device)  # (B*K,)
        state = select_state(state, beam_index)
        tokens = next_tokens.view(-1).to(device)

    results = []
    for b in range(batch):
        pool = list(finished[b])
        if len(pool) < n_best:  # reached max_len: unfinished live beams fill the list
            for beam in range(k):
                if scores[b, beam].item() > float("-inf") and history[b][beam]:
                    score = scores[b, beam].item()
                    norm = score / length_penalty(len(history[b][beam]), alpha)
                    pool.append(Hypothesis(history[b][beam], score, norm, False, _stack(attn_history[b][beam])))
        pool.sort(key=lambda h: h.normalized_score, reverse=True)
        results.append(BeamResult(pool[:n_best], trees[b]))
    return results


def _stack(rows: list[torch.Tensor]) -> torch.Tensor | None:
    return torch.stack(rows) if rows else None


def teacher_forced_score(step: StepFn, state: Any, start: torch.Tensor, tokens: list[int]) -> float:
    """Sum of log-probabilities the model gives ``tokens`` (one row), for checking decoders."""
    current, total = start[:1], 0.0
    for token in tokens:
        logits, state, _ = step(current, state)
        total += float(logits.float().log_softmax(-1)[0, token])
        current = torch.tensor([token], device=start.device)
    return total
