import pytest

from core.generation import corpora
from core.generation.train import transposed_copies
from core.generation.transpose import NotTransposable, interval, transpose_body, transpose_key, transpose_tune


@pytest.mark.parametrize(
    "key, target, expected",
    [("D", "G", (3, 5)), ("D", "A", (-3, -5)), ("A", "Ab", (0, -1)), ("Em", "Bm", (-3, -5)), ("C", "F#", (3, 6))],
)
def test_interval_takes_the_nearer_way(key, target, expected):
    assert interval(key, target) == expected


def test_keys_keep_their_mode():
    assert transpose_key("D", 3, 5) == "G"
    assert transpose_key("Ador", 1, 2) == "Bdor"
    assert transpose_key("Em", 0, -1) == "Ebm"
    with pytest.raises(NotTransposable):
        transpose_key("C#", 3, 6)  # F## major


def test_notes_accidentals_octaves_and_fields():
    assert transpose_body("|:DFA d2f|=c^c_B z|]", 3, 5) == "|:GBd g2b|=f^f_e z|]"
    assert transpose_body("C,D c'", -3, -5) == "G,,A, g"
    assert transpose_body('!trill!A "Am"A [DF] [M:3/4][K:Em]B', 3, 5) == '!trill!d "Am"d [GB] [M:3/4][K:Am]e'
    assert transpose_body("K:Em\nM:3/4\nB", 3, 5) == "K:Am\nM:3/4\ne"
    with pytest.raises(NotTransposable):
        transpose_body("^^F", 0, 1)  # F triple sharp


def test_music21_hears_every_note_moved_by_the_interval():
    from music21 import converter, harmony

    def pitches(tune):
        score = converter.parse(tune.abc, format="abc")
        return [p.midi for n in score.recurse().notes if not isinstance(n, harmony.ChordSymbol) for p in n.pitches]

    tunes = [t for t in corpora.folk_tunes()[::1500] if corpora.key_parts(t.key)[1] == "major"][:4]
    assert len(tunes) == 4
    for tune in tunes:
        target = "Eb" if tune.key != "Eb" else "A"
        semitones = interval(tune.key, target)[1]
        moved = transpose_tune(tune, target)
        assert moved.key == target
        before, after = pitches(tune), pitches(moved)
        assert len(before) == len(after) > 10
        assert all(b - a == semitones for a, b in zip(before, after)), tune.source


def test_transposed_copies_go_to_other_keys_of_the_same_mode():
    tunes = [corpora.Tune("x", "1", "", "6/8", key, "1/8", "jig", "DFA|dfa|", "") for key in ("D", "Em", "Ador")]
    copies = transposed_copies(tunes, ["G", "D", "A", "Em", "Bm", "other"], per_tune=2, seed=0)
    assert sorted(c.key for c in copies) == ["A", "Bm", "G"]  # no other dorian key: Ador gets none
