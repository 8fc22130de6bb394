"""Generate text from a ``CharRNN`` with the shared decoders of ``core.decoding``.

``generate`` returns finished samples (greedy, beam search or sampling, batched over ``n``);
``stream`` yields one sample's characters as they are drawn (for ``st.write_stream``);
``trace`` re-reads a finished text in one pass and returns the model's raw next-character
logits at every position, so the per-step view and the probability colouring work the same
for every decoding method.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field

import torch

from core import decoding
from core.errors import UserError
from core.generation.model import BOUNDARY, CharRNN

MAX_LENGTH = 5000  # characters per sample; longer requests are capped with a notice
MAX_SAMPLES = 64  # samples per request
MAX_NO_REPEAT = 64  # longest blocked n-gram, in characters
METHODS = ("sample", "greedy", "beam")
# look-alike characters mapped onto ASCII before a prime is checked against the vocabulary
_LOOKALIKES = {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"}
_LOOKALIKES.update({"\u00a0": " ", "\t": "    ", "\u2026": "..."})


@dataclass
class Settings:
    method: str = "sample"  # "sample", "greedy" or "beam"
    length: int = 400  # characters to generate at most: a sample ends earlier when the model ends the text
    n: int = 1  # samples (sampling) or n-best hypotheses (beam)
    temperature: float = 1.0
    top_k: int = 0  # 0 keeps every character
    top_p: float = 1.0  # 1.0 keeps every character
    beam: int = 4  # beam width
    alpha: float = 0.0  # GNMT length-penalty exponent
    seed: int = 0
    no_repeat_ngram: int = 0  # never repeat a run of this many characters (0 = off); stops greedy/beam loops
    notices: list[str] = field(default_factory=list)  # what was capped or changed, for the user

    def checked(self) -> Settings:
        """A copy with values validated (UserError) and lengths capped (noted in ``notices``)."""
        if self.method not in METHODS:
            raise UserError(f"unknown decoding method {self.method!r}; choose from {', '.join(METHODS)}")
        if self.length < 1:
            raise UserError(f"length must be at least 1 character, got {self.length}")
        if self.n < 1:
            raise UserError(f"n must be at least 1, got {self.n}")
        if self.method == "sample" and not self.temperature > 0:
            raise UserError(f"temperature must be > 0 (use greedy decoding for 0), got {self.temperature}")
        if self.top_k < 0:
            raise UserError(f"top-k must be 0 (off) or positive, got {self.top_k}")
        if not 0 < self.top_p <= 1:
            raise UserError(f"top-p must be in (0, 1], got {self.top_p}")
        if self.method == "beam" and not 1 <= self.beam <= 32:
            raise UserError(f"beam width must be in 1..32, got {self.beam}")
        if not (self.no_repeat_ngram == 0 or 2 <= self.no_repeat_ngram <= MAX_NO_REPEAT):
            raise UserError(f"blocked n-gram length must be 0 (off) or 2..{MAX_NO_REPEAT}, got {self.no_repeat_ngram}")
        notices = list(self.notices)
        length, n = self.length, self.n
        if length > MAX_LENGTH:
            notices.append(f"length capped at {MAX_LENGTH:,} characters (asked for {length:,})")
            length = MAX_LENGTH
        if n > MAX_SAMPLES:
            notices.append(f"number of samples capped at {MAX_SAMPLES} (asked for {n})")
            n = MAX_SAMPLES
        if self.method == "beam" and n > self.beam:
            notices.append(f"beam search returns at most beam-width ({self.beam}) hypotheses")
            n = self.beam
        values = {**self.__dict__, "length": length, "n": n, "notices": notices}
        return Settings(**values)


@dataclass
class Prime:
    text: str  # what the model actually reads (after mapping/dropping characters)
    ids: list[int]
    notices: list[str]


def lookalike(ch: str, known) -> str | None:
    """What a character outside the vocabulary ``known`` is written as: an ASCII look-alike (curly quotes,
    accents stripped) made only of known characters, or None (drop it)."""
    alt = _LOOKALIKES.get(ch) or unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
    return alt if alt and all(a in known for a in alt) else None


def prepare_prime(model: CharRNN, text: str) -> Prime:
    """Map characters outside the vocabulary to look-alikes (curly quotes, accents), drop the rest; say which."""
    notices = []
    if text and not text.strip():
        notices.append("the prime is only whitespace; it is kept as written")
    kept, mapped, dropped = [], {}, set()
    for ch in text:
        if ch in model.char_to_id:
            kept.append(ch)
            continue
        alt = lookalike(ch, model.char_to_id)
        if alt is not None:
            kept.append(alt)
            mapped[ch] = alt
        else:
            dropped.add(ch)
    if mapped:
        pairs = ", ".join(f"{c!r} → {a!r}" for c, a in sorted(mapped.items()))
        notices.append(f"mapped characters outside the model's vocabulary: {pairs}")
    if dropped:
        notices.append("dropped characters the model never saw in training: " + " ".join(map(repr, sorted(dropped))))
    clean = "".join(kept)
    return Prime(clean, model.encode(clean), notices)


def _start(model: CharRNN, prime: Prime, batch: int, style: dict | None):
    """Read the prime; returns (start tokens (B,), decoder state)."""
    style_ids = model.style_ids(style)
    style_rows = style_ids[None, :].expand(batch, -1).contiguous() if style_ids is not None else None  # (B, F)
    ids = [BOUNDARY, *prime.ids]
    context = torch.tensor([ids[:-1]] * batch)  # (B, T): everything before the last prime character
    if context.size(1):
        _, rnn_state = model(context, style_rows, None)
    else:
        zeros = torch.zeros(model.config.layers, batch, model.config.hidden)
        rnn_state = (zeros, zeros.clone()) if model.config.cell == "lstm" else zeros
    return torch.full((batch,), ids[-1], dtype=torch.long), model.pack_state(rnn_state, style_rows)


@dataclass
class Sample:
    text: str  # generated characters (the prime not included)
    log_prob: float  # sum of log-probabilities of the generated characters (end token included)
    ids: list[int]
    finished: bool  # the model ended the text itself


def generate(model: CharRNN, prime: Prime, settings: Settings, style: dict | None = None) -> list[Sample]:
    """Decode ``settings.n`` samples (or n-best hypotheses) after the prime."""
    s = settings.checked()
    with torch.inference_mode():
        if s.method == "beam":
            start, state = _start(model, prime, 1, style)
            result = decoding.beam_search(
                model.step, state, start, s.length, BOUNDARY, s.beam, s.alpha, s.n, no_repeat_ngram=s.no_repeat_ngram
            )[0]
            hyps = result.hypotheses
        else:
            start, state = _start(model, prime, s.n, style)
            if s.method == "greedy":
                hyps = decoding.greedy(model.step, state, start, s.length, BOUNDARY, s.no_repeat_ngram)
            else:
                generator = torch.Generator().manual_seed(s.seed)
                hyps = decoding.sample(model.step, state, start, s.length, BOUNDARY, generator=generator, **_filters(s))
    return [Sample(model.decode(h.tokens), h.score, h.tokens, h.finished) for h in hyps]


def _filters(s: Settings) -> dict:
    """The sampling settings ``decoding.sample`` and ``decoding.iter_sample`` both take, by name."""
    return {"temperature": s.temperature, "top_k": s.top_k, "top_p": s.top_p, "no_repeat_ngram": s.no_repeat_ngram}


def stream(model: CharRNN, prime: Prime, settings: Settings, style: dict | None = None) -> Iterator[str]:
    """One sample's characters as they are drawn (greedy or sampling); beam search yields its best text at once."""
    s = settings.checked()
    if s.method == "beam":
        yield generate(model, prime, Settings(**{**s.__dict__, "n": 1}), style)[0].text
        return
    generator = torch.Generator().manual_seed(s.seed)
    with torch.inference_mode():
        start, state = _start(model, prime, 1, style)
        steps = decoding.iter_sample(
            model.step,
            state,
            start,
            s.length,
            BOUNDARY,
            greedy=s.method == "greedy",
            generator=generator,
            **_filters(s),
        )
        for step in steps:
            token = int(step.tokens[0])
            if token == BOUNDARY:
                return
            yield model.config.vocab[token]


def trace(model: CharRNN, prime: Prime, text: str, style: dict | None = None) -> torch.Tensor:
    """Raw logits (len(text), V) the model gave each generated character, from one forward pass."""
    ids = [BOUNDARY, *prime.ids, *model.encode(text)]
    style_ids = model.style_ids(style)
    with torch.inference_mode():
        logits, _ = model(torch.tensor([ids[:-1]]), style_ids[None] if style_ids is not None else None)
    return logits[0, len(prime.ids) :].float()  # (len(text), V)


@dataclass
class StepView:
    position: int
    chosen: str
    chars: list[str]  # top characters by raw probability, most likely first
    raw: list[float]  # their probabilities under the model
    filtered: list[float]  # their probabilities after temperature / top-k / top-p
    chosen_raw: float
    chosen_filtered: float


def step_view(
    model: CharRNN, logits: torch.Tensor, prime: Prime, text: str, position: int, settings: Settings, top: int = 20
):
    """The next-character distribution at ``position`` of a traced text, before and after filtering
    (temperature, top-k, top-p and the n-grams ``settings.no_repeat_ngram`` blocks there)."""
    if not 0 <= position < len(text):
        raise UserError(f"position must be in 0..{len(text) - 1}, got {position}")
    row = logits[position : position + 1]  # (1, V)
    raw = row.log_softmax(-1).exp()[0]
    if settings.no_repeat_ngram:  # replay the blocker over what was generated before ``position``
        blocker = decoding.NgramBlocker(settings.no_repeat_ngram, ((prime.ids or [BOUNDARY])[-1],))
        for token in model.encode(text[:position]):
            blocker = blocker.extended(token)
        row = decoding.block_repeats(row, [blocker])
    if settings.method == "sample":
        filtered = decoding.filter_logits(row, settings.temperature, settings.top_k, settings.top_p).exp()[0]
    else:  # greedy and beam search pick by score: show the argmax as the one choice greedy makes
        filtered = torch.zeros_like(raw).scatter(0, row[0].argmax()[None], 1.0)
    order = raw.argsort(descending=True)[:top].tolist()
    chosen_id = model.char_to_id[text[position]]
    return StepView(
        position,
        text[position],
        [model.config.vocab[i] or "⏹" for i in order],
        [float(raw[i]) for i in order],
        [float(filtered[i]) for i in order],
        float(raw[chosen_id]),
        float(filtered[chosen_id]),
    )


# style values a user may not ask for: the catch-all of rare values, and tunes without a meter
_UNASKABLE = {"meter": ("other", "free"), "key": ("other",)}


def style_options(model: CharRNN) -> dict[str, list[str]]:
    """Per style field, the values to offer, each once (folk-abc's shipped type list holds "other" twice:
    the trained type and the fallback; ``style_ids`` maps the name to the first, the trained one)."""
    return {
        name: [v for v in dict.fromkeys(values) if v not in _UNASKABLE.get(name, ())]
        for name, values in zip(model.config.style_fields, model.config.style_values)
    }


def char_probabilities(logits: torch.Tensor, model: CharRNN, text: str) -> list[float]:
    """Probability the model gave each character of ``text`` (for colouring it)."""
    ids = torch.tensor(model.encode(text))
    return logits.log_softmax(-1).exp().gather(1, ids[:, None])[:, 0].tolist()
