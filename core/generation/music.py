"""Generated ABC -> music21 score -> notes -> MIDI bytes and a locally synthesised WAV, and checks of
how well a tune honours the meter and key it was asked for.

``render`` is the one path from ABC to sound: it removes repeat signs music21 cannot expand, parses,
writes the repeats out (as a musician plays them), reads the tempo from ``Q:`` and turns one list
of notes into both the MIDI file and the WAV, so the two cannot disagree. A tune music21 parses
but cannot play is reported in the result, never raised.

The audio is additive synthesis in numpy (a few decaying harmonics per note), so nothing is
downloaded: no soundfonts, no external synthesiser.
"""

from __future__ import annotations

import io
import re
import struct
import wave
from dataclasses import dataclass, field

import numpy as np

from core.errors import UserError
from core.generation.corpora import key_parts

SAMPLE_RATE = 22_050
MAX_AUDIO_SECONDS = 180  # longer tunes are cut (with a notice from the caller)
TAIL_SECONDS = 0.5  # the WAV rings on this long after the last note ends
DEFAULT_QPM = 120.0  # quarter notes per minute without a Q: field (music21's default)
TICKS_PER_QUARTER = 480  # MIDI time resolution
# church modes analysed by music21's major/minor key finder: the closer of the two
_MODE_AS_MAJOR_MINOR = {
    "major": "major",
    "lydian": "major",
    "mixolydian": "major",
    "minor": "minor",
    "dorian": "minor",
    "phrygian": "minor",
    "locrian": "minor",
}


def assemble_abc(generated: str, meter: str, key: str, title: str = "Generated tune") -> str:
    """Header (X, T, M, L, K) + the model's music. The folk model writes 'L:…' first; meter and key came in
    through the style vector, so they are written here."""
    lines = generated.strip("\n").split("\n")
    unit = "1/8"
    if lines and re.fullmatch(r"L:\s*\d+/\d+", lines[0].strip()):
        unit = lines.pop(0).split(":", 1)[1].strip()
    meter_field = meter if meter not in ("free", "other") else "none"
    header = f"X:1\nT:{title}\nM:{meter_field}\nL:{unit}\nK:{key if key != 'other' else 'C'}\n"
    return header + "\n".join(lines) + "\n"


@dataclass
class Parsed:
    abc: str
    score: object | None  # music21 Score, None when parsing failed
    error: str | None  # why it failed, for the user
    line: int | None  # 1-based line of the ABC text where it first fails
    notes: int = 0

    @property
    def ok(self) -> bool:
        return self.score is not None


def _parse(abc: str):
    from music21 import abcFormat, converter

    # the ABC reader writes a warning to stderr for every note it cannot read; failures are reported by us
    abcFormat.environLocal.warn = lambda *args, **kwargs: None
    return converter.parse(abc, format="abc")


def _header_length(lines: list[str]) -> int:
    for i, line in enumerate(lines):
        if line.startswith("K:"):
            return i + 1
    return 0


def parse_abc(abc: str) -> Parsed:
    """Parse with music21; on failure find the first line at which the tune stops parsing."""
    try:
        score = _parse(abc)
    except Exception as error:  # noqa: BLE001 - music21 raises many types for bad ABC; all mean "does not parse"
        message = str(error).strip().splitlines()[0][:200] or type(error).__name__
        return Parsed(abc, None, message, _first_bad_line(abc))
    notes = len(score.flatten().notes)
    if notes == 0:
        return Parsed(abc, None, "the tune parses but holds no notes", None)
    return Parsed(abc, score, None, None, notes)


def _first_bad_line(abc: str) -> int | None:
    """Smallest k such that the header + the first k music lines fail to parse (bisection)."""
    lines = abc.split("\n")
    head = _header_length(lines)
    low, high = head, len(lines)  # prefix of `low` lines parses (assumed), `high` lines fails

    def fails(k: int) -> bool:
        try:
            _parse("\n".join(lines[:k]) + "\n")
            return False
        except Exception:  # noqa: BLE001
            return True

    if not fails(high):
        return None
    while high - low > 1:
        mid = (low + high) // 2
        if fails(mid):
            high = mid
        else:
            low = mid
    return high


@dataclass
class Note:
    start: float  # seconds
    duration: float  # seconds
    pitch: int  # MIDI number


# ---- repeats -------------------------------------------------------------------------------

# A bar line with its repeat colons (":|", "|:", "::", "[|", "|]", "||", ":|2", "|1") or an ending "[2".
# Quoted chord names, !decorations! and inline fields ([K:G]) are matched too, only to be skipped.
_BAR_TOKEN = re.compile(r'"[^"\n]*"|![^!\n]*!|\[[A-Za-z]:[^\]\n]*\]|\[\d|::|:*\[?\|[\]|]?\d?:*')


@dataclass
class _Bar:
    start: int  # span of the token in the ABC text
    end: int
    text: str

    @property
    def closes(self) -> bool:  # ":|", "::", ":|2"
        return self.text.startswith(":")

    @property
    def opens(self) -> bool:  # "|:", "::"
        return self.text.endswith(":") and self.text != ":"

    @property
    def ending(self) -> int | None:  # "|1", ":|2", "[2"
        return int(self.text[-1]) if self.text[-1].isdigit() else None


def _without_start(bar: str) -> str:
    return ":|" if bar == "::" else bar.rstrip(":") or "|"


def _bars(abc: str) -> list[_Bar]:
    lines, bars, offset = abc.split("\n"), [], 0
    head = _header_length(lines)
    for i, line in enumerate(lines):
        if i >= head and not re.match(r"[A-Za-z]:", line) and not line.startswith("%"):
            for match in _BAR_TOKEN.finditer(line):
                token = match.group()
                if token[0] not in '"![' or re.fullmatch(r"\[\d|\[\|.*", token):
                    bars.append(_Bar(offset + match.start(), offset + match.end(), token))
        offset += len(line) + 1
    return bars


def repair_repeats(abc: str) -> tuple[str, list[str]]:
    """Remove the repeat signs music21 cannot expand; returns the ABC and what was changed, for the user.

    music21 expands a tune only when its repeats balance: a start ("|:") while a section is already
    open, a start that is never closed and an ending ("|1", "[2") out of sequence or without the
    repeat that should end it make it give up ("badly formed repeats"). Each such sign becomes a
    plain bar line; an end (":|") without a start repeats from the previous end, as in ABC.
    """
    bars, replace, notes = _bars(abc), {}, []
    open_start: _Bar | None = None
    for bar in bars:
        if bar.closes:
            open_start = None
        if bar.opens and open_start is not None:
            replace[id(bar)] = _without_start(bar.text)
            notes.append(f"a repeat start {bar.text!r} inside a repeated section")
        elif bar.opens:
            open_start = bar
    if open_start is not None:
        replace[id(open_start)] = _without_start(open_start.text)
        notes.append(f"a repeat start {open_start.text!r} that is never closed")
    last = 0  # number of the last ending kept in the current group of endings
    for i, bar in enumerate(bars):
        if bar.ending is None:
            continue
        rest = bars[i + 1 :]
        next_ending = next((j for j, b in enumerate(rest) if b.ending is not None), len(rest))
        repeated = any(b.closes for b in rest[: next_ending + 1])  # ":|2" closes the ending before it
        if bar.ending in (1, last + 1) and (repeated or bar.ending > 1):
            last = bar.ending
            continue
        replace[id(bar)] = "" if bar.text.startswith("[") else bar.text[:-1]
        notes.append(f"an ending {bar.ending} out of sequence or without a repeat")
        last = 0
    if not notes:
        return abc, []
    out, position = [], 0
    for bar in bars:
        if id(bar) in replace:
            out += [abc[position : bar.start], replace[id(bar)]]
            position = bar.end
    return "".join(out) + abc[position:], notes


def _strip_repeats(score) -> None:
    """Make every repeat bar line plain and drop the endings: each bar is then played once, as written."""
    from music21 import bar, spanner

    for measure in score.recurse().getElementsByClass("Measure"):
        if isinstance(measure.leftBarline, bar.Repeat):
            measure.leftBarline = None
        if isinstance(measure.rightBarline, bar.Repeat):
            measure.rightBarline = bar.Barline("regular")
    for bracket in list(score.recurse().getElementsByClass(spanner.RepeatBracket)):
        for site in list(bracket.sites.get()):
            if hasattr(site, "remove"):
                site.remove(bracket)


def expand_repeats(score) -> tuple[object, list[str]]:
    """The score with its repeats written out (what a musician plays); when music21 still cannot expand
    them, the score with every bar once, and a note saying so."""
    try:
        return score.expandRepeats(), []
    except Exception:  # noqa: BLE001 - music21's ExpanderException and its relatives on odd repeat marks
        _strip_repeats(score)
        return score, ["music21 could not expand the repeats: every bar is played once, as written"]


def tempo_qpm(score) -> float:
    """Quarter notes per minute from the tune's first tempo mark (the ``Q:`` field); music21's 120 without one."""
    marks = score.recurse().getElementsByClass("MetronomeMark")
    first = next(iter(marks), None)
    bpm = first.getQuarterBPM() if first is not None else None
    return float(bpm) if bpm else DEFAULT_QPM


def score_notes(score, qpm: float = DEFAULT_QPM) -> list[Note]:
    """Notes of the score (ties merged, in place) in seconds at ``qpm`` quarter notes per minute; chords give
    several. In place: a copy of the score cost a third of a render, and ``render`` owns the expanded score."""
    seconds = 60.0 / qpm
    notes = []
    score.stripTies(inPlace=True)
    for element in score.flatten().notes:
        for pitch in element.pitches:
            duration = float(element.quarterLength) * seconds
            if duration > 0:
                notes.append(Note(float(element.offset) * seconds, duration, min(max(int(pitch.midi), 0), 127)))
    return sorted(notes, key=lambda n: n.start)


# ---- MIDI and audio from the same notes ---------------------------------------------------------


def _varlen(value: int) -> bytes:
    """MIDI variable-length quantity: 7 bits a byte, high bit set on all but the last."""
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


def midi_bytes(notes: list[Note], qpm: float = DEFAULT_QPM) -> bytes:
    """A standard MIDI file (format 0, one piano track) of ``notes`` with one tempo event at ``qpm``.

    Written here rather than by music21 so the file holds exactly the notes the WAV plays."""
    per_second = TICKS_PER_QUARTER * qpm / 60.0
    events = []  # (tick, note-offs first at equal ticks, message)
    for note in notes:
        on = round(note.start * per_second)
        off = max(round((note.start + note.duration) * per_second), on + 1)
        events += [(on, 1, bytes([0x90, note.pitch, 80])), (off, 0, bytes([0x80, note.pitch, 0]))]
    events.sort(key=lambda e: (e[0], e[1]))
    track = bytearray(b"\x00\xff\x51\x03" + round(60_000_000 / qpm).to_bytes(3, "big"))
    last = 0
    for tick, _, message in events:
        track += _varlen(tick - last) + message
        last = tick
    track += b"\x00\xff\x2f\x00"
    header = b"MThd" + struct.pack(">IHHH", 6, 0, 1, TICKS_PER_QUARTER)
    return header + b"MTrk" + struct.pack(">I", len(track)) + bytes(track)


def synthesize(notes: list[Note], sample_rate: int = SAMPLE_RATE) -> bytes:
    """Mono 16-bit WAV of the notes plus ``TAIL_SECONDS`` of ring-out, cut at ``MAX_AUDIO_SECONDS``:
    six harmonics per note with a plucked decay and short fades."""
    if not notes:
        raise UserError("nothing to play: the tune has no notes")
    end = min(audio_seconds(notes) + TAIL_SECONDS, MAX_AUDIO_SECONDS)
    audio = np.zeros(round(end * sample_rate), dtype=np.float32)
    harmonics = np.arange(1, 7, dtype=np.float32)[:, None]  # (6, 1)
    weights = 1.0 / harmonics**1.5
    for note in notes:
        start = int(note.start * sample_rate)
        length = min(int((note.duration + 0.08) * sample_rate), len(audio) - start)
        if length <= 0:
            continue
        t = np.arange(length, dtype=np.float32)[None, :] / sample_rate  # (1, T)
        freq = 440.0 * 2 ** ((note.pitch - 69) / 12)
        tone = (weights * np.sin(2 * np.pi * freq * harmonics * t) * np.exp(-t * (2.0 + harmonics))).sum(0)
        fade = np.minimum(1.0, np.minimum(t[0] / 0.005, (length / sample_rate - t[0]) / 0.03))  # no clicks
        audio[start : start + length] += tone * fade
    peak = float(np.abs(audio).max()) or 1.0
    pcm = (audio / peak * 0.8 * 32767).astype(np.int16)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(pcm.tobytes())
    return buffer.getvalue()


def audio_seconds(notes: list[Note]) -> float:
    return max((n.start + n.duration for n in notes), default=0.0)


# ---- adherence -----------------------------------------------------------------------------


def bar_fraction(score, meter: str) -> tuple[int, int]:
    """(bars whose length equals the bar length of ``meter``, all bars), counted on the parsed measures."""
    from music21 import meter as m21meter

    try:
        bar = float(m21meter.TimeSignature(meter).barDuration.quarterLength)
    except Exception:  # noqa: BLE001 - 'free' or a malformed meter has no bar length
        return 0, 0
    measures = list(score.recurse().getElementsByClass("Measure"))
    full = sum(1 for m in measures if abs(float(m.duration.quarterLength) - bar) < 1e-6)
    return full, len(measures)


def key_matches(score, key: str) -> tuple[bool, str]:
    """Does music21's key analysis find the requested tonic and (major/minor) mode? Also returns what it found.

    Church modes are compared with their nearer major/minor mode (A dorian -> a minor, A mixolydian -> A major).
    """
    from music21 import pitch

    tonic, mode = key_parts(key)
    found = score.analyze("key")
    wanted_pc = pitch.Pitch(tonic.replace("b", "-") if len(tonic) > 1 else tonic).pitchClass
    ok = found.tonic.pitchClass == wanted_pc and found.mode == _MODE_AS_MAJOR_MINOR[mode]
    return ok, f"{found.tonic.name.replace('-', 'b')} {found.mode}"


@dataclass
class TuneCheck:
    parses: bool  # music21 reads the ABC
    plays: bool  # ... and it became MIDI and audio, as on the page
    error: str | None  # why it does not parse or play
    line: int | None  # first ABC line that does not parse
    full_bars: int
    bars: int
    key_ok: bool | None
    key_found: str | None


def _measure(score, meter: str, key: str) -> TuneCheck:
    """Bar lengths against ``meter`` and music21's key analysis against ``key``, on the tune as written."""
    full, bars = bar_fraction(score, meter)
    try:
        key_ok, found = key_matches(score, key) if key != "other" else (None, None)
    except Exception:  # noqa: BLE001 - analysis of a degenerate tune (one repeated note) can fail
        key_ok, found = False, None
    return TuneCheck(True, True, None, None, full, bars, key_ok, found)


@dataclass
class Rendered:
    """A tune as the page plays it: MIDI and WAV are made from the same notes, repeats written out."""

    abc: str  # the ABC as played: repeat signs music21 cannot expand are removed
    repairs: list[str]  # what was changed in the tune, for the user
    check: TuneCheck
    qpm: float = DEFAULT_QPM
    notes: list[Note] = field(default_factory=list)
    midi: bytes = b""
    wav: bytes = b""

    @property
    def seconds(self) -> float:
        return audio_seconds(self.notes)


def render(abc: str, meter: str, key: str) -> Rendered:
    """Repair the repeats, parse, expand the repeats, honour ``Q:``, write MIDI and synthesise the WAV.

    Never raises for a bad tune: ``check.parses``/``check.plays`` say how far it got and ``check.error`` why.
    """
    repaired, repairs = repair_repeats(abc)
    parsed = parse_abc(repaired)
    if not parsed.ok:
        return Rendered(repaired, repairs, TuneCheck(False, False, parsed.error, parsed.line, 0, 0, None, None))
    check = _measure(parsed.score, meter, key)
    try:
        expanded, given_up = expand_repeats(parsed.score)
        qpm = tempo_qpm(expanded)
        notes = score_notes(expanded, qpm)
        midi, wav = midi_bytes(notes, qpm), synthesize(notes)
    except Exception as error:  # noqa: BLE001 - music21 raises many types on odd tunes it could parse
        reason = str(error).strip().splitlines()[0][:200] if str(error).strip() else type(error).__name__
        check.plays, check.error = False, f"music21 read the tune but could not play it ({reason})"
        return Rendered(repaired, repairs, check)
    return Rendered(repaired, repairs + given_up, check, qpm, notes, midi, wav)


def check_tune(abc: str, meter: str, key: str) -> TuneCheck:
    """Whether a tune parses and plays (as on the page), its bar lengths against ``meter`` and key against ``key``."""
    return render(abc, meter, key).check


def summarize(checks: list[TuneCheck]) -> dict:
    """Parse and play rates, the share of bars with the full meter length (over parsed tunes), key-match rate."""
    parsed = [c for c in checks if c.parses]
    bars = sum(c.bars for c in parsed)
    keyed = [c for c in parsed if c.key_ok is not None]
    return {
        "tunes": len(checks),
        "parse_rate": len(parsed) / len(checks) if checks else 0.0,
        "play_rate": sum(c.plays for c in checks) / len(checks) if checks else 0.0,
        "full_bar_fraction": sum(c.full_bars for c in parsed) / bars if bars else 0.0,
        "key_match_rate": sum(c.key_ok for c in keyed) / len(keyed) if keyed else 0.0,
    }
