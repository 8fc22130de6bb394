"""Sections of the video page: clip choice, prediction views, model comparison, train your own."""

from __future__ import annotations

import functools
from pathlib import Path

import streamlit as st

from core import checkpoints, limits
from core.errors import UserError
from core.plots import video as plots
from core.video import custom, synth
from core.video.io import BROWSER_CODECS, EXTENSIONS, model_input, probe, read_clip
from core.video.model import RECURRENT, TEMPORAL, VideoClassifier, predict
from ui.common import query_choice, query_number, show_figure
from ui.jobs import current_job, show_job, start_job

SAMPLES = Path(__file__).resolve().parent.parent / "assets" / "samples"
VARIANTS = {  # shipped model -> what it is
    "video-motion": "CNN + GRU",
    "video-motion-frame": "single frame",
    "video-motion-mean": "order-blind mean",
}
JOB_KEY = "video_train_job"
CLIPS_PER_CLASS, LONG_CLIP = "Clips per class", "Time ranges of one long clip"


@st.cache_resource(max_entries=4)
def load_model(name: str) -> VideoClassifier:
    return checkpoints.load(name)


@st.cache_data(max_entries=16, show_spinner=False)
def decode(data: bytes, frames: int):
    return read_clip(data, frames)


@st.cache_data(max_entries=16, show_spinner=False)
def describe(data: bytes) -> dict:
    return probe(data)


def shipped() -> list[str]:
    return [name for name in VARIANTS if (checkpoints.ASSETS_DIR / name / checkpoints.CONFIG_NAME).is_file()]


def named(pairs=synth.PAIRS, joiner=" and ") -> str:
    return joiner.join(f"`{a}`/`{b}`" for a, b in pairs)


def mirror_sentence() -> str:
    """What answering for the mirror image does, with the order-blind model's stored lean on the pairs it keeps."""
    swapped = [pair for pair in synth.PAIRS if pair[0] in synth.MIRRORED]
    kept = [pair for pair in synth.PAIRS if pair[0] not in synth.MIRRORED]
    text = (
        "Every built-in model answers for the clip and its mirror image together, reading the mirror image as "
        f"the mirrored class: {named(swapped)} swap in a mirror, so a lean towards one side of those pairs "
        f"cancels. {named(kept)} look the same in a mirror and map to themselves, so a lean there stays"
    )
    if "video-motion-mean" in shipped():
        accuracy = load_model("video-motion-mean").meta.get("metrics", {}).get("per_class_accuracy", {})
        if all(label in accuracy for pair in kept for label in pair):
            leans = "; ".join(", ".join(f"`{label}` {accuracy[label]:.0%}" for label in pair) for pair in kept)
            text += f": the order-blind model gets {leans} of its held-out clips right (stored by make weights)"
    return text + "."


def choose_model() -> tuple[str, VideoClassifier, int]:
    names = shipped()
    if not names:
        raise UserError("no shipped video model found: run 'make weights' (python -m core models build video-motion)")
    default = query_choice("model", names, names[0])
    name = st.selectbox(
        "Model", names, index=names.index(default), key="video_model", format_func=lambda n: f"{n} ({VARIANTS[n]})"
    )
    st.query_params["model"] = name
    model = load_model(name)
    frames = int(
        st.slider(
            "Frames sampled from the clip",
            4,
            64,
            query_number("frames", model.config.frames, 4, 64),
            key="video_frames",
            help="uniform over the clip; the models were trained with 16",
        )
    )
    st.query_params["frames"] = str(frames)
    return name, model, frames


def choose_clip() -> tuple[str, bytes] | None:
    samples = sorted(SAMPLES.glob("*.webm"))
    source = st.radio("Clip", ["Sample clip", "Upload"], horizontal=True, key="video_source")
    if source == "Sample clip":
        if not samples:
            st.warning("No sample clips are shipped: upload one.")
            return None
        pick = st.selectbox("Sample", [p.name for p in samples], key="video_sample")
        return pick, (SAMPLES / pick).read_bytes()
    upload = st.file_uploader(
        f"Upload a clip ({', '.join(EXTENSIONS)})",
        type=list(EXTENSIONS),
        key="video_upload",
        max_upload_size=limits.VIDEO_MAX_MB,
    )
    return None if upload is None else (upload.name, upload.getvalue())


def show_clip(name: str, data: bytes, clip) -> None:
    info = describe(data)
    left, right = st.columns([2, 3])
    with left:
        if info["codec"] in BROWSER_CODECS:
            st.video(data)
        elif name.lower().endswith(".gif"):
            st.image(data)  # browsers animate GIFs themselves
        else:
            st.info(f"Your browser cannot play this codec ({info['codec'] or 'unknown'}): showing the sampled frames.")
        st.caption(
            f"{clip.width}x{clip.height} (as decoded) · {clip.fps:.1f} fps · {clip.frames_read} frames read · "
            f"{clip.duration:.1f} s"
        )
    with right:
        st.image(list(clip.frames), caption=[f"#{i}" for i in clip.indices], width=72)
    for note in clip.notes:
        st.warning(note)


def prediction_section(name: str, model: VideoClassifier, clip) -> dict:
    result = predict(model, model_input(clip.frames, model.config.image_size))
    st.metric("Prediction", result["label"], f"{result['confidence']:.1%} confident", delta_color="off")
    left, right = st.columns(2)
    with left:
        show_figure(plots.timeline_figure(result["timeline"], model.config.labels), key="video_timeline")
    with right:
        title = {"gru": "GRU", "lstm": "LSTM"}.get(model.config.temporal)
        if title:
            show_figure(
                plots.trajectory_figure(result["states"], f"{title} hidden state over time (PCA)"), key="video_pca"
            )
        else:
            st.info(f"{VARIANTS.get(name, name)} has no hidden state: its per-frame features carry no memory.")
    return result


def compare_section(clip) -> None:
    rows, names, values = [], [], []
    for name in shipped():
        model = load_model(name)
        frames = model_input(clip.frames, model.config.image_size)
        metrics = model.meta.get("metrics", {})
        readings = [(VARIANTS[name], None, "heldout_accuracy")]  # (shown as, shuffle seed, stored metric)
        if model.config.temporal in RECURRENT:
            readings.append(("CNN + GRU, shuffled", 0, "shuffled_accuracy"))
        for label, seed, metric in readings:
            result = predict(model, frames, shuffle_seed=seed)
            rows.append({"model": label, "prediction": result["label"], "confidence": f"{result['confidence']:.1%}"})
            names.append(label)
            values.append(metrics.get(metric))
    left, right = st.columns([2, 3])
    with left:
        st.dataframe(rows, hide_index=True, key="video_compare_table")
    with right:
        show_figure(plots.accuracy_bars(names, values), key="video_compare_bars")


def heldout_section(name: str, model: VideoClassifier) -> None:
    metrics = model.meta.get("metrics", {})
    if "confusion" not in metrics:
        st.info("This checkpoint stores no held-out evaluation.")
        return
    st.caption(
        f"{metrics['heldout_clips']} held-out clips: {', '.join(metrics['heldout_codecs'])}; "
        f"{metrics['heldout_size_range'][0]} to {metrics['heldout_size_range'][1]}; "
        f"{metrics['heldout_frames_range'][0]}-{metrics['heldout_frames_range'][1]} frames. "
        "Computed by make weights, not at page load."
    )
    left, right = st.columns(2)
    with left:
        show_figure(plots.confusion_figure(metrics["confusion"], model.config.labels), key="video_confusion")
    with right:
        show_figure(plots.per_class_figure(metrics["per_class_accuracy"]), key="video_per_class")


# ---- train your own -------------------------------------------------------------------------


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


def _settings() -> custom.CustomTraining:
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
        temporal=temporal,
        hidden=cols[1].select_slider("RNN size", [16, 32, 64, 128], 32, key="vt_hidden"),
        width=cols[2].select_slider("CNN width", [8, 16, 32], 16, key="vt_cnn"),
        epochs=int(cols[3].number_input("Epochs", 1, 100, 15, key="vt_epochs")),
        held_share=cols[4].slider("Held out", 0.0, 0.5, 0.2, key="vt_heldout"),
        motion=motion,
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
