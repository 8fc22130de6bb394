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
    assert at.query_params["dist"] == "long-tailed" and at.query_params["T"] == "50"
    table = at.dataframe[0].value
    assert set(table["method"]) >= {"packed", "padded + masked (post)", "padded, no mask (post)"}
    assert table.set_index("method").loc["packed", "final h"] < 1e-5
    assert table.set_index("method").loc["padded, no mask (post)", "final h"] > 1e-3


def test_url_sets_distribution_batch_size_and_t(open_page):
    at = open_page(PAGE, query={"dist": "uniform", "batch": "6", "T": "12"})
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
    at = open_page(PAGE, query={"dist": "uniform", "batch": "6", "len": "20"})
    before = next(c for c in charts(at) if c["layout"]["title"]["text"].startswith("Cost"))
    assert "shipped measurement" in before["layout"]["title"]["text"]
    at.button(key="varlen_measure_cost").click().run()
    assert not at.exception
    after = next(c for c in charts(at) if c["layout"]["title"]["text"].startswith("Cost"))
    assert after["layout"]["title"]["text"] == "Cost of one LSTM layer (this batch)"
    assert [bar["x"] for bar in after["data"]][0] == ["naive padding", "packing", "bucketing"]


def test_real_lengths_and_a_live_static_graph(open_page):
    at = open_page(PAGE, query={"dist": "dates", "batch": "8", "T": "15"})
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
    assert table.loc["greedy, fixed length", "ended with EOS"] == 0.0
    titles = [c["layout"]["title"]["text"] for c in charts(at)]
    assert "Output lengths vs references" in titles and "Fixed length: what comes after EOS" in titles
