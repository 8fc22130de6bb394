"""The video page's models (shipped, and the one this session uploaded), clip choice and decoding.

Prediction views are in ``ui.video_predict``, the stored evaluations in ``ui.video_stored``, training in
``ui.video_train``. Settings are bound to the URL (a link reopens the same model, frames and clip).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import streamlit as st

from core import checkpoints, limits
from core.errors import UserError
from core.video import synth
from core.video.io import BROWSER_CODECS, EXTENSIONS, probe, read_clip
from core.video.model import VideoClassifier
from core.video.recipes import MOTION
from ui.checkpoint_upload import checkpoint_uploader
from ui.common import bind_choice, bind_int

SAMPLES = Path(__file__).resolve().parent.parent / "assets" / "samples"
VARIANTS = {  # shipped model -> what it is
    "video-motion": "CNN + GRU on the motion stream",
    "video-motion-synthetic": "CNN + GRU on frames, plain scenes only",
    "video-motion-frame": "single frame",
    "video-motion-mean": "order-blind mean",
}
UPLOADED = "your uploaded model"
UPLOAD_KEY = "video_ckpt_upload"  # checkpoint_uploader keeps (digest, model) under f"{UPLOAD_KEY}_model"
SOURCES = ("Sample clip", "Upload")
FIRST_SAMPLE = "move_left.webm"  # what a visitor sees first: a pair only the order tells apart
FRAMES_RANGE = (4, 64)


@st.cache_resource(max_entries=4)
def load_model(name: str) -> VideoClassifier:
    return checkpoints.load(name)


# Clips are cached by a key (the sample's name, or the upload's SHA-256), not by hashing their bytes on
# every rerun: the bytes (``_data``) are left out of the cache key.
@st.cache_data(max_entries=16, show_spinner=False)
def decode(clip_key: str, _data: bytes, frames: int):
    return read_clip(_data, frames)


@st.cache_data(max_entries=16, show_spinner=False)
def describe(clip_key: str, _data: bytes) -> dict:
    return probe(_data)


def upload_key(upload) -> str:
    """A cache key for an uploaded file: its bytes' SHA-256, computed once per upload of this session."""
    seen = st.session_state.setdefault("_video_upload_digests", {})  # file id -> key
    if upload.file_id not in seen:
        if len(seen) >= 16:  # the page has a few uploaders; old uploads are gone
            seen.clear()
        seen[upload.file_id] = "upload:" + hashlib.sha256(upload.getvalue()).hexdigest()
    return seen[upload.file_id]


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


def summary(model: VideoClassifier) -> str:
    """A model's network and classes in a line."""
    c = model.config
    over = {"gru": "GRU", "lstm": "LSTM", "mean": "order-blind mean", "frame": "single frame"}[c.temporal]
    size = f" {c.hidden}" if c.temporal in ("gru", "lstm") else ""
    reads = {"appearance": "frames", "motion": "frame changes", "flow": "motion stream"}
    inputs = " + ".join(reads[name] for name in c.inputs())
    if c.flow:
        flow = {"dis": "DIS", "farneback": "Farnebäck"}[c.flow_method]
        inputs += f" ({flow} flow" + (f" computed on {c.flow_size}x{c.flow_size})" if c.flow_size else ")")
    frames = f"{c.frames} frames of {c.image_size}x{c.image_size}" + (
        ", cut to where the clip changes" if c.motion_crop else ""
    )
    return (
        f"CNN ({', '.join(map(str, c.channels))} channels, reads {inputs}) + {over}{size}, "
        f"{frames}, {len(c.labels)} classes: {', '.join(c.labels)}"
    )


def upload_section() -> None:
    """Open a checkpoint zip for this session. Not in a fragment: a new upload reruns the whole page, so the
    model list and the training section's starts both offer it."""
    with st.expander("Open your own checkpoint", expanded=f"{UPLOAD_KEY}_model" in st.session_state):
        model = checkpoint_uploader(UPLOAD_KEY, (VideoClassifier.model_type,))
        if model is not None:
            st.caption(
                f"Loaded for this session only: {summary(model)}. Pick “{UPLOADED}” under Model to classify "
                "with it, or start from it under Train your own classes."
            )
    st.session_state["video_uploaded"] = model


def uploaded() -> tuple[str, VideoClassifier] | None:
    """(the upload's cache key, its model) if this session opened a checkpoint and still holds it."""
    model = st.session_state.get("video_uploaded")
    kept = st.session_state.get(f"{UPLOAD_KEY}_model")
    return None if model is None or kept is None else ("checkpoint:" + kept[0], model)


def choose_model() -> tuple[str, str, VideoClassifier, int]:
    """(shown name, cache key, model, frames to sample)."""
    mine = uploaded()
    names = [*shipped(), *([UPLOADED] if mine else [])]
    if not names:
        raise UserError("no shipped video model found: run 'make weights' (python -m core models build video-motion)")
    name = st.selectbox(
        "Model",
        names,
        key="video_model",
        bind=bind_choice("video_model", "Model", names),
        help="; ".join(f"{n}: {VARIANTS[n]}" for n in names if n in VARIANTS),
    )
    key, model = mine if name == UPLOADED else (name, load_model(name))
    st.caption(f"{name}: {summary(model)}.")
    frames = int(
        st.slider(
            "Frames sampled from the clip",
            *FRAMES_RANGE,
            MOTION.frames,
            key="video_frames",
            bind=bind_int("video_frames", "Frames sampled from the clip", *FRAMES_RANGE),
            help=f"uniform over the clip; this model was trained with {model.config.frames}",
        )
    )
    return name, key, model, frames


def choose_clip() -> tuple[str, str, bytes] | None:
    """(shown name, cache key, bytes) of the chosen clip, or None until one is uploaded."""
    samples = sorted(p.name for p in SAMPLES.glob("*.webm"))
    source = st.radio(
        "Clip", SOURCES, horizontal=True, key="video_source", bind=bind_choice("video_source", "Clip", SOURCES)
    )
    if source == SOURCES[0]:
        if not samples:
            st.warning("No sample clips are shipped: upload one.")
            return None
        pick = st.selectbox(
            "Sample",
            samples,
            index=samples.index(FIRST_SAMPLE) if FIRST_SAMPLE in samples else 0,
            key="video_sample",
            bind=bind_choice("video_sample", "Sample", samples),
        )
        return pick, f"sample:{pick}", (SAMPLES / pick).read_bytes()
    upload = st.file_uploader(
        f"Upload a clip ({', '.join(EXTENSIONS)})",
        type=list(EXTENSIONS),
        key="video_upload",
        max_upload_size=limits.VIDEO_MAX_MB,
    )
    return None if upload is None else (upload.name, upload_key(upload), upload.getvalue())


def show_clip(name: str, key: str, data: bytes, clip) -> None:
    info = describe(key, data)
    said = f"{clip.width}x{clip.height} (as decoded) · {clip.fps:.1f} fps · {clip.frames_read} frames read · "
    said += f"{clip.duration:.1f} s"
    left, right = st.columns([2, 3])
    with left:
        if info["codec"] in BROWSER_CODECS:
            st.video(data, alt=f"The clip {name}: {said}.")
        elif name.lower().endswith(".gif"):
            st.image(data, alt=f"The clip {name}, an animated GIF: {said}.")  # browsers animate GIFs themselves
        else:
            st.info(f"Your browser cannot play this codec ({info['codec'] or 'unknown'}): showing the sampled frames.")
        st.caption(said)
    with right:
        shown = len(clip.indices)
        st.image(
            list(clip.frames),
            caption=[f"#{i}" for i in clip.indices],
            alt=[
                f"Sampled frame {n} of {shown}: frame {i} of the clip, at {i / clip.fps:.2f} s"
                for n, i in enumerate(clip.indices, start=1)
            ],
            width=72,
        )
        st.caption(f"The {shown} frames the model reads, spread evenly over the clip; under each its frame number.")
    for note in clip.notes:
        st.warning(note)
