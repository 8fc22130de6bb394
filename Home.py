"""Home: the map of RNN shapes, each drawn unrolled, with where it runs live in the app.

The sidebar names this page after its file (Streamlit's pages/ convention takes the main page's
label from the main script's name), hence Home.py; app.py is a link to it for `streamlit run app.py`.
"""

import streamlit as st

from core.plots.shapes import rnn_shape_figure
from core.shapes import SHAPES, uses
from ui import setup_page, show_figure
from ui.common import cached_figure, frozen_after_first_run

setup_page("RNN shapes", icon="🔁")
st.title("RNN Playground")
st.markdown(
    "Recurrent networks read a sequence one step at a time and carry a hidden state forward. "
    "How inputs and outputs attach to that loop gives four shapes. Translation, Video and Generator run "
    "trained models live on what you type, upload or choose, and Multi-GPU trains an LSTM in real processes; "
    "the Variable-length page runs untrained (seeded, random-weight) LSTMs, because it measures padding, "
    "equality and cost rather than accuracy. A figure drawn from a stored measurement says so, with when "
    "and on what machine it was measured."
)
for i in range(0, len(SHAPES), 2):
    columns = st.columns(2)
    for column, shape in zip(columns, SHAPES[i : i + 2]):
        with column, st.container(border=True):
            st.subheader(shape.title)
            show_figure(
                cached_figure(rnn_shape_figure, shape.key),
                key=f"shape_{shape.key}",
                caption=f"Diagram: {shape.title.lower()} unrolled over time; inputs at the bottom, hidden states in "
                "the middle, outputs on top, arrows for what feeds what.",
            )
            st.markdown(shape.definition)
            st.markdown(f"**Used for:** {uses(shape)}.")
            st.page_link(shape.page, label=shape.link_label, icon="▶️", query_params=dict(shape.link_query))

st.divider()
st.markdown(
    "More pages: how variable-length batches are padded, packed and bucketed, and how a deep RNN's training spreads over several devices."
)
c1, c2 = st.columns(2)
c1.page_link("pages/4_Variable_length.py", label="Variable-length sequences", icon="📏")
c2.page_link("pages/5_Multi_GPU.py", label="Multi-GPU throughput", icon="🖥️")
frozen_after_first_run(__file__)
