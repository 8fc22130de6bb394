"""Translate texts with a trained model; plain results for pages, the CLI and benchmarks.

    translate(model, texts, method="greedy" | "beam" | "sample", beam_size=5, alpha=0.0, n_best=1,
              temperature=1.0, max_len=None, stop_at_eos=True, forced_len=None, seed=0, record_tree=False)
        -> list[Translation]

``max_len`` caps the generated tokens (default: the model's own maximum); with
``stop_at_eos=False`` decoding ignores EOS and always runs ``max_len`` steps, which shows what a
model (or a data pipeline) without an end-of-sequence token would do. ``forced_len=L`` is the
other stopping rule: EOS is masked out (never chosen) and decoding stops after exactly L tokens,
so the output length is whatever the rule says, attention or not. All decoding is done by
``core.decoding`` through the model's ``start_state`` / ``step``; ``seed`` fixes sampling.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from core import decoding
from core.errors import UserError
from core.translation.tokenizer import BOS_ID, EOS_ID, PAD_ID, Encoded

METHODS = ("greedy", "beam", "sample")
MAX_BEAM = 10
MAX_FORCED_LEN = 200  # longest output a forced-length decode may ask for
CHUNK = 256  # texts decoded together


@dataclass
class Candidate:
    output: str
    tokens: list[str]
    score: float  # sum of log-probabilities (EOS included)
    normalized_score: float  # score / GNMT length penalty
    finished: bool  # ended with EOS


@dataclass
class Translation:
    input: str
    output: str
    source_tokens: list[str]  # as read (after truncation); unknown ones as written
    target_tokens: list[str]  # generated tokens, EOS included when produced
    attention: list[list[float]] | None  # (len(target_tokens), len(source_tokens)); None without attention
    score: float
    normalized_score: float
    finished: bool  # False: stopped at max_len without EOS
    unknown: list[int] = field(default_factory=list)  # positions in source_tokens the model has never seen
    truncated: bool = False  # the input was longer than the model's max_source_len
    n_best: list[Candidate] = field(default_factory=list)  # beam search only, best first
    tree: list[decoding.BeamNode] = field(default_factory=list)  # beam search with record_tree


def normalize(text: str) -> str:
    return " ".join(text.split())


def exact(output: str, reference: str) -> bool:
    """The issue's exact match: equal after collapsing whitespace."""
    return normalize(output) == normalize(reference)


def encode_sources(model, texts: list[str]) -> tuple[torch.Tensor, torch.Tensor, list[Encoded]]:
    """Texts -> padded ids (B, S), lengths (B,), per-text encodings (unknown tokens, truncation)."""
    encoded = []
    for i, text in enumerate(texts):
        if not isinstance(text, str) or not text.strip():
            raise UserError(f"input {i + 1} is empty: type a sentence, a number in words or a date")
        encoded.append(model.src_tokenizer.encode(text, max_len=model.config.max_source_len))
    lengths = torch.tensor([len(e.ids) for e in encoded])
    src = torch.full((len(texts), int(lengths.max())), PAD_ID, dtype=torch.long)
    for row, e in enumerate(encoded):
        src[row, : len(e.ids)] = torch.tensor(e.ids)
    return src, lengths, encoded


def _check(method, beam_size, alpha, n_best, temperature, max_len, stop_at_eos, forced_len, model) -> None:
    if method not in METHODS:
        raise UserError(f"decoding method must be one of {', '.join(METHODS)}, got {method!r}")
    if not 1 <= beam_size <= MAX_BEAM:
        raise UserError(f"beam width must be in 1..{MAX_BEAM}, got {beam_size}")
    if not 0.0 <= alpha <= 2.0:
        raise UserError(f"length penalty alpha must be in 0..2, got {alpha}")
    if not 1 <= n_best <= beam_size:
        raise UserError(f"n-best must be in 1..beam width ({beam_size}), got {n_best}")
    if temperature <= 0 or temperature > 10:
        raise UserError(f"temperature must be in (0, 10], got {temperature}")
    if max_len is not None and not 1 <= max_len <= 2000:
        raise UserError(f"max_len must be in 1..2000, got {max_len}")
    if method == "beam" and not stop_at_eos:
        raise UserError("beam search always stops at EOS; use greedy or sampling to decode past it")
    if forced_len is not None:
        if not 1 <= forced_len <= MAX_FORCED_LEN:
            raise UserError(f"forced length must be in 1..{MAX_FORCED_LEN}, got {forced_len}")
        if model.model_type == "rnn-plain-seq2seq":
            raise UserError("a plain seq2seq RNN writes one output per input token: its length cannot be forced")


def translate(
    model,
    texts: list[str],
    method: str = "greedy",
    beam_size: int = 5,
    alpha: float = 0.0,
    n_best: int = 1,
    temperature: float = 1.0,
    max_len: int | None = None,
    stop_at_eos: bool = True,
    forced_len: int | None = None,
    seed: int = 0,
    record_tree: bool = False,
    attention: bool = True,
) -> list[Translation]:
    """Translate ``texts`` (any number; decoded in chunks of similar length).

    ``attention=False`` skips collecting attention rows (faster for batches that never show them).
    """
    _check(method, beam_size, alpha, n_best, temperature, max_len, stop_at_eos, forced_len, model)
    if isinstance(texts, str):
        texts = [texts]
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    results: list[Translation | None] = [None] * len(texts)
    generator = torch.Generator().manual_seed(seed)
    options = _Options(
        method, beam_size, alpha, n_best, temperature, max_len, stop_at_eos, forced_len, record_tree, attention
    )
    for begin in range(0, len(order), CHUNK):
        rows = order[begin : begin + CHUNK]
        chunk = [texts[i] for i in rows]
        for i, result in zip(rows, _translate_chunk(model, chunk, options, generator)):
            results[i] = result
    return results


@dataclass(frozen=True)
class _Options:
    """translate()'s decoding settings, checked."""

    method: str
    beam_size: int
    alpha: float
    n_best: int
    temperature: float
    max_len: int | None
    stop_at_eos: bool
    forced_len: int | None
    record_tree: bool
    attention: bool


def _translate_chunk(model, texts, options: _Options, generator):
    method, beam_size, alpha, n_best = options.method, options.beam_size, options.alpha, options.n_best
    max_len, stop_at_eos, forced_len = options.max_len, options.stop_at_eos, options.forced_len
    step = model.step if options.attention else _without_attention(model.step)
    if forced_len is not None:
        step, max_len, stop_at_eos = _never_eos(step), forced_len, False
    with torch.inference_mode():
        src, lengths, encoded = encode_sources(model, texts)
        state = model.start_state(src, lengths)
        start = torch.full((len(texts),), BOS_ID, dtype=torch.long)
        limit = forced_len or min(max_len or 10**9, model.max_output_len(lengths))
        eos = EOS_ID if stop_at_eos else None
        if method == "beam":
            found = decoding.beam_search(
                step, state, start, limit, EOS_ID, beam_size, alpha, n_best, options.record_tree
            )
            hypotheses = [(r.hypotheses, r.tree) for r in found]
        elif method == "sample":
            found = decoding.sample(step, state, start, limit, eos, options.temperature, generator=generator)
            hypotheses = [([h], []) for h in found]
        else:
            hypotheses = [([h], []) for h in decoding.greedy(step, state, start, limit, eos)]
    per_row_limit = [forced_len or model.max_output_len(lengths[i : i + 1]) for i in range(len(texts))]
    results = []
    for text, e, (hyps, search_tree), row_limit in zip(texts, encoded, hypotheses, per_row_limit):
        candidates = [_candidate(model, h, row_limit, stop_at_eos) for h in hyps]
        best, first = candidates[0], hyps[0]
        attention = None
        if first.attention is not None:
            attention = first.attention[: len(best.tokens), : len(e.tokens)].tolist()
        results.append(
            Translation(
                input=text,
                output=best.output,
                source_tokens=e.tokens,
                target_tokens=best.tokens,
                attention=attention,
                score=best.score,
                normalized_score=best.normalized_score,
                finished=best.finished,
                unknown=e.unknown,
                truncated=e.truncated,
                n_best=candidates if method == "beam" else [],
                tree=search_tree,
            )
        )
    return results


def _without_attention(step):
    def wrapped(tokens, state):
        logits, state, _ = step(tokens, state)
        return logits, state, None

    return wrapped


def _never_eos(step):
    """The forced-length rule: EOS is never chosen, so only the length limit ends the output."""

    def wrapped(tokens, state):
        logits, state, weights = step(tokens, state)
        return logits.index_fill(-1, torch.tensor([EOS_ID], device=logits.device), float("-inf")), state, weights

    return wrapped


def _candidate(model, hyp: decoding.Hypothesis, row_limit: int, stop_at_eos: bool) -> Candidate:
    ids = hyp.tokens[:row_limit]  # a plain seq2seq model emits at most one token per input token
    if stop_at_eos and EOS_ID in ids:
        ids = ids[: ids.index(EOS_ID) + 1]
    output = model.tgt_tokenizer.decode(ids, stop_at_eos=stop_at_eos)
    finished = bool(ids) and ids[-1] == EOS_ID and stop_at_eos
    return Candidate(output, model.tgt_tokenizer.tokens(ids), hyp.score, hyp.normalized_score, finished)


def evaluate_pairs(
    model,
    pairs: list[tuple[str, str]],
    progress: Callable[[float], None] | None = None,
    chunk: int = CHUNK,
) -> list[dict]:
    """Greedy translation of every pair: one row {input, reference, output, exact, source_len} each."""
    rows = []
    for begin in range(0, len(pairs), chunk):
        part = pairs[begin : begin + chunk]
        for (source, reference), t in zip(part, translate(model, [s for s, _ in part], attention=False)):
            rows.append(
                {
                    "input": source,
                    "reference": reference,
                    "output": t.output,
                    "exact": exact(t.output, reference),
                    "source_len": len(t.source_tokens),
                }
            )
        if progress is not None:
            progress(min(1.0, (begin + len(part)) / len(pairs)))
    return rows


def accuracy_by_length(rows: list[dict], edges: list[int]) -> list[dict]:
    """Exact match and chrF per source-length bucket [edges[i], edges[i+1])."""
    from sacrebleu.metrics import CHRF

    buckets = []
    for low, high in zip(edges[:-1], edges[1:]):
        inside = [r for r in rows if low <= r["source_len"] < high]
        if not inside:
            continue
        chrf = CHRF().corpus_score([r["output"] for r in inside], [[r["reference"] for r in inside]]).score
        buckets.append(
            {
                "bucket": f"{low}–{high - 1}",
                "low": low,
                "high": high - 1,
                "count": len(inside),
                "exact": sum(r["exact"] for r in inside) / len(inside),
                "chrf": chrf,
            }
        )
    return buckets


def length_edges(rows: list[dict], buckets: int = 6) -> list[int]:
    """Bucket edges by quantiles of the source length, so every bucket holds a fair share of inputs."""
    lengths = sorted(r["source_len"] for r in rows)
    if not lengths:
        return [0, 1]
    edges = sorted({lengths[int(q * (len(lengths) - 1) / buckets)] for q in range(buckets)} | {lengths[-1] + 1})
    return edges


def attention_csv(result: Translation) -> str:
    """The attention matrix as CSV: one row per output token, one column per source token."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["output \\ source", *result.source_tokens])
    for token, row in zip(result.target_tokens, result.attention or []):
        writer.writerow([token, *[f"{w:.6f}" for w in row]])
    return buffer.getvalue()


def batch_rows(results: list[Translation]) -> list[dict]:
    """One table row per translated input (the batch mode's table and CSV)."""
    return [
        {
            "input": r.input,
            "output": r.output,
            "log_prob": round(r.score, 4),
            "unknown_tokens": " ".join(r.source_tokens[i] for i in r.unknown),
            "truncated": r.truncated,
        }
        for r in results
    ]


def rows_csv(rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]) if rows else [])
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def stopping_rows(runs: list[tuple[str, object, int | None]], text: str) -> list[dict]:
    """What stops the output: one row per (name, encoder-decoder model, forced length or None = stop at EOS)."""
    rows = []
    for name, model, forced in runs:
        r = translate(model, [text], forced_len=forced)[0]
        rule = "stop at end-of-sequence" if forced is None else f"EOS masked, stop at {forced}"
        rows.append(
            {
                "model": name,
                "attention": model.config.attention,
                "stopping rule": rule,
                "output": r.output,
                "output tokens": len(r.target_tokens) - r.finished,  # EOS is the signal, not an output token
                "ended with EOS": r.finished,
            }
        )
    return rows
