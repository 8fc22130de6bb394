"""Training data and the training run for ``CharRNN`` (shipped recipes, CLI and page share it).

A corpus is a list of texts (tunes or documents) with an optional style per text. Training reads
them as one long stream (re-shuffled by text each pass), cut into ``batch`` parallel rows and
``bptt``-long chunks, with the hidden state carried from chunk to chunk (truncated BPTT, as in
pytorch/examples' word_language_model). A "round" (the Trainer's epoch) is a fixed number of
steps, so runs of any corpus size get the same number of validation points and samples.
"""

from __future__ import annotations

import math
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

import torch
import torch.nn.functional as F

from core.errors import UserError
from core.generation import corpora, transpose
from core.generation.generate import Settings, generate, prepare_prime
from core.generation.model import BOUNDARY, CharRNN, CharRNNConfig, check_ranges
from core.training import Callback, Progress, TrainConfig, Trainer, seed_everything

FOLK_STYLE_FIELDS = ["meter", "key", "type"]
MAX_TRANSPOSITIONS = 11  # a tune has at most 11 other keys of its mode a tritone or less away
_QUOTED = re.compile(r'"[^"\n]*"')  # chord symbols and text annotations: not notes


@dataclass
class Corpus:
    name: str
    train: list[str]
    valid: list[str]
    train_styles: list[dict] | None = None  # one style per text, for conditioned models
    valid_styles: list[dict] | None = None
    style_fields: list[str] = field(default_factory=list)
    style_values: list[list[str]] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    @property
    def train_chars(self) -> int:
        return sum(len(t) for t in self.train)


def folk_text(tune: corpora.Tune) -> str:
    """What the folk model reads for a tune: the unit length line and the music, annotations removed.

    Meter and key are not in the text: they come in through the style vector.
    """
    body = _QUOTED.sub("", tune.body).replace("\t", " ")
    return f"L:{tune.unit}\n{body}\n"


def folk_style(tune: corpora.Tune) -> dict:
    return {"meter": tune.meter, "key": tune.key, "type": tune.tune_type}


def _common(values: list[str], min_count: int) -> list[str]:
    """Values seen at least ``min_count`` times, most common first, and "other" once, last: the fallback."""
    counts = Counter(values)
    return [v for v, c in counts.most_common() if c >= min_count and v != "other"] + ["other"]


def folk_corpus(
    valid_fraction: float = 0.05, seed: int = 0, min_style_count: int = 5, transpositions: int = 0
) -> Corpus:
    """music21's tunes, split by tune; style values seen in at least ``min_style_count`` training tunes.

    ``transpositions`` > 0 adds that many copies of each training tune, each moved to another common
    key of its mode (validation tunes stay as written)."""
    if not 0 <= transpositions <= MAX_TRANSPOSITIONS:
        raise UserError(f"transposed copies per tune must be 0..{MAX_TRANSPOSITIONS}, got {transpositions}")
    train, valid = corpora.split_by_item(corpora.folk_tunes(), valid_fraction, seed)
    train_styles = [folk_style(t) for t in train]
    values = [_common([s[f] for s in train_styles], min_style_count) for f in FOLK_STYLE_FIELDS]
    if transpositions:
        copies = transposed_copies(train, values[FOLK_STYLE_FIELDS.index("key")], transpositions, seed)
        train, train_styles = train + copies, train_styles + [folk_style(t) for t in copies]
    return Corpus(
        "folk-abc",
        [folk_text(t) for t in train],
        [folk_text(t) for t in valid],
        train_styles,
        [folk_style(t) for t in valid],
        list(FOLK_STYLE_FIELDS),
        values,
    )


def transposed_copies(tunes: list[corpora.Tune], keys: list[str], per_tune: int, seed: int) -> list[corpora.Tune]:
    """Up to ``per_tune`` copies of each tune in other keys of ``keys`` with the same mode, drawn by ``seed``;
    a copy that cannot be spelled in its key (a triple sharp, say) is left out."""
    rng = random.Random(seed)
    by_mode: dict[str, list[str]] = {}
    for key in keys:
        if key != "other":
            by_mode.setdefault(corpora.key_parts(key)[1], []).append(key)
    copies = []
    for tune in tunes:
        targets = [k for k in by_mode.get(corpora.key_parts(tune.key)[1], []) if k != tune.key]
        for target in rng.sample(targets, min(per_tune, len(targets))):
            try:
                copies.append(transpose.transpose_tune(tune, target))
            except transpose.NotTransposable:
                continue
    return copies


def prose_corpus(valid_fraction: float = 0.1, seed: int = 0) -> Corpus:
    train, valid = corpora.split_by_item(corpora.prose_documents(), valid_fraction, seed)
    return Corpus("python-prose", [d.text for d in train], [d.text for d in valid])


def text_corpus(text: str, name: str = "upload", valid_fraction: float = 0.1, seed: int = 0) -> Corpus:
    """An uploaded text: sampled down if huge, cut into ~2k-character documents at paragraphs, split by document."""
    text, notice = corpora.sample_for_training(text)
    documents = corpora.text_documents(text)
    train, valid = corpora.split_by_item(documents, valid_fraction, seed)
    return Corpus(name, [d.text for d in train], [d.text for d in valid], notices=[notice] if notice else [])


def uploaded_corpus(data: bytes, name: str) -> Corpus:
    """A text file's bytes, in any common encoding (detected; the notices say which), as a corpus."""
    decoded = corpora.decode_upload(data)
    corpus = text_corpus(decoded.text, name)
    corpus.notices = [*decoded.notices, *corpus.notices]
    return corpus


def build_vocab(texts: list[str], min_count: int = 1) -> list[str]:
    """Boundary token '' first, then characters seen at least ``min_count`` times, most frequent first."""
    counts = Counter()
    for text in texts:
        counts.update(text)
    return ["", *sorted((ch for ch, c in counts.items() if c >= min_count), key=lambda ch: (-counts[ch], ch))]


class StreamData:
    """Texts encoded once; ``chunks`` yields (x, y, style, new_pass) batches forever."""

    def __init__(self, model: CharRNN, texts: list[str], styles: list[dict] | None):
        known = model.char_to_id
        self.texts = [torch.tensor([BOUNDARY, *(known[ch] for ch in t if ch in known)]) for t in texts]
        self.styles = [model.style_ids(s) for s in styles] if styles and model.config.style_fields else None

    def stream(self, order: list[int]) -> tuple[torch.Tensor, torch.Tensor | None]:
        """One long (N,) token stream in ``order``, an end boundary after the last text; styles (N, F)."""
        tokens = torch.cat([*(self.texts[i] for i in order), torch.tensor([BOUNDARY])])
        if self.styles is None:
            return tokens, None
        styles = torch.cat([self.styles[i][None].expand(len(self.texts[i]), -1) for i in order])
        return tokens, torch.cat([styles, styles[-1:]])

    def chunks(self, batch: int, bptt: int, seed: int, shuffle: bool = True) -> Iterator[tuple]:
        passes = 0
        while True:
            generator = torch.Generator().manual_seed(seed + passes)
            n = len(self.texts)
            order = torch.randperm(n, generator=generator).tolist() if shuffle else list(range(n))
            tokens, styles = self.stream(order)
            width = (len(tokens) - 1) // batch
            if width < 2:
                raise UserError(f"the corpus is too small for {batch} rows: use a smaller batch or more text")
            rows = tokens[: width * batch + 1]
            x_rows = rows[:-1].view(batch, width)  # (B, W)
            y_rows = rows[1:].view(batch, width)
            s_rows = styles[: width * batch].view(batch, width, -1) if styles is not None else None  # (B, W, F)
            for start in range(0, width, bptt):
                end = min(start + bptt, width)
                s = s_rows[:, start:end] if s_rows is not None else None
                yield x_rows[:, start:end], y_rows[:, start:end], s, start == 0
            passes += 1
            if not shuffle:
                return


def evaluate_loss(model: CharRNN, data: StreamData, max_chars: int = 0, batch: int = 16, bptt: int = 256) -> float:
    """Mean cross-entropy in nats per character over the validation stream (the first ``max_chars`` if set)."""
    total, count, state = 0.0, 0, None
    with torch.inference_mode():
        for x, y, s, _ in data.chunks(batch, bptt, seed=0, shuffle=False):
            logits, state = model(x, s, state)
            total += float(F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1), reduction="sum"))
            count += y.numel()
            if max_chars and count >= max_chars:
                break
    return total / max(count, 1)


@dataclass
class GeneratorTraining:
    cell: str = "gru"  # "gru" or "lstm"
    hidden: int = 512  # RNN width
    layers: int = 1
    embed: int = 64
    dropout: float = 0.0
    batch: int = 64  # parallel rows of the stream
    bptt: int = 128  # characters per truncated-BPTT chunk
    lr: float = 3e-3
    lr_decay: float = 1.0  # per round
    rounds: int = 10  # Trainer epochs
    steps_per_round: int = 100
    seed: int = 0
    threads: int = 0  # torch threads for this run; 0 leaves the process setting alone (the app shares it)
    max_seconds: float = 0.0  # stop after this much wall time, keeping the model as it is (0 = no limit)
    min_char_count: int = 1  # rarer characters are left out of the vocabulary (and the text)
    vocab: list[str] = field(default_factory=list)  # a fixed vocabulary, boundary '' first ([] = from the texts)
    eval_chars: int = 40_000  # validation characters per round (0 = all); the final check reads all
    keep_best: bool = True  # end with the weights of the round with the lowest validation loss (early stopping)
    # steps between snapshots of a running mean of the weights (0 = none); the run ends with the mean if it
    # validates lower than the kept round (Polyak averaging, as AWD-LSTM's averaged SGD)
    average_every: int = 0
    gallery_steps: list[int] = field(default_factory=list)  # extra steps at which to keep a sample
    sample_chars: int = 300  # length of the samples kept per round
    sample_prime: str = ""
    sample_style: dict = field(default_factory=dict)

    def validate(self) -> None:
        check_ranges(self, ("embed", "hidden", "layers", "batch", "bptt"))
        if not 1 <= self.rounds <= 1000 or not 1 <= self.steps_per_round <= 100_000:
            raise UserError("rounds must be in 1..1000 and steps per round in 1..100000")
        if self.average_every < 0:
            raise UserError(f"average_every must be 0 (none) or a number of steps, got {self.average_every}")


def _snapshot(model: CharRNN, cfg: GeneratorTraining, step: int, train_loss: float, valid_loss: float) -> dict:
    prime = prepare_prime(model, cfg.sample_prime)
    settings = Settings("sample", cfg.sample_chars, 1, temperature=1.0, seed=cfg.seed)
    was_training = model.training
    model.eval()
    text = generate(model, prime, settings, cfg.sample_style or None)[0].text
    model.train(was_training)
    return {
        "step": step,
        "chars_seen": step * cfg.batch * cfg.bptt,
        "train_loss": round(train_loss, 4),
        "valid_loss": round(valid_loss, 4),
        "sample": cfg.sample_prime + text,
    }


class _Recorder(Callback):
    """Keeps samples at gallery steps and after every round; forwards progress to the caller's callback."""

    def __init__(self, model, cfg, valid: StreamData, outer: Callback | None):
        self.model, self.cfg, self.valid, self.outer = model, cfg, valid, outer or Callback()
        self.gallery: list[dict] = []
        self.step = 0
        self.average: dict[str, torch.Tensor] | None = None  # running mean of the weights
        self.snapshots = 0

    def on_step(self, progress: Progress) -> None:
        self.step += 1
        if self.cfg.average_every and self.step % self.cfg.average_every == 0:
            self._add_to_average()
        if self.step in self.cfg.gallery_steps:
            device = next(self.model.parameters()).device  # evaluation and sampling run on the CPU
            with torch.no_grad():
                self.model.cpu().eval()
                loss = evaluate_loss(self.model, self.valid, self.cfg.eval_chars)
            self.gallery.append(_snapshot(self.model, self.cfg, self.step, progress.loss, loss))
            self.model.to(device).train()
        self.outer.on_step(progress)

    def _add_to_average(self) -> None:
        self.snapshots += 1
        weights = {k: v.detach().cpu() for k, v in self.model.state_dict().items()}
        if self.average is None:
            self.average = {k: v.clone() for k, v in weights.items()}
            return
        for k, v in weights.items():
            self.average[k] += (v - self.average[k]) / self.snapshots

    def on_epoch(self, progress: Progress) -> None:
        valid = progress.metrics.get("valid_loss", float("nan"))
        snap = _snapshot(self.model, self.cfg, self.step, progress.loss, valid)
        self.gallery.append(snap)
        progress.metrics["sample"] = snap["sample"]  # the page shows it under the live curve
        self.outer.on_epoch(progress)


def _start_point(model: CharRNN, train: StreamData, evaluate, cfg: GeneratorTraining, recorder: _Recorder) -> dict:
    """Round 0 of a fine-tune: the start model's loss on the new training text and held-out text, before any
    step; reported through ``recorder`` like a round, so live curves begin where the model started."""
    model.eval()
    metrics = evaluate(model)
    loss = evaluate_loss(model, train, cfg.eval_chars)
    recorder.on_epoch(Progress(0, cfg.rounds, 0, cfg.steps_per_round, loss, 0.0, dict(metrics)))
    return {"epoch": 0, "loss": loss, "seconds": 0.0, **metrics}


@dataclass
class TrainResult:
    model: CharRNN
    meta: dict
    history: list[dict]


def train_char_rnn(
    corpus: Corpus,
    cfg: GeneratorTraining,
    callback: Callback | None = None,
    cancel: threading.Event | None = None,
    start: CharRNN | None = None,
    measure_start: bool = False,
) -> TrainResult:
    """Train a CharRNN on ``corpus`` with the shared Trainer; returns the model and its checkpoint meta.

    ``start`` continues training those weights (in place; its vocabulary and styles must be the corpus's)
    instead of a new model; ``cfg`` must describe the same network. ``measure_start`` (fine-tuning) first
    measures the start model on the new data and reports it as round 0, the first point of the loss curve.
    """
    cfg.validate()
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    seed_everything(cfg.seed)
    if start is None:
        config = CharRNNConfig(
            vocab=list(cfg.vocab) or build_vocab(corpus.train, cfg.min_char_count),
            cell=cfg.cell,
            embed=cfg.embed,
            hidden=cfg.hidden,
            layers=cfg.layers,
            dropout=cfg.dropout,
            style_fields=list(corpus.style_fields),
            style_values=[list(v) for v in corpus.style_values],
        )
        config.validate()
        model = CharRNN(config)
    else:
        differ = [
            f for f in ("cell", "embed", "hidden", "layers", "dropout") if getattr(cfg, f) != getattr(start.config, f)
        ]
        if differ or start.config.style_values != corpus.style_values:
            raise UserError(f"the start model differs from the training settings in {differ or ['styles']}")
        model = start
    vocab = model.config.vocab
    train = StreamData(model, corpus.train, corpus.train_styles)
    valid = StreamData(model, corpus.valid, corpus.valid_styles)
    chunks = train.chunks(cfg.batch, cfg.bptt, cfg.seed)
    carried = {"state": None}

    def make_batches(_round: int):
        for _ in range(cfg.steps_per_round):
            yield next(chunks)

    def loss_fn(m: CharRNN, batch) -> torch.Tensor:
        x, y, s, new_pass = batch
        state = None if new_pass else carried["state"]
        logits, state = m(x, s, state)
        carried["state"] = tuple(h.detach() for h in state) if isinstance(state, tuple) else state.detach()
        return F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1))

    def evaluate(m: CharRNN) -> dict:
        loss = evaluate_loss(m, valid, cfg.eval_chars)
        return {"valid_loss": loss, "valid_bits": loss / math.log(2)}

    recorder = _Recorder(model, cfg, valid, callback)
    start_point = _start_point(model, train, evaluate, cfg, recorder) if start is not None and measure_start else None
    trainer = Trainer(
        model,
        TrainConfig(
            epochs=cfg.rounds,
            lr=cfg.lr,
            lr_decay=cfg.lr_decay,
            seed=cfg.seed,
            max_seconds=cfg.max_seconds,
            keep_best="valid_loss" if cfg.keep_best else "",
        ),
        recorder,
        cancel,
    )
    began = time.perf_counter()
    history = trainer.fit(make_batches, loss_fn, evaluate, cfg.steps_per_round)
    seconds = time.perf_counter() - began
    final = evaluate_loss(model, valid)
    averaged = None
    if recorder.average is not None:
        kept_weights = {k: v.clone() for k, v in model.state_dict().items()}
        model.load_state_dict(recorder.average)
        mean_loss = evaluate_loss(model, valid)
        averaged = {"snapshots": recorder.snapshots, "valid_loss": round(mean_loss, 4), "used": mean_loss < final}
        if mean_loss < final:
            final = mean_loss
        else:
            model.load_state_dict(kept_weights)
    kept = history.best_epoch or len(history.epochs)  # the round whose weights the model ends with
    meta = {
        "task": "text generation" if not corpus.style_fields else "folk-tune generation (style-conditioned)",
        "corpus": corpus.name,
        "metrics": {
            "valid_loss": round(final, 4),
            "valid_bits_per_char": round(final / math.log(2), 4),
            "train_loss": round(history.epochs[kept - 1]["loss"], 4) if history.epochs else None,
        },
        "headline": "valid_loss",
        "data": {
            "train_texts": len(corpus.train),
            "valid_texts": len(corpus.valid),
            "train_chars": corpus.train_chars,
            "valid_chars": sum(len(t) for t in corpus.valid),
            "vocab": len(vocab),
        },
        "training": {
            **asdict(cfg),
            "seconds": round(seconds, 1),
            "cancelled": history.cancelled,
            "timed_out": history.timed_out,
            "kept_round": kept,
            "averaged": averaged,
        },
        "gallery": recorder.gallery,
        "history": [
            *([start_point] if start_point else []),
            *({k: v for k, v in e.items() if k != "sample"} for e in history.epochs),
        ],
    }
    if start_point:
        meta["start"] = start_point
    model.meta = meta
    return TrainResult(model, meta, meta["history"])
