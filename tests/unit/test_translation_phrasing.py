"""Typed input (issue 21): the normaliser, the typed training data, the reference and the answer check."""

import pytest

from core import checkpoints
from core.translation import data
from core.translation.tokenizer import normalize
from core.translation.train import seeded_model

# ---------------------------------------------------------------- stage 1: normalisation


@pytest.mark.parametrize(
    "typed, normalised",
    [
        ("Two  Thousand \u2013 Six ,one", "two thousand-six, one"),
        ("  TWENTY\u2011one\u00a0thousand\t", "twenty-one thousand"),
        ("\uff34\uff25\uff2e", "ten"),  # full-width letters
        ("3 / 4 / 1999", "3/4/1999"),
        ("1999 \u2014 03 \u2014 03", "1999-03-03"),
        ("May 8,2085", "may 8, 2085"),
        ("1,234,567", "1,234,567"),  # thousands separators stay
        ("l\u2019an", "l'an"),
    ],
)
def test_normalize_fixes_case_dashes_spaces_and_nothing_else(typed, normalised):
    assert normalize(typed) == normalised
    assert normalize(normalised) == normalised


def test_a_model_records_whether_it_reads_normalised_input():
    pairs = data.task_pairs("numbers:en-fr", 100, seed=0)
    typed = seeded_model(0, "encoder-decoder", "numbers:en-fr", pairs, normalize_source=True, embed=8, hidden=16)
    assert typed.config.normalize_source is True
    assert typed.src_tokenizer.encode("Twenty\u2013One  Thousand").tokens == ["twenty", "-", "one", "▁thousand"]
    assert all(t == t.lower() for t in typed.config.src_vocab)  # its vocabulary is normalised too
    plain = seeded_model(0, "encoder-decoder", "numbers:en-fr", pairs, embed=8, hidden=16)
    assert plain.src_tokenizer.encode("Twenty One").unknown == [0, 1]  # read as typed: capitals unknown


def test_checkpoints_without_the_field_read_text_as_typed():
    model = checkpoints.load("numbers-en-fr-noattn")
    assert model.config.normalize_source is False
    assert model.src_tokenizer.encode("Seventy-Three").unknown == [0, 2]  # "Seventy", "Three"
