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


def test_garbage_query_params_fall_back(open_page):
    at = open_page(PAGE, {"model": "no-such-model", "beam": "999", "method": "telepathy", "alpha": "x"})
    assert not at.exception
    assert at.selectbox(key="tr_model").value == "numbers-en-fr"
    assert at.radio(key="tr_method").value == "greedy"
