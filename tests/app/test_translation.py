"""The translation page through AppTest: translate, attention, beam search, side by side, length chart, train, batch."""

import torch

from core import checkpoints
from core.translation import data, reading
from tests.helpers.apptest import charts, titles

PAGE = "pages/1_Translation.py"


def table_with(at, column: str):
    """The dataframe that has ``column`` (AppTest cannot look dataframes up by key)."""
    return next(df.value for df in at.dataframe if column in df.value.columns)


def test_default_view_translates_with_attention(open_page):
    at = open_page(PAGE)
    assert at.selectbox(key="tr_model").value == "numbers-en-fr"
    text = at.text_input(key="tr_text").value
    reference = reading.reference("numbers:en-fr", text).answer
    assert reference is not None
    assert any(reference in s.value for s in at.success), [e.value for e in at.error]
    heatmap = next(c for c in charts(at) if c["data"] and c["data"][0]["type"] == "heatmap")
    for row in heatmap["data"][0]["z"]:
        assert abs(sum(row) - 1) < 1e-4
    assert "tr_model" not in at.query_params  # Streamlit's binding leaves a default out of the URL


def test_query_params_set_model_text_and_beam(open_page):
    at = open_page(PAGE, {"tr_model": "dates-iso", "tr_text": "25 novembre 2026", "tr_method": "beam", "tr_beam": "4"})
    assert at.text_input(key="tr_text").value == "25 novembre 2026"
    assert any("2026-11-25" in m.value for m in at.markdown)
    assert at.slider(key="tr_beam").value == 4
    table = table_with(at, "rank")
    assert len(table) >= 1 and table["output"].iloc[0] == "2026-11-25"
    assert any(t.startswith("Beam search tree") for t in titles(at))
    side = table_with(at, "kind")
    assert set(side["model"]) >= {"dates-iso", "dates-iso-dot", "dates-iso-noattn", "dates-iso-plain"}
    assert not any("To compare two attention types" in c.value for c in at.caption)  # additive and dot


def test_random_example_and_no_attention_model(open_page):
    at = open_page(PAGE, {"tr_model": "dates-iso-plain"})
    before = at.text_input(key="tr_text").value
    at.button(key="tr_random").click().run()
    assert not at.exception
    assert at.text_input(key="tr_text").value != before
    assert any("no attention" in i.value for i in at.info)


def test_accuracy_by_length_chart(open_page):
    at = open_page(PAGE, {"tr_model": "dates-iso"})
    at.select_slider(key="tr_eval_n").set_value(200).run()
    at.button(key="tr_length").click().run()
    assert not at.exception
    at.button(key="tr_length").click().run()  # again: the cached rows are replayed (used to crash)
    assert not at.exception, at.exception
    at.text_input(key="tr_text").set_value("1 May 2020").run()  # an unrelated widget: the result stays
    assert not at.exception
    exact = next(c for c, t in zip(charts(at), titles(at)) if t.startswith("Exact match by input length"))
    names = {trace["name"] for trace in exact["data"]}
    assert {"dates-iso", "dates-iso-noattn", "dates-iso-plain"} <= names
    with_attention = next(t for t in exact["data"] if t["name"] == "dates-iso")
    assert min(with_attention["y"]) >= 90


def test_train_your_own_then_select_and_download(open_page):
    at = open_page(PAGE)
    at.radio(key="tr_train_task").set_value("dates → ISO")
    at.slider(key="tr_train_epochs").set_value(1)
    at.select_slider(key="tr_train_steps").set_value(5)
    at.select_slider(key="tr_train_hidden").set_value(32)
    at.radio(key="tr_train_att").set_value("dot").run()
    at.button(key="tr_train_start").click().run()
    job = at.session_state["translation_job"]
    job.wait(120)
    assert job.error is None, job.error
    at.run()
    assert not at.exception
    assert any("my-dates-dot-1" in s.value for s in at.success)
    assert "my-dates-dot-1" in at.selectbox(key="tr_model").options
    at.selectbox(key="tr_model").set_value("my-dates-dot-1").run()
    assert not at.exception


def test_train_on_uploaded_pairs(open_page):
    at = open_page(PAGE)
    at.radio(key="tr_train_task").set_value("uploaded pairs").run()
    pairs = "".join(f"I see {i} cats.\tJe vois {i} chats.\n" for i in range(60)).encode()
    at.file_uploader(key="tr_pairs_file").set_value(("pairs.tsv", pairs, "text/tab-separated-values")).run()
    assert any("60 pairs read" in c.value for c in at.caption), (
        [c.value for c in at.caption],
        [e.value for e in at.error],
    )
    at.slider(key="tr_train_epochs").set_value(1)
    at.select_slider(key="tr_train_steps").set_value(5).run()
    at.button(key="tr_train_start").click().run()
    job = at.session_state["translation_job"]
    job.wait(120)
    at.run()
    assert job.error is None and not at.exception
    assert any(n.startswith("my-pairs-") for n in at.selectbox(key="tr_model").options)


def test_batch_mode_translates_an_uploaded_file(open_page):
    at = open_page(PAGE, {"tr_model": "dates-iso"})
    inputs = "\n".join(s for s, _ in data.dates_pairs(20, seed=9, split="test")).encode()
    at.file_uploader(key="tr_batch_file").set_value(("inputs.txt", inputs, "text/plain")).run()
    assert not at.exception
    table = table_with(at, "unknown_tokens")
    assert len(table) == 20 and table["output"].str.match(r"^\d{4}-\d\d-\d\d$").mean() > 0.9


def test_delay_sweep_shows_where_a_delay_helps(open_page):
    """The shipped sweep: delay 12 helps short dates only; delay 36 helps the longest ones too."""
    at = open_page(PAGE, {"tr_model": "dates-iso"})
    sweep = next(c for c, t in zip(charts(at), titles(at)) if t.startswith("Plain seq2seq on dates"))
    exact = {trace["name"].split(" (")[0]: trace["y"] for trace in sweep["data"]}
    assert set(exact) == {"delay 0", "delay 12", "delay 36"}
    assert max(exact["delay 0"]) < 2
    assert exact["delay 12"][0] > 20 and exact["delay 12"][-1] < 2  # year beyond 12 characters: lost
    assert exact["delay 36"][-1] > exact["delay 12"][-1] + 10


def test_accuracy_by_length_twice_from_two_sessions(open_page):
    """The cache is shared: a second visitor asking for the same count is served from it, without a crash."""
    for _ in range(2):
        at = open_page(PAGE, {"tr_model": "dates-iso"})
        at.select_slider(key="tr_eval_n").set_value(200).run()
        at.button(key="tr_length").click().run()
        assert not at.exception, at.exception
        assert any(t.startswith("Exact match by input length") for t in titles(at))
        assert "Train your own" in [h.value for h in at.header]


def test_sampling_seed_control_is_in_the_url_and_reproducible(open_page):
    query = {
        "tr_model": "numbers-en-fr",
        "tr_text": "seventy-three thousand and ninety-one",
        "tr_method": "sample",
        "tr_temp": "3.0",
    }
    outputs = {}
    for seed in ("1", "2", "1"):
        at = open_page(PAGE, {**query, "tr_seed": seed})
        assert at.number_input(key="tr_seed").value == int(seed)
        assert at.query_params["tr_seed"] in (seed, [seed])
        outputs.setdefault(seed, []).append(_output(at))
    assert outputs["1"][0] == outputs["1"][1]  # one seed: the same sample
    assert outputs["1"][0] != outputs["2"][0]  # another seed: another sample
    at.number_input(key="tr_seed").set_value(2).run()
    assert _output(at) == outputs["2"][0]  # the URL follows in the browser (tests/browser/test_fragments.py)


def _output(at) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("### →"))


def test_output_length_is_set_by_the_stopping_rule(open_page):
    at = open_page(PAGE, {"tr_model": "dates-iso", "tr_text": "25 novembre 2026"})
    at.slider(key="tr_forced").set_value(14).run()
    table = next(t.value for t in at.table if "stopping rule" in t.value.columns)
    to_eos, forced, other = (table.iloc[i] for i in range(3))
    assert to_eos["output"] == "2026-11-25" and to_eos["output tokens"] == 10 and to_eos["ended with EOS"]
    assert forced["model"] == "dates-iso" and forced["output tokens"] == 14 and not forced["ended with EOS"]
    assert forced["output"].startswith("2026-11-25")  # the same model, made to go on
    assert other["attention"] == "none" and other["ended with EOS"] and other["output tokens"] == 10


def test_beam_tree_shows_only_the_best_paths(open_page):
    at = open_page(PAGE, {"tr_model": "dates-iso", "tr_text": "25 novembre 2026", "tr_method": "beam", "tr_beam": "5"})
    tree = next(c for c, t in zip(charts(at), titles(at)) if t.startswith("Beam search tree"))
    markers = [trace for trace in tree["data"] if trace.get("mode") == "markers+text"]
    pruned_count = sum(len(trace["x"]) for trace in markers)
    assert pruned_count <= 3 * 11  # three paths of at most 11 nodes
    at.toggle(key="tr_tree_prune").set_value(False).run()
    tree = next(c for c, t in zip(charts(at), titles(at)) if t.startswith("Beam search tree"))
    assert sum(len(trace["x"]) for trace in tree["data"] if trace.get("mode") == "markers+text") > pruned_count


def test_own_checkpoint_behind_a_toggle_joins_the_models(open_page):
    """The uploader is drawn only when asked for (a collapsed expander's uploader was the page's last draw)."""
    at = open_page(PAGE)
    at.toggle(key="tr_ckpt_toggle").set_value(True).run()
    model = checkpoints.load("dates-iso-plain")
    zipped = checkpoints.to_zip(model, model.meta)
    at.file_uploader(key="tr_ckpt_upload").set_value(("mine.zip", zipped, "application/zip")).run()
    assert not at.exception
    assert "uploaded-dates-plain-1" in at.selectbox(key="tr_model").options
    at.selectbox(key="tr_model").set_value("uploaded-dates-plain-1").run()
    assert not at.exception and any("plain seq2seq" in c.value for c in at.caption)


def test_fine_tune_a_shipped_model_on_uploaded_pairs_starts_the_curve_at_epoch_0(open_page):
    at = open_page(PAGE)
    at.radio(key="tr_train_from").set_value("numbers-en-fr").run()
    assert not at.radio(key="tr_train_task").disabled
    assert not [w for w in at.radio if w.key == "tr_train_kind"]  # the start model's network, no choice
    assert any("Fine-tuning keeps numbers-en-fr's network" in c.value for c in at.caption)
    at.radio(key="tr_train_task").set_value("uploaded pairs").run()
    pairs = "".join(f"I see {i} cats.\tJe vois {i} chats.\n" for i in range(60)).encode()
    at.file_uploader(key="tr_pairs_file").set_value(("pairs.tsv", pairs, "text/tab-separated-values")).run()
    at.slider(key="tr_train_epochs").set_value(1)
    at.select_slider(key="tr_train_steps").set_value(5)
    at.checkbox(key="tr_train_freeze").check().run()
    at.button(key="tr_train_start").click().run()
    job = at.session_state["translation_job"]
    job.wait(120)
    at.run()
    assert job.error is None and not at.exception, job.error
    shipped_encoder = checkpoints.load("numbers-en-fr").encoder.rnn.weight_hh_l0
    assert torch.equal(job.result.encoder.rnn.weight_hh_l0, shipped_encoder)  # kept fixed, as asked
    assert any("“cats”" in i.value and "source" in i.value for i in at.info), [i.value for i in at.info]
    curve = next(c for c, t in zip(charts(at), titles(at)) if t == "Training curve")
    assert curve["data"][0]["x"][0] == 0 and list(curve["data"][0]["x"]) == [0, 1]
    assert any("epoch 0 is numbers-en-fr on your data" in c.value for c in at.caption)
    assert any("Fine-tuned from **numbers-en-fr**" in m.value for m in at.markdown)
    shipped = checkpoints.load("numbers-en-fr")
    assert job.result.config.hidden == shipped.config.hidden
    assert job.result.config.src_vocab[: len(shipped.config.src_vocab)] == shipped.config.src_vocab
