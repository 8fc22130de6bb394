"""Sections of the Multi-GPU page: launch real runs, show measured results, explore the cost model."""

from __future__ import annotations

import os
import threading
from dataclasses import replace
from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from core.distributed import costmodel, runner
from core.distributed.model import DeepRNNConfig, parameter_count
from core.distributed.worker import MODES, RunSpec
from core.errors import UserError
from core.plots import distributed as plots
from core.training import Callback
from ui.common import query_choice, query_number, show_figure, user_errors
from ui.jobs import current_job, show_job, start_job

JOB_KEY = "dist_job"
WORLD_CHOICES = [1, 2, 3, 4, 6, 8]
MICROBATCH_CHOICES = [1, 2, 4, 8]
DEVICE_COUNTS = [8, 16, 32, 64, 128, 256, 512, 1024]
ALL_RUNS = "all runs"


# ---------------------------------------------------------------- run controls


def run_controls() -> list[RunSpec] | None:
    """Widgets for a sweep; returns the validated specs, or None (with the reason shown) when invalid."""
    mode = query_choice("mode", list(MODES), "ddp")
    mode = st.radio(
        "Strategy",
        MODES,
        index=MODES.index(mode),
        horizontal=True,
        key="dist_mode",
        help="ddp: a full model per process, gradients all-reduced. pipeline: the layers split over processes. "
        "hybrid: data-parallel copies of a 2-stage pipeline.",
    )
    st.query_params["mode"] = mode
    cols = st.columns(4)
    default_worlds = [1, 4] if mode == "hybrid" else [1, 2]
    worlds = cols[0].multiselect("World sizes (processes)", WORLD_CHOICES, default=default_worlds, key="dist_worlds")
    scaling = cols[1].radio(
        "Scaling",
        ["weak", "strong"],
        horizontal=True,
        key="dist_scaling",
        help="weak: the batch per replica stays fixed (more workers, more samples). strong: the global batch is fixed and split.",
    )
    micro = cols[2].multiselect(
        "Micro-batches (pipeline)",
        MICROBATCH_CHOICES,
        default=[1, 4] if mode != "ddp" else [1],
        key="dist_micro",
        disabled=mode == "ddp",
        help="GPipe: split each batch into m micro-batches so stages work at the same time.",
    )
    steps = cols[3].number_input("Measured steps", 1, 200, 12, key="dist_steps")
    cols = st.columns(4)
    layers = cols[0].number_input("Layers", 1, 64, int(query_number("layers", 4, 1, 64)), key="dist_layers")
    hidden = cols[1].number_input("Hidden size", 8, 16_384, 128, step=64, key="dist_hidden")
    batch = cols[2].number_input(
        "Batch size", 1, 65_536, 16, key="dist_batch", help="per replica (weak) or global (strong)"
    )
    seq_len = cols[3].number_input("Sequence length", 1, 4_096, 32, key="dist_seq")
    with st.expander("Advanced: cell, threads, port"):
        cols = st.columns(3)
        cell = cols[0].radio("Cell", ["lstm", "gru"], horizontal=True, key="dist_cell")
        threads = cols[1].number_input(
            "Threads per process",
            0,
            64,
            1,
            key="dist_threads",
            help="0 = cores ÷ processes; keep processes × threads ≤ cores",
        )
        port = cols[2].number_input("Port (0 = a free one)", 0, 65_535, 0, key="dist_port")
    model = DeepRNNConfig(cell=cell, hidden_size=int(hidden), layers=int(layers))
    base = RunSpec(
        mode=mode,
        scaling=scaling,
        batch_size=int(batch),
        seq_len=int(seq_len),
        steps=int(steps),
        threads=int(threads),
        model=model,
    )
    with user_errors():
        specs = runner.sweep_specs(base, worlds, micro)
        for spec in specs:
            runner.check_fits(spec)
        if port:
            runner.check_port(int(port))
        notes = {runner.oversubscription_warning(s) for s in specs} - {None}
        for note in notes:
            st.warning(note)
        st.caption(
            f"{len(specs)} run(s) · {parameter_count(model) / 1e6:.2f} M parameters · "
            f"~{max(runner.memory_estimate(s)['total'] for s in specs) / 2**20:.0f} MB RAM at most · "
            "each run: ~5 s start-up + warm-up + measured steps"
        )
        st.session_state["dist_port_value"] = int(port)
        return specs
    return None


def _sweep_target(specs: list[RunSpec], port: int):
    sweep = datetime.now(UTC).isoformat(timespec="seconds")

    def target(callback: Callback, cancel: threading.Event) -> list[dict]:
        runs = []
        for i, spec in enumerate(specs, start=1):
            try:
                result = runner.launch(spec, callback, cancel, port=port, run_index=i, runs=len(specs), sweep=sweep)
            except runner.RunCancelled:
                break
            except runner.RunFailed as error:
                raise UserError(f"{error}. Its log:\n\n```\n{error.log[-3000:]}\n```") from None
            runner.save_run(result)
            runs.append(result)
        return runs

    return target


def launch_section(specs: list[RunSpec] | None) -> None:
    job = current_job(JOB_KEY)
    running = job is not None and job.running
    clicked = st.button("Run on this machine", key="dist_run", type="primary", disabled=specs is None or running)
    if clicked and specs:
        label = f"Sweep of {len(specs)} run(s) (epoch = run)"
        start_job(JOB_KEY, label, _sweep_target(specs, st.session_state.get("dist_port_value", 0)))
    job = show_job(JOB_KEY, describe=lambda p: f"run {p.epoch}/{p.epochs}")
    if job is not None and not job.running and job.result and st.session_state.get("dist_result_shown") is not job:
        # show the new runs once, then leave the choice to the user
        st.session_state["dist_result_shown"] = job
        st.session_state["dist_source"] = "stored history"
        st.session_state["dist_sweep"] = job.result[0]["sweep"]


# ---------------------------------------------------------------- measured results


@st.cache_data(max_entries=64, show_spinner=False)
def _figure(builder: str, *args):
    """Figures of measured runs (plain JSON in, so cacheable): a widget change elsewhere redraws nothing."""
    return getattr(plots, builder)(*args)


def _describe(runs: list[dict]) -> str:
    machine = runs[-1].get("machine", {})
    when = runs[-1].get("finished", "?")[:16].replace("T", " ")
    gpus = ", ".join(machine.get("gpus") or []) or "no GPU"
    load = machine.get("load_1min")
    load_text = f", load {load:.1f}" if load is not None else ""
    cpu, cores = machine.get("cpu", "?"), machine.get("cores", "?")
    return f"{cpu}, {cores} cores, {gpus}{load_text} · {when} UTC (each run's device is in the table)"


def pick_runs() -> tuple[list[dict], str]:
    """The runs to show: this machine's stored history, or the example shipped with the app."""
    history = runner.load_runs()
    sources = ["stored history", "shipped example"] if history else ["shipped example"]
    source = st.radio("Results", sources, horizontal=True, key="dist_source")
    runs = history if source == "stored history" else runner.load_example_runs()
    if not runs:
        return [], source
    sweeps = list(reversed(dict.fromkeys(r.get("sweep", r.get("finished", "")) for r in runs)))
    options = [ALL_RUNS, *sweeps]
    default = 0 if source == "shipped example" or len(sweeps) == 1 else 1
    chosen = st.selectbox("Sweep", options, index=default, key="dist_sweep", help="runs started together (UTC)")
    picked = runs if chosen == ALL_RUNS else [r for r in runs if r.get("sweep", r.get("finished", "")) == chosen]
    baselines = [r for r in runs if r["world_size"] == 1]
    runner.add_efficiency(picked, baselines)
    return picked, source


def results_section(runs: list[dict], source: str) -> None:
    if not runs:
        st.info("No runs yet: start one above.")
        return
    label = "Shipped example measured on" if source == "shipped example" else "Measured on"
    st.caption(f"{label} {_describe(runs)}")
    if any("share cores" in r["device"] for r in runs):
        st.warning("Some of these runs had more processes than cores: their speed shows time-slicing, not parallelism.")
    if any(r.get("machine", {}).get("cores", 99) <= 2 for r in runs):
        st.caption(
            "On a 2-core machine other programs compete for the same cores: single measurements are noisy "
            "(repeat a sweep to see the spread); start-up (spawn, import, process group) is reported apart."
        )
    table = pd.DataFrame(
        [
            {
                "run": plots.run_label(r),
                "samples/s": round(r["samples_per_s"], 1),
                "tokens/s": round(r["tokens_per_s"]),
                "step ms": round(1e3 * r["step_s"], 1),
                "efficiency": None if r.get("efficiency") is None else f"{r['efficiency']:.0%}",
                "all-reduced MB/step": round(r["allreduce_bytes"] / 1e6, 2),
                "idle": f"{r['idle_fraction']:.0%}",
                "start-up s": round(r["startup_s"], 1),
                "device": r["device"],
                "machine": f"{r.get('machine', {}).get('host', '?')} · {r.get('machine', {}).get('cpu', '?')}",
                "finished (UTC)": r.get("finished", "")[:16].replace("T", " "),
            }
            for r in runs
        ]
    )
    st.dataframe(table, hide_index=True, width="stretch", key="dist_table")
    cols = st.columns(2)
    with cols[0]:
        show_figure(_figure("throughput_figure", runs), key="dist_throughput")
    with cols[1]:
        show_figure(_figure("efficiency_figure", runs), key="dist_efficiency")
    show_figure(_figure("breakdown_figure", runs), key="dist_breakdown")
    labels = [plots.run_label(r) for r in runs]
    multi = [i for i, r in enumerate(runs) if r["world_size"] > 1] or [0]
    index = st.selectbox(
        "Timeline of run", range(len(runs)), index=multi[0], format_func=labels.__getitem__, key="dist_gantt_run"
    )
    show_figure(_figure("timeline_figure", runs[index]), key="dist_gantt")
    st.caption(
        "Time 0 = all ranks left a barrier together. DDP: all-reduce of each gradient bucket (its own lane) runs while backward still computes; the red part of "
        "the main lane is what the step waits for after backward. Pipelines: F/B = micro-batch forward/backward; "
        "grey = waiting on a neighbour (bubble + transfer)."
    )
    if any(r["stages"] > 1 for r in runs):
        show_figure(_figure("bubble_figure", runs), key="dist_bubble")
        st.caption(
            "Measured idle includes transfers and unequal stages (the last one also runs the output layer), "
            "so it sits above the textbook bubble, which assumes equal stages and free communication."
        )
    calibrated_section(runs)


def calibrated_section(runs: list[dict]) -> None:
    st.subheader("Cost model calibrated on these runs")
    calibration = costmodel.calibrate(runs)
    rows = costmodel.compare(runs, calibration)
    show_figure(_figure("predicted_vs_measured_figure", rows), key="dist_calibrated")
    st.caption(
        f"Fitted: {calibration.flops / 1e9:.1f} GFLOP/s per process (contention {calibration.contention:.2f} per extra busy "
        f"process), link {calibration.bandwidth / 1e9:.2f} GB/s + {calibration.latency * 1e6:.0f} µs from the all-reduce "
        f"probes, straggler jitter {calibration.jitter:.2f}. An in-sample fit of up to 7 numbers on {calibration.points} "
        "run(s): with few runs it matches by construction; `bench/bench_distributed.py` also reports leave-one-out errors."
    )


# ---------------------------------------------------------------- cost model


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
    efficiency = cols[2].slider(
        "Achieved share of peak FLOP/s",
        0.02,
        0.8,
        costmodel.DEVICES[device_name].efficiency,
        key=f"dist_cm_eff_{device_name}",
    )
    overlap = cols[3].slider("Backward that hides all-reduce", 0.0, 1.0, 1.0, key="dist_cm_overlap")
    cols = st.columns(3)
    link = costmodel.LINKS[link_name]
    # keyed per preset: picking another link starts from its own figures
    bandwidth = cols[0].number_input(
        "Link bandwidth GB/s", 0.1, 1000.0, link.bandwidth / 1e9, key=f"dist_cm_bw_{link_name}"
    )
    latency = cols[1].number_input("Link latency µs", 0.1, 1000.0, link.latency * 1e6, key=f"dist_cm_lat_{link_name}")
    jitter = cols[2].slider("Straggler jitter (step-time CV)", 0.0, 0.1, 0.0, step=0.005, key="dist_cm_jitter")
    device = replace(costmodel.DEVICES[device_name], efficiency=efficiency)
    hw = costmodel.Hardware(
        device, costmodel.Link(link_name, bandwidth * 1e9, latency * 1e-6), overlap=overlap, jitter=jitter
    )
    with user_errors():
        workload = costmodel.rnn_workload(DeepRNNConfig(hidden_size=hidden, layers=layers, vocab_size=32_000), seq_len)
        sweeps = {
            "data": costmodel.sweep(workload, hw, "data", DEVICE_COUNTS, batch, scaling=scaling),
            "pipeline": costmodel.sweep(
                workload, hw, "pipeline", [2, 4, 8, 16, 32, 64], batch, microbatches=micro, scaling=scaling
            ),
            "hybrid": costmodel.sweep(workload, hw, "hybrid", DEVICE_COUNTS, batch, stages, micro, scaling),
        }
        show_figure(
            plots.scaling_prediction_figure(sweeps, f"Predicted scaling: {workload.name}, {device_name}, {link_name}"),
            key="dist_cm_scaling_fig",
        )
        stops = pd.DataFrame(
            [
                {
                    "strategy": s,
                    **{k: (v if v is not None else "—") for k, v in costmodel.stops_paying(rows).items()},
                    "most devices": f"{layers} (a layer each)" if s == "pipeline" else "—",
                }
                for s, rows in sweeps.items()
            ]
        )
        st.markdown("**Where each strategy stops paying** (first device count where the limit appears)")
        st.dataframe(stops.astype(str), hide_index=True, width="stretch", key="dist_cm_stops")
        st.caption(
            f"{workload.params / 1e6:.0f} M parameters, {workload.flops_per_sample / 1e9:.1f} GFLOP per sequence "
            "(forward + backward). Pipelines stop at one layer per device. Memory per device counts fp32 weights, "
            "gradients, AdamW moments and the activations kept for backward."
        )
        sample = [r for rows in sweeps.values() for r in rows if r.devices in (8, 64, 512)]
        show_figure(plots.predicted_breakdown_figure(sample), key="dist_cm_breakdown")
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
    import torch

    gpus = torch.cuda.device_count()
    device = f"{gpus} CUDA device(s): runs use nccl" if gpus else "no GPU: ranks are CPU processes talking over gloo"
    st.caption(f"This machine: {cores} CPU cores, {device}. Data dir: {os.fspath(runner.store_path().parent)}")
