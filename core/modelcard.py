"""Model cards: the ``README.md`` of a checkpoint folder, in the Hugging Face Hub's format.

A card is built from ``config.json`` alone (model type, config, meta), so it can be rebuilt at any
time and a test can check that a shipped card still says what its checkpoint's metadata says.
Every number on the card is read from the metadata; nothing is typed in by hand. The YAML header
follows the Hub's conventions (``huggingface_hub.ModelCardData``): library_name, tags, pipeline_tag,
metric names and the headline metric as a model-index result. No license is written: the project
declares none.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from huggingface_hub import EvalResult, ModelCard, ModelCardData

CARD_NAME = "README.md"
LIBRARY = "rnn-playground"  # loaded with this project's validating loader (core.checkpoints), not transformers
SHORT_LIST = 8  # lists up to this long are written out; longer ones are summarised by their length

# model_type -> (Hub pipeline tag, what the model does, how to run it, what it is not for)
TASKS = {
    "char-rnn": (
        "text-generation",
        "Character-level language model: reads text one character at a time and predicts the next.",
        "python -m core generate --model {path} --length 400",
        "It writes text in the style of its training corpus, one character at a time, from a fixed character "
        "vocabulary: characters outside it are mapped or dropped. It has no notion of facts and writes plausible "
        "nonsense as readily as sense.",
    ),
    "rnn-translator": (
        "translation",
        "Sequence-to-sequence translation with a recurrent encoder and decoder.",
        "python -m core translate --model {path} 'your input'",
        "It learned one narrow synthetic domain (the data below); text outside that domain gives confident garbage.",
    ),
    "rnn-plain-seq2seq": (
        "translation",
        "Sequence-to-sequence baseline that writes one output per input step (no separate decoder).",
        "python -m core translate --model {path} 'your input'",
        "A teaching baseline: it shows why an encoder-decoder is needed, and fails on most inputs by design.",
    ),
    "video-cnn-rnn": (
        "video-classification",
        "Video classification: a small CNN reads each sampled frame and a recurrent layer (or a pooling baseline) "
        "reads the frame features in order.",
        "python -m core video classify --model {path} clip.mp4",
        "It knows only its synthetic classes (the labels in the config) on small rendered clips; real-world video "
        "gets one of those labels anyway.",
    ),
}
UNKNOWN_TASK = ("", "A model of this project.", "", "Trained for a demonstration; no other use was checked.")


def task_name(model_type: str) -> str:
    """In words, the task a model type does ("video classification"), from its Hub pipeline tag."""
    pipeline = TASKS.get(model_type, UNKNOWN_TASK)[0]
    return pipeline.replace("-", " ") if pipeline else f"an unknown task ({model_type})"


def _flat(values: Any, prefix: str = "") -> list[tuple[str, str]]:
    """(key, text) rows: nested dicts get dotted keys, long lists their length."""
    if isinstance(values, dict):
        rows = []
        for key, value in values.items():
            rows += _flat(value, f"{prefix}.{key}" if prefix else str(key))
        return rows
    if isinstance(values, list) and (len(values) > SHORT_LIST or any(isinstance(v, (list, dict)) for v in values)):
        return [(prefix, f"{len(values)} entries (in config.json)")]
    if isinstance(values, float):
        return [(prefix, f"{values:.6g}")]
    return [(prefix, json.dumps(values, ensure_ascii=False) if isinstance(values, (list, str)) else str(values))]


def _table(rows: list[tuple[str, str]], header: tuple[str, str]) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", "\\n")

    lines = [f"| {header[0]} | {header[1]} |", "|---|---|"]
    lines += [f"| {cell(key)} | {cell(value)} |" for key, value in rows]
    return "\n".join(lines)


def _numeric_metrics(meta: dict) -> dict[str, float]:
    metrics = meta.get("metrics")
    if not isinstance(metrics, dict):
        return {}
    return {k: v for k, v in metrics.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}


def parameter_count(document: dict) -> int | None:
    """Parameters the config describes (counted on the meta device: no weights are read)."""
    from core.checkpoints import config_from_dict, model_class

    try:
        cls = model_class(document["model_type"])
        config = config_from_dict(cls.config_class, document["config"])
    except Exception:  # a card for a config this code cannot build still gets written, without the count
        return None
    with torch.device("meta"):
        return sum(p.numel() for p in cls(config).parameters())


def card_data(name: str, document: dict) -> ModelCardData:
    model_type = document.get("model_type", "")
    meta = document.get("meta") or {}
    pipeline = TASKS.get(model_type, UNKNOWN_TASK)[0]
    metrics = _numeric_metrics(meta)
    headline = meta.get("headline")
    results = None
    if pipeline and headline in metrics:
        results = [
            EvalResult(
                task_type=pipeline,
                dataset_type=str(meta.get("corpus") or meta.get("task") or name),
                dataset_name=str(meta.get("corpus") or meta.get("task") or name),
                dataset_split="held-out",
                metric_type=headline,
                metric_value=metrics[headline],
            )
        ]
    return ModelCardData(
        library_name=LIBRARY,
        tags=["pytorch", "safetensors", "rnn", model_type],
        pipeline_tag=pipeline or None,
        metrics=sorted(metrics) or None,
        model_name=name,
        eval_results=results,
    )


def card_text(name: str, document: dict) -> str:
    """The README.md for checkpoint ``name`` (a folder name) described by its config.json ``document``."""
    model_type = document.get("model_type", "")
    meta = document.get("meta") or {}
    _, what, usage, limits = TASKS.get(model_type, UNKNOWN_TASK)
    config_rows = _flat(document.get("config", {}))
    params = parameter_count(document)
    sections = [f"# {name}", str(meta.get("description") or what)]
    task = f"{what}\n\nTask recorded with the checkpoint: **{meta['task']}**." if meta.get("task") else what
    sections += ["## Task", task]
    architecture = f"`{model_type}`" + (f", {params:,} parameters" if params is not None else "")
    sections += ["## Architecture", f"{architecture}. Its config:", _table(config_rows, ("field", "value"))]
    sections += ["## Training data and recipe", _training(meta)]
    sections += ["## Held-out metrics", _metrics(meta)]
    sections += ["## How to use", _usage(name, usage)]
    sections += ["## Intended use and limits", _intended(limits)]
    body = "\n\n".join(sections) + "\n"
    return str(ModelCard(f"---\n{card_data(name, document).to_yaml()}\n---\n\n{body}"))


def _training(meta: dict) -> str:
    parts = []
    if meta.get("fine_tuned_from"):
        parts.append(f"Fine-tuned from **{meta['fine_tuned_from']}** (same network and vocabulary, new data).")
    data = meta.get("data")
    if meta.get("corpus"):
        parts.append(f"Corpus: **{meta['corpus']}**.")
    if isinstance(data, dict):
        parts.append(_table(_flat(data), ("data", "value")))
    elif data:
        parts.append(f"Data: {data}.")
    if meta.get("trained_with"):
        parts.append(f"Made with:\n\n```\n{meta['trained_with']}\n```")
    training = meta.get("training")
    if isinstance(training, dict) and training:
        parts.append("Recipe and run, as recorded:\n\n" + _table(_flat(training), ("setting", "value")))
    return "\n\n".join(parts) or "No training data or recipe was recorded with this checkpoint."


def _metrics(meta: dict) -> str:
    metrics = meta.get("metrics")
    if not isinstance(metrics, dict) or not metrics:
        return "No held-out metrics were recorded with this checkpoint."
    headline = meta.get("headline")
    note = f"Headline: `{headline}`. " if headline in metrics else ""
    return f"{note}Measured when the checkpoint was made:\n\n" + _table(_flat(metrics), ("metric", "value"))


def _usage(name: str, command: str) -> str:
    load = f'```python\nfrom core import checkpoints\n\nmodel = checkpoints.load("{name}")  # or a folder path\n```'
    text = (
        "Load it with RNN Playground's validating loader, which reads `config.json` and `model.safetensors` only "
        "(never a pickle):\n\n" + load
    )
    if command:
        text += f"\n\nFrom the command line:\n\n```\n{command.format(path=name)}\n```"
    return text


def _intended(limits: str) -> str:
    return (
        f"For learning and experimenting with recurrent networks; a small model, trained briefly. {limits} "
        "Not for any decision about people, and not checked for safety or bias."
    )


def write_card(directory: str | Path, document: dict, name: str | None = None) -> Path:
    """Write ``README.md`` into ``directory`` for the checkpoint described by ``document``."""
    directory = Path(directory)
    path = directory / CARD_NAME
    path.write_text(card_text(name or directory.name, document), encoding="utf-8")
    return path
