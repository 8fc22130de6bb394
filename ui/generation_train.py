"""Generator page sections about training: the shipped model's loss-vs-samples gallery and "Train your own"."""

from __future__ import annotations

import math
from dataclasses import replace

import streamlit as st

from core import checkpoints
from core.errors import UserError
from core.generation.model import CharRNN
from core.generation.recipes import PAGE
from core.generation.train import folk_corpus, prose_corpus, train_char_rnn, uploaded_corpus
from core.limits import TEXT_MAX_MB
from core.plots import generation as plots
from ui.common import show_figure, user_errors
from ui.generation import JOB_KEY, OWN
from ui.jobs import current_job, show_job, start_job

CORPORA = ("folk tunes (music21)", "Python reference (pydoc)", "upload a text file")
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
        plots.loss_curve_figure(history, gallery, training.get("steps_per_round", 1), batch_chars),
        key="gen_gallery_fig",
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
    rounds = c.number_input("Epochs (rounds)", 1, 50, PAGE.rounds, key="gen_train_rounds", disabled=running)
    steps = d.number_input("Steps per round", 5, 2000, PAGE.steps_per_round, key="gen_train_steps", disabled=running)
    if st.button("Train", key="gen_train_start", disabled=running, type="primary"):
        with user_errors():
            corpus = build_corpus(corpus_name, upload, int(copies))
            for notice in corpus.notices:
                st.warning(notice)
            cfg = replace(
                PAGE,
                cell=cell,
                hidden=int(hidden),
                rounds=int(rounds),
                steps_per_round=int(steps),
                sample_prime="" if corpus.style_fields else corpus.train[0][:8],
                sample_style={"meter": "6/8", "key": "D", "type": "jig"} if corpus.style_fields else {},
            )
            label = f"Training a {cell.upper()} {hidden} on {corpus.name} ({corpus.train_chars:,} characters)"
            start_job(JOB_KEY, label, lambda callback, cancel: train_char_rnn(corpus, cfg, callback, cancel))
    job = show_job(JOB_KEY, ("valid_loss",))  # nats/char; bits/char are written below the curve
    if job is not None:
        show_training_result(job)


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
    return uploaded_corpus(upload.getvalue(), "your upload")
