"""The video page's "Train your own classes" section: clips per class or time ranges, settings, background job."""

from __future__ import annotations

import functools

import streamlit as st

from core import checkpoints, limits, results
from core.errors import UserError
from core.plots import video as plots
from core.video import custom
from core.video.io import EXTENSIONS, model_input
from core.video.model import RECURRENT, TEMPORAL, predict
from ui.common import show_figure
from ui.jobs import current_job, show_job, start_job
from ui.video import decode, describe

JOB_KEY = "video_train_job"
CLIPS_PER_CLASS, LONG_CLIP = "Clips per class", "Time ranges of one long clip"


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
            st.caption(f"About {describe(long_clip.getvalue())['duration']:.1f} s long (as the container claims).")
        except UserError as error:
            st.error(f"Long clip: {error}")
    st.text_area(
        "One segment per line: class: start-end (seconds)", f"{names[0]}: 0-2\n{names[1]}: 2-4", key="vt_ranges"
    )


TRANSFER_RESULTS = "bench/results/video_transfer.json"
STARTS = {"transfer": "the shipped CNN (transfer)", "scratch": "a new CNN (from scratch)"}


def _settings() -> custom.CustomTraining:
    start = st.radio(
        "Start from",
        list(STARTS),
        format_func=STARTS.get,
        horizontal=True,
        key="vt_start",
        help=f"Transfer keeps {custom.TRANSFER_FROM}'s CNN (trained on the eight motions) fixed and trains only "
        "the RNN and the classifier on your clips: a few clips teach that much, not a CNN.",
    )
    _transfer_evidence()
    cols = st.columns(6)
    temporal = cols[0].selectbox("Over time", list(TEMPORAL), key="vt_temporal")
    motion = cols[5].checkbox(
        "Frame changes",
        True,
        key="vt_motion",
        disabled=temporal not in RECURRENT,
        help="The CNN also sees each frame's change from the previous one: direction (turning, moving) "
        "becomes visible to it. Off for mean and single frame, where it would leak the order.",
    )
    return custom.CustomTraining(
        start=start,
        temporal=temporal,
        hidden=cols[1].select_slider("RNN size", [16, 32, 64, 128], 64, key="vt_hidden"),
        width=cols[2].select_slider("CNN width", [8, 16, 32], 16, key="vt_cnn", disabled=start == "transfer"),
        epochs=int(cols[3].number_input("Epochs", 1, 100, 15, key="vt_epochs")),
        held_share=cols[4].slider("Held out", 0.0, 0.5, 0.2, key="vt_heldout"),
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


def train_section() -> None:
    st.markdown(
        "Name 2-8 classes and give each a few clips, either uploads per class or time ranges of one long "
        "clip. A share of each class is held out to check the model on clips it never saw."
    )
    names_text = st.text_input("Classes (comma-separated)", "wave, clap", key="vt_names")
    mode = st.radio("Clips from", [CLIPS_PER_CLASS, LONG_CLIP], key="vt_mode", horizontal=True)
    try:
        names = custom.class_names(names_text)
    except UserError as error:
        st.error(str(error))
        return
    _clip_inputs(names, mode)
    settings = _settings()
    job = current_job(JOB_KEY)
    if st.button("Train", key="vt_train", disabled=job is not None and job.running):
        with st.status("Decoding clips…", expanded=False) as status:
            collected = _collect(names, mode, settings)
            status.update(label=f"Decoded {len(collected.data)} clips", state="complete")
        target = functools.partial(custom.train, collected, names, settings)
        start_job(JOB_KEY, f"Training {len(names)} classes on {len(collected.data)} clips", target)
    show_job(JOB_KEY, ("train_accuracy", "val_accuracy"))
    job = current_job(JOB_KEY)
    if job is not None and not job.running and job.result:
        _trained_section(job.result)


def _trained_section(trained: custom.Trained) -> None:
    model, held = trained.model, trained.held
    for note in trained.notes:
        st.warning(note)
    held_text = f"{trained.held_accuracy:.0%} on {len(held)} held-out clips" if len(held) else "no held-out clips"
    st.success(f"Training accuracy {trained.train_accuracy:.0%}; {held_text}.")
    if len(held):
        figure = plots.confusion_figure(trained.confusion, model.config.labels, "Held-out confusion")
        show_figure(figure, key="vt_confusion")
    st.download_button(
        "Download checkpoint (zip)",
        checkpoints.to_zip(model, trained.meta()),
        "video-classifier.zip",
        "application/zip",
        key="vt_download",
    )
    upload = st.file_uploader(
        "Classify a new clip with your model", type=list(EXTENSIONS), key="vt_try", max_upload_size=limits.VIDEO_MAX_MB
    )
    if upload is not None:
        clip = decode(upload.getvalue(), model.config.frames)
        answer = predict(model, model_input(clip.frames, model.config.image_size))
        st.metric("Your model says", answer["label"], f"{answer['confidence']:.1%} confident", delta_color="off")
