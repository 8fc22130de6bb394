"""Translation with attention: encoder–decoder RNNs, the attention heatmap, beam search, and length."""

import streamlit as st

from ui import setup_page, user_errors
from ui import translation as tr
from ui import translation_compare as compare
from ui import translation_train as train
from ui import translation_views as views
from ui.checkpoint_upload import checkpoint_uploader
from ui.common import frozen_after_first_run

setup_page("Translation with attention")
st.title("Translation with attention")
st.markdown(
    "An **encoder–decoder** RNN reads the whole input, then writes an output of any length, one token at a time, "
    "until it emits end-of-sequence (that stopping rule, not attention, sets the length). Without attention, everything about the input must squeeze through the "
    "encoder's last state; with **attention**, every output step looks back at all encoder states (the heatmap). "
    "A **plain sequence-to-sequence** RNN, which must write one output per input as it reads, cannot reorder "
    "beyond its delay: see it fail on dates, where the year comes last in the input but first in ISO."
)

if st.toggle("Use your own checkpoint (zip)", key="tr_ckpt_toggle"):
    uploaded = checkpoint_uploader("tr_ckpt_upload", tr.MODEL_TYPES)
    if uploaded is not None:
        st.caption(f"Selectable below as **{tr.add_session_model(uploaded, 'uploaded')}**.")
name, model = tr.choose_model()  # outside the sections: another model reruns the whole page


# Each section is a fragment: a widget change reruns its own section; results are kept per session, so a
# rerun that asks for nothing new does no model work.
@st.fragment
def translate_area() -> None:
    options = tr.decoding_controls()
    tr.share_options(options)  # the batch section below decodes the same way
    st.header("Translate")
    with user_errors():
        result = tr.translate_section(name, model, options)
        if result is not None:
            st.subheader("Attention")
            views.attention_section(model, result, name)
            if options["method"] == "beam":
                st.subheader("Beam search: n-best and search tree")
                views.beam_section(model, result)

            st.subheader("What sets the output length")
            compare.stopping_section(model, name, result.input)

            st.header("Side by side")
            st.caption("The same input through every model of this task: with attention, without, and plain seq2seq.")
            compare.side_by_side(model, result.input)


@st.fragment
def length_area() -> None:
    with user_errors():
        compare.length_section(model, name)
        compare.delay_section()


@st.fragment
def train_area() -> None:
    with user_errors():
        train.train_section()


@st.fragment
def batch_area() -> None:
    with user_errors():
        train.batch_section(model, name)


translate_area()

st.header("Accuracy by input length")
st.caption("Bahdanau et al. (2014), Figure 2, on our tasks: exact match and chrF per input-length bucket.")
length_area()

st.header("Train your own")
train_area()

st.header("Batch mode")
batch_area()
frozen_after_first_run(__file__)
