"""Generator page sections about training: the shipped model's loss-vs-samples gallery and "Train your own"."""

from __future__ import annotations

import math
from dataclasses import replace

import streamlit as st

from core import checkpoints
from core.errors import UserError
from core.generation import finetune
from core.generation.finetune import is_styled
from core.generation.model import CharRNN
from core.generation.recipes import FINETUNE, PAGE
from core.generation.train import folk_corpus, prose_corpus, train_char_rnn, uploaded_corpus
from core.limits import TEXT_MAX_MB
from core.plots import generation as plots
from ui.common import cached_figure, show_figure, user_errors
from ui.generation import JOB_KEY, OWN, SHIPPED, UPLOADED, load_model
from ui.jobs import current_job, show_job, start_job

CORPORA = ("folk tunes (music21)", "Python reference (pydoc)", "upload a text file")
SCRATCH = "from scratch"
GALLERY_CHARS = 400  # characters of each stored sample shown


def show_gallery(model: CharRNN) -> None:
    meta = model.meta or {}
    gallery, history = meta.get("gallery", []), meta.get("history", [])
    if not gallery:
        st.info("This model has no recorded samples.")
        return
    training = meta.get("training", {})
    batch_chars = training.get("batch", 1) * training.get("bptt", 1)
    show_figure(
        cached_figure(plots.loss_curve_figure, history, gallery, training.get("steps_per_round", 1), batch_chars),
        key="gen_gallery_fig",
        caption="Line chart: training and validation loss (nats per character, lower is better) against characters "
        f"read, on a log scale; the {len(gallery)} stars mark the points where the samples below were drawn.",
    )
    st.caption(
        "Stored in the checkpoint when it was trained: samples drawn at temperature 1.0 with the same seed from "
        "the same model at points of its training."
    )
    # one sample at a time: a code block per snapshot (26 for folk-abc) kept the page grey for seconds
    steps = [snap["step"] for snap in gallery]
    step = st.select_slider("Sample after training step", steps, value=steps[-1], key="gen_gallery_step")
    snap = gallery[steps.index(step)]
    st.markdown(
        f"**step {snap['step']}** · {snap['chars_seen']:,} characters read · validation loss "
        f"**{snap['valid_loss']:.2f}** nats/char ({snap['valid_loss'] / math.log(2):.2f} bits/char)"
    )
    st.code(snap["sample"][:GALLERY_CHARS], language=None)


def training_section(uploaded: CharRNN | None) -> None:
    job = current_job(JOB_KEY)
    running = job is not None and job.running
    starts = [SCRATCH, *SHIPPED, *([UPLOADED] if uploaded is not None else [])]
    start_name = st.radio(
        "Start from",
        starts,
        key="gen_train_from",
        horizontal=True,
        disabled=running,
        help="Fine-tune: keep a model's network and vocabulary and go on training it on new text.",
    )
    start = None
    if start_name != SCRATCH:
        with user_errors():
            start = uploaded if start_name == UPLOADED else load_model(start_name)
        if start is None:
            return
    corpus_name = st.radio("Corpus", CORPORA, key="gen_train_corpus", horizontal=True, disabled=running)
    upload = None
    if corpus_name == CORPORA[2]:
        upload = st.file_uploader(
            "ABC tunes (X:, M:, K: headers)" if start is not None and is_styled(start) else "Text file",
            type=None,
            key="gen_upload",
            max_upload_size=TEXT_MAX_MB,
            disabled=running,
            help="Any common encoding.",
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
    recipe = PAGE if start is None else FINETUNE
    freeze = _network_settings(start, start_name, running)
    a, b, c = st.columns(3)
    rounds = a.number_input("Epochs (rounds)", 1, 50, PAGE.rounds, key="gen_train_rounds", disabled=running)
    steps = b.number_input("Steps per round", 5, 2000, PAGE.steps_per_round, key="gen_train_steps", disabled=running)
    seconds = c.number_input(
        "Time limit (s, 0 = none)",
        0,
        3600,
        0,
        key="gen_train_seconds",
        disabled=running,
        help="Stop after this long and keep the best round so far.",
    )
    if st.button("Train", key="gen_train_start", disabled=running, type="primary"):
        with user_errors():
            corpus = build_corpus(corpus_name, upload, int(copies), tunes=start is not None and is_styled(start))
            cfg = replace(recipe, rounds=int(rounds), steps_per_round=int(steps), max_seconds=float(seconds))
            _start_training(corpus, cfg, start, start_name, freeze)
    job = show_job(JOB_KEY, ("valid_loss",))  # nats/char; bits/char are written below the curve
    if job is not None:
        for notice in st.session_state.get("gen_train_notices", []):
            st.warning(notice)
        show_training_result(job)


def _network_settings(start: CharRNN | None, start_name: str, running: bool) -> bool:
    """Cell and width for a new model (kept in session state); for a fine-tune, the start model's network and
    the freeze choice (returned)."""
    if start is None:
        a, b = st.columns(2)
        a.selectbox("Cell", ["gru", "lstm"], key="gen_train_cell", disabled=running)
        b.selectbox("Hidden size", [64, 128, 256], index=1, key="gen_train_hidden", disabled=running)
        return False
    c = start.config
    st.caption(
        f"Fine-tuning keeps {start_name}'s network: {c.cell.upper()} {c.hidden}, {c.layers} layer(s), "
        f"{len(c.vocab) - 1} characters"
        + (f", conditioned on {', '.join(c.style_fields)}" if c.style_fields else "")
        + ". Characters of your text outside its vocabulary are mapped to look-alikes or dropped, and listed."
    )
    return st.checkbox(
        "Freeze the embeddings and lower layers (train only the top recurrent layer and the output layer)",
        key="gen_train_freeze",
        disabled=running,
    )


def _start_training(corpus, cfg, start: CharRNN | None, start_name: str, freeze: bool) -> None:
    if start is None:
        cfg = replace(
            cfg,
            cell=st.session_state["gen_train_cell"],
            hidden=int(st.session_state["gen_train_hidden"]),
            sample_prime="" if corpus.style_fields else corpus.train[0][:8],
            sample_style={"meter": "6/8", "key": "D", "type": "jig"} if corpus.style_fields else {},
        )
        label = f"Training a {cfg.cell.upper()} {cfg.hidden} on {corpus.name} ({corpus.train_chars:,} characters)"
        st.session_state["gen_train_notices"] = corpus.notices
        start_job(JOB_KEY, label, lambda callback, cancel: train_char_rnn(corpus, cfg, callback, cancel))
        return
    corpus = finetune.corpus_for(start, corpus)  # the notices list what the vocabulary lacks, before training
    cfg = replace(cfg, sample_style={"meter": "6/8", "key": "D", "type": "jig"} if corpus.style_fields else {})
    label = f"Fine-tuning {start_name} on {corpus.name} ({corpus.train_chars:,} characters)"
    st.session_state["gen_train_notices"] = corpus.notices

    def target(callback, cancel):
        return finetune.fine_tune(start, corpus, cfg, callback, cancel, freeze, start_name)

    start_job(JOB_KEY, label, target)


def show_training_result(job) -> None:
    if job.epochs:
        last = job.epochs[-1]
        valid = last.metrics.get("valid_loss", float("nan"))
        st.markdown(
            f"After epoch {last.epoch}: train **{last.loss:.3f}** nats/char ({last.loss / math.log(2):.2f} bits/char), "
            f"validation **{valid:.3f}** nats/char ({valid / math.log(2):.2f} bits/char)"
        )
        st.code(last.metrics.get("sample", ""), language=None)
    if not job.running and job.result is not None:
        meta = job.result.meta
        if "start" in meta:
            st.markdown(
                f"Fine-tuned from **{meta['fine_tuned_from']}**: round 0 of the curve is that model on your text, "
                f"before any step: held-out **{meta['start']['valid_loss']:.3f}** nats/char. The model kept "
                f"(round {meta['training']['kept_round']}): **{meta['metrics']['valid_loss']:.3f}** nats/char."
                + (f" Frozen: {', '.join(meta['frozen'])}." if meta["frozen"] else "")
            )
        st.download_button(
            "Download checkpoint (.zip)",
            checkpoints.to_zip(job.result.model, {**meta, "trained_with": f"the Generator page: {job.label}"}),
            "generator-checkpoint.zip",
            "application/zip",
            key="gen_train_download",
        )
        st.caption(f"Pick “{OWN}” above to generate with it. The zip holds a model card (README.md).")


def build_corpus(corpus_name: str, upload, transpositions: int = 0, tunes: bool = False):
    """The chosen corpus; ``tunes``: an upload is read as ABC tunes with their styles (for folk-abc)."""
    if corpus_name == CORPORA[0]:
        return folk_corpus(transpositions=transpositions)
    if corpus_name == CORPORA[1]:
        return prose_corpus()
    if upload is None:
        raise UserError("upload a text file first (UTF-8, UTF-16, Latin-1 … are detected)")
    if tunes:
        return finetune.uploaded_tunes(upload.getvalue(), "your tunes")
    return uploaded_corpus(upload.getvalue(), "your upload")
