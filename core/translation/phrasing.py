"""Training sources written the way people type them (the ``typed`` recipes' data).

``data`` writes every number the way ``num2words`` does and every date the way ``babel`` does;
people write "twenty one", "a hundred and one", "twelve hundred", "two billion, one", "3/3/1999"
or "the third of March 1999". This module draws such variants at random, position by position,
so the model sees every combination; the targets stay the canonical French words / ISO dates.

    typed_pairs(task, count, seed=0, split="train") -> list[tuple[str, str]]
    grouped_number(rng, max_value)    # log-uniform magnitude, then zero groups at random
    typed_number(n, rng) -> str       # one English phrasing of n
    typed_date(date, rng) -> str      # one human way to write date

Numeric dates follow reading.NUMERIC_ORDER: day first, month first only where the day is over 12.

Splits are by meaning, as in ``data`` (a number's or date's split is the hash of its value), so a
typed variant never leaks a held-out value into training. The phrasing test set is written by other
code (bench/phrasing_set.py) and is never used here.
"""

from __future__ import annotations

import datetime
import math
import random

from core.translation import data

TYPED_SHARE = 0.7  # the rest of the pairs are the generator's canonical phrasing (keeps the old test exact)
SMALL = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen"
    " seventeen eighteen nineteen"
).split()
TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
SCALES = ("", "thousand", "million", "billion", "trillion")


def grouped_number(rng: random.Random, max_value: int = 10**15 - 1) -> int:
    """Log-uniform number of digits, then each lower group of three: zero, round hundreds, under 100 or any."""
    digits = rng.randint(1, len(str(max_value)))
    groups = math.ceil(digits / 3)
    lead_digits = digits - 3 * (groups - 1)
    n = rng.randint(10 ** (lead_digits - 1) if digits > 1 else 0, 10**lead_digits - 1)
    for _ in range(groups - 1):
        kind = rng.random()
        group = (
            0
            if kind < 0.4
            else 100 * rng.randint(1, 9)
            if kind < 0.55
            else rng.randint(1, 99)
            if kind < 0.7
            else rng.randint(0, 999)
        )
        n = 1000 * n + group
    return min(n, max_value)


def _tens(n: int, joiner: str) -> str:
    if n < 20:
        return SMALL[n]
    return TENS[n // 10] + (joiner + SMALL[n % 10] if n % 10 else "")


def _style(rng: random.Random) -> dict:
    """One writer's habits; some are per number, some are redrawn at every position."""
    return {
        "and_hundred": rng.choice((0.0, 1.0, 1.0, 0.5)),  # "one hundred and one" vs "one hundred one"
        "and_last": rng.choice((0.0, 1.0, 0.5)),  # "two thousand and six" vs "two thousand six"
        "comma": rng.choice((0.0, 0.0, 1.0, 0.5)),  # "two billion, one" vs "two billion one"
        "joiner": rng.choice(("-", "-", " ", "mixed")),  # "twenty-one" vs "twenty one"
        "a": rng.random() < 0.3,  # "a hundred", "a thousand" for a leading "one"
        "hundreds": rng.random() < 0.5,  # "twelve hundred" for 1,100-9,999
    }


def _joiner(style: dict, rng: random.Random) -> str:
    return rng.choice("- ") if style["joiner"] == "mixed" else style["joiner"]


def _group_words(n: int, style: dict, rng: random.Random, lead: bool) -> list[str]:
    joiner = _joiner(style, rng)
    words, hundreds, rest = [], n // 100, n % 100
    if hundreds:
        words += ["a" if lead and hundreds == 1 and style["a"] else SMALL[hundreds], "hundred"]
        if rest and rng.random() < style["and_hundred"]:
            words.append("and")
    if rest or not words:
        words.append(_tens(rest, joiner))
    return words


def typed_number(n: int, rng: random.Random) -> str:
    """One English phrasing of ``n`` (lower case, single spaces: normalize() makes case and spacing moot)."""
    style = _style(rng)
    if 1100 <= n <= 9999 and n % 1000 >= 100 and style["hundreds"]:
        head = " ".join(_group_words(n // 100, style, rng, lead=True))
        tail = n % 100
        words = [head, "hundred"]
        if tail:
            words += (["and"] if rng.random() < style["and_hundred"] else []) + [_tens(tail, _joiner(style, rng))]
        return " ".join(words)
    groups = [(n // 1000**i) % 1000 for i in range(len(SCALES))]
    top = max([i for i, g in enumerate(groups) if g] or [0])
    parts = []
    for i in range(top, -1, -1):
        group = groups[i]
        if not group and (i or parts):
            continue
        words = _group_words(group, style, rng, lead=not parts)
        if not parts and group == 1 and i and style["a"]:
            words = ["a"]
        if parts:
            small_last = i == 0 and group < 100
            if small_last and rng.random() < style["and_last"]:
                words = ["and", *words]
            elif rng.random() < style["comma"]:
                parts[-1] += ","
        parts.append(" ".join(words + ([SCALES[i]] if i else [])))
    return " ".join(parts)


def _ordinal(day: int) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _ordinal_words(day: int) -> str:
    from num2words import num2words

    return num2words(day, to="ordinal")


def _names(kind: str, width: str, locale: str) -> dict:
    import babel.dates

    getter = babel.dates.get_month_names if kind == "month" else babel.dates.get_day_names
    return getter(width, locale=locale)


def _numeric(date: datetime.date, rng: random.Random) -> str:
    """Numeric day/month/year: day first unless the en_US order is unambiguous (day over 12)."""
    sep = rng.choice("/.-")
    pad = rng.random() < 0.5
    day, month = (f"{date.day:02d}", f"{date.month:02d}") if pad else (str(date.day), str(date.month))
    first, second = (month, day) if date.day > 12 and rng.random() < 0.5 else (day, month)
    return f"{first}{sep}{second}{sep}{date.year}"


def _iso(date: datetime.date, rng: random.Random) -> str:
    """Year first: ISO, with slashes or dots (1999.03.03), unpadded (1999/3/3), or compact (19990303)."""
    form = rng.random()
    if form < 0.5:
        return date.isoformat()
    if form < 0.9:
        sep = rng.choice("/.-")
        pad = rng.random() < 0.6
        return f"{date.year}{sep}{date.month:{'02' if pad else ''}d}{sep}{date.day:{'02' if pad else ''}d}"
    return f"{date.year}{date.month:02d}{date.day:02d}"


def _english_words(date: datetime.date, rng: random.Random) -> str:
    """Day, month name and year in any order people use, joined by spaces, commas, "of", dashes or slashes.

    The pieces are drawn separately so every combination is seen: day as 3, 03, 3rd or third (with
    "the" before an ordinal), month in full or abbreviated (with or without a dot), day-month-year,
    month-day-year or year-month-day, and an optional weekday in front.
    """
    month = _names("month", rng.choice(("wide", "wide", "abbreviated")), "en_US")[date.month]
    month += "." if len(month) == 3 and rng.random() < 0.3 else ""
    order = rng.choice(("dmy", "dmy", "mdy", "mdy", "ymd"))
    sep = rng.choice((" ", " ", " ", "-", "/"))
    if sep != " ":  # compact forms as logs and forms write them: 05-Nov-1999, Nov-05-1999, 1999-Nov-05
        day = rng.choice((str(date.day), f"{date.day:02d}"))
        month = month.rstrip(".")
        first = {"dmy": (day, month, date.year), "mdy": (month, day, date.year), "ymd": (date.year, month, day)}
        return sep.join(str(piece) for piece in first[order])
    day = rng.choice((str(date.day), str(date.day), _ordinal(date.day), _ordinal_words(date.day)))
    if not day.isdigit() and rng.random() < 0.4:
        day = "the " + day  # "the 3rd of March", "March the third"
    comma = rng.choice(("", ","))
    if order == "dmy":
        text = f"{day}{rng.choice((' ', ' of ')) if not day.isdigit() else ' '}{month}{comma} {date.year}"
    elif order == "mdy":
        text = f"{month} {day}{comma} {date.year}"
    else:
        text = f"{date.year}{comma} {month} {day}" if rng.random() < 0.7 else f"{date.year}{comma} {day} {month}"
    return text if order == "ymd" else _weekday(date, "en_US", rng) + text


def _weekday(date: datetime.date, locale: str, rng: random.Random) -> str:
    if rng.random() < 0.6:
        return ""
    name = _names("day", rng.choice(("wide", "abbreviated")), locale)[date.weekday()]
    return name + rng.choice((", ", " "))


def _other_locale(date: datetime.date, rng: random.Random) -> str:
    """Day, month name (full or abbreviated) and year in fr/de/es, optional weekday and article.

    French puts the article before the weekday ("le mercredi 3 mars 1999"), German writes "3." and a
    comma after the weekday ("Mittwoch, 3. März 1999"), Spanish may join with "de".
    """
    locale = rng.choice(("fr_FR", "de_DE", "es_ES"))
    month = _names("month", rng.choice(("wide", "abbreviated")), locale)[date.month]
    day = {"fr_FR": "1er" if date.day == 1 and rng.random() < 0.5 else str(date.day)}.get(locale, str(date.day))
    day += "." if locale == "de_DE" else ""
    middle = " de " if locale == "es_ES" and rng.random() < 0.5 else " "
    year_sep = " de " if middle == " de " else " "
    weekday = _weekday(date, locale, rng)
    if locale == "fr_FR" and rng.random() < 0.4:
        weekday = "le " + weekday.rstrip(", ") + " " if weekday else "le "
    return weekday + f"{day}{middle}{month}{year_sep}{date.year}"


def typed_date(date: datetime.date, rng: random.Random) -> str:
    """One human way to write ``date``: numeric, ISO, English words, or fr/de/es words."""
    writer = rng.choice((_numeric, _numeric, _iso, _english_words, _english_words, _english_words, _other_locale))
    return writer(date, rng)


def typed_pairs(task: str, count: int, seed: int = 0, split: str = "train") -> list[tuple[str, str]]:
    """``count`` pairs of ``task`` ("numbers:en-fr" or "dates"): TYPED_SHARE typed, the rest canonical."""
    canonical = data.task_pairs(task, count - round(count * TYPED_SHARE), seed, split)
    rng, pairs = random.Random(f"typed-{task}-{seed}-{split}"), []
    while len(pairs) < count - len(canonical):
        if task == "dates":
            date = data.FIRST_DATE + datetime.timedelta(days=rng.randint(0, (data.LAST_DATE - data.FIRST_DATE).days))
            if data.split_of(date.isoformat()) == split:
                pairs.append((typed_date(date, rng), date.isoformat()))
        elif task == "numbers:en-fr":
            n = grouped_number(rng)
            if data.split_of(str(n)) == split:
                pairs.append((typed_number(n, rng), data.number_words(n, "fr")))
        else:
            raise ValueError(f"typed data exists for 'numbers:en-fr' and 'dates', not {task!r}")
    mixed = canonical + pairs
    rng.shuffle(mixed)
    return mixed
