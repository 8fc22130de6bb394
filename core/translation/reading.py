"""Read inputs and outputs the way a person would: a reference for any phrasing, a check of every answer.

    prepare(task, text) -> Prepared(text, notes)         # what the model is given, and why it differs
    reference(task, text) -> Reading(answer, note)        # the right translation, or why there is none
    check(task, output, answer) -> "ok" | "mismatch" | "unreadable" (None: nothing to read it with)
    verdict(task, text, output) -> {"reference", "check", "reference_note"}   # for the CLI JSON and the page
    stored_accuracy(name) -> str | None   # the model's line from bench/results/phrasing.json, marked stored
    english_value(text) -> int | None                     # "a hundred and one" -> 101 (text2num + scales)
    french_value(text) -> int | None                      # "deux milliards un" -> 2000000001
    read_date(text) -> (date | None, note)                # any of the five locales, numeric, ISO, ordinals

Numbers are read with ``text2num`` (``text_to_num``), which knows neither "trillion" nor the French
"billion(s)" (10^12) and rejects "a hundred": those are handled here. Dates are read by a small
parser of our own (month and weekday names from babel for en, fr, de and es). A numeric date whose
order is ambiguous is read day first, the rule the model learns (NUMERIC_ORDER).

check(): "unreadable" when the output is not a number as num2words writes it in French, or not a real
ISO date; "mismatch" when it is, but differs from the reference; "ok" when it equals the reference,
or, without a reference (the input could not be read), when it is at least a well-formed answer.
"""

from __future__ import annotations

import datetime
import functools
import re
from dataclasses import dataclass, field

from core.translation import data
from core.translation.tokenizer import normalize

MAX_INPUT_CHARS = 500  # longer inputs are cut here (the models read at most 64 tokens anyway)
MAX_NUMBER = 10**15 - 1  # the numbers models read 0 .. 999 trillion ...
NUMBER_RANGE = "0 to 999,999,999,999,999 (nine hundred and ninety-nine trillion ...)"
NUMERIC_ORDER = (
    "numeric dates are read day first (3/4/1999 = 3 April 1999, as en_GB, fr_FR, de_DE and es_ES write it) "
    "unless the first number is over 12 (12/25/1999 = 25 December 1999, the en_US order); ISO 1999-04-03 is "
    "year-month-day"
)
CHECKS = ("ok", "mismatch", "unreadable")
CHECKED_TASKS = ("numbers:en-fr", "dates")  # tasks whose outputs can be read back
_SCALES_EN = {"trillion": 10**12, "billion": 10**9, "million": 10**6, "thousand": 10**3}
_EN_WORDS = set(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen"
    " eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred and a".split()
) | set(_SCALES_EN)


@dataclass
class Prepared:
    text: str  # what the model reads
    notes: list[str] = field(default_factory=list)  # what was changed, for the page and the CLI


@dataclass
class Reading:
    answer: str | None  # the right translation (French words, ISO date), None when the input cannot be read
    note: str = ""  # why there is no answer, or how an ambiguous input was read


def prepare(task: str, text: str) -> Prepared:
    """Cap the length; for numbers, spell out digits ("2026"): the model reads words."""
    notes = []
    if len(text) > MAX_INPUT_CHARS:
        notes.append(f"input cut to its first {MAX_INPUT_CHARS} of {len(text):,} characters")
        text = text[:MAX_INPUT_CHARS]
    digits = normalize(text).replace(",", "").replace(" ", "")
    if task.startswith("numbers:en-") and digits.isdigit():
        if int(digits) > MAX_NUMBER:
            notes.append(f"{int(digits):,} is beyond the model's range, {NUMBER_RANGE}")
        else:
            words = data.number_words(int(digits), "en")
            notes.append(f"the model reads words: digits {text.strip()!r} were spelled out as {words!r}")
            text = words
    return Prepared(text, notes)


def _text2num(text: str, lang: str) -> int | None:
    from text_to_num import text2num

    try:
        return text2num(text, lang)
    except ValueError:
        return None


def english_value(text: str) -> int | None:
    """English number words in any usual phrasing -> int, or None (also digits: "2,026" -> 2026)."""
    text = normalize(text).replace(",", " ").replace("-", " ")
    if text.replace(" ", "").isdigit():
        return int(text.replace(" ", ""))
    words = text.split()
    if not words or not set(words) <= _EN_WORDS:
        return None
    words = ["one" if w == "a" and nxt in ("hundred", *_SCALES_EN) else w for w, nxt in zip(words, words[1:] + [""])]
    if "a" in words:
        return None
    scales = [_SCALES_EN[w] for w in words if w in _SCALES_EN]
    if scales != sorted(scales, reverse=True) or len(set(scales)) != len(scales):
        return None  # "one million one billion": text2num would add them up
    if "trillion" in words:  # text2num stops at billions
        at = words.index("trillion")
        head, tail = words[:at], [w for w in words[at + 1 :]]
        tail = tail[1:] if tail[:1] == ["and"] else tail
        high = _text2num(" ".join(head), "en") if head else None
        low = _text2num(" ".join(tail), "en") if tail else 0
        return None if high is None or low is None or high >= 1000 or low >= 10**12 else high * 10**12 + low
    return _text2num(" ".join(words), "en")


def french_value(text: str) -> int | None:
    """French number words -> int, or None; "billion(s)" (10^12) is split off here, text2num stops below it."""
    words = normalize(text).split()
    for scale in ("billions", "billion"):
        if scale in words:
            at = words.index(scale)
            head, tail = " ".join(words[:at]), " ".join(words[at + 1 :])
            high, low = _text2num(head, "fr"), (_text2num(tail, "fr") if tail else 0)
            return None if high is None or low is None or high >= 1000 or low >= 10**12 else high * 10**12 + low
    return _text2num(" ".join(words), "fr") if words else None


@functools.cache
def _date_words() -> tuple[dict[str, int], set[str]]:
    """Month names (full and abbreviated, without dots) -> month, and weekday names, for en/fr/de/es."""
    import babel.dates

    months, weekdays = {}, set()
    for locale in ("en_US", "fr_FR", "de_DE", "es_ES"):
        for width in ("wide", "abbreviated"):
            for number, name in babel.dates.get_month_names(width, locale=locale).items():
                months[normalize(name).rstrip(".")] = number
            weekdays |= {normalize(n).rstrip(".") for n in babel.dates.get_day_names(width, locale=locale).values()}
    months |= {"sept": 9, "mrz": 3}
    weekdays |= {"tues", "weds", "thur", "thurs"}  # English abbreviations babel does not list
    return months, weekdays


@functools.cache
def _ordinal_days() -> dict[str, int]:
    from num2words import num2words

    words = {num2words(d, to="ordinal"): d for d in range(1, 32)}
    return words | {w.replace("-", " "): d for w, d in words.items()} | {"premier": 1, "primero": 1}


_FILLERS = {"the", "of", "de", "del", "le", "el", "den", "am", "on"}


def _real(year: int, month: int, day: int) -> datetime.date | None:
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None


def read_date(text: str) -> tuple[datetime.date | None, str]:
    """A date from typed text, or None and why; numeric dates follow NUMERIC_ORDER."""
    text = normalize(text)
    if m := re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})|(\d{4})(\d{2})(\d{2})", text):
        year, month, day = (int(g) for g in m.groups() if g is not None)  # 1999-3-3 or compact 19990303
        date = _real(year, month, day)
        return date, "" if date else f"{text!r} is not a real date"
    if m := re.fullmatch(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})", text):
        if len(m[3]) == 2:
            return None, "a two-digit year is ambiguous: write it in full (1999, not 99)"
        first, second, year = int(m[1]), int(m[2]), int(m[3])
        day, month = (second, first) if first <= 12 < second else (first, second)
        date = _real(year, month, day)
        note = f"read day first: {NUMERIC_ORDER}" if date and first <= 12 and second <= 12 and first != second else ""
        return date, note if date else f"{text!r} is not a real date"
    return _read_words(text)


def _read_words(text: str) -> tuple[datetime.date | None, str]:
    months, weekdays = _date_words()
    ordinals = _ordinal_days()
    for words, day in sorted(ordinals.items(), key=lambda item: -len(item[0])):  # "twenty first" before "first"
        text = re.sub(rf"\b{words}\b", f" {day} ", text)
    found_months, maybe_months, days, years = [], [], [], []
    for token in re.findall(r"\d+(?:st|nd|rd|th|er|º)?|[^\W\d_]+", text):
        number = re.match(r"\d+", token)
        if number and len(number[0]) == 4:
            years.append(int(number[0]))
        elif number and len(number[0]) <= 2:
            days.append(int(number[0]))
        elif token in months and token in weekdays:  # "mar": March, or Tuesday in French and Spanish
            maybe_months.append(months[token])
        elif token in months:
            found_months.append(months[token])
        elif token not in weekdays and token not in _FILLERS:
            return None, f"cannot read {token!r} as part of a date"
    found_months = found_months or maybe_months
    if len(years) != 1 or len(found_months) != 1 or len(days) != 1:
        return None, "a date needs one day, one month and one four-digit year"
    date = _real(years[0], found_months[0], days[0])
    return date, "" if date else f"{text.strip()!r} is not a real date"


def reference(task: str, text: str) -> Reading:
    """The right answer for typed ``text``, or why there is none."""
    if task.startswith("numbers:en-"):
        value = english_value(text)
        if value is None:
            return Reading(None, "cannot read this as one English number (one number per input, in words or digits)")
        if value > MAX_NUMBER:
            return Reading(None, f"{value:,} is beyond the model's range, {NUMBER_RANGE}")
        return Reading(data.number_words(value, task.split("-", 1)[1]))
    if task == "dates":
        date, note = read_date(text)
        if date is not None and not data.FIRST_DATE <= date <= data.LAST_DATE:  # known, but never trained on
            return Reading(date.isoformat(), f"{date.isoformat()} is outside the model's years, 1900-2099")
        return Reading(date.isoformat() if date else None, note)
    return Reading(None, "no reference for uploaded pairs")


def check(task: str, output: str, answer: str | None) -> str | None:
    """Read the model's output back: is it a well-formed answer, and the reference's?"""
    output = " ".join(output.split())
    if task == "numbers:en-fr":
        value = french_value(output)
        readable = value is not None and data.number_words(value, "fr") == output
    elif task == "dates":
        readable = re.fullmatch(r"\d{4}-\d{2}-\d{2}", output) is not None and _iso_date(output) is not None
    else:  # no reader for this language: compare with the reference when there is one
        return None if answer is None else "ok" if output == answer else "mismatch"
    if not readable:
        return "unreadable"
    return "ok" if answer is None or output == answer else "mismatch"


def _iso_date(text: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        return None


def verdict(task: str, text: str, output: str) -> dict:
    """One answer judged: the reference read from ``text`` (or None and why) and the check of ``output``."""
    reading = reference(task, text)
    return {"reference": reading.answer, "check": check(task, output, reading.answer), "reference_note": reading.note}


PHRASING_RESULTS = "bench/results/phrasing.json"
SET_LABELS = {"in distribution": "in distribution", "phrasing": "typed phrasing set", "round numbers": "round numbers"}


def stored_accuracy(name: str) -> str | None:
    """Exact match per test set for a shipped model, from the phrasing bench's stored file (None: not measured)."""
    from core import results

    stored = results.read(PHRASING_RESULTS)
    row = results.dig(stored, "models", name)
    if not row:
        return None
    figures = ", ".join(
        f"{label} **{100 * row[key]['exact']:.2f} %** ({row[key]['pairs']:,})"
        for key, label in SET_LABELS.items()
        if key in row
    )
    return f"Exact match: {figures}. Stored: `{PHRASING_RESULTS}`, measured {stored['measured_at']} by `{stored['command']}`."
