"""Sections of the Multi-GPU page about clusters we don't have: the cost model and published results."""

from __future__ import annotations

import os
from dataclasses import replace

import pandas as pd
import streamlit as st
import torch

from core.distributed import costmodel, runner
from core.distributed.model import DeepRNNConfig
from core.plots import distributed as plots
from ui.common import cached_figure, show_figure, user_errors


def _hardware(device_name: str, link_name: str, cols) -> costmodel.Hardware:
    """The device and link presets, with their figures editable (keyed per preset)."""
    efficiency = cols[0].slider(
        "Achieved share of peak FLOP/s",
        0.02,
        0.8,
        costmodel.DEVICES[device_name].efficiency,
        key=f"dist_cm_eff_{device_name}",
    )
    overlap = cols[1].slider("Backward that hides all-reduce", 0.0, 1.0, 1.0, key="dist_cm_overlap")
    cols = st.columns(3)
    link = costmodel.LINKS[link_name]
    # keyed per preset: picking another link starts from its own figures
    bandwidth = cols[0].number_input(
        "Link bandwidth GB/s", 0.1, 1000.0, link.bandwidth / 1e9, key=f"dist_cm_bw_{link_name}"
    )
    latency = cols[1].number_input("Link latency µs", 0.1, 1000.0, link.latency * 1e6, key=f"dist_cm_lat_{link_name}")
    jitter = cols[2].slider("Straggler jitter (step-time CV)", 0.0, 0.1, 0.0, step=0.005, key="dist_cm_jitter")
    device = replace(costmodel.DEVICES[device_name], efficiency=efficiency)
    return costmodel.Hardware(
        device, costmodel.Link(link_name, bandwidth * 1e9, latency * 1e-6), overlap=overlap, jitter=jitter
    )


def cost_model_section() -> None:
    st.subheader("Cost model: clusters we don't have (8 … 1,024 GPUs)")
    cols = st.columns(3)
    device_name = cols[0].selectbox("Device", list(costmodel.DEVICES), index=1, key="dist_cm_device")
    link_name = cols[1].selectbox("Link", list(costmodel.LINKS), index=2, key="dist_cm_link")
    scaling = cols[2].radio("Scaling", ["weak", "strong"], horizontal=True, key="dist_cm_scaling")
    cols = st.columns(4)
    layers = cols[0].slider("Layers", 2, 64, 8, key="dist_cm_layers")
    hidden = cols[1].select_slider("Hidden size", [256, 512, 1024, 2048, 4096, 8192], 2048, key="dist_cm_hidden")
    seq_len = cols[2].select_slider("Sequence length", [32, 64, 128, 256, 512, 1024], 128, key="dist_cm_seq")
    batch = cols[3].select_slider(
        "Batch per replica" if scaling == "weak" else "Global batch",
        [1, 2, 4, 8, 16, 32, 64, 128, 256, 1024, 4096, 16384],
        16 if scaling == "weak" else 4096,
        key="dist_cm_batch",
    )
    cols = st.columns(4)
    stages = cols[0].select_slider("Stages per pipeline (hybrid)", [2, 4, 8, 16], 4, key="dist_cm_stages")
    micro = cols[1].select_slider("Micro-batches", [1, 2, 4, 8, 16, 32, 64], 8, key="dist_cm_micro")
    hw = _hardware(device_name, link_name, cols[2:])
    with user_errors():
        workload = costmodel.rnn_workload(DeepRNNConfig(hidden_size=hidden, layers=layers, vocab_size=32_000), seq_len)
        sweeps = costmodel.strategy_sweeps(workload, hw, batch, stages, micro, scaling)
        title = f"Predicted scaling: {workload.name}, {device_name}, {link_name}"
        show_figure(
            cached_figure(plots.scaling_prediction_figure, sweeps, title),
            key="dist_cm_scaling_fig",
            caption="Predicted scaling efficiency against the number of devices (log scale), one line per strategy; "
            "markers show where a strategy stops paying, and why.",
        )
        for note in costmodel.sweep_notes(sweeps):
            st.info(f"Settings adjusted — {note}.")
        st.markdown("**Where each strategy stops paying** (first device count where the limit appears)")
        stops = pd.DataFrame(costmodel.stops_table(sweeps, layers))
        st.dataframe(stops.astype(str), hide_index=True, width="stretch", key="dist_cm_stops")
        st.caption(
            f"{workload.params / 1e6:.0f} M parameters, {workload.flops_per_sample / 1e9:.1f} GFLOP per sequence "
            "(forward + backward). Pipelines stop at one layer per device. Memory per device counts fp32 weights, "
            "gradients, AdamW moments and the activations kept for backward."
        )
        sample = [r for rows in sweeps.values() for r in rows if r.devices in (8, 64, 512)]
        show_figure(
            cached_figure(plots.predicted_breakdown_figure, sample),
            key="dist_cm_breakdown",
            caption="Predicted milliseconds per step by part (stacked), per strategy at 8, 64 and 512 devices.",
        )
    published_section()


def published_section() -> None:
    with st.expander("Does the model reproduce published results?", expanded=False):
        jitter = st.slider("Assumed straggler jitter for Horovod", 0.0, 0.06, 0.03, step=0.005, key="dist_pub_jitter")
        rows = costmodel.published_checks(jitter)
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "setup": r["setup"],
                        "published": r["published"],
                        "predicted": round(r["predicted"], 3),
                        "error (points)": round(r["error_points"], 1),
                    }
                    for r in rows
                ]
            ),
            hide_index=True,
            width="stretch",
            key="dist_pub_table",
        )
        bound = " / ".join(f"{row['predicted']:.0%}" for row in costmodel.horovod_check(0.0))
        st.markdown(
            "- **Horovod** (Sergeev & Del Balso 2018, arXiv:1802.05799): 512 Pascal GPUs, 25 Gbit/s RoCE; "
            "one P100's images/s at batch 64 from TensorFlow's benchmark page (Inception V3 142, VGG-16 154; "
            "ResNet-101 129 interpolated by FLOPs between ResNet-50 and ResNet-152), parameter counts from Keras; "
            "64 MB fusion buffers; 10 µs per ring hop. The jitter is our assumption, not the paper's: at 0 the "
            f"model predicts {bound}.\n"
            "- **Sutskever et al. 2014** (arXiv:1409.3215 §3.5): one LSTM layer per GPU (a 4-stage pipeline "
            "whose micro-batches are time steps), softmax split over 4 more GPUs and run after the LSTM "
            "wavefront; 25 / 29 tokens per sentence (§3.1). If the softmax overlapped the wavefront, the "
            f"model would predict {costmodel.sutskever_check(True)['predicted']:.1f}× instead."
        )


def environment_note() -> None:
    cores = runner.cores_available()
    gpus = torch.cuda.device_count()
    device = f"{gpus} CUDA device(s): runs use nccl" if gpus else "no GPU: ranks are CPU processes talking over gloo"
    st.caption(f"This machine: {cores} CPU cores, {device}. Data dir: {os.fspath(runner.store_path().parent)}")
