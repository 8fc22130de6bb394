"""Bad inputs on the translation page: each gets its message, the page keeps working, no traceback."""

import pytest

PAGE = "pages/1_Translation.py"
PAIRS_OK_LINE = b"a\tb\n"


def messages(at) -> list[str]:
    return [e.value for e in (*at.error, *at.warning)]


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "Type an input"),
        ("one " * 300, "truncated"),
        ("seventy-three bananas", "never seen in training"),
    ],
)
def test_bad_text_inputs(open_page, text, message):
    at = open_page(PAGE)
    at.text_input(key="tr_text").set_value(text).run()
    assert not at.exception
    assert any(message in m for m in messages(at)), messages(at)


@pytest.mark.parametrize(
    "raw, message",
    [
        (b"", "is empty"),
        (b"\x00\x01PK\x03\x04" * 10, "looks binary"),
        ("caf\xe9\tcoffee\n".encode("latin-1") * 30, "not UTF-8"),
        (b"just one column\n" * 30, "has one column"),
        (PAIRS_OK_LINE * 10 + b"a\tb\tc\n", "ragged lines"),
        (PAIRS_OK_LINE * 5, "at least 20 are needed"),
    ],
)
def test_bad_pairs_files(open_page, raw, message):
    at = open_page(PAGE)
    at.radio(key="tr_train_task").set_value("uploaded pairs").run()
    at.file_uploader(key="tr_pairs_file").set_value(("pairs.tsv", raw, "text/plain")).run()
    assert not at.exception
    assert any(message in m for m in messages(at)), messages(at)
    assert at.button(key="tr_train_start").disabled
    at.text_input(key="tr_text").set_value("twelve").run()  # the rest of the page still works
    assert not at.exception and any("douze" in m.value for m in at.markdown)


@pytest.mark.parametrize(
    "raw, message",
    [(b"\x00\x00\x00", "looks binary"), (b"\n\n  \n", "is empty"), (b"\xff\xfe\xfa" * 20, "not UTF-8")],
)
def test_bad_batch_files(open_page, raw, message):
    at = open_page(PAGE)
    at.file_uploader(key="tr_batch_file").set_value(("inputs.txt", raw, "text/plain")).run()
    assert not at.exception
    assert any(message in m for m in messages(at)), messages(at)


HOSTILE_LINK = {
    "tr_model": "no-such-model",
    "tr_beam": "999",
    "tr_method": "telepathy",
    "tr_alpha": "x",
    "tr_temp": "nan",
    "tr_seed": "1e400",  # an integer number_input seeded with it raised OverflowError inside Streamlit
    "tr_text": "seven " * 1700,  # 10,200 characters: over the box's 2,000
}


def test_hostile_link_values_are_ignored_with_a_notice(open_page):
    at = open_page(PAGE, HOSTILE_LINK)
    assert not at.exception
    assert at.selectbox(key="tr_model").value == "numbers-en-fr"
    assert at.radio(key="tr_method").value == "greedy"
    assert at.number_input(key="tr_seed").value == 0 and at.slider(key="tr_temp").value == 1.0
    assert len(at.text_input(key="tr_text").value) <= 2000
    ignored = " ".join(w.value for w in at.warning)
    for label in ("Model", "Beam width", "Decoding", "Length penalty", "Temperature", "Seed", "Input"):
        assert f"Ignored the link's value for {label} " in ignored, ignored
    assert not set(HOSTILE_LINK) & set(at.query_params)  # dropped from the URL, so a copied link is clean
    assert any(m.value.startswith("### →") for m in at.markdown)  # and the page still translates


@pytest.mark.parametrize(
    "text, shown",
    [
        ("twelve hundred", "Correct: the answer reads back as the input's value “mille deux cents”"),
        ("Two Thousand And Twenty-Six", "deux mille vingt-six"),
        ("2026", "the model reads words"),
        ("one two", "No reference: cannot read this as one English number"),
        ("5,000,000,000,000,000", "beyond the model's range"),
        ("x" * 1500, "input cut to its first 500"),
    ],
)
def test_typed_inputs_get_a_reference_and_a_check(open_page, text, shown):
    at = open_page(PAGE, {"tr_model": "numbers-en-fr"})
    at.text_input(key="tr_text").set_value(text).run()
    assert not at.exception
    said = [m.value for m in (*at.success, *at.error, *at.warning, *at.info)]
    assert any(shown in m for m in said), said


def test_dates_page_says_how_numeric_dates_are_read(open_page):
    at = open_page(PAGE, {"tr_model": "dates-iso", "tr_text": "3/4/1999"})
    assert not at.exception
    assert any("3/4/1999 = 3 April 1999" in c.value for c in at.caption)
    assert any("1999-04-03" in s.value for s in at.success), [e.value for e in (*at.error, *at.warning)]
