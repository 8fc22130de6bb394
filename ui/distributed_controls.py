"""Run controls of the Multi-GPU page: the sweep's settings, bound to the URL so a link carries them.

World sizes and micro-batches are not bound: their defaults follow the strategy, and a kept choice
would then differ from what a fresh link shows.
"""

from __future__ import annotations

import streamlit as st

from core.distributed import runner
from core.distributed.model import DeepRNNConfig, parameter_count
from core.distributed.worker import MODES, RunSpec
from ui.common import bind_choice, bind_int, user_errors

WORLD_CHOICES = [1, 2, 3, 4, 6, 8]
MICROBATCH_CHOICES = [1, 2, 4, 8]


def run_controls() -> list[RunSpec] | None:
    """Widgets for a sweep; returns the validated specs, or None (with the reason shown) when invalid."""
    mode = st.radio(
        "Strategy",
        MODES,
        horizontal=True,
        key="dist_mode",
        bind=bind_choice("dist_mode", "Strategy", MODES),
        help="ddp: data parallel, a full model per process, gradients all-reduced. pipeline: the layers split "
        "over processes. hybrid: ddp over copies of a 2-stage pipeline.",
    )
    cols = st.columns(4)
    default_worlds = [1, 4] if mode == "hybrid" else [1, 2]
    worlds = cols[0].multiselect("World sizes (processes)", WORLD_CHOICES, default=default_worlds, key="dist_worlds")
    scaling = cols[1].radio(
        "Scaling",
        ["weak", "strong"],
        horizontal=True,
        key="dist_scaling",
        bind=bind_choice("dist_scaling", "Scaling", ["weak", "strong"]),
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
    steps = cols[3].number_input(
        "Measured steps", 1, 200, 12, key="dist_steps", bind=bind_int("dist_steps", "Measured steps", 1, 200)
    )
    cols = st.columns(4)
    layers = cols[0].number_input("Layers", 1, 64, 4, key="dist_layers", bind=bind_int("dist_layers", "Layers", 1, 64))
    hidden = cols[1].number_input(
        "Hidden size",
        8,
        16_384,
        128,
        step=64,
        key="dist_hidden",
        bind=bind_int("dist_hidden", "Hidden size", 8, 16_384),
    )
    batch = cols[2].number_input(
        "Batch size",
        1,
        65_536,
        16,
        key="dist_batch",
        bind=bind_int("dist_batch", "Batch size", 1, 65_536),
        help="per replica (weak) or global (strong)",
    )
    seq_len = cols[3].number_input(
        "Sequence length", 1, 4_096, 32, key="dist_seq", bind=bind_int("dist_seq", "Sequence length", 1, 4_096)
    )
    with st.expander("Advanced: cell, threads, port"):
        cols = st.columns(3)
        cell = cols[0].radio(
            "Cell",
            ["lstm", "gru"],
            horizontal=True,
            key="dist_cell",
            bind=bind_choice("dist_cell", "Cell", ["lstm", "gru"]),
        )
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
