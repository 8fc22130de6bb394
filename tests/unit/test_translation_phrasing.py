"""Typed input (issue 21): the normaliser, the typed training data, the reference and the answer check."""

import datetime
import json
import random
import re

import pytest
import torch

from bench import bench_phrasing
from core import checkpoints
from core.translation import data, phrasing, reading
from core.translation.tokenizer import normalize
from core.translation.train import seeded_model, warm_start
from tests.helpers.cli import run_cli

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


# ---------------------------------------------------------------- stage 2: reference and check

ISSUE_TABLE = bench_phrasing.ISSUE_TABLE["numbers:en-fr"]  # issue 21's typed inputs and their right answers
DATES_TABLE = {
    "3/3/1999": "1999-03-03",
    "1999-03-03": "1999-03-03",
    "the third of March 1999": "1999-03-03",
    "3/4/1999": "1999-04-03",  # day first (NUMERIC_ORDER)
    "12/25/1999": "1999-12-25",  # the only reading
    "Wednesday, March 3rd, 1999": "1999-03-03",
    "mer. 3 mars 1999": "1999-03-03",
    "Mittwoch, 3. März 1999": "1999-03-03",
    "miércoles, 3 de marzo de 1999": "1999-03-03",
    "mar 2 mar 1999": None,  # two months ("mar" is also Tuesday in French and Spanish)
}


@pytest.mark.parametrize("typed, answer", ISSUE_TABLE.items())
def test_reference_reads_any_english_phrasing(typed, answer):
    assert reading.reference("numbers:en-fr", typed).answer == answer
    assert reading.check("numbers:en-fr", answer, answer) == "ok"


@pytest.mark.parametrize("typed, answer", DATES_TABLE.items())
def test_reference_reads_dates_people_type(typed, answer):
    assert reading.reference("dates", typed).answer == answer


@pytest.mark.parametrize(
    "task, typed, note",
    [
        ("numbers:en-fr", "one two", "one English number"),
        ("numbers:en-fr", "seventy-three bananas", "one English number"),
        ("numbers:en-fr", "one million one billion", "one English number"),  # text2num would add them
        ("numbers:en-fr", "one quadrillion", "one English number"),
        ("numbers:en-fr", "2,000,000,000,000,000", "beyond the model's range"),
        ("dates", "3/4/99", "two-digit year"),
        ("dates", "31/02/1999", "not a real date"),
        ("dates", "sometime in March", "cannot read"),
    ],
)
def test_unreadable_inputs_say_why(task, typed, note):
    found = reading.reference(task, typed)
    assert found.answer is None and note in found.note


def test_a_date_outside_the_years_keeps_its_reference_so_a_wrong_answer_is_flagged():
    found = reading.reference("dates", "July 4th, 1776")
    assert found.answer == "1776-07-04" and "1900-2099" in found.note
    assert reading.verdict("dates", "July 4th, 1776", "1776-07-14")["check"] == "mismatch"
    assert reading.reference("dates", "Tues, 4 July 2023").answer == "2023-07-04"  # abbreviations babel lacks


def test_issue_outputs_are_flagged():
    wrong = {  # what the old models wrote for the issue's inputs
        "two billion and one": ("deux milliards soixante", "mismatch"),
        "two billion, one": ("deux milliards un mille un", "unreadable"),
        "twelve hundred": ("douze", "mismatch"),
        "a hundred and one": ("quatre cent un", "mismatch"),
    }
    for typed, (output, verdict) in wrong.items():
        assert reading.verdict("numbers:en-fr", typed, output)["check"] == verdict
    assert reading.verdict("dates", "3/3/1999", "1999-09-39")["check"] == "unreadable"
    assert reading.verdict("dates", "1999-03-03", "1993-09-09")["check"] == "mismatch"
    assert reading.verdict("dates", "whenever", "1999-02-30") == {
        "reference": None,
        "check": "unreadable",
        "reference_note": "cannot read 'whenever' as part of a date",
    }


def _corrupt(text: str, rng: random.Random, vocabulary: list[str], char_level: bool) -> str:
    """One random edit (drop, repeat, swap, replace) of a right answer: what a broken decoder writes."""
    pieces = list(text) if char_level else text.split()
    i, j = rng.randrange(len(pieces)), rng.randrange(len(pieces))
    edit = rng.randrange(4)
    if edit == 0 and len(pieces) > 1:
        del pieces[i]
    elif edit == 1:
        pieces.insert(i, pieces[j])
    elif edit == 2:
        pieces[i], pieces[j] = pieces[j], pieces[i]
    else:
        pieces[i] = rng.choice(vocabulary)
    return ("" if char_level else " ").join(pieces)


@pytest.mark.parametrize("task", ["numbers:en-fr", "dates"])
def test_every_wrong_output_of_2000_is_flagged(task):
    rng = random.Random(0)
    pairs = data.task_pairs(task, 2000, seed=11, split="test")
    vocabulary = sorted({piece for _, t in pairs for piece in (t if task == "dates" else t.split())})
    flagged = 0
    for source, answer in pairs:
        wrong = answer
        while wrong == answer:
            wrong = _corrupt(answer, rng, vocabulary, task == "dates")
        judged = reading.verdict(task, source, wrong)
        assert judged["reference"] == answer
        flagged += judged["check"] in ("mismatch", "unreadable")
        if task == "dates" and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", wrong):
            assert judged["check"] == "unreadable"
    assert flagged == len(pairs)


def test_prepare_spells_digits_and_caps_length():
    prepared = reading.prepare("numbers:en-fr", "2026")
    assert prepared.text == "two thousand and twenty-six" and "reads words" in prepared.notes[0]
    assert "beyond the model's range" in reading.prepare("numbers:en-fr", "10" * 10).notes[0]
    long = reading.prepare("dates", "x" * 10_000)
    assert len(long.text) == reading.MAX_INPUT_CHARS and "10,000 characters" in long.notes[0]


def test_cli_json_carries_reference_and_check():
    result = run_cli("translate", "--model", "numbers-en-fr-noattn", "--json", "twelve hundred", "2026", "one two")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["reference"] for r in rows] == ["mille deux cents", "deux mille vingt-six", None]
    assert all(r["check"] in reading.CHECKS for r in rows)
    assert "reads words" in rows[1]["notes"][0] and rows[1]["input"] == "2026"
    assert "one English number" in rows[2]["reference_note"]


# ---------------------------------------------------------------- stage 3: typed training data


def test_typed_numbers_read_back_and_cover_the_phrasings():
    rng = random.Random(0)
    texts = []
    for _ in range(2000):
        n = phrasing.grouped_number(rng)
        texts.append(phrasing.typed_number(n, rng))
        assert reading.english_value(texts[-1]) == n, texts[-1]
    joined = "\n".join(texts)
    for habit in (r"^a hundred", r"^a thousand", r"hundred and \w", r"hundred (?!and)\w", r"\w+ty \w", r"\w+ty-\w"):
        assert re.search(habit, joined, re.M), habit
    assert re.search(r"(thousand|million|billion), \w", joined) and re.search(r"(million|billion) and \w", joined)
    assert any(re.fullmatch(r"(eleven|twelve|\w+teen|\w+ty(-| )\w+) hundred.*", t) for t in texts)


def test_grouped_numbers_cover_every_magnitude_and_zero_groups():
    rng = random.Random(1)
    numbers = [phrasing.grouped_number(rng) for _ in range(3000)]
    assert {len(str(n)) for n in numbers} == set(range(1, 16))

    def zero_groups(n: int) -> int:
        groups = f"{n:,}".split(",")[1:]
        return sum(g == "000" for g in groups)

    round_share = sum(zero_groups(n) >= 2 for n in numbers) / len(numbers)
    uniform = [data.sample_number(rng) for _ in range(3000)]
    assert round_share > 0.1 and sum(zero_groups(n) >= 2 for n in uniform) / len(uniform) < 0.01


def test_typed_dates_read_back_and_splits_stay_disjoint():
    pairs = phrasing.typed_pairs("dates", 600, seed=0, split="train")
    for source, target in pairs:
        assert reading.reference("dates", source).answer == target, source
    test = {t for _, t in phrasing.typed_pairs("dates", 300, seed=0, split="test")}
    assert not test & {t for _, t in pairs}
    assert any(re.fullmatch(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{4}", s) for s, _ in pairs)


def test_warm_start_keeps_what_shared_tokens_learnt(tmp_path):
    pairs = data.task_pairs("numbers:en-fr", 100, seed=0)
    old = seeded_model(0, "encoder-decoder", "numbers:en-fr", pairs, embed=8, hidden=16)
    checkpoints.save(old, tmp_path / "old", {})
    typed = phrasing.typed_pairs("numbers:en-fr", 300, seed=0)
    new = seeded_model(1, "encoder-decoder", "numbers:en-fr", typed, normalize_source=True, embed=8, hidden=16)
    warm_start(new, str(tmp_path / "old"))
    for token in ("▁hundred", "▁thousand"):
        old_row = old.encoder.embed.weight[old.config.src_vocab.index(token)]
        assert torch.equal(new.encoder.embed.weight[new.config.src_vocab.index(token)], old_row)
    assert torch.equal(new.decoder.rnn.weight_hh_l0, old.decoder.rnn.weight_hh_l0)
    assert "a" in new.config.src_vocab and "a" not in old.config.src_vocab  # "a hundred"


# ---------------------------------------------------------------- stage 4: the phrasing sets


@pytest.mark.parametrize(
    "name, task",
    [("phrasing_numbers", "numbers:en-fr"), ("round_numbers", "numbers:en-fr"), ("phrasing_dates", "dates")],
)
def test_phrasing_sets_are_committed_held_out_and_readable(name, task):
    pairs = bench_phrasing.read_set(name)
    assert len(pairs) == bench_phrasing.SET_SIZE
    assert pairs == bench_phrasing.SET_WRITERS[name](bench_phrasing.SET_SIZE)  # the files are what the code writes
    for source, target in pairs:
        assert reading.reference(task, source).answer == target, source
        value = target if task == "dates" else str(reading.french_value(target))
        assert data.split_of(value) == "test"
    if name == "round_numbers":
        assert all(target.count(" ") >= 1 for _, target in pairs)


def test_phrasing_sets_hold_nothing_the_training_generator_writes():
    rng = random.Random(5)
    written = {phrasing.typed_number(phrasing.grouped_number(rng), rng) for _ in range(20_000)}
    written |= {
        phrasing.typed_date(datetime.date(1900, 1, 1) + datetime.timedelta(rng.randrange(73000)), rng)
        for _ in range(20_000)
    }
    for name in ("phrasing_numbers", "phrasing_dates"):
        assert not {s for s, _ in bench_phrasing.read_set(name)} & written
