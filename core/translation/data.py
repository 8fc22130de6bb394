"""Translation data: numbers in words, human-written dates, and uploaded sentence pairs.

Everything is generated from ``num2words`` and ``babel`` (no downloads) and is deterministic by
seed. Splits are disjoint by construction: a pair's split is a hash of its *meaning* (the number,
the date, or the uploaded source line), so the same date in another format never crosses splits.

Public API (stable; other pages import it)::

    numbers_pairs(count, seed=0, split="train", src_lang="en", tgt_lang="fr", max_value=10**15 - 1)
        -> list[tuple[str, str]]          # ("seventy-three", "soixante-treize"), ...
    dates_pairs(count, seed=0, split="train", locales=LOCALES, formats=FORMATS)
        -> list[tuple[str, str]]          # ("25 novembre 2026", "2026-11-25"), ...
    parse_pairs(data: bytes) -> list[tuple[str, str]]   # uploaded TSV; raises UserError
    split_pairs(pairs, split) -> list[tuple[str, str]]  # uploaded pairs of one split
    task_pairs(task, count, seed, split)               # by task name: "numbers:en-fr", "dates"
    split_of(key) -> "train" | "valid" | "test"

References for typed inputs (any phrasing) are in ``core.translation.reading``.
"""

from __future__ import annotations

import datetime
import hashlib
import math
import random

from core import limits
from core.errors import UserError

SPLITS = ("train", "valid", "test")
NUMBER_LANGS = ("en", "fr", "de", "es", "it")
LOCALES = ("en_US", "en_GB", "fr_FR", "de_DE", "es_ES")
FORMATS = ("full", "long", "medium")  # "short" is left out: two-digit years are ambiguous
FIRST_DATE, LAST_DATE = datetime.date(1900, 1, 1), datetime.date(2099, 12, 31)
MIN_PAIRS = 20  # fewer uploaded pairs than this cannot train anything useful
MAX_LINE_CHARS = 1000  # an uploaded line longer than this is not a sentence pair


def split_of(key: str) -> str:
    """Deterministic split of an item by the hash of its key: 85 % train, 5 % valid, 10 % test."""
    bucket = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=4).digest(), "big") % 100
    return "test" if bucket < 10 else "valid" if bucket < 15 else "train"


def _check(split: str, count: int) -> None:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}, got {split!r}")
    if count < 0:
        raise ValueError(f"count must be >= 0, got {count}")


def sample_number(rng: random.Random, max_value: int = 10**15 - 1) -> int:
    """Log-uniform on [0, max_value]: short and long numbers are both common."""
    return min(max_value, int(10 ** rng.uniform(0, math.log10(max_value + 1))) - 1)


def number_words(n: int, lang: str) -> str:
    from num2words import num2words

    if lang not in NUMBER_LANGS:
        raise UserError(f"unknown language {lang!r}; numbers support {', '.join(NUMBER_LANGS)}")
    return num2words(n, lang=lang)


def numbers_pairs(
    count: int,
    seed: int = 0,
    split: str = "train",
    src_lang: str = "en",
    tgt_lang: str = "fr",
    max_value: int = 10**15 - 1,
) -> list[tuple[str, str]]:
    """``count`` (number in words in src_lang, same number in tgt_lang) pairs of one split."""
    _check(split, count)
    for lang in (src_lang, tgt_lang):
        if lang not in NUMBER_LANGS:
            raise UserError(f"unknown language {lang!r}; numbers support {', '.join(NUMBER_LANGS)}")
    rng, pairs = random.Random(f"numbers-{seed}-{split}"), []
    while len(pairs) < count:
        n = sample_number(rng, max_value)
        if split_of(str(n)) == split:
            pairs.append((number_words(n, src_lang), number_words(n, tgt_lang)))
    return pairs


def format_date(date: datetime.date, fmt: str, locale: str) -> str:
    import babel.dates

    return babel.dates.format_date(date, fmt, locale=locale)


def dates_pairs(
    count: int,
    seed: int = 0,
    split: str = "train",
    locales: tuple[str, ...] = LOCALES,
    formats: tuple[str, ...] = FORMATS,
) -> list[tuple[str, str]]:
    """``count`` (human-written date, ISO YYYY-MM-DD) pairs of one split, 1900–2099."""
    _check(split, count)
    rng, pairs = random.Random(f"dates-{seed}-{split}"), []
    days = (LAST_DATE - FIRST_DATE).days
    while len(pairs) < count:
        date = FIRST_DATE + datetime.timedelta(days=rng.randint(0, days))
        locale, fmt = rng.choice(locales), rng.choice(formats)
        if split_of(date.isoformat()) == split:
            pairs.append((format_date(date, fmt, locale), date.isoformat()))
    return pairs


def task_pairs(task: str, count: int, seed: int = 0, split: str = "train") -> list[tuple[str, str]]:
    """Pairs by task name: ``"numbers:SRC-TGT"`` (e.g. ``numbers:en-fr``) or ``"dates"``."""
    if task == "dates":
        return dates_pairs(count, seed, split)
    if task.startswith("numbers:") and task.count("-") == 1:
        src, tgt = task.split(":", 1)[1].split("-")
        return numbers_pairs(count, seed, split, src, tgt)
    raise UserError(f"unknown task {task!r}; tasks are 'dates' and 'numbers:SRC-TGT' with SRC, TGT in {NUMBER_LANGS}")


def decode_text(data: bytes, what: str = "the file") -> str:
    """Uploaded bytes as text: refuses empty, oversized, binary and non-UTF-8 data with a clear message."""
    if len(data) > limits.TEXT_MAX_MB * 2**20:
        raise UserError(f"{what} is {len(data) / 2**20:.1f} MB; the limit is {limits.TEXT_MAX_MB} MB")
    if not data.strip():
        raise UserError(f"{what} is empty: expected UTF-8 text, one item per line")
    if b"\x00" in data[:8192]:
        raise UserError(f"{what} looks binary (it contains NUL bytes): expected UTF-8 text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UserError(
            f"{what} is not UTF-8 text (invalid byte at position {error.start}); save it as UTF-8 and upload again"
        ) from None


def parse_pairs(data: bytes) -> list[tuple[str, str]]:
    """``source<TAB>target`` lines (Tatoeba/Anki: extra columns such as attribution are ignored).

    Every non-blank line must have the same number of tab-separated columns (at least two).
    """
    text = decode_text(data, "the pairs file")
    pairs, columns = [], None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if len(line) > MAX_LINE_CHARS:
            raise UserError(
                f"line {number} has {len(line):,} characters; lines of at most {MAX_LINE_CHARS} are accepted"
            )
        fields = line.split("\t")
        if len(fields) < 2:
            raise UserError(
                f"line {number} has one column: expected source<TAB>target on every line (tab-separated, UTF-8)"
            )
        if columns is None:
            columns = len(fields)
        elif len(fields) != columns:
            raise UserError(
                f"ragged lines: line {number} has {len(fields)} tab-separated columns but the first line has {columns}"
            )
        source, target = fields[0].strip(), fields[1].strip()
        if not source or not target:
            raise UserError(f"line {number} has an empty source or target")
        pairs.append((source, target))
    if len(pairs) < MIN_PAIRS:
        raise UserError(f"the pairs file has {len(pairs)} pairs; at least {MIN_PAIRS} are needed to train")
    return pairs


def split_pairs(pairs: list[tuple[str, str]], split: str) -> list[tuple[str, str]]:
    """Uploaded pairs of one split, by hash of the source line (a repeated source stays in one split)."""
    _check(split, 0)
    return [p for p in pairs if split_of(p[0]) == split]
