"""The video page's stored evaluations: a model's held-out results (from its checkpoint) and the shift set
(from bench/results). Nothing here runs a model."""

from __future__ import annotations

import streamlit as st

from core import results
from core.plots import video as plots
from core.video import shift
from core.video.model import VideoClassifier
from ui.common import cached_figure, show_figure


def heldout_section(model: VideoClassifier) -> None:
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
    labels, per_class = list(model.config.labels), metrics["per_class_accuracy"]
    right = sum(row[i] for i, row in enumerate(metrics["confusion"]))
    total = sum(map(sum, metrics["confusion"]))
    left_column, right_column = st.columns(2)
    with left_column:
        show_figure(
            cached_figure(plots.confusion_figure, metrics["confusion"], labels),
            key="video_confusion",
            caption=f"Heatmap: held-out clips counted by true class (rows) and the model's answer (columns); the "
            f"diagonal holds the right answers, {right} of {total}.",
        )
    with right_column:
        said = ", ".join(f"{label} {per_class[label]:.0%}" for label in labels if label in per_class)
        show_figure(
            cached_figure(plots.per_class_figure, per_class),
            key="video_per_class",
            caption=f"Bar chart: the share of each class's held-out clips answered right: {said}.",
        )


def robustness_section() -> None:
    kept = results.read(shift.RESULTS)
    if kept is None:
        st.info("No shift-set measurement is stored yet: run `python bench/bench_video_shift.py`.")
        return
    rows = shift.side_by_side(kept)
    sets = kept["sets"]
    st.caption(
        f"Stored, not computed at page load: `{kept['command']}` on {kept['date']}. Held-out set: "
        f"{sets['heldout']['clips']} clips from the training generator's full ranges. Shift set: "
        f"{sets['shift']['clips']} clips drawn by a separate renderer ({sets['shift']['what']}; "
        f"{', '.join(sets['shift']['codecs'])}), made by `{sets['shift']['command']}`, never used to train or choose."
    )
    left, right = st.columns([2, 3])
    with left:
        table = [{**row, "held-out": f"{row['held-out']:.1%}", "shift": f"{row['shift']:.1%}"} for row in rows]
        st.dataframe(table, hide_index=True, key="video_shift_table")
    with right:
        said = "; ".join(f"{row['model']}: {row['held-out']:.0%} held-out, {row['shift']:.0%} shift" for row in rows)
        show_figure(
            cached_figure(plots.robustness_figure, rows),
            key="video_shift_bars",
            caption=f"Bar chart: each model's accuracy on the held-out set and on the shift set: {said}.",
        )
