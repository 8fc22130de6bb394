"""The video page's "Train your own classes" section: clips per class or time ranges, where to start from
(the shipped CNN, scratch, or fine-tuning a shipped or uploaded model), settings, background job."""

from __future__ import annotations

import functools

import streamlit as st

from core import checkpoints, limits, results
from core.errors import UserError
from core.plots import video as plots
from core.video import custom
from core.video.io import EXTENSIONS
from core.video.model import RECURRENT, TEMPORAL, VideoClassifier, predict
from ui import video as vi
from ui.common import (
    bind_choice,
    bind_float,
    bind_int,
    bind_text,
    cached_figure,
    show_figure,
    user_errors,
)
from ui.jobs import current_job, show_job, start_job

JOB_KEY = "video_train_job"
CLIPS_PER_CLASS, LONG_CLIP = "Clips per class", "Time ranges of one long clip"
MODES = (CLIPS_PER_CLASS, LONG_CLIP)
NAMES_MAX, RANGES_MAX = 200, 2000  # characters a link may carry for the class names and the ranges
TRANSFER_RESULTS = "bench/results/video_transfer.json"
STARTS = {"transfer": "the shipped CNN (transfer)", "scratch": "a new CNN (from scratch)"}
HIDDEN, WIDTHS = (16, 32, 64, 128), (8, 16, 32)


def _collect(names: list[str], mode: str, settings: custom.CustomTraining) -> custom.Collected:
    if mode == CLIPS_PER_CLASS:
        uploads = [
            [(f.name, f.getvalue()) for f in st.session_state.get(f"vt_clips_{c}") or []] for c in range(len(names))
        ]
        return custom.clips_from_uploads(uploads, names, settings)
    upload = st.session_state.get("vt_long")
    if upload is None:
        raise UserError("upload the long clip first")
    segments = custom.parse_ranges(st.session_state.get("vt_ranges", ""), names)
    return custom.clips_from_ranges(upload.getvalue(), segments, names, settings)


def _clip_inputs(names: list[str], mode: str) -> None:
    if mode == CLIPS_PER_CLASS:
        columns = st.columns(min(4, len(names)))
        for c, name in enumerate(names):
            with columns[c % len(columns)]:
                st.file_uploader(
                    f"{name}",
                    type=list(EXTENSIONS),
                    accept_multiple_files=True,
                    key=f"vt_clips_{c}",
                    max_upload_size=limits.VIDEO_MAX_MB,
                )
        return
    long_clip = st.file_uploader("Long clip", type=list(EXTENSIONS), key="vt_long", max_upload_size=limits.VIDEO_MAX_MB)
    if long_clip is not None:
        try:
            st.caption(
                f"About {vi.describe(vi.upload_key(long_clip), long_clip.getvalue())['duration']:.1f} s long "
                "(as the container claims)."
            )
        except UserError as error:
            st.error(f"Long clip: {error}")
    st.text_area(
        "One segment per line: class: start-end (seconds)",
        f"{names[0]}: 0-2\n{names[1]}: 2-4",
        key="vt_ranges",
        bind=bind_text("vt_ranges", "the time ranges", RANGES_MAX),
    )


def _start_label(option: str) -> str:
    return STARTS.get(option) or f"{option} (fine-tune)"


def _start() -> tuple[str, VideoClassifier | None]:
    """The chosen start ("transfer", "scratch" or a model's shown name) and, to fine-tune, that model."""
    mine = vi.uploaded()
    options = [*STARTS, *vi.shipped(), *([vi.UPLOADED] if mine else [])]
    start = st.radio(
        "Start from",
        options,
        format_func=_start_label,
        horizontal=True,
        key="vt_start",
        bind=bind_choice("vt_start", "Start from", [_start_label(o) for o in options]),
        help=f"Transfer keeps {custom.TRANSFER_FROM}'s CNN (trained on the eight motions) fixed and trains a new "
        "RNN and classifier on your clips: a few clips teach that much, not a CNN. Fine-tune goes on training a "
        "whole model (shipped, or the checkpoint you opened above) from its weights.",
    )
    if start in STARTS:
        return start, None
    return start, mine[1] if start == vi.UPLOADED else vi.load_model(start)


def _settings(start: str, model: VideoClassifier | None) -> custom.CustomTraining:
    cols = st.columns(6)
    epochs = int(
        cols[3].number_input("Epochs", 1, 100, 15, key="vt_epochs", bind=bind_int("vt_epochs", "Epochs", 1, 100))
    )
    held = cols[4].slider(
        "Held out", 0.0, 0.5, 0.2, key="vt_heldout", bind=bind_float("vt_heldout", "Held out", 0.0, 0.5)
    )
    if model is not None:
        st.caption(
            f"Fine-tuning keeps {start}'s network: {vi.summary(model)}. Its classifier is kept when your classes "
            "are its own (same names, same order); otherwise a new one is trained for yours. Epoch 0 of the "
            "curve is the model as it comes, on your clips."
        )
        freeze = cols[0].checkbox(
            "Keep its CNN fixed",
            True,
            key="vt_freeze",
            help="Train only the RNN and the classifier (as transfer does).",
        )
        return custom.CustomTraining(epochs=epochs, held_share=held, freeze_cnn=freeze).like(model)
    _transfer_evidence()
    temporal = cols[0].selectbox(
        "Over time", TEMPORAL, key="vt_temporal", bind=bind_choice("vt_temporal", "Over time", TEMPORAL)
    )
    motion = cols[5].checkbox(
        "Frame changes",
        True,
        key="vt_motion",
        disabled=temporal not in RECURRENT or start == "transfer",
        help="The CNN also sees each frame's change from the previous one: direction (turning, moving) "
        "becomes visible to it. Off for mean and single frame, where it would leak the order. Transfer reads "
        "what the shipped CNN reads (the motion stream for GRU/LSTM, the frames for the others).",
    )
    return custom.CustomTraining(
        start=start,
        temporal=temporal,
        hidden=cols[1].select_slider(
            "RNN size", HIDDEN, 64, key="vt_hidden", bind=bind_choice("vt_hidden", "RNN size", HIDDEN)
        ),
        width=cols[2].select_slider(
            "CNN width",
            WIDTHS,
            16,
            key="vt_cnn",
            disabled=start == "transfer",
            bind=bind_choice("vt_cnn", "CNN width", WIDTHS),
        ),
        epochs=epochs,
        held_share=held,
        motion=motion,
    )


def _transfer_evidence() -> None:
    """The stored from-scratch vs transfer comparison, if measured."""
    stored = results.read(TRANSFER_RESULTS)
    if stored is None:
        return
    starts = stored["starts"]
    said = "; ".join(
        f"{STARTS[name]}: {run['test_accuracy_mean']:.0%} (worst seed {run['test_accuracy_min']:.0%}, "
        f"training at most {run['cpu_seconds_max']:.0f} CPU s)"
        for name, run in starts.items()
    )
    st.caption(
        f"Measured on two new classes ({', '.join(stored['classes'])}) of photo-textured clips the shipped model "
        f"never saw, {stored['train_clips_per_class']} training clips a class, accuracy on "
        f"{stored['test_clips_per_class']} other clips a class, mean of {len(next(iter(starts.values()))['runs'])} "
        f"seeds on {stored['threads']} CPU threads: {said}. Stored by `{stored['command']}` on {stored['date']}."
    )


@st.fragment
def train_section() -> None:
    """A fragment: its widgets rerun only this section (the classify section above keeps its answer)."""
    with user_errors():
        _train_form()


def _train_form() -> None:
    st.markdown(
        "Name 2-8 classes and give each a few clips, either uploads per class or time ranges of one long "
        "clip. A share of each class is held out to check the model on clips it never saw."
    )
    names_text = st.text_input(
        "Classes (comma-separated)",
        "wave, clap",
        key="vt_names",
        max_chars=NAMES_MAX,
        bind=bind_text("vt_names", "the class names", NAMES_MAX),
    )
    mode = st.radio(
        "Clips from", MODES, key="vt_mode", horizontal=True, bind=bind_choice("vt_mode", "Clips from", MODES)
    )
    try:
        names = custom.class_names(names_text)
    except UserError as error:
        st.error(str(error))
        return
    _clip_inputs(names, mode)
    start, model = _start()
    settings = _settings(start, model)
    job = current_job(JOB_KEY)
    if st.button("Train", key="vt_train", disabled=job is not None and job.running):
        with st.status("Decoding clips…", expanded=False) as status:
            collected = _collect(names, mode, settings)
            status.update(label=f"Decoded {len(collected.data)} clips", state="complete")
        target = functools.partial(custom.train, collected, names, settings, start=model, start_name=start)
        what = f"Fine-tuning {start}" if model is not None else "Training"
        start_job(JOB_KEY, f"{what} on {len(names)} classes, {len(collected.data)} clips", target)
    job = current_job(JOB_KEY)
    fine_tune = job is not None and any(p.epoch == 0 for p in job.epochs)
    show_job(
        JOB_KEY,
        ("train_accuracy", "val_accuracy"),
        caption="Line chart: the training loss and the accuracy on the training and held-out clips after each epoch"
        + ("; epoch 0 is the start model before any step." if fine_tune else "."),
    )
    job = current_job(JOB_KEY)
    if job is not None and not job.running and job.result:
        _trained_section(job.result)


def _answer(model: VideoClassifier, upload) -> dict:
    """Your model's answer for a clip, computed once: later reruns of the section do no model work."""
    key = vi.upload_key(upload)
    kept = st.session_state.get("vt_try_answer")
    if kept is None or kept[0] is not model or kept[1] != key:
        clip = vi.decode(key, upload.getvalue(), model.config.frames)
        kept = (model, key, predict(model, model.config.model_input(clip.frames)))
        st.session_state["vt_try_answer"] = kept
    return kept[2]


def _trained_section(trained: custom.Trained) -> None:
    model, held = trained.model, trained.held
    for note in trained.notes:
        st.warning(note)
    held_text = f"{trained.held_accuracy:.0%} on {len(held)} held-out clips" if len(held) else "no held-out clips"
    st.success(f"Training accuracy {trained.train_accuracy:.0%}; {held_text}.")
    if trained.start_point is not None:
        start = trained.start_point
        before = f"training accuracy {start['train_accuracy']:.0%}" + (
            f", held-out {start['val_accuracy']:.0%}" if "val_accuracy" in start else ""
        )
        st.markdown(
            f"Fine-tuned from **{trained.start_name}**: before any step (epoch 0) it had {before} on your clips."
        )
    if len(held):
        right = sum(row[i] for i, row in enumerate(trained.confusion))
        show_figure(
            cached_figure(plots.confusion_figure, trained.confusion, list(model.config.labels), "Held-out confusion"),
            key="vt_confusion",
            caption=f"Heatmap: your held-out clips counted by true class (rows) and your model's answer (columns); "
            f"the diagonal holds the right answers, {right} of {len(held)}.",
        )
    st.download_button(
        "Download checkpoint (zip)",
        checkpoints.to_zip(model, trained.meta()),
        "video-classifier.zip",
        "application/zip",
        key="vt_download",
        on_click="ignore",
    )
    upload = st.file_uploader(
        "Classify a new clip with your model", type=list(EXTENSIONS), key="vt_try", max_upload_size=limits.VIDEO_MAX_MB
    )
    if upload is not None:
        answer = _answer(model, upload)
        st.metric("Your model says", answer["label"], f"{answer['confidence']:.1%} confident", delta_color="off")
