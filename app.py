"""Home: the map of RNN shapes, each drawn unrolled, with where it runs live in the app."""

import streamlit as st

from core.plots.shapes import rnn_shape_figure
from ui import setup_page, show_figure

SHAPES = [
    (
        "seq2seq",
        "Sequence to sequence",
        "Reads a sequence and emits an output at every step, so the output is as long as the input "
        "(or delayed by a few steps). Each output can only use what has been read so far.",
        "translation (as a synchronous baseline), summarisation, chatbots, speech recognition, question answering",
        "pages/1_Translation.py",
        "Plain seq2seq vs encoder–decoder on dates",
    ),
    (
        "seq2vec",
        "Sequence to vector",
        "Reads the whole sequence and keeps only the last output (or a pooled state): one vector, "
        "one prediction for the sequence.",
        "sentiment and document classification, anomaly detection, video and music-genre classification",
        "pages/2_Video.py",
        "Classify motion in a video clip",
    ),
    (
        "vec2seq",
        "Vector to sequence",
        "Starts from one vector (an image embedding, a style) and unrolls a sequence from it, "
        "feeding each output back as the next input.",
        "image captioning, music and text generation, speech synthesis",
        "pages/3_Generator.py",
        "Generate a folk tune in a chosen meter and key",
    ),
    (
        "encoder-decoder",
        "Encoder–decoder",
        "A sequence-to-vector encoder followed by a vector-to-sequence decoder: input and output lengths "
        "are independent, and attention lets the decoder look back at every encoder state.",
        "machine translation, summarisation, dialogue, speech recognition",
        "pages/1_Translation.py",
        "Translate with an attention heatmap",
    ),
]

setup_page("RNN shapes", icon="🔁")
st.title("RNN Playground")
st.markdown(
    "Recurrent networks read a sequence one step at a time and carry a hidden state forward. "
    "How inputs and outputs attach to that loop gives four shapes. Every page runs a real, "
    "trained model — nothing on screen is canned."
)
for i in range(0, len(SHAPES), 2):
    columns = st.columns(2)
    for column, (key, title, what, uses, page, link_label) in zip(columns, SHAPES[i : i + 2]):
        with column, st.container(border=True):
            st.subheader(title)
            show_figure(rnn_shape_figure(key), key=f"shape_{key}")
            st.markdown(what)
            st.markdown(f"**Used for:** {uses}.")
            st.page_link(page, label=link_label, icon="▶️")

st.divider()
st.markdown(
    "More pages: how variable-length batches are padded, packed and bucketed, and how a deep RNN's training spreads over several devices."
)
c1, c2 = st.columns(2)
c1.page_link("pages/4_Variable_length.py", label="Variable-length sequences", icon="📏")
c2.page_link("pages/5_Multi_GPU.py", label="Multi-GPU throughput", icon="🖥️")
