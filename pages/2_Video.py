"""Video classification: a CNN reads each frame, an RNN reads the frames in order."""

import streamlit as st

from ui import setup_page, user_errors
from ui import video as vi
from ui import video_train as vt

setup_page("Video classification")
st.title("Video classification")
st.markdown(
    "A small **CNN** turns each sampled frame, and its change from the previous sampled frame, into a feature "
    "vector; a **GRU** reads those vectors in order and classifies the clip (sequence to vector). The eight "
    "built-in classes come in pairs that no single frame and no unordered set of frames can tell apart "
    f"({vi.named(joiner=', ')}): only the "
    "**order** can. Compare the single-frame and order-blind baselines (their CNN sees each frame alone: the "
    "change between frames would carry the order), and the same GRU fed shuffled frames."
)
st.markdown(vi.mirror_sentence())

with user_errors():
    name, model, frames = vi.choose_model()
    with user_errors():  # a bad clip stops here: the held-out section below stays
        picked = vi.choose_clip()
        if picked is not None:
            clip_name, data = picked
            with st.spinner("Decoding and sampling frames…"):
                clip = vi.decode(data, frames)
            vi.show_clip(clip_name, data, clip)
            st.header("Prediction")
            vi.prediction_section(name, model, clip)
            st.header("Side by side")
            st.caption("The same sampled frames through each variant; the bars are accuracies on the held-out set.")
            vi.compare_section(clip)

    st.header("Held-out set")
    vi.heldout_section(name, model)

    st.header("Clips drawn differently")
    st.markdown(
        "A model can learn the look of its training generator instead of motion. Every model is also scored "
        "on a **shift set**: the same eight motions drawn by a renderer that shares no code with the training "
        "generator (other shapes, photographs as objects and backgrounds, shake, lighting, noise, codecs)."
    )
    vi.robustness_section()

st.header("Train your own classes")
with user_errors():
    vt.train_section()
