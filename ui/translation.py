"""Sections of the translation page: model choice, decoding settings, one translation (its views: translation_views)."""

from __future__ import annotations

import random

import streamlit as st

from core import checkpoints
from core.translation import data, inference, reading
from ui.common import bind_choice, bind_float, bind_int, bind_text, frozen_after, last_result
from ui.jobs import current_job

TRANSLATOR, PLAIN = "rnn-translator", "rnn-plain-seq2seq"
MODEL_TYPES = (TRANSLATOR, PLAIN)
SESSION_MODELS = "translation_models"  # session_state: {name: model trained or uploaded in this session}
JOB_KEY = "translation_job"
TEXT_KEY = "tr_text"
OPTIONS_KEY = "tr_options"  # session_state: the decoding settings last chosen
MAX_TEXT = 2000  # characters the input box takes
MAX_SEED = 2**31 - 1
TREE_PATHS = 3  # paths of the best hypotheses the beam tree shows by default


@st.cache_resource(max_entries=8, show_spinner=False)
def load_shipped(name: str):
    return frozen_after(lambda: checkpoints.load(name))


@st.cache_data(max_entries=1, show_spinner=False)
def shipped_names() -> list[str]:
    """Read from the checkpoints' files once per server (several calls a run read them all each time)."""
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
    default = "numbers-en-fr" if "numbers-en-fr" in names else names[0]
    name = st.selectbox(
        "Model",
        names,
        index=names.index(default),
        key="tr_model",
        help="shipped or trained here",
        bind=bind_choice("tr_model", "Model", names),
    )
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
    # every setting is bound to the URL (its key is the parameter's name): a link reproduces the translation
    method = c1.radio("Decoding", methods, key="tr_method", bind=bind_choice("tr_method", "Decoding", methods))
    top = inference.MAX_BEAM
    beam = c2.slider("Beam width", 1, top, 5, key="tr_beam", bind=bind_int("tr_beam", "Beam width", 1, top))
    alpha = c3.slider(
        "Length penalty α", 0.0, 2.0, 0.6, 0.1, key="tr_alpha", bind=bind_float("tr_alpha", "Length penalty", 0, 2)
    )
    temperature = c4.slider(
        "Temperature", 0.1, 3.0, 1.0, 0.1, key="tr_temp", bind=bind_float("tr_temp", "Temperature", 0.1, 3)
    )
    seed = c5.number_input(
        "Seed", 0, MAX_SEED, 0, key="tr_seed", help="sampling only", bind=bind_int("tr_seed", "Seed", 0, MAX_SEED)
    )
    n_best = 1
    if beam > 1:
        n_best = c6.slider(
            "n-best", 1, beam, min(beam, 5), key="tr_nbest", bind=bind_int("tr_nbest", "n-best", 1, beam)
        )
    return {
        "method": method,
        "beam_size": beam,
        "alpha": alpha,
        "temperature": temperature,
        "n_best": n_best,
        "seed": int(seed),
    }


def share_options(options: dict) -> None:
    """Keep the decoding settings for the batch section (a fragment of its own). When they change while a batch
    file is loaded, rerun the whole page so its table follows them."""
    previous = st.session_state.get(OPTIONS_KEY)
    st.session_state[OPTIONS_KEY] = options
    if previous not in (None, options) and st.session_state.get("tr_batch_file") is not None:
        st.rerun()


def show_source_tokens(result: inference.Translation) -> None:
    """Source tokens as the model read them; unknown ones highlighted in red."""
    unknown = set(result.unknown)
    visible = [t.replace("▁", "␣").replace(" ", "␣") for t in result.source_tokens]
    shown = [f":red-background[{t}]" if i in unknown else f"`{t}`" for i, t in enumerate(visible)]
    st.markdown("Source tokens: " + " ".join(shown))


def input_text(task: str) -> str:
    """The input box, bound to the URL; with no text in the link, the task's fixed example (the same in any
    browser, so a link without ``tr_text`` still reproduces the page)."""
    bind = bind_text(TEXT_KEY, "Input", MAX_TEXT)  # first: it drops a hostile value from the URL
    if st.button("Random example", key="tr_random", disabled=task in ("", "pairs")):
        st.session_state[TEXT_KEY] = random_example(task, random.randrange(10**9))[0]
    elif st.session_state.get("tr_task_seen", task) != task:  # another task: its own example, not stale text
        example = random_example(task, 7)
        st.session_state[TEXT_KEY] = example[0] if example else ""
    elif TEXT_KEY not in st.session_state and TEXT_KEY not in st.query_params:
        example = random_example(task, 7)
        st.session_state[TEXT_KEY] = example[0] if example else ""
    st.session_state["tr_task_seen"] = task
    text = st.text_input("Input", key=TEXT_KEY, max_chars=MAX_TEXT, bind=bind)
    if task == "dates":
        st.caption(f"How numeric dates are read: {reading.NUMERIC_ORDER}.")
    return text


def used_options(options: dict) -> tuple:
    """The settings the chosen method reads: moving one it ignores (temperature under greedy) asks for no work."""
    used = {"greedy": (), "beam": ("beam_size", "alpha", "n_best"), "sample": ("temperature", "seed")}
    return (options["method"], *((k, options[k]) for k in used[options["method"]]))


def translate_one(name: str, model, text: str, options: dict) -> inference.Translation:
    """One translation, computed once per model, input and used settings in this session."""
    inputs = (name, id(model), text, used_options(options))
    beam = options["method"] == "beam"
    return last_result("tr_result", inputs, lambda: inference.translate(model, [text], record_tree=beam, **options)[0])


def translate_section(name: str, model, options: dict) -> inference.Translation | None:
    task = model.config.task
    text = input_text(task)
    if not text.strip():
        st.warning("Type an input (a number in English words, a date, or a sentence) or press Random example.")
        return None
    prepared = reading.prepare(task, text)
    for note in prepared.notes:
        st.info(f"Note: {note}.")
    result = translate_one(name, model, prepared.text, options)
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
