from tests.helpers.apptest import charts, text_of

PAGE = "pages/4_Variable_length.py"


def test_default_page_draws_every_picture_and_the_shipped_sweep(open_page):
    at = open_page(PAGE)
    titles = [c["layout"]["title"]["text"] for c in charts(at)]
    for expected in ("Padded batch", "Cost", "Static vs"):
        assert any(t.startswith(expected) for t in titles), (expected, titles)
    pictures = {"Truncation": "Truncated, then padded", "Mask": "Mask", "Packing": "Packing", "Bucketing": "Bucketed"}
    for view, title in pictures.items():
        at.radio(key="varlen_view").set_value(view).run()
        assert charts(at)[0]["layout"]["title"]["text"].startswith(title)
    text = text_of(at)
    assert "Share of computed cells that are padding: **naive" in text
    assert "Not supported here" in text and "multi-GPU" in text
    assert "Stored measurement from" in text and "python -m core varlen" in text  # says when and how
    assert at.selectbox(key="varlen_dist").value == "long-tailed" and at.number_input(key="varlen_T").value == 50
    table = at.dataframe[0].value
    assert set(table["method"]) >= {"packed", "padded + masked (post)", "padded, no mask (post)"}
    assert table.set_index("method").loc["packed", "final h"] < 1e-5
    assert table.set_index("method").loc["padded, no mask (post)", "final h"] > 1e-3


def test_url_sets_distribution_batch_size_and_t(open_page):
    at = open_page(PAGE, query={"varlen_dist": "uniform", "varlen_batch": "6", "varlen_T": "12"})
    assert at.selectbox(key="varlen_dist").value == "uniform"
    assert at.number_input(key="varlen_batch").value == 6
    assert at.number_input(key="varlen_T").value == 12
    pad = next(c for c in charts(at) if c["layout"]["title"]["text"] == "Padded batch")
    assert len(pad["data"][0]["y"]) == 6


def test_typed_sequences_are_padded_exactly(open_page):
    at = open_page(PAGE)
    at.radio(key="varlen_source").set_value("typed sequences").run()
    at.text_area(key="varlen_typed").input("1 2 3 4\n5 6").run()
    assert not at.exception
    assert "**25% of the computed cells are padding**" in text_of(at)
    pad = next(c for c in charts(at) if c["layout"]["title"]["text"] == "Padded batch")
    assert pad["data"][0]["text"] == [["1", "2", "3", "4"], ["5", "6", "0", "0"]]


def test_timing_this_batch_replaces_the_shipped_cost_chart(open_page):
    at = open_page(PAGE, query={"varlen_dist": "uniform", "varlen_batch": "6", "varlen_len": "20"})
    before = next(c for c in charts(at) if c["layout"]["title"]["text"].startswith("Cost"))
    assert "shipped measurement" in before["layout"]["title"]["text"]
    at.button(key="varlen_measure_cost").click().run()
    assert not at.exception
    after = next(c for c in charts(at) if c["layout"]["title"]["text"].startswith("Cost"))
    assert after["layout"]["title"]["text"] == "Cost of one LSTM layer (this batch)"
    assert [bar["x"] for bar in after["data"]][0] == ["naive padding", "packing", "bucketing"]


def test_real_lengths_and_a_live_static_graph(open_page):
    at = open_page(PAGE, query={"varlen_dist": "dates", "varlen_batch": "8", "varlen_T": "15"})
    assert "dates: 8 real examples" in " ".join(c.value for c in at.caption)
    at.button(key="varlen_build").click().run()
    assert not at.exception
    assert "**Live, T = 15**" in text_of(at)


def test_outputs_of_different_lengths_on_a_shipped_model(open_page):
    at = open_page(PAGE)
    at.selectbox(key="varlen_out_model").set_value("dates-iso")
    at.number_input(key="varlen_out_count").set_value(4)
    at.button(key="varlen_decode").click().run()
    assert not at.exception
    table = next(d.value for d in at.dataframe if "decoding" in d.value.columns).set_index("decoding")
    assert table.loc["greedy, stop at EOS", "ended with EOS"] == 1.0
    assert table.loc["greedy, length cap only", "ended with EOS"] == 0.0
    titles = [c["layout"]["title"]["text"] for c in charts(at)]
    assert "Output lengths vs references" in titles and "Length cap only: what comes after EOS" in titles
    ten = table.loc["greedy, fixed 10 steps"]  # ISO dates: a fixed output length stops the decoder without EOS
    assert ten["decoder steps"] == 10 and ten["ended with EOS"] == 0.0
    text = text_of(at)
    assert "no way to stop" not in text
    for rule in ("An EOS token", "A length cap", "A fixed output length", "A predicted length"):
        assert rule in text


def test_masks_say_how_each_use_applies_them(open_page):
    at = open_page(PAGE)
    at.radio(key="varlen_view").set_value("Mask").run()
    text = text_of(at)
    assert "multiply by it" not in text
    assert "−∞" in text and "before** the softmax" in text and "ignore_index" in text


def test_gpu_sentence_comes_from_torch(open_page, monkeypatch):
    import torch

    text = text_of(open_page(PAGE))
    assert "This server has no GPU (torch sees no CUDA device)" in text
    assert "AMD EPYC" in text or "cores" in text  # the machine that measured the stored numbers
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda index=0: "Test GPU")
    assert "This server has 1 CUDA device(s) (Test GPU)" in text_of(open_page(PAGE))


def test_three_unrollings_timed_live_and_kept_until_t_changes(open_page):
    at = open_page(PAGE, query={"varlen_dist": "uniform", "varlen_batch": "6", "varlen_len": "20", "varlen_T": "12"})
    text = text_of(at)
    assert "dynamic_rnn" in text and "sequence_length" in text and "packing's gain" in text
    chart = next(c for c in charts(at) if c["layout"]["title"]["text"].startswith("Static vs dynamic"))
    names = {trace["name"] for trace in chart["data"]}
    assert any(n.startswith("dynamic (loop over the padded batch") for n in names) and "packed nn.LSTM" in names
    at.button(key="varlen_build").click().run()
    assert "ms dynamic with lengths" in text_of(at) and "ms packed" in text_of(at)
    at.button(key="varlen_measure_cost").click().run()
    at.selectbox(key="varlen_pad_side").set_value("pre").run()  # unrelated widgets keep both results
    at.radio(key="varlen_view").set_value("Mask").run()
    assert "**Live, T = 12**" in text_of(at)
    assert any(c["layout"]["title"]["text"] == "Cost of one LSTM layer (this batch)" for c in charts(at))
    at.number_input(key="varlen_T").set_value(13).run()  # its own input changed: the old T's result goes
    assert "**Live, T =" not in text_of(at)
