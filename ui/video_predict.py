"""The video page's classify section: model and clip choice, the answer, its per-frame views and CSV, the
variants side by side, the chosen model's held-out evaluation. One fragment: its widgets rerun only it.

The views of an answer are lazy tabs: only the open one is drawn, and the comparison runs the other shipped
models only when its tab is open. Drawing all three (three charts and a table) after every upload, and reading
the clip five more times (the other models, and the recurrent ones on shuffled frames), took a 3 s upload from
about 0.65 s to 1.05 s in a warm browser on 2 cores.

Predictions are computed once per (model, clip, frames): a shipped model's in a cache shared by sessions
(keyed by its name), an uploaded model's in this session only.
"""

from __future__ import annotations

import streamlit as st

from core import results
from core.plots import video as plots
from core.video import export, motion_crop
from core.video.model import RECURRENT, VideoClassifier, predict
from ui import video as vi
from ui import video_stored as stored
from ui.common import bind_choice, cached_figure, show_figure, user_errors

DEV_RESULTS = "bench/results/video_dev.json"  # the no-clear-motion threshold, chosen on a dev set
VIEWS = ("Probabilities over time", "Hidden state", "Every model on this clip")  # lazy tabs under the answer
SESSION_PREDICTIONS = "_video_predictions"  # session_state: {(model key, clip key, frames): result}, uploads only


@st.cache_data(max_entries=64, show_spinner=False)
def _shipped_prediction(name: str, clip_key: str, frames: int, shuffle_seed: int | None, _clip) -> dict:
    model = vi.load_model(name)
    return predict(model, model.config.model_input(_clip.frames), shuffle_seed)


def prediction(name: str, model_key: str, model: VideoClassifier, clip_key: str, clip, shuffle_seed=None) -> dict:
    """The model's reading of the clip, computed once per model, clip and frame count."""
    frames = len(clip.indices)
    if name in vi.VARIANTS:
        return _shipped_prediction(name, clip_key, frames, shuffle_seed, clip)
    kept = st.session_state.setdefault(SESSION_PREDICTIONS, {})
    key = (model_key, clip_key, frames, shuffle_seed)
    if key not in kept:
        if len(kept) >= 16:  # a session classifies a few clips; keep the memory bounded
            kept.clear()
        kept[key] = predict(model, model.config.model_input(clip.frames), shuffle_seed)
    return kept[key]


@st.fragment
def classify_section() -> None:
    with user_errors():
        name, model_key, model, frames = vi.choose_model()
        with user_errors():  # a bad clip stops here: the held-out section below stays
            picked = vi.choose_clip()
            if picked is not None:
                clip_name, clip_key, data = picked
                with st.spinner("Decoding and sampling frames…"):
                    clip = vi.decode(clip_key, data, frames)
                vi.show_clip(clip_name, clip_key, data, clip)
                st.header("Prediction")
                prediction_section(name, model_key, model, clip_name, clip_key, clip)
        st.header("Held-out set")
        stored.heldout_section(model)


def show_answer(name: str, result: dict) -> None:
    """The model's answer, or "no clear motion" when its confidence is under the threshold chosen for it."""
    kept = results.read(DEV_RESULTS)
    threshold = kept["chosen_threshold"] if kept and kept["model"] == name else 0.0
    if result["confidence"] >= threshold:
        st.metric("Prediction", result["label"], f"{result['confidence']:.1%} confident", delta_color="off")
        return
    guess = f"best guess {result['label']}, {result['confidence']:.1%}"
    st.metric("Prediction", "no clear motion", guess, delta_color="off")
    chosen = next(row for row in kept["table"] if row["threshold"] == threshold)
    st.info(
        f"The model sees no clear motion in this clip: its {guess}, is under {threshold:.0%}. That threshold was "
        f"chosen on a development set ({kept['dev_set']}): there it flags {chosen['still_flagged']:.0%} of the "
        f"still clips and keeps {chosen['right_answers_kept']:.0%} of the right answers. Stored by "
        f"`{kept['command']}` on {kept['date']}."
    )


def crop_view(model: VideoClassifier, clip) -> None:
    """Where a cropping model looks: its box drawn on the middle sampled frame."""
    box = motion_crop.motion_box(clip.frames)
    side = model.config.input_size
    if box == motion_crop.WHOLE:
        said = "the change is spread over the whole frame (a moving camera, or noise), so the model reads all of it"
    else:
        said = (
            f"the model reads the boxed part, where the clip changes ({box[2] - box[0]:.0%} of the width, "
            f"{box[3] - box[1]:.0%} of the height), shrunk to {side}x{side}"
        )
    middle = clip.frames[len(clip.frames) // 2]
    st.image(motion_crop.outlined(middle, box), width=160, alt=f"The middle sampled frame: {said}.")
    st.caption(f"Motion crop: {said}, so a small object is not lost.")


def prediction_section(name: str, model_key: str, model: VideoClassifier, clip_name: str, clip_key: str, clip):
    result = prediction(name, model_key, model, clip_key, clip)
    show_answer(name, result)
    if model.config.motion_crop:
        crop_view(model, clip)
    timeline, hidden, compare = st.tabs(
        VIEWS, default=VIEWS[0], key="video_view", on_change="rerun", bind=bind_choice("video_view", "View", VIEWS)
    )
    if timeline.open:
        with timeline:
            timeline_view(model, clip_name, clip, result)
    if hidden.open:
        with hidden:
            hidden_state_view(name, model, result)
    if compare.open:
        with compare:
            st.caption(
                "The same sampled frames through each shipped variant; the bars are accuracies on the held-out set."
            )
            compare_section(clip_key, clip)
    return result


def timeline_view(model: VideoClassifier, clip_name: str, clip, result: dict) -> None:
    labels = list(model.config.labels)
    left, right = st.columns([3, 1], vertical_alignment="center")
    with left:
        final = ", ".join(f"{label} {p:.0%}" for label, p in zip(labels, result["timeline"][-1]))
        show_figure(
            cached_figure(plots.timeline_figure, result["timeline"], labels),
            key="video_timeline",
            caption=f"Line chart, one line per class: the probability the model gives each class (up) after reading "
            f"the sampled frames 1 to n (across). After the last frame: {final}.",
        )
    with right:
        st.download_button(
            "Per-frame probabilities (CSV)",
            export.to_csv(labels, export.rows(clip_name, result, clip.indices, clip.fps)),
            "video-probabilities.csv",
            "text/csv",
            key="video_csv",
            on_click="ignore",  # a download needs no rerun
            help="One row per sampled frame: its number, its frame index in the clip, its time in seconds, then "
            "p_<class>: each class's probability after reading the frames up to it (the chart).",
        )


def hidden_state_view(name: str, model: VideoClassifier, result: dict) -> None:
    title = {"gru": "GRU", "lstm": "LSTM"}.get(model.config.temporal)
    if title is None:
        st.info(f"{vi.VARIANTS.get(name, name)} has no hidden state: its per-frame features carry no memory.")
        return
    left, _ = st.columns([3, 1])
    with left:
        show_figure(
            cached_figure(plots.trajectory_figure, result["states"], f"{title} hidden state over time (PCA)"),
            key="video_pca",
            caption=f"Scatter chart: the {title}'s hidden state after each sampled frame, squeezed to two "
            "dimensions (PCA), numbered and coloured by frame; a path that keeps moving means the state "
            "still changes.",
        )


def compare_section(clip_key: str, clip) -> None:
    rows, names, values = [], [], []
    for name in vi.shipped():
        model = vi.load_model(name)
        metrics = model.meta.get("metrics", {})
        readings = [(vi.VARIANTS[name], None, "heldout_accuracy")]  # (shown as, shuffle seed, stored metric)
        if model.config.temporal in RECURRENT:
            readings.append((f"{vi.VARIANTS[name]}, shuffled", 0, "shuffled_accuracy"))
        for label, seed, metric in readings:
            result = prediction(name, name, model, clip_key, clip, shuffle_seed=seed)
            rows.append({"model": label, "prediction": result["label"], "confidence": f"{result['confidence']:.1%}"})
            names.append(label)
            values.append(metrics.get(metric))
    left, right = st.columns([2, 3])
    with left:
        st.dataframe(rows, hide_index=True, key="video_compare_table")
    with right:
        said = "; ".join(f"{n} {v:.0%}" if v is not None else f"{n} not stored" for n, v in zip(names, values))
        show_figure(
            cached_figure(plots.accuracy_bars, names, values),
            key="video_compare_bars",
            caption=f"Bar chart: each variant's accuracy on the held-out set (stored by make weights): {said}.",
        )
