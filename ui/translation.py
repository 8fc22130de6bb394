"""Sections of the translation page: model choice, decoding settings, one translation and its views."""

from __future__ import annotations

import random

import streamlit as st

from core import checkpoints
from core.plots import translation as plots
from core.translation import data, inference, reading
from ui.common import query_choice, query_number, query_text, show_figure
from ui.jobs import current_job

TRANSLATOR, PLAIN = "rnn-translator", "rnn-plain-seq2seq"
MODEL_TYPES = (TRANSLATOR, PLAIN)
SESSION_MODELS = "translation_models"  # session_state: {name: model trained or uploaded in this session}
JOB_KEY = "translation_job"
TEXT_KEY = "tr_text"
MAX_SEED = 2**31 - 1
TREE_PATHS = 3  # paths of the best hypotheses the beam tree shows by default


@st.cache_resource(max_entries=8, show_spinner=False)
def load_shipped(name: str):
    return checkpoints.load(name)


def shipped_names() -> list[str]:
    return [row["name"] for row in checkpoints.list_models() if row["model_type"] in MODEL_TYPES]


def session_models() -> dict:
    return st.session_state.setdefault(SESSION_MODELS, {})


def get_model(name: str):
    return session_models()[name] if name in session_models() else load_shipped(name)


def attention_of(model) -> str:
    """The model's attention type; a plain seq2seq RNN has none."""
    return model.config.attention if model.model_type == TRANSLATOR else "none"


def models_of_task(task: str) -> list[str]:
    """Shipped and session models that translate ``task``, shipped first."""
    names = [n for n in shipped_names() if load_shipped(n).config.task == task]
    return names + [n for n, m in session_models().items() if m.config.task == task and n not in names]


def add_session_model(model, prefix: str) -> str:
    """Make a trained or uploaded model selectable in this session; returns its name."""
    models = session_models()
    for name, known in models.items():
        if known is model:
            return name
    task = (model.config.task or "pairs").replace(":", "-")
    kind = attention_of(model) if model.model_type == TRANSLATOR else "plain"
    name = f"{prefix}-{task}-{kind}-{len(models) + 1}"
    models[name] = model
    return name


def describe(model) -> str:
    c = model.config
    if model.model_type == PLAIN:
        return f"plain seq2seq {c.cell.upper()} {c.hidden}, delay {c.delay}"
    direction = "bi" if c.bidirectional else "uni"
    return f"{direction}-{c.cell.upper()} {c.hidden}, attention: {c.attention}"


def choose_model() -> tuple[str, object]:
    job = current_job(JOB_KEY)
    if job is not None and not job.running and job.result is not None:
        add_session_model(job.result, "my")  # a model finished since the last run joins the list first
    names = shipped_names() + [n for n in session_models() if n not in shipped_names()]
    if not names:
        st.error("No translation models found: run `make weights` (python -m core models build).")
        st.stop()
    default = query_choice("model", names, "numbers-en-fr" if "numbers-en-fr" in names else names[0])
    name = st.selectbox("Model", names, index=names.index(default), key="tr_model", help="shipped or trained here")
    st.query_params["model"] = name
    model = get_model(name)
    metrics = model.meta.get("metrics", {})
    line = f"{describe(model)} · task `{model.config.task}`"
    if "test_exact" in metrics:
        line += (
            f" · held-out exact match **{100 * metrics['test_exact']:.2f} %** on {metrics.get('test_pairs', '?')} pairs"
        )
    st.caption(line)
    if name in shipped_names() and (stored := reading.stored_accuracy(name)):
        st.caption(stored)
    return name, model


def random_example(task: str, seed: int) -> tuple[str, str] | None:
    if task == "pairs" or not task:
        return None
    return data.task_pairs(task, 1, seed=seed, split="test")[0]


def decoding_controls() -> dict:
    c1, c2, c3, c4, c5, c6 = st.columns(6)
    methods = list(inference.METHODS)
    method = c1.radio(
        "Decoding", methods, index=methods.index(query_choice("method", methods, "greedy")), key="tr_method"
    )
    beam = c2.slider(
        "Beam width", 1, inference.MAX_BEAM, int(query_number("beam", 5, 1, inference.MAX_BEAM)), key="tr_beam"
    )
    alpha = c3.slider(
        "Length penalty α", 0.0, 2.0, float(query_number("alpha", 0.6, 0.0, 2.0, float)), 0.1, key="tr_alpha"
    )
    temperature = c4.slider(
        "Temperature", 0.1, 3.0, float(query_number("temp", 1.0, 0.1, 3.0, float)), 0.1, key="tr_temp"
    )
    seed = c5.number_input(
        "Seed", 0, MAX_SEED, int(query_number("seed", 0, 0, MAX_SEED)), key="tr_seed", help="sampling only"
    )
    n_best = c6.slider("n-best", 1, beam, min(beam, 5), key="tr_nbest") if beam > 1 else 1
    st.query_params.update(
        {"method": method, "beam": str(beam), "alpha": str(alpha), "temp": str(temperature), "seed": str(seed)}
    )
    return {
        "method": method,
        "beam_size": beam,
        "alpha": alpha,
        "temperature": temperature,
        "n_best": n_best,
        "seed": int(seed),
    }


def show_source_tokens(result: inference.Translation) -> None:
    """Source tokens as the model read them; unknown ones highlighted in red."""
    unknown = set(result.unknown)
    visible = [t.replace("▁", "␣").replace(" ", "␣") for t in result.source_tokens]
    shown = [f":red-background[{t}]" if i in unknown else f"`{t}`" for i, t in enumerate(visible)]
    st.markdown("Source tokens: " + " ".join(shown))


def input_text(task: str) -> str:
    if st.button("Random example", key="tr_random", disabled=task in ("", "pairs")):
        st.session_state[TEXT_KEY] = random_example(task, random.randrange(10**9))[0]
    if TEXT_KEY not in st.session_state:
        default = random_example(task, 7)
        st.session_state[TEXT_KEY] = query_text("text", default[0] if default else "")
    elif st.session_state.get("tr_task_seen", task) != task:  # another task: its own example, not stale text
        example = random_example(task, 7)
        st.session_state[TEXT_KEY] = example[0] if example else ""
    st.session_state["tr_task_seen"] = task
    text = st.text_input("Input", key=TEXT_KEY, max_chars=2000)
    if task == "dates":
        st.caption(f"How numeric dates are read: {reading.NUMERIC_ORDER}.")
    st.query_params["text"] = text
    return text


def translate_section(model, options: dict) -> inference.Translation | None:
    task = model.config.task
    text = input_text(task)
    if not text.strip():
        st.warning("Type an input (a number in English words, a date, or a sentence) or press Random example.")
        return None
    prepared = reading.prepare(task, text)
    for note in prepared.notes:
        st.info(f"Note: {note}.")
    result = inference.translate(model, [prepared.text], record_tree=options["method"] == "beam", **options)[0]
    if result.truncated:
        st.warning(
            f"The input is longer than this model reads ({model.config.max_source_len} tokens): "
            "it was truncated, so the translation covers only the beginning."
        )
    if result.unknown:
        unknown = ", ".join(f"“{result.source_tokens[i].replace('▁', '')}”" for i in result.unknown)
        st.warning(f"Tokens never seen in training (read as <unk>, highlighted below): {unknown}")
    st.markdown(f"### → {result.output or '∅ (empty output)'}")
    show_check(task, reading.verdict(task, prepared.text, result.output))
    if not result.finished:
        st.caption("Stopped at the maximum length without producing end-of-sequence.")
    show_source_tokens(result)
    sampled = f" · sampled with seed {options['seed']}" if options["method"] == "sample" else ""
    st.caption(f"log-probability {result.score:.3f} · {len(result.target_tokens)} output tokens{sampled}")
    return result


CHECK_TEXT = {  # the check of the answer, in words (reading.check)
    "ok": "Correct: the answer reads back as the input's value “{reference}”.",
    "mismatch": "Wrong: the answer is well formed but the input reads as “{reference}”.",
    "unreadable": "Not a valid answer: the output does not read back as {what}, whatever the input.",
}


def show_check(task: str, judged: dict) -> None:
    """Right / wrong / not even an answer, read back from the output; says when the input itself cannot be read."""
    what = "a real YYYY-MM-DD date" if task == "dates" else "a number as French writes it"
    if judged["reference"] is None:
        st.warning(f"No reference: {judged['reference_note'] or 'this task has no reader'}.")
        if judged["check"] is not None:
            st.caption(
                f"Output check: **{judged['check']}**: "
                + ("a well-formed answer." if judged["check"] == "ok" else f"not {what}.")
            )
        return
    if judged["reference_note"]:
        st.caption(judged["reference_note"])
    message = CHECK_TEXT[judged["check"]].format(what=what, **judged)
    (st.success if judged["check"] == "ok" else st.error)(message)


def attention_section(model, result: inference.Translation, name: str) -> None:
    if result.attention is None:
        if model.model_type == PLAIN:
            st.info("A plain seq2seq RNN has no attention: output i sees only the first i + delay input tokens.")
        else:
            st.info("This model has no attention: the decoder sees the source only through the encoder's final state.")
        return
    if not result.target_tokens:
        return
    labels = [f"{i + 1}: {t.replace('▁', '␣')}" for i, t in enumerate(result.target_tokens)]
    choice = st.selectbox("Highlight an output token", labels, key="tr_highlight")
    row = labels.index(choice)
    fig = plots.attention_heatmap(result.source_tokens, result.target_tokens, result.attention, row, result.unknown)
    st.caption(
        "Rows: output tokens, first at the top; columns: source tokens (unknown ones in red); hover for weights."
    )
    left, right = st.columns([3, 2])
    with left:
        show_figure(fig, key="tr_heatmap", config={"toImageButtonOptions": {"format": "png", "filename": "attention"}})
    with right:
        show_figure(
            plots.source_distribution(result.source_tokens, result.attention[row], result.target_tokens[row]),
            key="tr_row",
        )
    st.download_button(
        "Download attention matrix (CSV)",
        inference.attention_csv(result),
        file_name=f"attention-{name}.csv",
        mime="text/csv",
        key="tr_csv",
    )
    st.caption("PNG: use the camera icon in the heatmap's toolbar.")


def beam_section(model, result: inference.Translation) -> None:
    st.dataframe(
        [
            {
                "rank": i + 1,
                "output": c.output,
                "log-prob": round(c.score, 4),
                "normalized": round(c.normalized_score, 4),
            }
            for i, c in enumerate(result.n_best)
        ],
        hide_index=True,
        key="tr_nbest_table",
    )
    if not result.tree:
        return
    last = max(n.step for n in result.tree) + 1
    c1, c2, c3 = st.columns([2, 2, 3])
    pruned = c1.toggle("Only the best hypotheses' paths", True, key="tr_tree_prune", help="readable for long outputs")
    top = c2.slider("Paths shown", 1, inference.MAX_BEAM, TREE_PATHS, key="tr_tree_top", disabled=not pruned)
    steps = c3.slider("Show the search up to step", 1, last, last, key="tr_tree_step") if last > 1 else last
    labels = dict(enumerate(model.tgt_tokenizer.vocab))
    show_figure(plots.beam_tree(result.tree, labels, steps, top if pruned else None), key="tr_tree")


def stopping_section(model, name: str, text: str) -> None:
    """The same model to EOS and forced to a length, and a model of the other kind to EOS."""
    if model.model_type == PLAIN:
        st.caption("A plain seq2seq RNN writes exactly one output token per input token: its length is the input's.")
        return
    st.markdown(
        "**Output length is set by the stopping rule, not by attention.** The decoder writes until its rule "
        "says stop: here, until it emits end-of-sequence. Mask end-of-sequence until L tokens and stop at L, "
        "and the same model writes exactly L tokens; a model without attention stops at its end-of-sequence "
        "just as well (whether its tokens are right is another matter)."
    )
    natural = inference.translate(model, [text])[0]
    length = st.slider(
        "Forced length L", 1, inference.MAX_FORCED_LEN // 4, min(len(natural.target_tokens) + 3, 50), key="tr_forced"
    )
    runs = [(name, model, None), (name, model, length)]
    others = [n for n in models_of_task(model.config.task) if get_model(n).model_type == TRANSLATOR]
    other = next((n for n in others if (attention_of(get_model(n)) == "none") != (attention_of(model) == "none")), None)
    if other is not None:
        runs.append((other, get_model(other), None))
    st.table(inference.stopping_rows(runs, text))  # three static rows: no interactive grid to load
