"""Inside the cell: the recurrence of every shipped model, opened step by step."""

import streamlit as st

from ui import inside, setup_page
from ui.common import frozen_after_first_run

setup_page("Inside the cell")
st.title("Inside the cell")
st.markdown(
    "Every other page shows what a recurrent network does from the outside. This one opens the cell: pick a model "
    "with a GRU or LSTM and an input, and step through time. At each step you see the token the cell reads, its "
    "gates (GRU: reset r, update z, candidate n; LSTM: input i, forget f, cell input g, output o) and its state, "
    "computed from the model's own weights. Colour the text by one unit, as in Karpathy, Johnson & Fei-Fei (2015), "
    "*Visualizing and Understanding Recurrent Networks*, and measure which units track a feature of the text."
)
inside.main()
frozen_after_first_run(__file__)
