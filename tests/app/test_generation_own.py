"""Generator page with your own material: open a checkpoint zip, fine-tune from it, download, links that regenerate."""

import pytest
import torch

from core import checkpoints
from core.generation.model import CharRNN, CharRNNConfig
from tests.helpers.apptest import charts

PAGE = "pages/3_Generator.py"
UPLOADED = "your uploaded model"


def tiny_generator_zip() -> bytes:
    torch.manual_seed(0)
    model = CharRNN(CharRNNConfig(vocab=["", *"abc \n"], embed=4, hidden=8))
    return checkpoints.to_zip(model, {"task": "text generation", "description": "a tiny test model"}, "tiny")


def open_with_upload(open_page, data: bytes, query: dict | None = None):
    at = open_page(PAGE, query=query)
    at.file_uploader(key="gen_ckpt_upload").upload("model.zip", data, "application/zip").run()
    assert not at.exception, at.exception
    return at


def test_an_uploaded_generator_is_listed_and_generates(open_page):
    at = open_with_upload(open_page, tiny_generator_zip())
    assert UPLOADED in at.radio(key="gen_model").options
    at.radio(key="gen_model").set_value(UPLOADED).run()
    at.text_area(key="gen_prime").set_value("ab").run()
    at.number_input(key="gen_length").set_value(30).run()
    at.button(key="gen_run").click().run()
    assert not at.exception, at.exception
    result = at.session_state["gen_result"]
    assert result["model"] == UPLOADED and set(result["text"]) <= set("abc \n")
    labels = [b.label for b in at.get("download_button")]
    assert "Download text (.txt)" in labels


@pytest.mark.parametrize(
    "model_type, task", [("video-cnn-rnn", "video classification"), ("rnn-translator", "translation")]
)
def test_a_checkpoint_of_another_task_is_refused_naming_both_tasks(open_page, model_type, task):
    data = checkpoints.to_zip(checkpoints.build_model(model_type, {}), {"task": "x"})
    at = open_with_upload(open_page, data)
    errors = " ".join(e.value for e in at.error)
    assert f"is a {task} model" in errors and "this page takes text generation models" in errors
    assert UPLOADED not in at.radio(key="gen_model").options


def test_fine_tune_an_uploaded_model_lists_missing_characters_and_starts_the_curve_at_round_0(open_page):
    at = open_with_upload(open_page, tiny_generator_zip(), query={"gen_view": "Train your own"})
    at.radio(key="gen_train_from").set_value(UPLOADED).run()
    assert not at.exception, at.exception
    assert not _has(at, "gen_train_hidden")  # the start model's network is kept
    at.radio(key="gen_train_corpus").set_value("upload a text file").run()
    text = "\n\n".join(f"abc cab bac é€ {'ab ' * 30}" for _ in range(60))
    at.file_uploader(key="gen_upload").upload("mine.txt", text.encode(), "text/plain").run()
    at.checkbox(key="gen_train_freeze").check()
    at.number_input(key="gen_train_rounds").set_value(2)
    at.number_input(key="gen_train_steps").set_value(5).run()
    at.button(key="gen_train_start").click().run()
    assert not at.exception, at.exception
    job = at.session_state["gen_train_job"]
    job.wait(120)
    at.run()
    assert not at.exception, at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert "dropped: 'é' (60×), '€' (60×)" in warnings  # 'é' has no look-alike in the tiny vocabulary either
    assert [p.epoch for p in job.epochs] == [0, 1, 2]
    curve = next(f for f in charts(at) if (f["layout"].get("title") or {}).get("text") == "Training curve")
    assert curve["data"][1]["x"][0] == 0  # validation loss starts at round 0: the start model on the new text
    meta = job.result.meta
    assert meta["fine_tuned_from"] == UPLOADED and meta["frozen"] == ["embed.weight"]
    assert any("round 0 of the curve" in m.value for m in at.markdown)
    assert at.get("download_button")


@pytest.mark.parametrize(
    "corpus, upload, message",
    [
        ("Python reference (pydoc)", None, "fine-tune it on ABC tunes"),
        ("upload a text file", b"Plain words, no tunes.\n" * 50, "found 0 ABC tune(s)"),
    ],
)
def test_fine_tuning_folk_abc_needs_tunes(open_page, corpus, upload, message):
    at = open_page(PAGE, query={"gen_view": "Train your own"})
    at.radio(key="gen_train_from").set_value("folk-abc").run()
    at.radio(key="gen_train_corpus").set_value(corpus).run()
    if upload:
        at.file_uploader(key="gen_upload").upload("words.txt", upload, "text/plain").run()
    at.button(key="gen_train_start").click().run()
    assert not at.exception, at.exception
    assert any(message in e.value for e in at.error), [e.value for e in at.error]
    assert "gen_train_job" not in at.session_state


def _has(at, key: str) -> bool:
    return any(getattr(w, "key", None) == key for w in at.selectbox)


def test_a_link_to_a_result_regenerates_the_same_text(open_page):
    query = {
        "gen_model": "python-prose",
        "gen_prime": "The ",
        "gen_length": "40",
        "gen_seed": "7",
        "gen_temp": "1.2",
        "out": "1",
    }
    first = open_page(PAGE, query=query)
    second = open_page(PAGE, query=query)
    texts = [at.session_state["gen_result"]["text"] for at in (first, second)]
    assert texts[0] and texts[0] == texts[1]
    assert first.query_params["out"] == ["1"] or first.query_params["out"] == "1"
    first.slider(key="gen_temp").set_value(0.5).run()  # the result on screen no longer matches the URL
    assert "out" not in first.query_params


def test_a_generated_result_marks_its_link(open_page):
    at = open_page(PAGE, query={"gen_model": "python-prose", "gen_length": "20"})
    assert "gen_result" not in at.session_state and "out" not in at.query_params
    at.button(key="gen_run").click().run()
    link = dict(at.query_params)
    assert link["out"] in ("1", ["1"]) and link["gen_length"] in ("20", ["20"])
    # defaults (the prime "The ", seed 0) are left out of the URL: a fresh session opened with it gets the same
    fresh = open_page(PAGE, query=link)
    assert fresh.session_state["gen_result"]["text"] == at.session_state["gen_result"]["text"]


def test_fine_tune_folk_abc_on_uploaded_tunes(open_page):
    tunes = "".join(
        f"X:{i}\nT:Tune {i}\nM:6/8\nR:jig\nL:1/8\nK:{key}\n|:{body}:|\n\n"
        for i, (key, body) in enumerate([("D", "dAF DFA|dfe dBA|dAF DFA|GBA FED"), ("G", "GBd gdB|cAF DEF")] * 4, 1)
    )
    at = open_page(PAGE, query={"gen_view": "Train your own"})
    at.radio(key="gen_train_from").set_value("folk-abc").run()
    at.radio(key="gen_train_corpus").set_value("upload a text file").run()
    at.file_uploader(key="gen_upload").upload("tunes.abc", tunes.encode(), "text/plain").run()
    at.number_input(key="gen_train_rounds").set_value(1)
    at.number_input(key="gen_train_steps").set_value(5).run()
    at.button(key="gen_train_start").click().run()
    assert not at.exception, at.exception
    job = at.session_state["gen_train_job"]
    job.wait(180)
    at.run()
    assert not at.exception and job.result is not None, job.error
    meta = job.result.meta
    assert meta["data"]["train_texts"] + meta["data"]["valid_texts"] == 8
    assert meta["history"][0]["epoch"] == 0 and meta["fine_tuned_from"] == "folk-abc"
    assert job.result.model.config.style_fields == ["meter", "key", "type"]


def test_a_result_stays_with_the_model_that_made_it(open_page):
    at = open_with_upload(open_page, tiny_generator_zip())
    at.radio(key="gen_model").set_value(UPLOADED).run()
    at.text_area(key="gen_prime").set_value("ab").run()
    at.button(key="gen_run").click().run()
    assert "Download text (.txt)" in [b.label for b in at.get("download_button")]
    torch.manual_seed(1)
    other = CharRNN(CharRNNConfig(vocab=["", *"xyz \n"], embed=4, hidden=8))  # another upload, the same label
    at.file_uploader(key="gen_ckpt_upload").upload("other.zip", checkpoints.to_zip(other, {}), "application/zip").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.radio(key="gen_model").value == UPLOADED
    assert "Download text (.txt)" not in [b.label for b in at.get("download_button")]  # the old text is not its own
