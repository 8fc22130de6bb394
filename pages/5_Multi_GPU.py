"""Multi-GPU throughput: real DDP / pipeline / hybrid runs of a deep RNN, and a calibrated cost model."""

import streamlit as st

from ui import distributed as dist
from ui import distributed_controls as controls
from ui import distributed_cost as cost
from ui import setup_page
from ui.common import frozen_after_first_run

setup_page("Multi-GPU throughput")
st.title("Multi-GPU throughput")
st.markdown(
    "A deep stacked LSTM language model trained three common ways: **ddp** (data parallel: every worker holds "
    "the whole model, gradients are averaged with a ring all-reduce), **pipeline** (the layers are split over "
    "workers; activations go forward, gradients back, micro-batches keep stages busy) and **hybrid** "
    "(ddp over copies of a pipeline). Real separate processes here; a cost model for clusters we don't have."
)
st.markdown(
    "Why data-parallel replicas stay identical: DDP broadcasts the weights once, when it wraps the model (here "
    "every rank already builds them from one seed). After that every replica applies the **same averaged "
    "gradient** with the same optimiser, so the weights stay identical with no further broadcast (Li et al., "
    "*PyTorch Distributed: Experiences on Accelerating Data Parallel Training*, VLDB 2020)."
)
cost.environment_note()


# Each section is a fragment: a widget change reruns its own section. A finished run reruns the whole page
# (ui.jobs.show_job), so "Measured runs" picks it up.
@st.fragment
def run_section() -> None:
    specs = controls.run_controls()
    dist.launch_section(specs)


@st.fragment
def measured_section() -> None:
    runs, source = dist.pick_runs()
    dist.results_section(runs, source)


st.header("Run on this machine")
run_section()

st.header("Measured runs")
measured_section()

st.header("What it would cost on a cluster")
st.fragment(cost.cost_model_section)()
frozen_after_first_run(__file__)
