"""Inside-the-cell page: renders, the time slider moves the shown step, bad input shows st.error."""

from tests.helpers.apptest import chart_captions, charts, titles

PAGE = "pages/6_Inside_the_cell.py"


def _step_line(at) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("**Step "))


def test_default_render_steps_through_held_out_text(open_page):
    at = open_page(PAGE)
    assert not at.error
    assert _step_line(at).startswith("**Step 0 of ")
    assert chart_captions(at)[0].startswith("Heatmap of h (hidden state)")  # the open tab; the others wait
    assert any("<span title=" in h.value for h in at.get("html"))  # the neuron explorer's coloured text


def test_each_heatmap_tab_draws_its_gate_or_state_with_a_caption(open_page):
    """Tabs are lazy: only the open one is drawn, and opening another draws that one."""
    at = open_page(PAGE)
    for name in ("r (reset)", "z (update)", "n (candidate)", "h (hidden state)"):
        at.session_state["inside_heatmap_tab"] = name
        at.run()
        described = chart_captions(at)
        heatmaps = [c for c in described if c.startswith("Heatmap of ")]
        assert len(heatmaps) == 1 and heatmaps[0].startswith(f"Heatmap of {name}"), described
        assert "one row per unit" in heatmaps[0] and "time step" in heatmaps[0]


def test_moving_the_slider_changes_the_shown_step(open_page):
    at = open_page(PAGE, {"inside_model": "python-prose"})
    at.slider(key="inside_t").set_value(10).run()
    assert not at.exception
    line = _step_line(at)
    text = at.text_area(key="inside_text_python-prose").value
    assert line.startswith("**Step 10 of ") and repr(text[9]) in line  # step 0 reads the boundary token
    equations = [c.value for c in at.code]
    assert equations and all(e.startswith("h[") for e in equations)


def test_model_without_a_cell_and_empty_input_show_errors(open_page):
    at = open_page(PAGE)
    at.selectbox(key="inside_model").set_value("video-motion-mean").run()
    assert not at.exception
    assert any("video-motion-mean has no recurrent cell" in e.value for e in at.error)
    at.selectbox(key="inside_model").set_value("python-prose").run()
    at.text_area(key="inside_text_python-prose").set_value("   ").run()
    assert not at.exception
    assert any("empty" in e.value for e in at.error)


def test_translation_decoder_and_unit_search(open_page):
    at = open_page(PAGE, {"inside_model": "numbers-en-fr"})
    at.radio(key="inside_part").set_value("decoder").run()
    assert not at.exception and not at.error
    assert any("greedy output" in i.value for i in at.info)
    assert any("unit search needs text features" in c.value for c in at.caption)


def test_unit_search_table_stays_while_the_slider_moves(open_page, monkeypatch):
    from core.inspect import units

    monkeypatch.setattr(units, "MAX_CHARS", 1500)
    at = open_page(PAGE, {"inside_model": "python-prose"})
    at.button(key="inside_units_run").click().run()
    assert not at.exception
    assert len(at.dataframe) == 1 and len(at.dataframe[0].value) == len(units.prose_features("x"))
    assert any("held-out characters" in m.value for m in at.markdown)
    at.slider(key="inside_t").set_value(3).run()
    assert len(at.dataframe) == 1  # kept until the model changes


def test_gradients_after_training_the_tanh_rnn(open_page, monkeypatch):
    import dataclasses

    from core.inspect import gradients

    tiny = dataclasses.replace(gradients.TANH_RECIPE, steps=2, batch=2, bptt=8, train_chars=5000)
    monkeypatch.setattr(gradients, "TANH_RECIPE", tiny)
    at = open_page(PAGE, {"inside_model": "python-prose"})
    assert "Gradient norm reaching each step back from the loss" not in titles(at)
    at.button(key="inside_tanh_train").click().run()
    assert not at.exception
    assert "Gradient norm reaching each step back from the loss" in titles(at)
    caption = " ".join(c.value for c in at.caption)
    assert "Bengio, Simard & Frasconi (1994)" in caption and "Pascanu, Mikolov & Bengio (2013)" in caption
    assert "reaches 50 steps back" in caption and "trained here for 2 steps" in caption
    described = chart_captions(at)  # every chart on the page, heatmaps and gradients, says in words what it shows
    assert len(described) == len(charts(at)) and all(described), described
    assert any("gradient norm" in c and "steps back" in c and "log scale" in c for c in described), described
    at.slider(key="inside_t").set_value(2).run()
    assert "Gradient norm reaching each step back from the loss" in titles(at)  # kept: trained once per server


def test_whatif_scores_a_typed_translation(open_page):
    at = open_page(PAGE, {"inside_model": "numbers-en-fr"})
    at.text_area(key="inside_text_numbers-en-fr").set_value("twenty one").run()
    at.text_input(key="inside_whatif_numbers-en-fr").set_value("vingt et un").run()
    at.button(key="inside_whatif_run").click().run()
    assert not at.exception and not at.error
    assert any(m.value.startswith("**Yours**: total log-probability") for m in at.markdown)
    assert any("decoded greedily: `vingt et un" in m.value for m in at.markdown)
    at.text_input(key="inside_whatif_numbers-en-fr").set_value("vingt zebra").run()
    at.button(key="inside_whatif_run").click().run()
    assert not at.exception
    assert any("cannot output" in e.value for e in at.error)


def test_a_link_picks_the_model_and_a_bad_one_is_ignored_with_a_notice(open_page):
    at = open_page(PAGE, query={"inside_model": "python-prose"})
    assert not at.exception and at.selectbox(key="inside_model").value == "python-prose"
    at = open_page(PAGE, query={"inside_model": "../../etc/passwd"})
    assert not at.exception and at.selectbox(key="inside_model").value == "folk-abc"
    assert any("Ignored the link's value" in w.value for w in at.warning)
