"""Inside the cell: pick a model and an input, step through time, heatmaps, neuron explorer, unit search."""

from __future__ import annotations

import streamlit as st

from core import checkpoints
from core.inspect import gradients, steps, units, whatif
from core.plots import inside as plots
from ui.common import bind_choice, cached_figure, frozen_after, kept_result, show_figure, user_errors

HEATMAP_UNITS = 32  # units per heatmap (a 512-unit map would be sent again on every slider move)
EQUATION_UNITS = 3  # units whose update is written out by default
ORDERS = ("most variable first", "by unit index")
HIDDEN_TAB = "h (hidden state)"  # the heatmap tab the page opens on: what most readers look for first


@st.cache_resource(max_entries=4, show_spinner="Loading model…")
def load_model(name: str):
    return frozen_after(lambda: checkpoints.load(name))


@st.cache_data(max_entries=16, show_spinner="Stepping the cell through the input…")
def cached_trace(name: str, part: str, text: str) -> steps.Trace:
    """One step-through per (model, part, input): moving the time slider recomputes nothing."""
    return steps.trace(load_model(name), name, text, part)


@st.cache_data(max_entries=4, show_spinner="Correlating every unit with the text features (a few seconds)…")
def cached_units(name: str) -> units.UnitSearch:
    return units.search(load_model(name))


@st.cache_resource(max_entries=1)
def tanh_models() -> dict:
    """Tanh RNNs trained on this server, by char model name (shared by sessions, filled by a button)."""
    return {}


@st.cache_data(max_entries=8, show_spinner="Back-propagating from the last step…")
def cached_gradients(name: str, text: str, _tanh) -> dict:
    return gradients.compare(load_model(name), _tanh, text)


@st.cache_data(max_entries=8, show_spinner=False)
def cached_default(name: str) -> str:
    # frozen: the held-out text comes from a corpus kept for the process's life (core.generation.corpora's
    # lru_cache: ~13k folk tunes, and music21 imported to find them), which every rerun's collection walked
    return frozen_after(lambda: steps.default_input(load_model(name)))


def choose_input() -> tuple[str, str, str]:
    """Model, part and input from the widgets (the input defaults to held-out text of the model)."""
    names = [row["name"] for row in checkpoints.list_models()]
    default = "folk-abc" if "folk-abc" in names else names[0]
    c1, c2 = st.columns([2, 1])
    bind = bind_choice("inside_model", "the model", names)
    name = c1.selectbox("Model", names, index=names.index(default), key="inside_model", bind=bind)
    model = load_model(name)
    available = steps.parts(model) or ["rnn"]
    part = c2.radio("Cell", available, horizontal=True, key="inside_part") if len(available) > 1 else available[0]
    if getattr(model, "model_type", "") == "video-cnn-rnn":
        text = st.selectbox("Sample clip (assets/samples)", steps.sample_clips(), key="inside_clip")
    else:
        key = f"inside_text_{name}"  # one input per model, so a switch shows that model's held-out text
        if key not in st.session_state:
            st.session_state[key] = cached_default(name)
        text = st.text_area(
            f"Input (read at most {steps.MAX_STEPS - 1} characters; the default is held-out text)", key=key, height=120
        )
    return name, part, text


def _clamped_slider(label: str, last: int, key: str) -> int:
    if st.session_state.get(key, 0) > last:  # a shorter input than the last one
        st.session_state[key] = last
    return st.slider(label, 0, last, key=key) if last > 0 else 0


def choose_layer(trace: steps.Trace) -> int:
    for notice in trace.notices:
        st.info(notice)
    names = [layer.name for layer in trace.layers]
    return names.index(st.selectbox("Layer", names, key="inside_layer")) if len(names) > 1 else 0


@st.fragment
def time_section(trace: steps.Trace, index: int) -> None:
    """Slider, equations and heatmaps: a fragment, so moving the slider reruns only this section."""
    st.subheader("Step through time")
    t = step_section(trace, index)
    st.subheader("Every gate and state over time")
    heatmap_section(trace, index, t)


def step_section(trace: steps.Trace, index: int) -> int:
    """The time slider, the token read at t, and the update of a few units written with its numbers."""
    layer = trace.layers[index]
    t = _clamped_slider("Time step t", len(trace) - 1, "inside_t")
    token = trace.tokens[t]
    flag = " (outside the vocabulary: read as <unk>)" if t in trace.unknown else ""
    st.markdown(f"**Step {t} of {len(trace) - 1}** — the cell reads `{token!r}`{flag}")
    width = layer.hidden.shape[1]
    default = steps.units_by_variance(layer.hidden)[:EQUATION_UNITS]
    chosen = st.multiselect(
        f"Units to write out ({width} in this layer; default: the most variable)",
        list(range(width)),
        default=default,
        key=f"inside_eq_units_{trace.model}_{trace.part}_{index}",
    )
    gate_words = ", ".join(f"{g} = {steps.GATE_NAMES[g]}" for g in layer.gates)
    st.caption(f"{trace.kind.upper()} gates: {gate_words}; the numbers are this model's own at step {t}.")
    for unit in chosen:
        st.code(steps.equation(trace, index, t, unit), language=None)
    return t


def heatmap_section(trace: steps.Trace, index: int, t: int) -> None:
    layer = trace.layers[index]
    order = st.radio("Units", ORDERS, horizontal=True, key="inside_order")
    arrays = {f"{g} ({steps.GATE_NAMES[g]})": (v, g in ("n", "g")) for g, v in layer.gates.items()}
    arrays[HIDDEN_TAB] = (layer.hidden, True)
    if layer.cell is not None:
        arrays["c (cell state)"] = (layer.cell, True)
    # lazy tabs: only the open one is drawn (six heatmaps of an LSTM drawn at once made the first render slow)
    tabs = st.tabs(list(arrays), default=HIDDEN_TAB, key="inside_heatmap_tab", on_change="rerun")
    for tab, (label, (values, signed)) in zip(tabs, arrays.items()):
        if not tab.open:
            continue
        shown = steps.units_by_variance(values) if order == ORDERS[0] else list(range(values.shape[1]))
        shown = shown[:HEATMAP_UNITS]
        with tab:
            title = f"{label}: {len(shown)} of {values.shape[1]} units × {len(trace)} steps ({order})"
            fig = cached_figure(plots.state_heatmap, values, trace.tokens, shown, title, step=t, signed=signed)
            scale = "blue −1, white 0, orange +1" if signed else "white 0 to blue 1"
            caption = (
                f"Heatmap of {label} in {layer.name}: one row per unit ({len(shown)} of {values.shape[1]}, {order}) "
                f"by one column per time step (the {len(trace)} input tokens); colour is the value ({scale}); "
                f"a vertical line marks step {t}."
            )
            show_figure(fig, key=f"inside_heatmap_{label[0]}", caption=caption)


def _visible_tokens(trace: steps.Trace) -> tuple[list[str], str]:
    """Tokens to colour and the separator: words are spaced, characters are not."""
    if all(len(token) == 1 for token in trace.tokens[1:]):
        return trace.tokens, ""
    return [token.replace("▁", "") for token in trace.tokens], " "


def neuron_section(trace: steps.Trace, index: int) -> None:
    layer = trace.layers[index]
    order = steps.units_by_variance(layer.hidden)
    unit = st.selectbox("Unit (most variable first)", order, key=f"inside_unit_{trace.model}_{trace.part}_{index}")
    tokens, separator = _visible_tokens(trace)
    values = layer.hidden[:, unit].tolist()
    st.markdown(f"Input coloured by unit {unit} of {layer.name} (hidden state after each step):")
    st.html(plots.activation_text_html(tokens, values, separator))
    st.caption("Orange: positive, blue: negative, white: 0 (a colour-blind-safe scale); hover a token for the value.")


def units_section(name: str) -> None:
    model = load_model(name)
    if getattr(model, "model_type", "") != "char-rnn":
        st.caption("The unit search needs text features: it runs on the character models (folk-abc, python-prose).")
        return
    pressed = st.button("Find interpretable units", key="inside_units_run")
    found = kept_result("inside_units", name, pressed, lambda: cached_units(name))
    if found is None:
        st.caption(f"Correlates every unit with text features over up to {units.MAX_CHARS:,} held-out characters.")
        return
    clear = [f for f in found.findings if f.clear]
    st.markdown(
        f"Over **{found.chars:,} held-out characters** ({found.corpus}), {len(clear)} of {len(found.findings)} "
        f"features have a unit with |r| ≥ {units.CLEAR} (Pearson correlation of the hidden state with the feature)."
    )
    rows = [
        {"feature": f.description, "best unit": f.unit, "r": round(f.r, 3), "finding": units.verdict(f)}
        for f in found.findings
    ]
    st.dataframe(rows, hide_index=True, key="inside_units_table")
    labels = [f.description for f in found.findings]
    pick = st.selectbox("Colour the held-out text by the best unit for", labels, key="inside_units_feature")
    finding = found.findings[labels.index(pick)]
    st.html(plots.activation_text_html(list(found.sample_text), finding.sample))
    st.caption(units.verdict(finding))


def _trained_tanh(name: str, model):
    """The tanh RNN for ``name``: trained here on demand (progress shown outside any cached function)."""
    store = tanh_models()
    recipe = gradients.TANH_RECIPE
    label = f"Train a tanh RNN of the same width on the same data (≤ {recipe.max_seconds:.0f} s)"
    if name not in store and st.button(label, key="inside_tanh_train"):
        bar = st.progress(0.0, text="training the tanh RNN…")
        store[name] = gradients.train_tanh(
            model, recipe, lambda done, loss: bar.progress(done, text=f"training the tanh RNN: loss {loss:.3f}")
        )
    return store.get(name)


def gradients_section(name: str, text: str) -> None:
    model = load_model(name)
    if getattr(model, "model_type", "") != "char-rnn":
        st.caption("Measured for the character models, against a tanh RNN trained on their data.")
        return
    tanh = _trained_tanh(name, model)
    if tanh is None:
        return
    result = cached_gradients(name, text, tanh)
    series = {f"{name} ({model.config.cell.upper()})": result["shipped"], "plain tanh RNN": result["tanh"]}
    show_figure(
        cached_figure(plots.gradient_figure, series, gradients.BACK),
        key="inside_gradients",
        caption=f"Line chart: gradient norm of the loss with respect to the hidden state against steps back from "
        f"the loss, on a log scale, one line each for {' and '.join(series)}; a dotted line marks "
        f"{gradients.BACK} steps back.",
    )
    reached = []
    for label, norms in series.items():
        fraction = gradients.reach(norms)
        reached.append(f"{label}: {fraction:.2e}" if fraction is not None else f"{label}: input shorter than 50 steps")
    meta = tanh.meta
    st.caption(
        f"Loss: predicting {result['target']!r} after the first {len(result['tokens']) - 1} characters of the input "
        f"(at most {gradients.MAX_CHARS}). Fraction of the gradient norm that reaches {gradients.BACK} steps back, "
        f"‖∂L/∂h_(T−{gradients.BACK})‖ / ‖∂L/∂h_T‖ — {'; '.join(reached)}. The tanh RNN was trained here for "
        f"{meta['steps']} steps ({meta['seconds']} s, final loss {meta['final_loss']} nats/char, no style vector). "
        "Vanishing gradients: Bengio, Simard & Frasconi (1994), *Learning long-term dependencies with gradient "
        "descent is difficult*; Pascanu, Mikolov & Bengio (2013), *On the difficulty of training recurrent neural "
        "networks*."
    )


def _score_rows(scored: whatif.Scored) -> list[dict]:
    return [{"token": t, "log p (nats)": round(p, 3)} for t, p in zip(scored.tokens, scored.log_probs)]


def whatif_section(name: str, text: str) -> None:
    model = load_model(name)
    kind = getattr(model, "model_type", "")
    if kind not in ("char-rnn", "rnn-translator", "rnn-plain-seq2seq"):
        st.caption("For the translation and generation models.")
        return
    char = kind == "char-rnn"
    label = "Text to score (from its start), then continued greedily" if char else "Output to score for the input"
    target = st.text_input(label, key=f"inside_whatif_{name}", max_chars=500)
    pressed = st.button("Score it and decode on from it", key="inside_whatif_run")
    inputs = (name, text, target)
    run = (lambda: whatif.generation(model, target)) if char else (lambda: whatif.translation(model, text, target))
    result = None
    with user_errors():
        result = kept_result("inside_whatif", inputs, pressed, run)
    if result is None:
        return
    for notice in result.notices:
        st.info(notice)
    yours, own = st.columns(2)
    yours.markdown(f"**Yours**: total log-probability {result.yours.total:.3f} nats")
    yours.dataframe(_score_rows(result.yours), hide_index=True, key="inside_whatif_yours")
    own.markdown(f"**The model's greedy output**: {result.own.total:.3f} nats")
    own.dataframe(_score_rows(result.own), hide_index=True, key="inside_whatif_own")
    st.markdown(f"Forced as a prefix, then decoded greedily: `{result.continued}`")
    st.caption("Scores from core.decoding.teacher_forced_score, the function the decoders are tested against.")


@st.fragment
def _gradients_fragment(name: str, text: str) -> None:
    with user_errors():
        gradients_section(name, text)


def main() -> None:
    """Model, cell, input and layer rerun the page; every section below is a fragment that reruns alone."""
    name, part, text = choose_input()
    trace = None
    with user_errors():
        trace = cached_trace(name, part, text)
    if trace is None:
        return
    index = choose_layer(trace)
    time_section(trace, index)
    st.subheader("Neuron explorer")
    st.fragment(neuron_section)(trace, index)
    st.subheader("Find interpretable units, measured")
    st.fragment(units_section)(name)
    st.subheader("Gradients through time")
    _gradients_fragment(name, text)
    st.subheader("What-if decoding")
    st.fragment(whatif_section)(name, text)
