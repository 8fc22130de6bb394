"""Transposing ABC tunes, to multiply the folk corpus (a jig in D is as good a jig in G).

Every note letter moves by ``steps`` scale steps and every pitch by ``semitones``; the key (header
and inline ``K:`` changes) moves with it and keeps its mode, so notes without an accidental stay
right under the new key signature, and written accidentals are rewritten to land on the moved pitch.
Decorations (``!trill!``), quoted text and other inline fields are left as they are.
"""

from __future__ import annotations

import re

from core.generation.corpora import MODE_SUFFIX, Tune, key_parts, normalize_key

LETTERS = "CDEFGAB"
NATURAL = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}  # semitones above C
ACCIDENTALS = {"__": -2, "_": -1, "=": 0, "^": 1, "^^": 2}
_WRITTEN = {v: k for k, v in ACCIDENTALS.items()}
_TONIC_ALTER = {"": 0, "#": 1, "b": -1}  # a key's tonic is spelled 'F', 'F#' or 'Bb'
_LETTER_FIFTHS = {"F": -1, "C": 0, "G": 1, "D": 2, "A": 3, "E": 4, "B": 5}
_MODE_FIFTHS = {"major": 0, "lydian": 1, "mixolydian": -1, "dorian": -2, "minor": -3, "phrygian": -4, "locrian": -5}
# a note (accidental, letter, octave marks) or a stretch to copy untouched: decorations, quoted text, inline fields
_TOKEN = re.compile(r"""(!.*?!|\+[^+\n]*\+|"[^"\n]*"|\[[A-Za-z]:[^\]\n]*\])|(\^\^|\^|__|_|=)?([A-Ga-g])([,']*)""")
_INLINE_KEY = re.compile(r"^\[K:(.*)\]$")


class NotTransposable(ValueError):
    """A key or note that has no spelling after the move (e.g. a triple sharp, an unknown mode)."""


def signature_fifths(key: str) -> int:
    """Sharps (> 0) or flats (< 0) of a canonical ABC key: 'D' -> 2, 'Ador' -> 0, 'Bb' -> -2."""
    tonic, mode = key_parts(key)
    return _LETTER_FIFTHS[tonic[0]] + 7 * _TONIC_ALTER[tonic[1:]] + _MODE_FIFTHS[mode]


def interval(key: str, target: str) -> tuple[int, int]:
    """(steps, semitones) that move ``key``'s tonic to ``target``'s, the nearer way (within a tritone)."""
    (tonic, _), (goal, _) = key_parts(key), key_parts(target)
    steps = (LETTERS.index(goal[0]) - LETTERS.index(tonic[0])) % 7
    natural = NATURAL[LETTERS[steps]]  # the size of that many steps up from C, in semitones
    semitones = natural + (_pitch(goal) - _pitch(tonic) - natural + 6) % 12 - 6  # A -> Ab is 0 steps, -1
    if semitones > 6:
        steps, semitones = steps - 7, semitones - 12
    return steps, semitones


def transpose_key(key: str, steps: int, semitones: int) -> str:
    tonic, mode = key_parts(key)
    letter = LETTERS[(LETTERS.index(tonic[0]) + steps) % 7]
    alter = (_pitch(tonic) + semitones - NATURAL[letter] + 6) % 12 - 6  # in -6..5
    if alter not in (-1, 0, 1):
        raise NotTransposable(f"{key} moved by {steps} steps / {semitones} semitones has no single-accidental tonic")
    moved = letter + {a: sign for sign, a in _TONIC_ALTER.items()}[alter] + MODE_SUFFIX[mode]
    if abs(signature_fifths(moved)) > 7:
        raise NotTransposable(f"{moved} would need more than 7 sharps or flats")
    return moved


def transpose_body(body: str, steps: int, semitones: int) -> str:
    """Move every note of an ABC body; ``K:`` lines and ``[K:...]`` fields move with it."""
    lines = []
    for line in body.split("\n"):
        if line.startswith("K:"):
            lines.append("K:" + _moved_key(line[2:], steps, semitones))
        elif re.match(r"^[A-Za-z]:", line):
            lines.append(line)  # M:, L:, P:, Q: lines hold no notes
        else:
            lines.append(_TOKEN.sub(lambda m: _move(m, steps, semitones), line))
    return "\n".join(lines)


def transpose_tune(tune: Tune, target: str) -> Tune:
    """``tune`` moved to the key ``target`` (same mode); raises NotTransposable when it cannot be spelled."""
    if key_parts(tune.key)[1] != key_parts(target)[1]:
        raise NotTransposable(f"{tune.key} and {target} are not in the same mode")
    steps, semitones = interval(tune.key, target)
    return Tune(
        source=tune.source,
        number=tune.number,
        title=tune.title,
        meter=tune.meter,
        key=transpose_key(tune.key, steps, semitones),
        unit=tune.unit,
        rhythm=tune.rhythm,
        body=transpose_body(tune.body, steps, semitones),
        text="",  # the file's text is not transposed
    )


def _pitch(tonic: str) -> int:
    return NATURAL[tonic[0]] + _TONIC_ALTER[tonic[1:]]


def _moved_key(value: str, steps: int, semitones: int) -> str:
    key = normalize_key(value)
    if key is None:
        raise NotTransposable(f"unknown key {value!r}")
    return transpose_key(key, steps, semitones)


def _move(match: re.Match, steps: int, semitones: int) -> str:
    kept, accidental, letter, marks = match.groups()
    if kept is not None:
        inline = _INLINE_KEY.match(kept)
        return f"[K:{_moved_key(inline.group(1), steps, semitones)}]" if inline else kept
    octave = (5 if letter.islower() else 4) + marks.count("'") - marks.count(",")
    letter = letter.upper()
    new_octave, new_index = divmod(octave * 7 + LETTERS.index(letter) + steps, 7)
    new_letter = LETTERS[new_index]
    if new_octave >= 5:
        text = new_letter.lower() + "'" * (new_octave - 5)
    else:
        text = new_letter + "," * (4 - new_octave)
    if accidental is None:
        return text  # the new key signature gives it the moved pitch
    pitch = 12 * octave + NATURAL[letter] + ACCIDENTALS[accidental] + semitones
    alter = pitch - 12 * new_octave - NATURAL[new_letter]
    if alter not in _WRITTEN:
        raise NotTransposable(f"{match.group(0)} has no spelling {steps} steps / {semitones} semitones away")
    return _WRITTEN[alter] + text
