"""Generated ABC -> music21 score -> MIDI bytes, a locally synthesised WAV, piano-roll notes, and
checks of how well a tune honours the meter and key it was asked for.

The audio is additive synthesis in numpy (a few decaying harmonics per note), so nothing is
downloaded: no soundfonts, no external synthesiser.
"""

from __future__ import annotations

import io
import re
import wave
from dataclasses import dataclass

import numpy as np

from core.errors import UserError
from core.generation.corpora import key_parts

SAMPLE_RATE = 22_050
MAX_AUDIO_SECONDS = 180  # longer tunes are cut (with a notice from the caller)
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


def score_notes(score, qpm: float = 120.0) -> list[Note]:
    """Notes of the (flattened) score in seconds at ``qpm`` quarter notes per minute; chords give several."""
    seconds = 60.0 / qpm
    notes = []
    for element in score.flatten().notes:
        for pitch in element.pitches:
            duration = float(element.quarterLength) * seconds
            if duration > 0:
                notes.append(Note(float(element.offset) * seconds, duration, int(pitch.midi)))
    return notes


def midi_bytes(score) -> bytes:
    from music21 import midi

    return midi.translate.streamToMidiFile(score).writestr()


def synthesize(notes: list[Note], sample_rate: int = SAMPLE_RATE) -> bytes:
    """Mono 16-bit WAV of the notes: six harmonics per note with a plucked decay and short fades."""
    if not notes:
        raise UserError("nothing to play: the tune has no notes")
    end = min(max(n.start + n.duration for n in notes) + 0.5, MAX_AUDIO_SECONDS)
    audio = np.zeros(int(end * sample_rate) + 1, dtype=np.float32)
    harmonics = np.arange(1, 7, dtype=np.float32)[:, None]  # (6, 1)
    weights = 1.0 / harmonics**1.5
    for note in notes:
        if note.start >= end:
            break
        start = int(note.start * sample_rate)
        length = min(int((note.duration + 0.08) * sample_rate), len(audio) - start)
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
    parses: bool
    error: str | None
    line: int | None
    full_bars: int
    bars: int
    key_ok: bool | None
    key_found: str | None


def check_tune(abc: str, meter: str, key: str, parsed: Parsed | None = None) -> TuneCheck:
    """Parse (unless ``parsed`` is given) and measure bar lengths against ``meter`` and the key against ``key``."""
    parsed = parsed or parse_abc(abc)
    if not parsed.ok:
        return TuneCheck(False, parsed.error, parsed.line, 0, 0, None, None)
    full, bars = bar_fraction(parsed.score, meter)
    try:
        key_ok, found = key_matches(parsed.score, key) if key != "other" else (None, None)
    except Exception:  # noqa: BLE001 - analysis of a degenerate tune (one repeated note) can fail
        key_ok, found = False, None
    return TuneCheck(True, None, None, full, bars, key_ok, found)


def summarize(checks: list[TuneCheck]) -> dict:
    """Parse rate, the share of bars with the full meter length (over parsed tunes), key-match rate."""
    parsed = [c for c in checks if c.parses]
    bars = sum(c.bars for c in parsed)
    keyed = [c for c in parsed if c.key_ok is not None]
    return {
        "tunes": len(checks),
        "parse_rate": len(parsed) / len(checks) if checks else 0.0,
        "full_bar_fraction": sum(c.full_bars for c in parsed) / bars if bars else 0.0,
        "key_match_rate": sum(c.key_ok for c in keyed) / len(keyed) if keyed else 0.0,
    }
