"""Training translation models (shipped recipes, the CLI and the page all come through here).

    fit(TranslationTraining(...), pairs=None, callback, cancel, start=None) -> (model with .meta, History)
        the one train-your-own pipeline (recipes, the CLI and the page): pairs -> seed -> build -> train -> meta;
        ``start``: fine-tune a copy of that model instead (its architecture; epoch 0 is it on the new data)
    build_model(kind, task, train_pairs, **sizes) -> Translator | PlainSeq2Seq (vocabularies from train_pairs)
    train(model, train_pairs, valid_pairs, TrainSettings(...), callback, cancel) -> History

Batches group pairs of similar source length (less padding, faster steps); the encoder packs
sequences and the loss ignores padding, so a batch and its rows one at a time give the same
translations.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field, replace

import torch

from core import checkpoints
from core.errors import UserError
from core.training import Callback, History, Progress, TrainConfig, Trainer, seed_everything
from core.translation import data, inference, phrasing
from core.translation.model import Translator, TranslatorConfig
from core.translation.plain import PlainConfig, PlainSeq2Seq
from core.translation.tokenizer import BOS_ID, EOS_ID, PAD_ID, build_vocab, normalize

KINDS = ("encoder-decoder", "plain")
WORD_LANGS = ("en", "fr", "es")  # languages num2words writes as separate words; de and it glue them


def levels_for(task: str) -> tuple[str, str]:
    """Tokenisation per task: words where the language spaces them, characters for dates and compounds."""
    if task.startswith("numbers:"):
        src, tgt = task.split(":", 1)[1].split("-")
        return ("word" if src in WORD_LANGS else "char", "word" if tgt in WORD_LANGS else "char")
    if task == "dates":
        return "char", "char"
    return "word", "word"


def build_model(
    kind: str,
    task: str,
    train_pairs: list[tuple[str, str]],
    levels: tuple[str, str] | None = None,
    normalize_source: bool = False,
    **sizes,
):
    """A fresh model whose vocabularies are the training pairs' tokens (seed before calling).

    ``normalize_source``: the model reads sources through tokenizer.normalize (so does its vocabulary).
    """
    if kind not in KINDS:
        raise UserError(f"model kind must be one of {', '.join(KINDS)}, got {kind!r}")
    src_level, tgt_level = levels or levels_for(task)
    sources = (normalize(s) if normalize_source else s for s, _ in train_pairs)
    vocabs = dict(
        src_vocab=build_vocab(sources, src_level),
        tgt_vocab=build_vocab((t for _, t in train_pairs), tgt_level),
        src_level=src_level,
        tgt_level=tgt_level,
        task=task,
        normalize_source=normalize_source,
    )
    if kind == "plain":
        config = PlainConfig(**vocabs, **sizes)
        config.validate()
        return PlainSeq2Seq(config)
    config = TranslatorConfig(**vocabs, **sizes)
    config.validate()
    return Translator(config)


@dataclass
class TrainSettings:
    epochs: int = 10  # passes of ``steps_per_epoch`` batches
    steps_per_epoch: int = 200  # batches per epoch (the data is reshuffled and cycled)
    batch_size: int = 128  # pairs per batch
    lr: float = 3e-3  # Adam learning rate
    lr_decay: float = 1.0  # learning rate factor after every epoch
    seed: int = 0  # data order
    eval_pairs: int = 500  # validation pairs translated (greedy) after every epoch
    max_seconds: float = 0.0  # stop after this much wall time (benchmarks only; recipes use fixed steps)


def encode_pairs(model, pairs: list[tuple[str, str]]) -> list[tuple[list[int], list[int]]]:
    src_max = model.config.max_source_len
    tgt_max = getattr(model.config, "max_target_len", src_max)
    encoded = []
    for source, target in pairs:
        s = model.src_tokenizer.encode(source, max_len=src_max).ids
        t = model.tgt_tokenizer.encode(target, max_len=tgt_max - 1).ids + [EOS_ID]
        if s:
            encoded.append((s, t))
    return encoded


def collate(rows: list[tuple[list[int], list[int]]]) -> dict[str, torch.Tensor]:
    """Pad a batch: src (B, S), src_len (B,), tgt_in = BOS + target (B, T), tgt_out = target + EOS (B, T)."""
    batch = len(rows)
    src_len = torch.tensor([len(s) for s, _ in rows])
    tgt_len = max(len(t) for _, t in rows)
    src = torch.full((batch, int(src_len.max())), PAD_ID, dtype=torch.long)
    tgt_in = torch.full((batch, tgt_len), PAD_ID, dtype=torch.long)
    tgt_out = torch.full((batch, tgt_len), PAD_ID, dtype=torch.long)
    for i, (s, t) in enumerate(rows):
        src[i, : len(s)] = torch.tensor(s)
        tgt_out[i, : len(t)] = torch.tensor(t)
        tgt_in[i, : len(t)] = torch.tensor([BOS_ID] + t[:-1])
    return {"src": src, "src_len": src_len, "tgt_in": tgt_in, "tgt_out": tgt_out}


def bucketed_batches(encoded, batch_size: int, rng: random.Random):
    """Endless batches: shuffle, sort pools of 50 batches by length, cut, shuffle the batches."""
    while True:
        order = list(range(len(encoded)))
        rng.shuffle(order)
        pool = 50 * batch_size
        batches = []
        for begin in range(0, len(order), pool):
            chunk = sorted(order[begin : begin + pool], key=lambda i: len(encoded[i][0]))
            batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
        rng.shuffle(batches)
        for rows in batches:
            yield collate([encoded[i] for i in rows])


def train(
    model,
    train_pairs: list[tuple[str, str]],
    valid_pairs: list[tuple[str, str]],
    settings: TrainSettings,
    callback: Callback | None = None,
    cancel: threading.Event | None = None,
    measure_start: bool = False,
) -> History:
    """Fit ``model`` with core.training.Trainer; metrics per epoch: val_loss, val_exact.

    ``measure_start`` (a fine-tune): epoch 0 of the history and the callback is the model as it comes, on
    this data, before any step.
    """
    encoded = encode_pairs(model, train_pairs)
    if not encoded:
        raise UserError("no training pairs left after tokenisation")
    valid = valid_pairs[: settings.eval_pairs]
    valid_batch = collate(encode_pairs(model, valid)) if valid else None
    stream = bucketed_batches(encoded, settings.batch_size, random.Random(settings.seed))

    def make_batches(epoch: int):
        for _ in range(settings.steps_per_epoch):
            yield next(stream)

    def evaluate(m) -> dict[str, float]:
        if valid_batch is None:
            return {}
        rows = inference.evaluate_pairs(m, valid)
        return {"val_loss": float(m.loss(valid_batch)), "val_exact": sum(r["exact"] for r in rows) / len(rows)}

    config = TrainConfig(
        epochs=settings.epochs,
        lr=settings.lr,
        lr_decay=settings.lr_decay,
        seed=settings.seed,
        max_seconds=settings.max_seconds,
    )
    start = _start_point(model, encoded[: settings.batch_size], evaluate) if measure_start else None
    if start is not None and callback is not None:
        metrics = {k: v for k, v in start.items() if k.startswith("val_")}
        callback.on_epoch(Progress(0, settings.epochs, 0, settings.steps_per_epoch, start["loss"], 0.0, metrics))
    trainer = Trainer(model, config, callback, cancel)
    history = trainer.fit(make_batches, lambda m, batch: m.loss(batch), evaluate, settings.steps_per_epoch)
    if start is not None:
        history.epochs.insert(0, start)
    return history


@torch.no_grad()
def _start_point(model, sample, evaluate) -> dict:
    """Epoch 0 of a fine-tune: the start model's loss on one batch of the training pairs (a bounded sample)
    and its validation metrics."""
    model.eval()
    return {"epoch": 0, "loss": float(model.loss(collate(sample))), "seconds": 0.0, **evaluate(model)}


def seeded_model(seed: int, *args, **kwargs):
    """build_model after seeding, so a recipe's initial weights are reproducible."""
    seed_everything(seed)
    return build_model(*args, **kwargs)


@dataclass
class TranslationTraining:
    """Everything that makes a new model: its data, its size and its training budget."""

    description: str = ""  # one line for the checkpoint's meta
    trained_with: str = ""  # the command or page that trained it
    kind: str = "encoder-decoder"  # "encoder-decoder" or "plain"
    task: str = "numbers:en-fr"  # a generated task ("numbers:SRC-TGT", "dates") or "pairs" (uploaded)
    train_pairs: int = 60_000  # generated training pairs (a task; uploads use their own train split)
    valid_pairs: int = 500  # generated validation pairs
    level: str = "word"  # tokenisation of uploaded pairs ("word" or "char"); tasks choose their own
    cell: str = "gru"  # "gru" or "lstm"
    embed: int = 64  # token embedding size
    hidden: int = 128  # RNN state size
    attention: str = "general"  # encoder-decoder only: one of model.ATTENTIONS
    bidirectional: bool = True  # encoder-decoder only: the encoder reads both ways
    max_target_len: int = 64  # encoder-decoder only: decoding stops here without EOS
    delay: int = 0  # plain only: output t is emitted after reading input t + delay
    typed: bool = False  # task data written the way people type (core.translation.phrasing), read normalised
    init_from: str = ""  # start from this checkpoint's weights (same sizes; shared tokens keep their embeddings)
    freeze_encoder: bool = False  # fine-tune only: the reading side (encoder, or a plain model's embedding) stays put
    settings: TrainSettings = field(default_factory=TrainSettings)  # epochs, steps, batch, lr, seed

    def sizes(self) -> dict:
        """build_model's keyword arguments for this kind."""
        common = {"cell": self.cell, "embed": self.embed, "hidden": self.hidden}
        if self.kind == "plain":
            return {**common, "delay": self.delay}
        return {
            **common,
            "attention": self.attention,
            "bidirectional": self.bidirectional,
            "max_target_len": self.max_target_len,
        }


def training_pairs(run: TranslationTraining, pairs: list[tuple[str, str]] | None = None):
    """(train, valid): uploaded ``pairs`` split by hash, or pairs generated for ``run.task`` with its seed."""
    if pairs is not None:
        return data.split_pairs(pairs, "train"), data.split_pairs(pairs, "valid")
    seed, generate = run.settings.seed, phrasing.typed_pairs if run.typed else data.task_pairs
    return generate(run.task, run.train_pairs, seed, "train"), generate(run.task, run.valid_pairs, seed, "valid")


# state-dict entries with one row per token, and the vocabulary ("src" or "tgt") that orders those rows
ROWS_BY_TOKEN = {
    Translator: {
        "encoder.embed.weight": "src",
        "decoder.embed.weight": "tgt",
        "decoder.out.weight": "tgt",
        "decoder.out.bias": "tgt",
    },
    PlainSeq2Seq: {"embed.weight": "src", "out.weight": "tgt", "out.bias": "tgt"},
}
# settings that must agree for weights to carry over (attention and delay change no shapes, only meaning)
ARCHITECTURE = ("cell", "embed", "hidden", "layers", "attention", "attention_dim", "bidirectional", "delay")


def architecture(model) -> tuple:
    return (type(model), *(getattr(model.config, name, None) for name in ARCHITECTURE))


def warm_start(model, start) -> None:
    """Copy ``start``'s weights (a checkpoint name or a loaded model; same architecture) into ``model``:
    embedding and output rows by token, so a vocabulary that gained tokens (say "a" for "a hundred") keeps
    everything it had learnt; the gained tokens keep their fresh rows."""
    old = checkpoints.load(start) if isinstance(start, str) else start
    if architecture(old) != architecture(model):
        name = start if isinstance(start, str) else "the start model"
        raise UserError(f"cannot start from {name}: its kind, sizes or attention differ from the new model's")
    by_token = ROWS_BY_TOKEN[type(model)]
    vocabs = {
        "src": (old.config.src_vocab, model.config.src_vocab),
        "tgt": (old.config.tgt_vocab, model.config.tgt_vocab),
    }
    state, old_state = model.state_dict(), old.state_dict()
    for key, value in old_state.items():
        if key not in by_token:
            state[key] = value
            continue
        old_vocab, new_vocab = vocabs[by_token[key]]
        old_index = {token: i for i, token in enumerate(old_vocab)}
        for i, token in enumerate(new_vocab):
            if token in old_index:
                state[key][i] = value[old_index[token]]
    model.load_state_dict(state)


def new_tokens(start, train_pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Tokens of ``train_pairs`` that ``start``'s vocabularies lack, by side ("source", "target"), most
    frequent first: a fine-tune adds them with fresh rows."""
    c = start.config
    sources = (normalize(s) if c.normalize_source else s for s, _ in train_pairs)
    found = {
        "source": (build_vocab(sources, c.src_level), c.src_vocab),
        "target": (build_vocab((t for _, t in train_pairs), c.tgt_level), c.tgt_vocab),
    }
    return {side: [t for t in vocab if t not in set(known)] for side, (vocab, known) in found.items()}


def freeze_reader(model) -> None:
    """Keep what reads the source fixed (an encoder-decoder's encoder, a plain model's embedding): a fine-tune on a
    few pairs then only adapts the writing side, and cannot unlearn how the start model reads its inputs."""
    reader = model.encoder if isinstance(model, Translator) else model.embed
    for parameter in reader.parameters():
        parameter.requires_grad_(False)


def fine_tune_model(start, task: str, train_pairs: list[tuple[str, str]]):
    """A new model with ``start``'s architecture, tokenisation and weights; its vocabularies are ``start``'s
    followed by the tokens of ``train_pairs`` it lacks (seed before calling: their rows are fresh).
    ``start`` itself is never changed (a shipped model is shared by every session)."""
    added = new_tokens(start, train_pairs)
    config = replace(
        start.config,
        task=task,
        src_vocab=[*start.config.src_vocab, *added["source"]],
        tgt_vocab=[*start.config.tgt_vocab, *added["target"]],
    )
    model = type(start)(config)
    warm_start(model, start)
    return model


def fit(
    run: TranslationTraining,
    pairs: list[tuple[str, str]] | None = None,
    callback: Callback | None = None,
    cancel: threading.Event | None = None,
    start=None,
):
    """The one train-your-own pipeline: pairs -> seed -> build -> train -> meta.

    ``pairs`` are uploaded source/target pairs (``run.task`` is then "pairs"); without them the
    run's task generates its data. ``start``: a loaded model to fine-tune (a copy of it: its architecture and
    tokenisation, not the run's; the run's ``level`` and sizes are ignored; ``run.freeze_encoder`` keeps its
    reading side fixed), whose history then begins with epoch 0, it on this data before any step. Returns the model, its ``meta`` set (validation metrics of the
    last epoch), and the History.
    """
    train_pairs, valid_pairs = training_pairs(run, pairs)
    if start is not None:
        seed_everything(run.settings.seed)
        model = fine_tune_model(start, run.task, train_pairs)
        if run.freeze_encoder:
            freeze_reader(model)
    else:
        levels = (run.level, run.level) if pairs is not None else None
        model = seeded_model(
            run.settings.seed, run.kind, run.task, train_pairs, levels=levels, normalize_source=run.typed, **run.sizes()
        )
    if run.init_from:
        warm_start(model, run.init_from)
    history = train(model, train_pairs, valid_pairs, run.settings, callback, cancel, measure_start=start is not None)
    model.meta = {
        "task": run.task,
        "description": run.description,
        "metrics": history.epochs[-1] if history.epochs else {},
        "headline": "val_exact",
        "history": history.epochs,
        "trained_with": run.trained_with,
        **({"start": history.epochs[0]} if start is not None else {}),
    }
    return model, history
