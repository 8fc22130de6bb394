"""Variable-length sequences: padding, truncation, masks, packing, bucketing; outputs of different
lengths; static vs dynamic unrolling, all measured on this machine."""

import streamlit as st

from ui import setup_page
from ui import varlen as sections

setup_page("Variable-length sequences")
st.title("Variable-length sequences")
st.markdown(
    "Real batches mix short and long sequences. This page builds one, shows the usual ways of fitting it into a "
    "tensor, checks that they compute the same thing, and measures what each costs."
)

st.header("1 · Inputs of different lengths")
batch = sections.batch_builder()
if batch is not None:
    pad_value = sections.layout_section(batch)
    st.subheader("Correctness: padded + masked = packed = one at a time")
    sections.correctness_section(batch, pad_value)
    st.subheader("Cost: naive padding vs packing vs bucketing")
    sections.cost_section(batch)

st.header("2 · Outputs of different lengths")
sections.outputs_section()

st.header("3 · Static vs dynamic unrolling")
st.markdown(
    "**Static** (`static_rnn`): the LSTM step written out T times and traced by `torch.fx` into one graph; inputs "
    "padded to T, a mask carries the state through pads. **Dynamic** (`dynamic_rnn`): `nn.LSTM` on a packed batch, "
    "whose loop runs as many steps as the batch's longest sequence. Same weights in both."
)
points = sections.unrolling_section()
st.subheader("Conclusions")
sections.conclusions(points)
