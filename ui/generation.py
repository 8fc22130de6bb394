"""Sections of the generator page: settings, generate + stream, per-step view, music, gallery, training."""

from __future__ import annotations

import math

import streamlit as st

from core import checkpoints
from core.errors import UserError
from core.generation import corpora, generate, music
from core.generation.model import CharRNN
from core.generation.train import GeneratorTraining, folk_corpus, prose_corpus, text_corpus, train_char_rnn
from core.limits import TEXT_MAX_MB
from core.plots import generation as plots
from ui.common import query_choice, query_number, query_text, show_figure, user_errors
from ui.jobs import current_job, show_job, start_job

SHIPPED = ("folk-abc", "python-prose")
OWN = "your model (trained here)"
JOB_KEY = "gen_train_job"
METHOD_LABELS = {"sample": "sampling", "greedy": "greedy", "beam": "beam search"}
DEFAULT_PRIME = {"folk-abc": "", "python-prose": "The "}


@st.cache_resource(max_entries=4, show_spinner="Loading model…")
def load_model(name: str) -> CharRNN:
    return checkpoints.load(name)


def is_music(model: CharRNN) -> bool:
    return "meter" in model.config.style_fields


# ---- settings ---------------------------------------------------------------------------------


def choose_model() -> tuple[str, CharRNN | None]:
    job = current_job(JOB_KEY)
    own = job.result.model if job is not None and not job.running and job.result is not None else None
    options = [*SHIPPED, *([OWN] if own is not None else [])]
    default = query_choice("model", options, SHIPPED[0])
    name = st.radio("Model", options, index=options.index(default), key="gen_model", horizontal=True)
    st.query_params["model"] = name
    if name == OWN:
        return name, own
    with user_errors():
        return name, load_model(name)
    st.info("Build the shipped models with `make weights` (or `python -m core models build folk-abc python-prose`).")
    return name, None


def decoding_settings(name: str) -> tuple[str, generate.Settings]:
    left, right = st.columns([3, 2])
    with left:
        prime = st.text_area(
            "Prime (the text the model continues)",
            query_text("prime", DEFAULT_PRIME.get(name, "")),
            key="gen_prime",
            height=90,
            help="Leave empty to start a new text (for tunes: a new tune in the chosen style).",
        )
        length = st.number_input(
            "Length (characters)",
            min_value=1,
            max_value=100_000,
            value=query_number("length", 400, 1, 100_000),
            key="gen_length",
            help=f"At most {generate.MAX_LENGTH:,}; longer requests are capped with a notice.",
        )
    with right:
        methods = list(generate.METHODS)
        method = st.radio(
            "Decoding",
            methods,
            index=methods.index(query_choice("method", methods, "sample")),
            format_func=METHOD_LABELS.get,
            key="gen_method",
            horizontal=True,
        )
        settings = generate.Settings(method=method, length=int(length))
        if method == "sample":
            settings.temperature = st.slider(
                "Temperature", 0.05, 2.0, query_number("temperature", 1.0, 0.05, 2.0, float), 0.05, key="gen_temp"
            )
            a, b, c = st.columns(3)
            settings.top_k = int(
                a.number_input("Top-k (0 = off)", 0, 500, query_number("top_k", 0, 0, 500), key="gen_topk")
            )
            settings.top_p = b.slider(
                "Top-p", 0.05, 1.0, query_number("top_p", 1.0, 0.05, 1.0, float), 0.05, key="gen_topp"
            )
            settings.seed = int(
                c.number_input("Seed", 0, 2**31 - 1, query_number("seed", 0, 0, 2**31 - 1), key="gen_seed")
            )
        elif method == "beam":
            a, b = st.columns(2)
            settings.beam = int(a.slider("Beam width", 1, 16, query_number("beam", 4, 1, 16), key="gen_beam"))
            settings.alpha = b.slider(
                "Length penalty α", 0.0, 2.0, query_number("alpha", 0.0, 0.0, 2.0, float), 0.1, key="gen_alpha"
            )
    for key, value in (("prime", prime), ("length", int(length)), ("method", method)):
        st.query_params[key] = str(value)
    if method == "sample":
        for key in ("temperature", "top_k", "top_p", "seed"):
            st.query_params[key] = str(getattr(settings, key))
    elif method == "beam":
        st.query_params["beam"], st.query_params["alpha"] = str(settings.beam), str(settings.alpha)
    return prime, settings


def style_settings(model: CharRNN) -> dict | None:
    if not is_music(model):
        return None
    values = dict(zip(model.config.style_fields, model.config.style_values))
    meters = [m for m in values["meter"] if m not in ("other", "free")]
    keys = [k for k in values["key"] if k != "other"]
    types = values.get("type", ["other"])
    a, b, c = st.columns(3)
    meter = a.selectbox("Meter", meters, index=meters.index(query_choice("meter", meters, "6/8")), key="gen_meter")
    key = b.selectbox(
        "Key", keys, index=keys.index(query_choice("key", keys, "D")), format_func=corpora.key_label, key="gen_key"
    )
    kind = c.selectbox(
        "Tune type",
        types,
        index=types.index(query_choice("type", types, "jig" if "jig" in types else types[0])),
        key="gen_type",
    )
    st.query_params["meter"], st.query_params["key"], st.query_params["type"] = meter, key, kind
    st.caption(
        "Vector to sequence: meter, key and tune type are embedded into a style vector that is fed to the GRU at "
        "every step; they are not written in the text the model reads."
    )
    return {"meter": meter, "key": key, "type": kind}


# ---- generating --------------------------------------------------------------------------------


def run_generation(name: str, model: CharRNN, prime_text: str, settings: generate.Settings, style: dict | None):
    """Stream one sample into the page and keep it (with its trace) in the session for the views below."""
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
        "model": name,
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


def show_result(model: CharRNN, result: dict) -> None:
    text, settings = result["text"], result["settings"]
    if not text:
        st.info("The model ended the text straight away: try another seed, a prime, or sampling.")
        return
    prime = generate.prepare_prime(model, result["prime"])
    logits = generate.trace(model, prime, text, result["style"])
    probabilities = generate.char_probabilities(logits, model, text)
    mean = -sum(math.log(max(p, 1e-12)) for p in probabilities) / len(probabilities)
    st.markdown(
        f"**Generated text coloured by probability** (red = surprising, green = expected; hover a character). "
        f"Mean surprise {mean:.2f} nats/char = {mean / math.log(2):.2f} bits/char."
    )
    st.markdown(plots.colored_text_html(text, probabilities), unsafe_allow_html=True)
    st.subheader("Per-step view")
    position = 0
    if len(text) > 1:
        surprising = min(range(len(text)), key=probabilities.__getitem__)  # start at the least expected character
        position = st.slider("Position in the generated text", 0, len(text) - 1, surprising, key="gen_pos")
    view = generate.step_view(model, logits, text, position, settings)
    context = (result["prime"] + text[:position])[-30:]
    st.caption(f"…{context!r} → chose {text[position]!r} (p = {view.chosen_raw:.3f} under the model)")
    show_figure(plots.step_distribution_figure(view), key="gen_step_fig")


def show_music(result: dict) -> None:
    style = result["style"]
    st.subheader("Music")
    abc = music.assemble_abc(result["prime"] + result["text"], style["meter"], style["key"])
    parsed = cached_parse(abc)
    a, b = st.columns(2)
    a.download_button("Download .abc", abc, "generated.abc", "text/plain", key="gen_dl_abc")
    if not parsed["ok"]:
        where = f" at line {parsed['line']}: `{abc.splitlines()[parsed['line'] - 1]}`" if parsed["line"] else ""
        st.error(f"music21 could not parse this tune{where} ({parsed['error']}).")
        st.code(abc, language=None)
        return
    b.download_button("Download .mid", parsed["midi"], "generated.mid", "audio/midi", key="gen_dl_mid")
    st.audio(parsed["wav"], format="audio/wav")
    if parsed["seconds"] > music.MAX_AUDIO_SECONDS:
        st.caption(f"Audio cut at {music.MAX_AUDIO_SECONDS} s of {parsed['seconds']:.0f} s (the MIDI file has it all).")
    show_figure(plots.piano_roll_figure(parsed["notes"]), key="gen_roll")
    check = parsed["check"]
    c1, c2 = st.columns(2)
    share = check.full_bars / check.bars if check.bars else 0.0
    c1.metric(
        f"Bars with the full {style['meter']} length", f"{share:.0%}", help=f"{check.full_bars} of {check.bars} bars"
    )
    c2.metric(
        f"Key analysis (asked {corpora.key_label(style['key'])})",
        check.key_found or "—",
        delta="matches" if check.key_ok else "differs",
        delta_color="normal" if check.key_ok else "inverse",
    )
    with st.expander("ABC text"):
        st.code(abc, language=None)


def adherence_section(model: CharRNN, style: dict) -> None:
    """Sample a batch of tunes in the chosen style and measure them against real tunes of that meter."""
    st.subheader("How well does the model honour the style?")
    n = st.slider("Tunes to sample (temperature 1.0)", 4, 24, 8, 4, key="gen_check_n")
    if not st.button("Sample and check tunes", key="gen_check"):
        return
    bar = st.progress(0.0, text="Sampling tunes…")
    prime = generate.prepare_prime(model, "")
    settings = generate.Settings("sample", 1500, n=n, temperature=1.0, seed=0)
    samples = generate.generate(model, prime, settings, style)
    checks = []
    for i, sample in enumerate(samples):
        bar.progress((i + 1) / (2 * n), text=f"Parsing generated tune {i + 1}/{n} with music21…")
        checks.append(
            music.check_tune(
                music.assemble_abc(sample.text, style["meter"], style["key"]), style["meter"], style["key"]
            )
        )
    real = [t for t in corpora.folk_tunes() if t.meter == style["meter"]][:n]
    reference = []
    for i, tune in enumerate(real):
        bar.progress(
            0.5 + (i + 1) / (2 * max(len(real), 1)), text=f"Parsing real {style['meter']} tune {i + 1}/{len(real)}…"
        )
        reference.append(music.check_tune(tune.abc, tune.meter, tune.key))
    bar.empty()
    ours, theirs = music.summarize(checks), music.summarize(reference)
    a, b, c = st.columns(3)
    a.metric("Tunes that parse", f"{ours['parse_rate']:.0%}", help=f"{n} tunes sampled at temperature 1.0, seed 0")
    b.metric(
        f"Bars with the full {style['meter']} length",
        f"{ours['full_bar_fraction']:.0%}",
        delta=f"real {style['meter']} tunes: {theirs['full_bar_fraction']:.0%}",
        delta_color="off",
    )
    c.metric(f"Key analysis finds {corpora.key_label(style['key'])}", f"{ours['key_match_rate']:.0%}")
    failures = [(i, ch) for i, ch in enumerate(checks) if not ch.parses]
    for i, check in failures[:3]:
        st.caption(f"tune {i + 1} does not parse (line {check.line}): {check.error}")


@st.cache_data(max_entries=32, show_spinner="Parsing with music21 and synthesising audio…")
def cached_parse(abc: str) -> dict:
    parsed = music.parse_abc(abc)
    if not parsed.ok:
        return {"ok": False, "error": parsed.error, "line": parsed.line}
    header = dict(line.split(":", 1) for line in abc.splitlines()[:5] if ":" in line)
    notes = music.score_notes(parsed.score)
    return {
        "ok": True,
        "notes": notes,
        "wav": music.synthesize(notes),
        "seconds": music.audio_seconds(notes),
        "midi": music.midi_bytes(parsed.score),
        "check": music.check_tune(abc, header.get("M", "none"), header.get("K", "C"), parsed),
    }


# ---- gallery -----------------------------------------------------------------------------------


def show_gallery(model: CharRNN) -> None:
    meta = model.meta or {}
    gallery, history = meta.get("gallery", []), meta.get("history", [])
    if not gallery:
        st.info("This model has no recorded samples.")
        return
    training = meta.get("training", {})
    batch_chars = training.get("batch", 1) * training.get("bptt", 1)
    show_figure(
        plots.loss_curve_figure(history, gallery, training.get("steps_per_round", 1), batch_chars),
        key="gen_gallery_fig",
    )
    st.caption("Samples drawn at temperature 1.0 with the same seed from the same model at points of its training.")
    for snap in gallery:
        st.markdown(
            f"**step {snap['step']}** · {snap['chars_seen']:,} characters read · validation loss "
            f"**{snap['valid_loss']:.2f}** nats/char ({snap['valid_loss'] / math.log(2):.2f} bits/char)"
        )
        st.code(snap["sample"][:400], language=None)


# ---- training ----------------------------------------------------------------------------------

CORPORA = ("folk tunes (music21)", "Python reference (pydoc)", "upload a text file")


def training_section() -> None:
    job = current_job(JOB_KEY)
    running = job is not None and job.running
    corpus_name = st.radio("Corpus", CORPORA, key="gen_train_corpus", horizontal=True, disabled=running)
    upload = None
    if corpus_name == CORPORA[2]:
        upload = st.file_uploader(
            "Text file (any common encoding)",
            type=None,
            key="gen_upload",
            max_upload_size=TEXT_MAX_MB,
            disabled=running,
        )
    copies = 0
    if corpus_name == CORPORA[0]:
        copies = st.number_input(
            "Transposed copies per tune",
            0,
            6,
            0,
            key="gen_train_transpose",
            disabled=running,
            help="More data from the same tunes: each training tune also appears moved to other common keys of "
            "its mode (a jig in D, and in G and A). Held-out tunes stay as written.",
        )
    a, b, c, d = st.columns(4)
    cell = a.selectbox("Cell", ["gru", "lstm"], key="gen_train_cell", disabled=running)
    hidden = b.selectbox("Hidden size", [64, 128, 256], index=1, key="gen_train_hidden", disabled=running)
    rounds = c.number_input("Epochs (rounds)", 1, 50, 4, key="gen_train_rounds", disabled=running)
    steps = d.number_input("Steps per round", 5, 2000, 50, key="gen_train_steps", disabled=running)
    if st.button("Train", key="gen_train_start", disabled=running, type="primary"):
        with user_errors():
            corpus = build_corpus(corpus_name, upload, int(copies))
            for notice in corpus.notices:
                st.warning(notice)
            cfg = GeneratorTraining(
                cell=cell,
                hidden=int(hidden),
                batch=32,
                bptt=64,
                rounds=int(rounds),
                steps_per_round=int(steps),
                eval_chars=20_000,
                sample_chars=200,
                sample_prime="" if corpus.style_fields else corpus.train[0][:8],
                sample_style={"meter": "6/8", "key": "D", "type": "jig"} if corpus.style_fields else {},
            )
            label = f"Training a {cell.upper()} {hidden} on {corpus.name} ({corpus.train_chars:,} characters)"
            start_job(JOB_KEY, label, make_target(corpus, cfg))
    job = show_job(JOB_KEY, ("valid_loss",))  # nats/char; bits/char are written below the curve
    if job is None:
        return
    if job.epochs:
        last = job.epochs[-1]
        valid = last.metrics.get("valid_loss", float("nan"))
        st.markdown(
            f"After epoch {last.epoch}: train **{last.loss:.3f}** nats/char ({last.loss / math.log(2):.2f} bits/char), "
            f"validation **{valid:.3f}** nats/char ({valid / math.log(2):.2f} bits/char)"
        )
        st.code(last.metrics.get("sample", ""), language=None)
    if not job.running and job.result is not None:
        st.download_button(
            "Download checkpoint (.zip)",
            checkpoints.to_zip(job.result.model, job.result.meta),
            "generator-checkpoint.zip",
            "application/zip",
            key="gen_train_download",
        )
        st.caption(f"Pick “{OWN}” above to generate with it.")


def build_corpus(corpus_name: str, upload, transpositions: int = 0):
    if corpus_name == CORPORA[0]:
        return folk_corpus(transpositions=transpositions)
    if corpus_name == CORPORA[1]:
        return prose_corpus()
    if upload is None:
        raise UserError("upload a text file first (UTF-8, UTF-16, Latin-1 … are detected)")
    decoded = corpora.decode_upload(upload.getvalue())
    corpus = text_corpus(decoded.text, "your upload")
    corpus.notices = [*decoded.notices, *corpus.notices]
    return corpus


def make_target(corpus, cfg: GeneratorTraining):
    def target(callback, cancel):
        return train_char_rnn(corpus, cfg, callback, cancel)

    return target
