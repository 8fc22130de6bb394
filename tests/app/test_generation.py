"""Generator page through AppTest: generate with each decoder, per-step view, music, gallery, training."""

from tests.helpers.apptest import charts

PAGE = "pages/3_Generator.py"
TRAIN = "Train your own"


def open_view(at, view: str) -> None:
    """Open one of the lazy tabs under a tune (Music, Piano roll, Per-step view)."""
    at.session_state["gen_result_view"] = view
    at.run()
    assert not at.exception, at.exception


def test_folk_tune_generates_with_audio_piano_roll_and_step_view(open_page):
    at = open_page(
        PAGE,
        query={"gen_model": "folk-abc", "gen_length": "300", "gen_meter": "6/8", "gen_key": "D major", "gen_seed": "0"},
    )
    at.button(key="gen_run").click().run()
    assert not at.exception, at.exception
    result = at.session_state["gen_result"]
    assert result["style"]["meter"] == "6/8" and result["text"]
    # lazy tabs: the Music tab is open, the piano roll and the per-step chart wait until theirs is opened
    assert not charts(at) and "gen_pos" not in at.session_state
    open_view(at, "Per-step view")
    assert at.slider(key="gen_pos").max == len(result["text"]) - 1
    titles = [(f["layout"].get("title") or {}).get("text", "") for f in charts(at)]
    surprising = at.slider(key="gen_pos").value  # the least expected character is shown first
    assert any(t.startswith(f"Next character at position {surprising}:") for t in titles)
    at.slider(key="gen_pos").set_value(5).run()
    assert not at.exception
    titles = [(f["layout"].get("title") or {}).get("text", "") for f in charts(at)]
    assert any(t.startswith("Next character at position 5:") for t in titles)
    assert len(charts(at)) == 1  # the per-step chart alone
    open_view(at, "Music")
    parsed = [e for e in at.error if "could not parse" in e.value]
    if not parsed:  # a tune that parses gets audio and a piano roll; one that does not says where
        assert at.get("audio")
        open_view(at, "Piano roll")
        assert [(f["layout"].get("title") or {}).get("text", "") for f in charts(at)] == ["Piano roll"]
        open_view(at, "Music")
        labels = {b.label for b in at.get("download_button")}
        assert {"Download .abc", "Download .mid", "Download .wav", "Download text (.txt)"} <= labels
    # the link: non-default settings and out=1; defaults (folk-abc, 6/8, D major, seed 0) are left out of it
    assert at.query_params["gen_length"] == "300" and at.query_params["out"] == "1"
    assert not {"gen_model", "gen_meter", "gen_key", "gen_seed"} & set(at.query_params)


def test_prose_beam_and_greedy(open_page):
    at = open_page(
        PAGE, query={"gen_model": "python-prose", "gen_method": "beam search", "gen_beam": "3", "gen_length": "60"}
    )
    assert at.radio(key="gen_method").value == "beam"
    at.button(key="gen_run").click().run()
    assert not at.exception
    beam_text = at.session_state["gen_result"]["text"]
    at.radio(key="gen_method").set_value("greedy").run()
    at.button(key="gen_run").click().run()
    assert not at.exception
    greedy = at.session_state["gen_result"]
    assert greedy["settings"].method == "greedy" and isinstance(beam_text, str)
    # the per-step view for greedy puts all the chosen mass on one character
    fig = next(f for f in charts(at) if "Next character" in (f["layout"].get("title") or {}).get("text", ""))
    assert max(fig["data"][1]["y"]) == 1.0


def test_sampling_settings_come_from_the_url_and_go_back(open_page):
    at = open_page(PAGE, query={"gen_model": "python-prose", "gen_temp": "0.5", "gen_topk": "5", "gen_topp": "0.9"})
    assert at.slider(key="gen_temp").value == 0.5 and at.number_input(key="gen_topk").value == 5
    assert at.query_params["gen_temp"] == "0.5"  # kept: the browser's URL then follows the widget


def test_gallery_shows_samples_from_training(open_page):
    at = open_page(PAGE, query={"gen_model": "folk-abc", "gen_view": "Loss vs samples"})
    assert any("validation loss" in m.value for m in at.markdown)
    assert any("step 4800" in m.value for m in at.markdown)  # the last sample first
    at.select_slider(key="gen_gallery_step").set_value(10).run()
    assert any("step 10" in m.value for m in at.markdown) and len(at.code) == 1
    assert any("Loss vs characters read" in (f["layout"].get("title") or {}).get("text", "") for f in charts(at))


def start_small_training(at, rounds: int):
    """Start a training run of a 64-unit model, ``rounds`` rounds of 5 steps; returns its job."""
    at.selectbox(key="gen_train_hidden").set_value(64)
    at.number_input(key="gen_train_rounds").set_value(rounds)
    at.number_input(key="gen_train_steps").set_value(5).run()
    at.button(key="gen_train_start").click().run()
    assert not at.exception, at.exception
    return at.session_state["gen_train_job"]


def test_train_your_own_on_an_upload_then_generate_with_it(open_page):
    at = open_page(PAGE, query={"gen_view": TRAIN})
    at.radio(key="gen_train_corpus").set_value("upload a text file").run()
    text = "\n\n".join(f"Paragraph {i}. The quick brown fox jumps over the lazy dog." * 3 for i in range(40))
    at.file_uploader(key="gen_upload").upload("corpus.txt", text.encode("utf-16"), "text/plain").run()
    job = start_small_training(at, rounds=2)
    job.wait(120)
    at.run()
    assert not at.exception
    assert job.result is not None and len(job.epochs) == 2
    assert "bits/char" in " ".join(m.value for m in at.markdown)
    assert at.get("download_button")
    at.radio(key="gen_model").set_value("your model (trained here)")
    at.radio(key="gen_view").set_value("Generate").run()
    at.text_area(key="gen_prime").set_value("The ").run()
    at.button(key="gen_run").click().run()
    assert not at.exception
    assert at.session_state["gen_result"]["model"] == "your model (trained here)"


def test_style_check_samples_and_compares_with_real_tunes(open_page):
    at = open_page(PAGE, query={"gen_model": "folk-abc", "gen_meter": "2/4", "gen_key": "G major"})
    at.slider(key="gen_check_n").set_value(4)
    at.button(key="gen_check").click().run()
    assert not at.exception, at.exception
    labels = [m.label for m in at.metric]
    assert "Tunes that parse" in labels and "Bars with the full 2/4 length" in labels
    assert any("real 2/4 tunes" in str(m.proto.delta) for m in at.metric)


def test_folk_training_can_add_transposed_copies(open_page):
    at = open_page(PAGE, query={"gen_view": TRAIN})
    assert at.number_input(key="gen_train_transpose").value == 0
    at.number_input(key="gen_train_transpose").set_value(1)
    job = start_small_training(at, rounds=1)
    chars = int(job.label.split("(")[1].split(" characters")[0].replace(",", ""))
    assert chars > 4_000_000  # 2.3 M characters as written, about twice that with one copy of each tune
    job.wait(120)
    at.radio(key="gen_train_corpus").set_value("upload a text file").run()
    assert "gen_train_transpose" not in [n.key for n in at.number_input]  # folk tunes only
