"""Text the generator trains on, all shipped with installed packages (no downloads).

- ``folk_tunes()``: the ABC tunes bundled with music21 (Essen folksongs, O'Neill's, Aird's Airs,
  Ryan's Mammoth …), split into single tunes with their header fields parsed and normalised.
- ``prose_documents()``: the Python Language Reference topics from ``pydoc_data.topics``.
- ``decode_upload(data)``: a user's text file in any common encoding, or a clear ``UserError``.

Train/validation splits are by whole tune / document (``split_by_item``), never by characters.
"""

from __future__ import annotations

import functools
import random
import re
from dataclasses import dataclass
from pathlib import Path

from core.errors import UserError
from core.limits import TEXT_MAX_MB

# ---------------------------------------------------------------------------------------------
# Folk tunes (ABC)

MODES = {  # ABC mode spellings (lower case, by prefix) -> canonical mode
    "": "major",
    "maj": "major",
    "ion": "major",
    "m": "minor",
    "min": "minor",
    "aeo": "minor",
    "dor": "dorian",
    "mix": "mixolydian",
    "phr": "phrygian",
    "lyd": "lydian",
    "loc": "locrian",
}
MODE_SUFFIX = {  # canonical mode -> suffix of the canonical ABC key ('Ador')
    "major": "",
    "minor": "m",
    "dorian": "dor",
    "mixolydian": "mix",
    "phrygian": "phr",
    "lydian": "lyd",
    "locrian": "loc",
}
_SUFFIX_MODE = {suffix: mode for mode, suffix in MODE_SUFFIX.items()}
_KEY_RE = re.compile(r"^\s*([A-Ga-g])([#b]?)\s*([A-Za-z]*)")
_FIELD_RE = re.compile(r"^([A-Za-z]):\s?(.*)$")
# header fields that may also appear inside a tune body and change how the music reads
BODY_FIELDS = {"M", "K", "L", "P", "Q"}


def normalize_meter(meter: str) -> str:
    """'C' -> '4/4', 'C|' -> '2/2', '6/8' stays; empty or 'none' -> 'free'."""
    meter = meter.strip().replace(" ", "")
    if meter in ("C", "c"):
        return "4/4"
    if meter in ("C|", "c|"):
        return "2/2"
    return meter if re.fullmatch(r"\d+/\d+", meter) else "free"


def normalize_key(key: str) -> str | None:
    """An ABC K: value as a canonical ABC key ('D', 'Em', 'Ador', 'Amix', 'Bb'); None if no tonic.

    Clef and octave words after the mode ('E phr bass', 'A min -8va') are dropped.
    """
    match = _KEY_RE.match(key)
    if not match:
        return None
    tonic = match.group(1).upper() + match.group(2)
    word = match.group(3).lower()
    mode = next((MODES[p] for p in sorted(MODES, key=len, reverse=True) if p and word.startswith(p)), None)
    if mode is None:
        if word and word not in ("none", "bass", "treble", "alto", "tenor", "clef"):
            return None
        mode = "major"
    return tonic + MODE_SUFFIX[mode]


def key_parts(key: str) -> tuple[str, str]:
    """Canonical ABC key -> (tonic, mode name), e.g. 'Ador' -> ('A', 'dorian')."""
    match = _KEY_RE.match(key)
    if not match or match.group(3) not in _SUFFIX_MODE:
        raise ValueError(f"not a canonical key: {key!r}")
    return match.group(1) + match.group(2), _SUFFIX_MODE[match.group(3)]


def key_label(key: str) -> str:
    """'Ador' -> 'A dorian', 'Em' -> 'E minor', 'D' -> 'D major'."""
    tonic, mode = key_parts(key)
    return f"{tonic} {mode}"


TUNE_TYPES = ("reel", "jig", "slip jig", "hornpipe", "polka", "march", "waltz", "strathspey", "air", "song")


def tune_type(rhythm: str, source: str) -> str:
    """Dance type from the R: field ('double jig' -> 'jig'); Essen songs are 'song'; else 'other'."""
    if source.startswith("essenFolksong"):
        return "song"
    r = rhythm.lower().replace("-", " ")
    for name in ("slip jig", "reel", "hornpipe", "polka", "march", "waltz", "strathspey", "jig", "air"):
        if name in r or name.replace(" ", "") in r:
            return name
    return "other"


@dataclass(frozen=True)
class Tune:
    source: str  # corpus file, e.g. 'essenFolksong/han1.abc'
    number: str  # X: reference number
    title: str  # first T: line ('' if none)
    meter: str  # normalised M: ('6/8', '4/4' for C, '2/2' for C|, 'free')
    key: str  # canonical ABC key ('D', 'Em', 'Ador'); 'C' when the K: line has no tonic
    unit: str  # L: unit note length ('1/8' when absent, as ABC defaults for most meters)
    rhythm: str  # R: as written ('' if absent)
    body: str  # the music: notes, bar lines and inline M:/K:/L:/P:/Q: lines; no comments or lyrics
    text: str  # the tune exactly as in the file

    @property
    def tune_type(self) -> str:
        return tune_type(self.rhythm, self.source)

    @property
    def abc(self) -> str:
        """The tune with a reduced header (X, M, L, K), as the models see it and music21 parses it."""
        return f"X:1\nM:{self.meter if self.meter != 'free' else 'none'}\nL:{self.unit}\nK:{self.key}\n{self.body}\n"

    def __len__(self) -> int:
        """Length in characters of the reduced-header ABC (what a char model reads)."""
        return len(self.abc)


def _parse_tune(source: str, text: str) -> Tune | None:
    header: dict[str, str] = {}
    body: list[str] = []
    in_body = False
    for raw in text.splitlines():
        line = raw.rstrip()
        if not line or line.lstrip().startswith("%"):
            continue
        line = re.sub(r"\s%.*$", "", line)  # trailing comments
        field = _FIELD_RE.match(line)
        if field and not line.startswith("|"):
            name, value = field.group(1), field.group(2).strip()
            if not in_body:
                header.setdefault(name, value)
                in_body = name == "K"
            elif name in BODY_FIELDS:
                body.append(f"{name}:{value}")
            continue  # lyrics (w:/W:), notes, sources … are not music
        if in_body:
            body.append(line)
    if "K" not in header or not body:
        return None
    title = header.get("T", "")
    return Tune(
        source=source,
        number=header.get("X", "").strip(),
        title=title,
        meter=normalize_meter(header.get("M", "none")),
        key=normalize_key(header["K"]) or "C",
        unit=header.get("L", "1/8").replace(" ", "") or "1/8",
        rhythm=header.get("R", "").strip().rstrip("]"),
        body="\n".join(body),
        text=text.strip() + "\n",
    )


def split_tunes(text: str, source: str = "upload") -> list[Tune]:
    """Every tune (from an X: line to the next) in an ABC file; tunes without K: or music are skipped."""
    parts = re.split(r"(?m)^(?=X:)", text)
    tunes = [_parse_tune(source, part) for part in parts if part.startswith("X:")]
    return [t for t in tunes if t is not None]


def abc_corpus_dir() -> Path:
    import music21

    return Path(music21.__file__).resolve().parent / "corpus"


@functools.lru_cache(maxsize=1)
def folk_tunes() -> tuple[Tune, ...]:
    """All ~12,900 single tunes of music21's bundled ABC files, in a fixed order (file, then X:)."""
    base = abc_corpus_dir()
    tunes: list[Tune] = []
    for path in sorted(base.rglob("*.abc")):
        tunes.extend(split_tunes(path.read_text(encoding="utf-8", errors="replace"), path.relative_to(base).as_posix()))
    return tuple(tunes)


# ---------------------------------------------------------------------------------------------
# Prose


@dataclass(frozen=True)
class Document:
    title: str
    text: str


@functools.lru_cache(maxsize=1)
def prose_documents() -> tuple[Document, ...]:
    """The Python Language Reference: 79 topics from ``pydoc_data.topics`` (~465 k characters)."""
    from pydoc_data.topics import topics

    return tuple(Document(name, text.strip() + "\n") for name, text in sorted(topics.items()))


def split_by_item(items, valid_fraction: float = 0.1, seed: int = 0) -> tuple[list, list]:
    """Shuffle whole items (tunes, documents) with a fixed seed and hold out a fraction of them."""
    items = list(items)
    if len(items) < 2:
        raise UserError(f"need at least 2 documents to hold one out for validation, got {len(items)}")
    order = list(range(len(items)))
    random.Random(seed).shuffle(order)
    n_valid = min(len(items) - 1, max(1, round(len(items) * valid_fraction)))
    valid = sorted(order[:n_valid])
    train = sorted(order[n_valid:])
    return [items[i] for i in train], [items[i] for i in valid]


# ---------------------------------------------------------------------------------------------
# Uploaded text

# tried first among encodings charset-normalizer finds about equally clean, in this order
COMMON_ENCODINGS = (
    *("cp1252", "latin_1", "iso8859_15", "cp1250", "iso8859_2", "cp1251", "koi8_r"),
    *("gb18030", "big5", "shift_jis", "euc_jp", "euc_kr"),
)
TRAIN_MAX_CHARS = 2_000_000  # larger uploads are sampled down to this for in-browser training
_SAMPLE_PIECES = 20  # a sample is this many evenly spaced contiguous pieces


@dataclass
class UploadedText:
    text: str
    encoding: str  # as detected, e.g. 'utf_8', 'utf_16', 'cp1252'
    notices: list[str]  # what was done to the file (sampled, characters replaced …), for the user


def _utf16_without_bom(head: bytes) -> str | None:
    """'utf_16_le'/'utf_16_be' when ASCII-heavy UTF-16 (a NUL in every other byte), else None."""
    even, odd = head[0::2], head[1::2]
    if len(head) < 4:
        return None
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf_16_le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf_16_be"
    return None


def _looks_binary(head: bytes) -> bool:
    control = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    return b"\x00" in head or control > len(head) * 0.05


def decode_upload(data: bytes, max_mb: int = TEXT_MAX_MB) -> UploadedText:
    """Bytes of an uploaded text file -> text, or a ``UserError`` that says why not.

    UTF-8 (with or without BOM) and UTF-16 are recognised directly; anything else goes to
    charset-normalizer. Empty, binary and undecodable files are refused; files over ``max_mb``
    too. Long texts are kept whole here (``sample_for_training`` cuts them down).
    """
    if len(data) > max_mb * 2**20:
        raise UserError(f"the file is {len(data) / 2**20:.1f} MB; the limit is {max_mb} MB")
    if not data.strip():
        raise UserError("the file is empty: upload a text file with at least a few sentences")
    notices: list[str] = []
    encoding = None
    for bom, name in ((b"\xef\xbb\xbf", "utf_8_sig"), (b"\xff\xfe", "utf_16"), (b"\xfe\xff", "utf_16")):
        if data.startswith(bom):
            encoding = name
            break
    if encoding is None:
        encoding = _utf16_without_bom(data[:65536])
        if encoding is None and _looks_binary(data[:65536]):
            raise UserError("the file looks binary (control bytes), not text: upload a plain .txt/.abc/.md file")
    if encoding is None:
        try:
            data.decode("utf-8")
            encoding = "utf_8"
        except UnicodeDecodeError:
            import charset_normalizer

            results = charset_normalizer.from_bytes(data[: 2**20])
            best = results.best()
            if best is None:
                raise UserError(
                    "could not detect the file's text encoding: save it as UTF-8 (or UTF-16/Latin-1) and upload again"
                ) from None
            # on short texts the detector ranks rare code pages (mac_turkish) first among equals:
            # prefer a common one that reads the file about as cleanly
            close = [r.encoding for r in results if r.chaos <= best.chaos + 0.1]
            encoding = next((e for e in COMMON_ENCODINGS if e in close), best.encoding)
            notices.append(f"decoded as {encoding} (detected; the file is not UTF-8)")
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        raise UserError(f"the file does not decode as {encoding}: save it as UTF-8 and upload again") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    if len(text.strip()) < 100:
        raise UserError(f"the file holds only {len(text.strip())} characters of text; at least 100 are needed")
    return UploadedText(text, encoding, notices)


def sample_for_training(text: str, max_chars: int | None = None) -> tuple[str, str | None]:
    """A text cut to ``max_chars`` (default TRAIN_MAX_CHARS) as evenly spaced pieces, and a notice saying so (or None)."""
    max_chars = max_chars or TRAIN_MAX_CHARS
    if len(text) <= max_chars:
        return text, None
    piece = max_chars // _SAMPLE_PIECES
    stride = len(text) // _SAMPLE_PIECES
    sampled = "\n\n".join(text[i * stride : i * stride + piece] for i in range(_SAMPLE_PIECES))
    notice = (
        f"the text has {len(text):,} characters; training uses a sample of {len(sampled):,} "
        f"({_SAMPLE_PIECES} evenly spaced pieces)"
    )
    return sampled, notice


def text_documents(text: str, target_chars: int = 2000) -> list[Document]:
    """Cut an uploaded text into documents of about ``target_chars`` at paragraph breaks (for the split)."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    documents, current = [], ""
    for paragraph in paragraphs:
        current = f"{current}\n\n{paragraph}" if current else paragraph
        if len(current) >= target_chars:
            documents.append(Document(f"part {len(documents) + 1}", current.strip() + "\n"))
            current = ""
    if current.strip():
        documents.append(Document(f"part {len(documents) + 1}", current.strip() + "\n"))
    if len(documents) < 2 and len(text) >= 200:  # one long paragraph: cut by characters at line ends
        half = text.rfind("\n", 0, len(text) // 2)
        half = half if half > 0 else len(text) // 2
        documents = [Document("part 1", text[:half].strip() + "\n"), Document("part 2", text[half:].strip() + "\n")]
    return documents
