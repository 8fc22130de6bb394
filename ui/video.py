"""Sections of the video page: clip choice, prediction views, model comparison, train your own."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from core import checkpoints, limits, results
from core.errors import UserError
from core.plots import video as plots
from core.video import shift, synth
from core.video.io import BROWSER_CODECS, EXTENSIONS, model_input, probe, read_clip
from core.video.model import RECURRENT, VideoClassifier, predict
from ui.common import query_choice, query_number, show_figure

SAMPLES = Path(__file__).resolve().parent.parent / "assets" / "samples"
VARIANTS = {  # shipped model -> what it is
    "video-motion": "CNN + GRU",
    "video-motion-frame": "single frame",
    "video-motion-mean": "order-blind mean",
}


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


DEV_RESULTS = "bench/results/video_dev.json"  # the no-clear-motion threshold, chosen on a dev set


def show_answer(name: str, result: dict) -> None:
    """The model's answer, or "no clear motion" when its confidence is under the threshold chosen for it."""
    stored = results.read(DEV_RESULTS)
    threshold = stored["chosen_threshold"] if stored and stored["model"] == name else 0.0
    if result["confidence"] >= threshold:
        st.metric("Prediction", result["label"], f"{result['confidence']:.1%} confident", delta_color="off")
        return
    guess = f"best guess {result['label']}, {result['confidence']:.1%}"
    st.metric("Prediction", "no clear motion", guess, delta_color="off")
    chosen = next(row for row in stored["table"] if row["threshold"] == threshold)
    st.info(
        f"The model sees no clear motion in this clip: its {guess}, is under {threshold:.0%}. That threshold was "
        f"chosen on a development set ({stored['dev_set']}): there it flags {chosen['still_flagged']:.0%} of the "
        f"still clips and keeps {chosen['right_answers_kept']:.0%} of the right answers. Stored by "
        f"`{stored['command']}` on {stored['date']}."
    )


def prediction_section(name: str, model: VideoClassifier, clip) -> dict:
    result = predict(model, model_input(clip.frames, model.config.image_size))
    show_answer(name, result)
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


def robustness_section() -> None:
    stored = results.read(shift.RESULTS)
    if stored is None:
        st.info("No shift-set measurement is stored yet: run `python bench/bench_video_shift.py`.")
        return
    rows = shift.side_by_side(stored)
    sets = stored["sets"]
    st.caption(
        f"Stored, not computed at page load: `{stored['command']}` on {stored['date']}. Held-out set: "
        f"{sets['heldout']['clips']} clips from the training generator's full ranges. Shift set: "
        f"{sets['shift']['clips']} clips drawn by a separate renderer ({sets['shift']['what']}; "
        f"{', '.join(sets['shift']['codecs'])}), made by `{sets['shift']['command']}`, never used to train or choose."
    )
    left, right = st.columns([2, 3])
    with left:
        table = [{**row, "held-out": f"{row['held-out']:.1%}", "shift": f"{row['shift']:.1%}"} for row in rows]
        st.dataframe(table, hide_index=True, key="video_shift_table")
    with right:
        show_figure(plots.robustness_figure(rows), key="video_shift_bars")
