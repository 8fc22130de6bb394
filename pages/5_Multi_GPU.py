"""Multi-GPU throughput: real DDP / pipeline / hybrid runs of a deep RNN, and a calibrated cost model."""

import streamlit as st

from ui import distributed as dist
from ui import setup_page

setup_page("Multi-GPU throughput")
st.title("Multi-GPU throughput")
st.markdown(
    "A deep stacked LSTM language model trained three common ways: **data parallel** (DDP: every worker holds "
    "the whole model, gradients are averaged with a ring all-reduce), **pipeline** (the layers are split over "
    "workers; activations go forward, gradients back, micro-batches keep stages busy) and **hybrid** "
    "(data-parallel copies of a pipeline). Real separate processes here; a cost model for clusters we don't have."
)
dist.environment_note()

st.header("Run on this machine")
specs = dist.run_controls()
dist.launch_section(specs)

st.header("Measured runs")
runs, source = dist.pick_runs()
dist.results_section(runs, source)

st.header("What it would cost on a cluster")
dist.cost_model_section()
