"""Sections of the generator page: model, decoding and style settings, generate + stream, the link to a result.

The generated text and its per-step view are in ``ui.generation_text``; music (audio, MIDI, the style check) in
``ui.generation_music``; the gallery and training in ``ui.generation_train``.
"""

from __future__ import annotations

import streamlit as st

from core import checkpoints
from core.generation import corpora, generate
from core.generation.model import CharRNN
from ui.checkpoint_upload import checkpoint_uploader
from ui.common import (
    bind_choice,
    bind_float,
    bind_int,
    bind_text,
    frozen_after,
    user_errors,
)
from ui.jobs import current_job

SHIPPED = ("folk-abc", "python-prose")
OWN = "your model (trained here)"
UPLOADED = "your uploaded model"
JOB_KEY = "gen_train_job"
METHOD_LABELS = {"sample": "sampling", "greedy": "greedy", "beam": "beam search"}
VIEWS = ("Generate", "Loss vs samples", "Train your own")
# Under a result, lazy tabs: drawing the piano roll and the per-step chart after every Generate took a 400-character
# tune from about 0.65 s to 1.05 s in a warm browser on 2 cores. A text that is not a tune has the per-step view only.
RESULT_VIEWS = ("Music", "Piano roll", "Per-step view")
DEFAULT_PRIME = {"folk-abc": "", "python-prose": "The "}
MAX_PRIME = 2000  # characters of prime a link may carry
MAX_SEED = 2**31 - 1
WHY_LOOPS = (
    "Why greedy and beam search loop: they always take the most likely continuation, and when the most likely "
    "continuation of a phrase leads back into the same phrase, nothing random ever leads out of it "
    "(“the comparison of the comparison …”). Sampling escapes because it sometimes takes a less likely character. "
    "Blocking repeated n-grams forbids any character that would repeat a run of n characters the text already "
    "holds (try 12 for prose)."
)


@st.cache_resource(max_entries=4, show_spinner="Loading model…")
def load_model(name: str) -> CharRNN:
    return frozen_after(lambda: checkpoints.load(name))


def is_music(model: CharRNN) -> bool:
    return "meter" in model.config.style_fields


# ---- settings ---------------------------------------------------------------------------------


def choose_model() -> tuple[str, CharRNN | None, CharRNN | None]:
    """(chosen name, its model, the model uploaded in this session or None)."""
    job = current_job(JOB_KEY)
    own = job.result.model if job is not None and not job.running and job.result is not None else None
    with st.expander("Open your own checkpoint", expanded="gen_ckpt_upload_model" in st.session_state):
        uploaded = checkpoint_uploader("gen_ckpt_upload", (CharRNN.model_type,))
        if uploaded is not None:
            st.caption(f"Loaded for this session: {_describe(uploaded)}. Pick “{UPLOADED}” to use it.")
    mine = {OWN: own, UPLOADED: uploaded}
    options = [*SHIPPED, *(label for label, model in mine.items() if model is not None)]
    # every setting is bound to the URL under its key; ``out=1`` (mark_link) says the link shows a result
    bind = bind_choice("gen_model", "Model", options)
    name = st.radio("Model", options, key="gen_model", horizontal=True, bind=bind)
    if name in mine:
        return name, mine[name], uploaded
    with user_errors():
        return name, load_model(name), uploaded
    st.info("Build the shipped models with `make weights` (or `python -m core models build folk-abc python-prose`).")
    return name, None, uploaded


def _describe(model: CharRNN) -> str:
    c = model.config
    what = (model.meta or {}).get("description") or (model.meta or {}).get("task") or "a char-RNN"
    return f"{what} ({c.cell.upper()} {c.hidden}×{c.layers}, {len(c.vocab) - 1} characters)"


def choose_view() -> str:
    return st.radio("Section", VIEWS, key="gen_view", horizontal=True, bind=bind_choice("gen_view", "Section", VIEWS))


def _prime_follows_model(name: str) -> str | None:
    """Put the model's default prime in the prime box when the model changes or a link carries none; otherwise
    keep what the user wrote. Returns the box's ``bind=``."""
    bind = bind_text("gen_prime", "Prime", MAX_PRIME)  # first: it drops a hostile value from the URL
    default = DEFAULT_PRIME.get(name, "")
    if st.session_state.get("gen_prime_for", name) != name:
        st.session_state["gen_prime"] = default
    elif "gen_prime" not in st.session_state and "gen_prime" not in st.query_params:
        st.session_state["gen_prime"] = default
    st.session_state["gen_prime_for"] = name
    return bind


def decoding_settings(name: str) -> tuple[str, generate.Settings]:
    bind = _prime_follows_model(name)
    left, right = st.columns([3, 2])
    with left:
        prime = st.text_area(
            "Prime (the text the model continues)",
            key="gen_prime",
            height=90,
            max_chars=MAX_PRIME,
            bind=bind,
            help="Leave empty to start a new text (for tunes: a new tune in the chosen style).",
        )
        length = st.number_input(
            "Length (characters)",
            min_value=1,
            max_value=100_000,
            value=400,
            key="gen_length",
            bind=bind_int("gen_length", "Length", 1, 100_000),
            help=f"At most {generate.MAX_LENGTH:,}; longer requests are capped with a notice.",
        )
    with right:
        methods = list(generate.METHODS)
        method = st.radio(
            "Decoding",
            methods,
            format_func=METHOD_LABELS.get,
            key="gen_method",
            horizontal=True,
            bind=bind_choice("gen_method", "Decoding", [METHOD_LABELS[m] for m in methods]),
        )
        settings = generate.Settings(method=method, length=int(length))
        if method == "sample":
            _sampling_settings(settings)
        elif method == "beam":
            a, b = st.columns(2)
            bind = bind_int("gen_beam", "Beam width", 1, 16)
            settings.beam = int(a.slider("Beam width", 1, 16, 4, key="gen_beam", bind=bind))
            bind = bind_float("gen_alpha", "Length penalty", 0, 2)
            settings.alpha = b.slider("Length penalty α", 0.0, 2.0, 0.0, 0.1, key="gen_alpha", bind=bind)
        settings.no_repeat_ngram = int(
            st.number_input(
                "Block repeated n-grams (characters, 0 = off)",
                0,
                generate.MAX_NO_REPEAT,
                0,
                key="gen_no_repeat",
                bind=bind_int("gen_no_repeat", "Block repeated n-grams", 0, generate.MAX_NO_REPEAT),
                help="Never write a character that would repeat a run of this many characters already written.",
            )
        )
        if method != "sample":
            st.caption(WHY_LOOPS)
    return prime, settings


def _sampling_settings(settings: generate.Settings) -> None:
    bind = bind_float("gen_temp", "Temperature", 0.05, 2)
    settings.temperature = st.slider("Temperature", 0.05, 2.0, 1.0, 0.05, key="gen_temp", bind=bind)
    a, b, c = st.columns(3)
    bind = bind_int("gen_topk", "Top-k", 0, 500)
    settings.top_k = int(a.number_input("Top-k (0 = off)", 0, 500, 0, key="gen_topk", bind=bind))
    settings.top_p = b.slider(
        "Top-p", 0.05, 1.0, 1.0, 0.05, key="gen_topp", bind=bind_float("gen_topp", "Top-p", 0.05, 1)
    )
    settings.seed = int(
        c.number_input("Seed", 0, MAX_SEED, 0, key="gen_seed", bind=bind_int("gen_seed", "Seed", 0, MAX_SEED))
    )


def style_settings(model: CharRNN) -> dict | None:
    if not is_music(model):
        return None
    options = generate.style_options(model)
    meters, keys, types = options["meter"], options["key"], options.get("type", ["other"])
    a, b, c = st.columns(3)
    meter = a.selectbox(
        "Meter",
        meters,
        index=meters.index("6/8") if "6/8" in meters else 0,
        key="gen_meter",
        bind=bind_choice("gen_meter", "Meter", meters),
    )
    key = b.selectbox(
        "Key",
        keys,
        index=keys.index("D") if "D" in keys else 0,
        format_func=corpora.key_label,
        key="gen_key",
        bind=bind_choice("gen_key", "Key", [corpora.key_label(k) for k in keys]),
    )
    kind = c.selectbox(
        "Tune type",
        types,
        index=types.index("jig") if "jig" in types else 0,
        key="gen_type",
        bind=bind_choice("gen_type", "Tune type", types),
    )
    st.caption(
        "Vector to sequence: meter, key and tune type are embedded into a style vector that is fed to the GRU at "
        "every step; they are not written in the text the model reads."
    )
    return {"meter": meter, "key": key, "type": kind}


# ---- generating --------------------------------------------------------------------------------


def result_views(result: dict) -> dict:
    """{view name: its tab} for the open view only (the others are not drawn until opened)."""
    if result["style"] is None:
        st.subheader(RESULT_VIEWS[-1])
        return {RESULT_VIEWS[-1]: st.container()}
    tabs = st.tabs(
        RESULT_VIEWS,
        key="gen_result_view",
        on_change="rerun",
        bind=bind_choice("gen_result_view", "View", RESULT_VIEWS),
    )
    return {name: tab for name, tab in zip(RESULT_VIEWS, tabs) if tab.open}


def link_asks_for_output() -> bool:
    """True on the first run of a session opened from a link to a result (``out=1``): the page then generates
    by itself, so the link shows the same output (sampling is seeded; greedy and beam are deterministic)."""
    if "gen_link_used" in st.session_state:
        return False
    st.session_state["gen_link_used"] = True
    return st.query_params.get("out") == "1"


def current_result(name: str, model: CharRNN) -> dict | None:
    """The session's last result if this very model made it."""
    result = st.session_state.get("gen_result")
    return result if result is not None and (result["model"], result["model_id"]) == (name, id(model)) else None


def mark_link(result: dict | None, inputs: tuple) -> None:
    """``out=1`` in the URL while the result on screen is what the URL's settings give; removed otherwise."""
    if result is not None and result.get("inputs") == inputs:
        st.query_params["out"] = "1"
    elif "out" in st.query_params:
        del st.query_params["out"]


def run_generation(name: str, model: CharRNN, prime_text: str, settings: generate.Settings, style: dict | None):
    """Stream one sample into the page and keep it (with its trace and the inputs that made it) in the session."""
    prime = generate.prepare_prime(model, prime_text)
    checked = settings.checked()
    for notice in [*prime.notices, *checked.notices]:
        st.warning(notice)
    if not prime.text:
        st.info("Empty prime: the model starts a new text" + (" (a new tune in the chosen style)." if style else "."))
    with st.container(border=True):
        if prime.text:
            st.caption(f"prime: {prime.text!r}")
        chars: list[str] = []
        st.write_stream(_as_code_block(generate.stream(model, prime, checked, style), chars))
    text = "".join(chars)
    st.session_state["gen_result"] = {
        "inputs": (name, prime_text, settings, style),
        "model": name,
        "model_id": id(model),  # another upload or training run under the same name is another model
        "prime": prime.text,
        "text": text,
        "settings": checked,
        "style": style,
    }


def _as_code_block(characters, collected: list[str], chunk: int = 12):
    """Stream characters inside a code fence (ABC and code are not markdown), a few at a time."""
    yield "`````text\n"  # five backticks: ABC itself uses ` and ``
    buffer = ""
    for ch in characters:
        collected.append(ch)
        buffer += ch
        if len(buffer) >= chunk or ch == "\n":
            yield buffer
            buffer = ""
    yield buffer + "\n`````"
