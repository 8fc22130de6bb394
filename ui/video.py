"""Sections of the video page: clip choice, prediction views, model comparison, train your own."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import streamlit as st

from core import checkpoints, limits
from core.errors import UserError
from core.plots import video as plots
from core.training import TrainConfig, seed_everything
from core.video.io import BROWSER_CODECS, EXTENSIONS, model_input, probe, read_clip, read_segments
from core.video.model import RECURRENT, VideoClassifier, VideoConfig, predict
from core.video.train import ClipSet, accuracy, fit
from ui.common import query_choice, query_number, show_figure
from ui.jobs import current_job, show_job, start_job

SAMPLES = Path(__file__).resolve().parent.parent / "assets" / "samples"
VARIANTS = {  # shipped model -> what it is
    "video-motion": "CNN + GRU",
    "video-motion-frame": "single frame",
    "video-motion-mean": "order-blind mean",
}
JOB_KEY = "video_train_job"


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
    if upload is None:
        return None
    return upload.name, upload.getvalue()


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
        result = predict(model, frames)
        metrics = model.meta.get("metrics", {})
        rows.append(
            {"model": VARIANTS[name], "prediction": result["label"], "confidence": f"{result['confidence']:.1%}"}
        )
        names.append(VARIANTS[name])
        values.append(metrics.get("heldout_accuracy"))
        if model.config.temporal in RECURRENT:
            shuffled = predict(model, frames, shuffle_seed=0)
            rows.append(
                {
                    "model": "CNN + GRU, frames shuffled",
                    "prediction": shuffled["label"],
                    "confidence": f"{shuffled['confidence']:.1%}",
                }
            )
            names.append("CNN + GRU, shuffled")
            values.append(metrics.get("shuffled_accuracy"))
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


def _class_names(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not 2 <= len(names) <= 8 or len(set(names)) != len(names):
        raise UserError("name 2-8 distinct classes, separated by commas")
    return names


def _parse_ranges(text: str, names: list[str]) -> list[tuple[str, float, float]]:
    """Lines 'class: start-end' (seconds) -> [(class, start, end)]."""
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            label, span = line.split(":", 1)
            start, end = (float(v) for v in span.split("-", 1))
        except ValueError:
            raise UserError(f"line {number}: write 'class: start-end' in seconds, e.g. 'wave: 2.5-4'") from None
        if label.strip() not in names:
            raise UserError(f"line {number}: unknown class {label.strip()!r}; classes: {', '.join(names)}")
        if not 0 <= start < end:
            raise UserError(f"line {number}: a range needs 0 <= start < end")
        out.append((label.strip(), start, end))
    return out


def split(labels: np.ndarray, share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Held-out indices: ``share`` of each class with at least 2 clips (at least one of them)."""
    rng = np.random.default_rng(seed)
    held = []
    for c in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == c))
        if len(members) >= 2:
            held += list(members[: max(1, round(share * len(members)))])
    held = np.array(sorted(held), int)
    return np.setdiff1d(np.arange(len(labels)), held), held


def _collect(names: list[str], frames: int, size: int) -> ClipSet:
    mode = st.session_state.get("vt_mode", "Clips per class")
    clips, labels = [], []
    if mode == "Clips per class":
        for c, name in enumerate(names):
            for upload in st.session_state.get(f"vt_clips_{c}") or []:
                try:
                    clip = read_clip(upload.getvalue(), frames)
                except UserError as error:
                    raise UserError(f"{name} / {upload.name}: {error}") from None
                clips.append(model_input(clip.frames, size))
                labels.append(c)
    else:
        upload = st.session_state.get("vt_long")
        if upload is None:
            raise UserError("upload the long clip first")
        ranges = _parse_ranges(st.session_state.get("vt_ranges", ""), names)
        for (label, _, _), clip in zip(ranges, read_segments(upload.getvalue(), frames, [r[1:] for r in ranges])):
            clips.append(model_input(clip.frames, size))
            labels.append(names.index(label))
    counts = np.bincount(np.array(labels, int), minlength=len(names)) if labels else np.zeros(len(names), int)
    empty = [n for n, k in zip(names, counts) if k == 0]
    if empty:
        raise UserError(f"every class needs at least one clip; none for {', '.join(empty)}")
    return ClipSet(np.stack(clips), np.array(labels, np.int64))


def train_section() -> None:
    st.markdown(
        "Name 2-8 classes and give each a few clips, either uploads per class or time ranges of one long "
        "clip. A share of each class is held out to check the model on clips it never saw."
    )
    names_text = st.text_input("Classes (comma-separated)", "wave, clap", key="vt_names")
    mode = st.radio("Clips from", ["Clips per class", "Time ranges of one long clip"], key="vt_mode", horizontal=True)
    try:
        names = _class_names(names_text)
    except UserError as error:
        st.error(str(error))
        return
    if mode == "Clips per class":
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
    else:
        long_clip = st.file_uploader(
            "Long clip", type=list(EXTENSIONS), key="vt_long", max_upload_size=limits.VIDEO_MAX_MB
        )
        if long_clip is not None:
            try:
                st.caption(f"About {describe(long_clip.getvalue())['duration']:.1f} s long (as the container claims).")
            except UserError as error:
                st.error(f"Long clip: {error}")
        st.text_area(
            "One segment per line: class: start-end (seconds)", f"{names[0]}: 0-2\n{names[1]}: 2-4", key="vt_ranges"
        )
    cols = st.columns(6)
    temporal = cols[0].selectbox("Over time", ["gru", "lstm", "mean", "frame"], key="vt_temporal")
    hidden = cols[1].select_slider("RNN size", [16, 32, 64, 128], 32, key="vt_hidden")
    width = cols[2].select_slider("CNN width", [8, 16, 32], 16, key="vt_cnn")
    epochs = int(cols[3].number_input("Epochs", 1, 100, 15, key="vt_epochs"))
    held_share = cols[4].slider("Held out", 0.0, 0.5, 0.2, key="vt_heldout")
    motion = cols[5].checkbox(
        "Frame changes",
        True,
        key="vt_motion",
        disabled=temporal not in RECURRENT,
        help="The CNN also sees each frame's change from the previous one: direction (turning, moving) "
        "becomes visible to it. Off for mean and single frame, where it would leak the order.",
    )
    job = current_job(JOB_KEY)
    running = job is not None and job.running
    if st.button("Train", key="vt_train", disabled=running):
        with st.status("Decoding clips…", expanded=False) as status:
            data = _collect(names, 16, 32)
            status.update(label=f"Decoded {len(data)} clips", state="complete")
        train_idx, held_idx = split(data.labels, held_share, seed=0)
        train = ClipSet(data.clips[train_idx], data.labels[train_idx])
        held = ClipSet(data.clips[held_idx], data.labels[held_idx])
        config = VideoConfig(
            labels=names,
            temporal=temporal,
            hidden=hidden,
            channels=[width, width * 2, width * 2],
            motion=motion and temporal in RECURRENT,
        )

        def target(callback, cancel: threading.Event):
            seed_everything(0)
            model = VideoClassifier(config)
            fit(
                model,
                train,
                TrainConfig(epochs=epochs, lr=3e-3),
                held if len(held) else None,
                batch_size=8,
                callback=callback,
                cancel=cancel,
            )
            return {
                "model": model,
                "held": held,
                "train_accuracy": accuracy(model, train),
                "held_accuracy": accuracy(model, held) if len(held) else None,
            }

        start_job(JOB_KEY, f"Training {len(names)} classes on {len(train)} clips", target)
    show_job(JOB_KEY, ("train_accuracy", "val_accuracy"))
    job = current_job(JOB_KEY)
    if job is not None and not job.running and job.result:
        _trained_section(job.result)


def _trained_section(result: dict) -> None:
    model: VideoClassifier = result["model"]
    held = result["held"]
    held_text = f"{result['held_accuracy']:.0%} on {len(held)} held-out clips" if len(held) else "no held-out clips"
    st.success(f"Training accuracy {result['train_accuracy']:.0%}; {held_text}.")
    if len(held):
        guess = np.array([predict(model, clip)["label"] for clip in held.clips])
        n = len(model.config.labels)
        confusion = np.zeros((n, n), int)
        for truth, g in zip(held.labels, guess):
            confusion[truth, model.config.labels.index(g)] += 1
        show_figure(
            plots.confusion_figure(confusion.tolist(), model.config.labels, "Held-out confusion"), key="vt_confusion"
        )
    meta = {
        "task": "video classification (your classes)",
        "description": "trained on the video page",
        "metrics": {"train_accuracy": result["train_accuracy"], "held_accuracy": result["held_accuracy"]},
        "headline": "train_accuracy",
        "trained_with": "the video page, Train your own",
    }
    st.download_button(
        "Download checkpoint (zip)",
        checkpoints.to_zip(model, meta),
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
