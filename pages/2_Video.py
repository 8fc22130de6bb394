"""Video classification: a CNN reads each frame, an RNN reads the frames in order."""

import streamlit as st

from ui import setup_page, user_errors
from ui import video as vi
from ui import video_predict as vp
from ui import video_stored as vs
from ui import video_train as vt
from ui.common import frozen_after_first_run

setup_page("Video classification")
st.title("Video classification")
st.markdown(
    "A small **CNN** turns each sampled frame's **motion stream** (where each pixel went since the previous "
    "sampled frame, the camera's own motion taken out, and how much its brightness changed; an object as bright "
    "as its background is read by its colour instead; the frames are first cut to the part of the picture "
    "where the clip changes, so a small object is not lost) into a feature "
    "vector; a **GRU** reads those vectors in order and classifies the clip (sequence to vector). The eight "
    "built-in classes come in pairs that no single frame and no unordered set of frames can tell apart "
    f"({vi.named(joiner=', ')}): only the "
    "**order** can. Compare the single-frame and order-blind baselines (their CNN sees each frame's pixels "
    "alone: motion between frames would carry the order), the same GRU fed shuffled frames, and a CNN+GRU "
    "that reads the pixels and their change instead of the motion stream (plain scenes only)."
)
st.markdown(vi.mirror_sentence())

vi.upload_section()
vp.classify_section()  # a fragment: its widgets rerun only it

st.header("Clips drawn differently")
st.markdown(
    "A model can learn the look of its training generator instead of motion. Every model is also scored "
    "on a **shift set**: the same eight motions drawn by a renderer that shares no code with the training "
    "generator (other shapes, photographs as objects and backgrounds, shake, lighting, noise, codecs)."
)
with user_errors():
    vs.robustness_section()

st.header("Train your own classes")
vt.train_section()  # a fragment too
frozen_after_first_run(__file__)
