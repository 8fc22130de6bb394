"""Lossless word- or character-level tokenisation with a fixed vocabulary.

Word level splits into words and single punctuation marks; a token that follows whitespace
carries a leading ``▁`` (as in SentencePiece), so ``decode(encode(text)) == text`` up to
collapsed whitespace ("quatre-vingt-dix" -> ``▁quatre - vingt - dix``). Character level keeps
every character, spaces included. Tokens outside the vocabulary become ``<unk>`` and are
reported, never silently dropped.

``normalize`` is the one place where typed text is tidied before a model reads it: a tokenizer
built with ``normalize=True`` (recorded as ``normalize_source`` in the model's config, so a
checkpoint says whether it expects it) applies it in ``encode``; older checkpoints read text as is.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

PAD, BOS, EOS, UNK = "<pad>", "<s>", "</s>", "<unk>"
SPECIALS = [PAD, BOS, EOS, UNK]
PAD_ID, BOS_ID, EOS_ID, UNK_ID = range(4)
NEVER_GENERATED = (PAD_ID, BOS_ID, UNK_ID)  # ids a decoder must not emit
LEVELS = ("word", "char")
SPACE = "▁"
_WORD_RE = re.compile(r"(\s*)(\w+|[^\w\s])")
_DASHES = re.compile(r"[\u2010-\u2015\u2212\ufe58\ufe63\uff0d]")  # hyphens, en/em dashes, minus -> "-"
_QUOTES = re.compile(r"[\u2018\u2019\u201b\u2032`]")  # typographic apostrophes -> "'"


def normalize(text: str) -> str:
    """Typed text the way the training data writes it; what a tokenizer may fix, and nothing more.

    NFKC (full-width letters, ligatures), lower case, every Unicode dash to "-" and apostrophe to
    "'", every Unicode space (no-break, thin, tabs, newlines) to one space, no space around "-" and
    "/", none before "," and one after (except in "1,234"), no leading or trailing space. Words, word order and "and"
    are left alone: the model learns those ("Two  Thousand – Six ,one" -> "two thousand-six, one").
    """
    text = _QUOTES.sub("'", _DASHES.sub("-", unicodedata.normalize("NFKC", text).lower()))
    text = " ".join(text.split())
    text = re.sub(r"\s*([-/])\s*", r"\1", text)
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "\0", text)  # keep thousands separators: "1,234"
    return re.sub(r"\s*,\s*", ", ", text).strip(" ,").replace("\0", ",")


def split(text: str, level: str) -> list[str]:
    """Tokens of ``text`` (whitespace collapsed) at ``level``."""
    text = " ".join(text.split())
    if level == "char":
        return list(text)
    if level == "word":
        return [(SPACE if space else "") + piece for space, piece in _WORD_RE.findall(text)]
    raise ValueError(f"level must be one of {', '.join(LEVELS)}, got {level!r}")


def join(tokens: Iterable[str], level: str) -> str:
    if level == "char":
        return "".join(tokens)
    return "".join(t.replace(SPACE, " ") for t in tokens).strip()


def build_vocab(texts: Iterable[str], level: str, min_count: int = 1) -> list[str]:
    """Specials first, then tokens by falling frequency (ties alphabetical) so vocabularies are deterministic."""
    counts = Counter(t for text in texts for t in split(text, level))
    kept = sorted((t for t, c in counts.items() if c >= min_count), key=lambda t: (-counts[t], t))
    return SPECIALS + [t for t in kept if t not in SPECIALS]


@dataclass
class Encoded:
    ids: list[int]  # token ids, EOS appended when asked
    tokens: list[str]  # the text's tokens (unknown ones as written, not as <unk>)
    unknown: list[int] = field(default_factory=list)  # positions in ``tokens`` mapped to <unk>
    truncated: bool = False  # the text had more than max_len tokens


class Tokenizer:
    def __init__(self, vocab: list[str], level: str, normalize: bool = False):
        if vocab[: len(SPECIALS)] != SPECIALS:
            raise ValueError(f"a vocabulary starts with {SPECIALS}")
        if level not in LEVELS:
            raise ValueError(f"level must be one of {', '.join(LEVELS)}, got {level!r}")
        self.vocab, self.level, self.normalize = vocab, level, normalize
        self.index = {t: i for i, t in enumerate(vocab)}

    def __len__(self) -> int:
        return len(self.vocab)

    def encode(self, text: str, max_len: int | None = None, add_eos: bool = False) -> Encoded:
        tokens = split(normalize(text) if self.normalize else text, self.level)
        truncated = max_len is not None and len(tokens) > max_len
        tokens = tokens[:max_len] if truncated else tokens
        ids = [self.index.get(t, UNK_ID) for t in tokens]
        unknown = [i for i, t in enumerate(tokens) if t not in self.index]
        return Encoded(ids + [EOS_ID] * add_eos, tokens, unknown, truncated)

    def tokens(self, ids: Iterable[int]) -> list[str]:
        return [self.vocab[i] for i in ids]

    def decode(self, ids: Iterable[int], stop_at_eos: bool = True) -> str:
        """Text of ``ids``; specials are dropped (and text ends at EOS when ``stop_at_eos``)."""
        kept = []
        for i in ids:
            if i == EOS_ID and stop_at_eos:
                break
            if i >= len(SPECIALS):
                kept.append(self.vocab[i])
        return join(kept, self.level)
