"""Outputs of different lengths on a shipped translation model: what stops the decoder (EOS, a
length cap, the task's fixed length), greedy vs beam search, output lengths vs the references.

All decoding goes through ``core.translation.inference.translate`` (which drives
``core.decoding``): ``stop_at_eos=False`` never looks for an end-of-sequence token, so only the
step limit stops it: the model's length cap, or the task's fixed length where it has one.
"""

from __future__ import annotations

import statistics

from core import checkpoints
from core.errors import UserError

MODELS = ("dates-iso", "numbers-en-fr")  # shipped translation models this section can use
MAX_EXAMPLES = 64
METHODS = {  # label -> translate() options
    "greedy, stop at EOS": dict(method="greedy"),
    "greedy, length cap only": dict(method="greedy", stop_at_eos=False),
    "beam 4, stop at EOS": dict(method="beam", beam_size=4),
}
FIXED_LENGTH = {"dates": 10}  # tasks whose every output has one length (ISO dates: YYYY-MM-DD)


def fixed_length_label(steps: int) -> str:
    return f"greedy, fixed {steps} steps"


def _methods(task: str, cap: int) -> dict[str, tuple[dict, int]]:
    """label -> (translate() options, step limit); the fixed-length run only for tasks that have one."""
    methods = {label: (options, cap) for label, options in METHODS.items()}
    if task in FIXED_LENGTH:
        methods[fixed_length_label(FIXED_LENGTH[task])] = (dict(method="greedy", stop_at_eos=False), FIXED_LENGTH[task])
    return methods


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
    for label, (options, steps_limit) in _methods(model.config.task, limit).items():
        results = inference.translate(model, sources, max_len=steps_limit, **options)
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
