"""Fine-tuning a char-RNN (char-rnn's ``init_from``): the same network and vocabulary, new text.

The start model keeps its architecture, vocabulary and style fields. Characters of the new text
that the vocabulary lacks are written as look-alikes (curly quotes, accents) or dropped, and the
notices say which and how often. A style-conditioned start model (folk-abc) reads uploaded ABC
tunes with their own meter, key and tune type. The start model is copied, never changed: shipped
models are shared by every session of the app.
"""

from __future__ import annotations

import copy
import threading
from collections import Counter
from dataclasses import dataclass, field, replace

from core.errors import UserError
from core.generation import corpora
from core.generation.generate import lookalike
from core.generation.model import CharRNN
from core.generation.train import (
    FOLK_STYLE_FIELDS,
    Corpus,
    GeneratorTraining,
    TrainResult,
    folk_style,
    folk_text,
    train_char_rnn,
)
from core.training import Callback

TUNES_VALID_FRACTION = 0.2  # of a handful of uploaded tunes, hold out one in five


@dataclass
class VocabFit:
    texts: list[str]  # the texts in the start model's characters only
    mapped: dict[str, str] = field(default_factory=dict)  # character -> what is written instead
    counts: Counter = field(default_factory=Counter)  # occurrences of every character the vocabulary lacks
    dropped: list[str] = field(default_factory=list)  # characters left out

    @property
    def notices(self) -> list[str]:
        notices = []
        if self.mapped:
            pairs = ", ".join(f"{c!r} → {a!r} ({self.counts[c]}×)" for c, a in sorted(self.mapped.items()))
            notices.append(f"characters the start model's vocabulary lacks, mapped: {pairs}")
        if self.dropped:
            listed = ", ".join(f"{c!r} ({self.counts[c]}×)" for c in self.dropped)
            notices.append(f"characters the start model's vocabulary lacks, dropped: {listed}")
        return notices


def fit_to_vocab(texts: list[str], model: CharRNN) -> VocabFit:
    """The texts with every character outside ``model``'s vocabulary mapped to a look-alike or dropped."""
    known = model.char_to_id
    counts = Counter(ch for text in texts for ch in text if ch not in known)
    mapped = {ch: alt for ch in counts if (alt := lookalike(ch, known)) is not None}
    dropped = sorted(ch for ch in counts if ch not in mapped)
    table = str.maketrans({**mapped, **dict.fromkeys(dropped)})
    return VocabFit([text.translate(table) for text in texts], mapped, counts, dropped)


def is_styled(model: CharRNN) -> bool:
    return bool(model.config.style_fields)


def tunes_corpus(text: str, name: str, valid_fraction: float = TUNES_VALID_FRACTION, seed: int = 0) -> Corpus:
    """ABC tunes (X: … K: … music) as a style-conditioned corpus, split by tune."""
    tunes = corpora.split_tunes(text, name)
    if len(tunes) < 2:
        raise UserError(
            f"found {len(tunes)} ABC tune(s) with X:, K: and music in {name}; a style-conditioned model "
            "(meter, key, tune type) fine-tunes on ABC tunes: at least 2"
        )
    train, valid = corpora.split_by_item(tunes, valid_fraction, seed)
    return Corpus(
        name,
        [folk_text(t) for t in train],
        [folk_text(t) for t in valid],
        [folk_style(t) for t in train],
        [folk_style(t) for t in valid],
        list(FOLK_STYLE_FIELDS),
    )


def uploaded_tunes(data: bytes, name: str) -> Corpus:
    """An uploaded ABC file's bytes (any common encoding) as a corpus of tunes."""
    decoded = corpora.decode_upload(data)
    corpus = tunes_corpus(decoded.text, name)
    corpus.notices = [*decoded.notices, *corpus.notices]
    return corpus


def corpus_for(model: CharRNN, corpus: Corpus) -> Corpus:
    """``corpus`` in the start model's terms: its characters (notices say what was mapped or dropped) and its
    style fields (a text corpus cannot teach a style-conditioned model; styles are dropped for a plain one)."""
    if is_styled(model) and not set(model.config.style_fields) <= set(corpus.style_fields):
        raise UserError(
            f"the start model is conditioned on {', '.join(model.config.style_fields)}: fine-tune it on ABC tunes "
            "(the folk corpus or an uploaded .abc file), not plain text"
        )
    fit = fit_to_vocab([*corpus.train, *corpus.valid], model)
    notices = [*corpus.notices, *(n for n in fit.notices if n not in corpus.notices)]  # a second call adds none
    styled = is_styled(model)
    return replace(
        corpus,
        train=fit.texts[: len(corpus.train)],
        valid=fit.texts[len(corpus.train) :],
        train_styles=corpus.train_styles if styled else None,
        valid_styles=corpus.valid_styles if styled else None,
        style_fields=list(model.config.style_fields),
        style_values=[list(v) for v in model.config.style_values],  # unknown values use each field's fallback
        notices=notices,
    )


def freeze_lower(model: CharRNN) -> list[str]:
    """Freeze the character and style embeddings and every RNN layer but the top one; returns the frozen names."""
    top = f"_l{model.config.layers - 1}"
    frozen = []
    for name, parameter in model.named_parameters():
        lower_rnn = name.startswith("rnn.") and not name.removesuffix("_reverse").endswith(top)
        if name.startswith(("embed.", "styles.")) or lower_rnn:
            parameter.requires_grad_(False)
            frozen.append(name)
    return frozen


def fine_tune(
    start: CharRNN,
    corpus: Corpus,
    cfg: GeneratorTraining,
    callback: Callback | None = None,
    cancel: threading.Event | None = None,
    freeze: bool = False,
    start_name: str = "",
) -> TrainResult:
    """Train a copy of ``start`` on ``corpus`` (mapped to its vocabulary) with ``cfg``'s optimiser and schedule;
    the network sizes come from ``start``. Round 0 of the result is the start model on the new data."""
    model = copy.deepcopy(start).train()
    corpus = corpus_for(model, corpus)
    sizes = {f: getattr(model.config, f) for f in ("cell", "embed", "hidden", "layers", "dropout")}
    cfg = replace(cfg, **sizes, vocab=list(model.config.vocab))
    frozen = freeze_lower(model) if freeze else []
    result = train_char_rnn(corpus, cfg, callback, cancel, start=model, measure_start=True)
    for parameter in result.model.parameters():
        parameter.requires_grad_(True)  # a frozen layer is frozen for this run only
    result.meta["fine_tuned_from"] = start_name or "a checkpoint"
    result.meta["frozen"] = frozen
    result.meta["notices"] = corpus.notices
    return result
