"""Variable-length sequences: padding, truncation, masks, packing, bucketing; outputs of different
lengths; static vs dynamic unrolling vs packing. Live numbers are measured on this server with
untrained LSTMs; stored ones say when and on what machine they were measured."""

import streamlit as st

from core.varlen import measured
from ui import setup_page
from ui import varlen as inputs
from ui import varlen_layout as layout
from ui import varlen_outputs as outputs
from ui import varlen_unrolling as unrolling
from ui.common import frozen_after_first_run

setup_page("Variable-length sequences")
st.title("Variable-length sequences")
st.markdown(
    "Real batches mix short and long sequences. This page builds one, shows the usual ways of fitting it into a "
    "tensor, checks that they compute the same thing, and measures what each costs. Sections 1 and 3 use "
    "**untrained** (seeded, random-weight) LSTMs: padding, equality and cost do not depend on training. "
    "Section 2 decodes with a trained translation model."
)
shipped = measured.load()


@st.fragment
def inputs_section() -> None:
    """Section 1 as a fragment: its widgets rerun only this section."""
    batch = inputs.batch_builder()
    if batch is not None:
        pad_value = layout.layout_section(batch)
        st.subheader("Correctness: padded + masked = packed = one at a time")
        inputs.correctness_section(batch, pad_value)
        st.subheader("Cost: naive padding vs packing vs bucketing")
        inputs.cost_section(batch, shipped)


@st.fragment
def unrolling_section() -> None:
    points = unrolling.unrolling_section(shipped)
    st.subheader("Conclusions")
    unrolling.conclusions(points, shipped)


# Each numbered section is a fragment: a widget change reruns its own section, not the whole page.
st.header("1 · Inputs of different lengths")
inputs_section()

st.header("2 · Outputs of different lengths")
st.fragment(outputs.outputs_section)()

st.header("3 · Static vs dynamic unrolling vs packing")
st.markdown(unrolling.INTRO)
unrolling_section()
frozen_after_first_run(__file__)
