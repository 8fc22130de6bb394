"""Outputs of different lengths on a shipped translation model: stop at EOS vs run a fixed number
of steps, greedy vs beam search, output lengths vs the references.

All decoding goes through ``core.translation.inference.translate`` (which drives
``core.decoding``): ``stop_at_eos=False`` is the fixed-length run, i.e. what a pipeline that never
looks for an end-of-sequence token produces.
"""

from __future__ import annotations

import statistics

from core import checkpoints
from core.errors import UserError

MODELS = ("dates-iso", "numbers-en-fr")  # shipped translation models this section can use
MAX_EXAMPLES = 64
METHODS = {  # label -> translate() options
    "greedy, stop at EOS": dict(method="greedy"),
    "greedy, fixed length": dict(method="greedy", stop_at_eos=False),
    "beam 4, stop at EOS": dict(method="beam", beam_size=4),
}


def available_models() -> list[str]:
    """The translation models of ``MODELS`` that are shipped in this build."""
    return [name for name in MODELS if (checkpoints.ASSETS_DIR / name / checkpoints.CONFIG_NAME).exists()]


def compare(model, count: int = 24, seed: int = 0, max_len: int | None = None) -> dict:
    """Decode ``count`` held-out examples each way; lengths are in target tokens, EOS excluded."""
    from core.translation import data, inference

    if not 1 <= count <= MAX_EXAMPLES:
        raise UserError(f"examples must be in 1..{MAX_EXAMPLES}, got {count}")
    pairs = data.task_pairs(model.config.task, count, seed=seed, split="test")
    sources = [s for s, _ in pairs]
    references = [r for _, r in pairs]
    ref_lengths = [len(model.tgt_tokenizer.encode(r).ids) for r in references]
    limit = max_len or model.config.max_target_len
    runs, rows = {}, []
    for label, options in METHODS.items():
        results = inference.translate(model, sources, max_len=limit, **options)
        lengths = [len(t.target_tokens) - int("</s>" in t.target_tokens[-1:]) for t in results]
        if not options.get("stop_at_eos", True):  # the useful part ends at the first EOS, if any
            lengths = [
                t.target_tokens.index("</s>") if "</s>" in t.target_tokens else len(t.target_tokens) for t in results
            ]
        steps = max(len(t.target_tokens) for t in results)  # the batch runs until its last row stops
        runs[label] = {
            "exact": statistics.fmean(inference.exact(t.output, r) for t, r in zip(results, references)),
            "mean_length": statistics.fmean(lengths),
            "lengths": lengths,
            "ended_with_eos": statistics.fmean(t.finished for t in results),
            "decoder_steps": steps,
            "cells_computed": steps * len(results),
            "tokens": [t.target_tokens for t in results],
            "outputs": [t.output for t in results],
        }
    for i, (source, reference) in enumerate(pairs):
        rows.append({"input": source, "reference": reference, **{label: runs[label]["outputs"][i] for label in runs}})
    return {
        "task": model.config.task,
        "max_len": limit,
        "reference_lengths": ref_lengths,
        "reference_mean_length": statistics.fmean(ref_lengths),
        "runs": runs,
        "examples": rows,
    }
