"""Bad inputs on the generator page: each gets a clear message and no exception."""

import pytest

PAGE = "pages/3_Generator.py"
TRAIN = {"gen_view": "Train your own"}


def _generate(at, prime=None, length=None):
    if prime is not None:
        at.text_area(key="gen_prime").set_value(prime)
    if length is not None:
        at.number_input(key="gen_length").set_value(length)
    return at.button(key="gen_run").click().run()


def messages(at):
    return [e.value for e in [*at.error, *at.warning, *at.info]]


@pytest.mark.parametrize(
    "prime, length, expected",
    [
        ("", 50, "Empty prime: the model starts a new text"),
        ("   ", 50, "the prime is only whitespace"),
        ("The caf\u00e9 \u201cquote\u201d", 50, "mapped characters outside the model's vocabulary: '\u00e9' → 'e'"),
        ("The \u4e2d\u6587 text", 50, "dropped characters the model never saw in training: '中' '文'"),
        ("The ", 100_000, "length capped at 5,000 characters (asked for 100,000)"),
    ],
)
def test_prime_and_length(open_page, prime, length, expected):
    at = open_page(PAGE, query={"gen_model": "python-prose"})
    _generate(at, prime, length)
    assert not at.exception, at.exception
    assert any(expected in m for m in messages(at)), messages(at)


def _upload(at, data: bytes, name: str = "corpus.txt"):
    at.radio(key="gen_train_corpus").set_value("upload a text file").run()
    at.file_uploader(key="gen_upload").upload(name, data, "text/plain").run()
    return at.button(key="gen_train_start").click().run()


@pytest.mark.parametrize(
    "data, expected",
    [
        (b"", "the file is empty"),
        (b"\n \n", "the file is empty"),
        (bytes(range(256)) * 64, "the file looks binary"),
        (b"hello", "at least 100 are needed"),
        (bytes(range(128, 256)) * 20, "could not detect the file's text encoding"),
    ],
)
def test_bad_uploads(open_page, data, expected):
    at = open_page(PAGE, query=TRAIN)
    _upload(at, data)
    assert not at.exception, at.exception
    assert any(expected in m for m in messages(at)), messages(at)
    assert "gen_train_job" not in at.session_state  # nothing started


def test_train_without_upload_says_so(open_page):
    at = open_page(PAGE, query=TRAIN)
    at.radio(key="gen_train_corpus").set_value("upload a text file").run()
    at.button(key="gen_train_start").click().run()
    assert not at.exception
    assert any("upload a text file first" in m for m in messages(at))


def test_huge_upload_is_sampled_with_a_notice(open_page, monkeypatch):
    monkeypatch.setattr("core.generation.corpora.TRAIN_MAX_CHARS", 20_000)
    at = open_page(PAGE, query=TRAIN)
    text = "\n\n".join(f"Paragraph {i}. " + "words and more words " * 20 for i in range(400))
    at.number_input(key="gen_train_steps").set_value(5)
    at.number_input(key="gen_train_rounds").set_value(1)
    _upload(at, text.encode())
    assert not at.exception, at.exception
    assert any("training uses a sample" in m for m in messages(at)), messages(at)
    at.session_state["gen_train_job"].cancel.set()
    at.session_state["gen_train_job"].wait(60)


HOSTILE_LINK = {
    "gen_model": "no-such-model",
    "gen_view": "Everything",
    "gen_prime": "x" * 10_000,
    "gen_length": "1e400",
    "gen_method": "telepathy",
    "gen_temp": "inf",
    "gen_topk": "-3",
    "gen_topp": "0.0",
    "gen_seed": "1e400",
    "gen_meter": "13/7",
    "gen_key": "H major",
    "out": "1",
}


def test_hostile_link_values_are_ignored_with_a_notice(open_page):
    at = open_page(PAGE, query=HOSTILE_LINK)
    assert not at.exception, at.exception
    assert at.radio(key="gen_model").value == "folk-abc" and at.radio(key="gen_method").value == "sample"
    assert at.number_input(key="gen_seed").value == 0 and at.slider(key="gen_temp").value == 1.0
    assert at.selectbox(key="gen_meter").value == "6/8" and at.selectbox(key="gen_key").value == "D"
    ignored = " ".join(w.value for w in at.warning)
    for label in ("Model", "Section", "Prime", "Length", "Decoding", "Temperature", "Top-k", "Top-p", "Seed", "Meter"):
        assert f"Ignored the link's value for {label} " in ignored, ignored
    assert "Ignored the link's value for Key " in ignored
    assert not (set(HOSTILE_LINK) - {"out"}) & set(at.query_params)
