"""Section 3 of the variable-length page: static vs dynamic unrolling vs packing, and what the
measurements support."""

from __future__ import annotations

from dataclasses import asdict

import streamlit as st
import torch

from core.plots import varlen as plots
from core.varlen import batching, export, measured, unrolling
from ui.common import bind_int, cached_figure, kept_result, show_figure

INTRO = """Three ways to run one LSTM (same weights) over a variable-length batch:
- **Static** (TF's `static_rnn`): the LSTM step written out T times and traced by `torch.fx` into one graph.
  Inputs are padded to T; a mask carries the state through pads.
- **Dynamic** (TF's `dynamic_rnn` with `sequence_length`): a loop over the *padded* batch that runs to the batch's
  longest sequence. Every row is computed at every step; past its length a row's state is copied through and its
  output zeroed. TensorFlow's documentation says this is "more for correctness than performance".
- **Packed** (`nn.LSTM` on a `PackedSequence`): also loops to the longest sequence, but each step computes only
  the sequences still running. Skipping finished rows is packing's gain, not dynamic unrolling's."""


@st.cache_data(max_entries=8, show_spinner=False)
def _live_point(steps: int) -> dict:
    return asdict(unrolling.measure_point(steps, repeats=2))


@st.cache_data(max_entries=8, show_spinner=False)
def _longer(steps: int, length: int) -> dict:
    return unrolling.longer_than_t(steps, length)


def _measure_live(steps: int) -> tuple[dict, dict]:
    with st.status(f"Tracing {steps} unrolled steps and timing all three…") as status:
        result = _live_point(steps), _longer(steps, steps + max(5, steps // 2))
        status.update(label=f"Measured T = {steps}", state="complete")
    return result


def unrolling_section(shipped: dict) -> list[dict]:
    """Shipped sweep over T plus a live build at the user's T; returns the points drawn."""
    points = list(shipped.get("unrolling", []))
    notices: list[str] = []
    requested = int(
        st.number_input(
            "Static length T",
            min_value=1,
            max_value=1_000_000,
            value=50,
            key="varlen_T",
            bind=bind_int("varlen_T", "Static length T", 1, 1_000_000),
            help=f"graphs are built live up to T = {unrolling.LIVE_MAX_T}; larger T come from the shipped sweep",
        )
    )
    steps = batching.capped(requested, 1, unrolling.LIVE_MAX_T, "T", notices)
    for notice in notices:
        st.warning(notice + f" Building a {unrolling.MAX_T}-step graph takes seconds; the shipped sweep covers it.")
    pressed = st.button(f"Build the static graph at T = {steps} and time all three", key="varlen_build")
    live = kept_result("varlen_live", steps, pressed, lambda: _measure_live(steps))
    if live:
        point = live[0]
        st.markdown(
            f"**Live, T = {point['T']}** (untrained LSTM, measured now on this server): static graph "
            f"{point['static_nodes']:,} fx nodes built in {point['static_build_seconds']:.2f} s; forward+backward "
            f"{point['static_seconds'] * 1000:.1f} ms static · {point['dynamic_seconds'] * 1000:.1f} ms dynamic with "
            f"lengths · {point['packed_seconds'] * 1000:.1f} ms packed (batch's longest sequence: "
            f"{point['batch_max_length']}); max |difference| from packed {point['max_abs_diff']:.1e}."
        )
    if points:
        show_figure(cached_figure(plots.unrolling_figure, points), key="varlen_fig_unroll")
        st.caption(f"The sweep over T: {measured.provenance(shipped)}")
        rows = points + ([{**live[0], "source": "measured live on this server"}] if live else [])
        st.download_button(
            "Download the unrolling sweep (CSV)",
            export.rows_csv(rows, export.source_of(shipped)),
            file_name="varlen-unrolling.csv",
            mime="text/csv",
            key="varlen_unroll_csv",
            on_click="ignore",
        )
    else:
        st.info(
            "No shipped sweep found: run `python -m core varlen --unroll 10,20,50,100,200,500,1000 --save "
            "core/varlen/measured.json`."
        )
    longer = live[1] if live else shipped.get("longer_than_T")
    if longer:
        t, n = longer["T"], longer["input_length"]
        source = "measured now" if live else "stored with the sweep"
        st.markdown(
            f"**An input longer than T** ({source}). A length-{n} sequence through the T = {t} graph: no error, "
            "no warning. "
            f"It reads the first {t} steps and stops: its final state equals that of the input cut to {t} "
            f"(|Δ| = {longer['static_vs_truncated_h_diff']:.0e}) and differs from the full run by "
            f"**{longer['static_vs_full_h_diff']:.2f}**. The dynamic loop and the packed LSTM read all {n}. A static "
            "graph must be rebuilt (or the input truncated on purpose) for every longer length."
        )
    return points


def _gpu_here() -> str:
    count = torch.cuda.device_count()
    if not count:
        return "This server has no GPU (torch sees no CUDA device)"
    return f"This server has {count} CUDA device(s) ({torch.cuda.get_device_name(0)}), but the sweep above ran on CPU"


def _padding_conclusion(shipped: dict) -> str:
    """The shipped padding/packing/bucketing numbers, as one bullet (empty when not shipped)."""
    s = measured.padding_summary(shipped)
    if s is None:
        return ""
    return (
        f"- **Packing saves memory, bucketing saves time, on the measuring machine** ({measured.machine(shipped)}). "
        f"At {s['padding_fraction']:.0%} padding, one LSTM layer ran ×{s['speedup']['bucketing']:.1f} faster "
        f"bucketed and ×{s['speedup']['packing']:.2f} packed; packed kept {s['saved_mb']['packing']:.1f} MB "
        f"for backward vs {s['saved_mb']['naive padding']:.1f} MB padded. Training the folk-tune LSTM: bucketing "
        f"×{s['training_speedup']['bucketing']:.1f}, packing ×{s['training_speedup']['packing']:.2f}. The padded "
        "nn.LSTM runs oneDNN's fused kernel (`aten::mkldnn_rnn_layer` in the profiler), the packed one does not. On "
        "a GPU, where cuDNN takes packed batches natively, the ranking may differ: not measured here."
    )


def conclusions(points: list[dict], shipped: dict) -> None:
    """What the shipped measurements support, with their numbers; and what they do not."""
    if len(points) < 2:
        st.info("Conclusions need the shipped sweep (core/varlen/measured.json).")
        return
    s = measured.unrolling_summary(points)
    small, large, fits, ratio = s["small"], s["large"], s["fits"], s["time_ratio"]
    st.markdown(
        f"""
{measured.provenance(shipped)}

- **Graph size and build time grow linearly with T for the static graph**: {s["nodes_per_step"]:.0f} fx nodes per
  step, {small["static_nodes"]:,} nodes at T = {small["T"]} → {large["static_nodes"]:,} at T = {large["T"]}; build
  time ×{s["build_ratio"]:.0f} over that range ({large["static_build_seconds"]:.1f} s at T = {large["T"]}). The
  packed model's graph is {large["packed_nodes"]} nodes at every T (the loop lives inside one op); the dynamic loop
  runs eagerly and builds no graph ahead (TF's `while_loop` is likewise one graph node whatever T).
- **A static graph pays for T, not for the data.** On the same long-tailed batch (median length
  {unrolling.DATA_MEDIAN}, longest {fits["batch_max_length"]}), going from T = {fits["T"]} (the first T that holds
  every sequence) to T = {large["T"]} made a static forward+backward ×{ratio["static"]:.1f} slower
  ({large["static_seconds"] * 1000:.0f} ms), the dynamic loop ×{ratio["dynamic"]:.1f}
  ({large["dynamic_seconds"] * 1000:.0f} ms) and the packed LSTM ×{ratio["packed"]:.1f}
  ({large["packed_seconds"] * 1000:.0f} ms): same data, same results. The last two loop over the same
  {fits["batch_max_length"]} steps at every T, so how far their ratios are from 1 shows how much the timings move
  under the load recorded above. Memory kept for backward at T = {large["T"]}:
  {large["static_saved_bytes"] / 2**20:.0f} MB static, {large["dynamic_saved_bytes"] / 2**20:.1f} MB dynamic,
  {large["packed_saved_bytes"] / 2**20:.1f} MB packed.
- **Dynamic unrolling with lengths still computes every row at every step**: on that batch it computed
  {large["batch_size"]} × {large["batch_max_length"]} = {s["dynamic_cells"]:,} LSTM cells where packing computed
  the {s["packed_cells"]:,} real ones, and took ×{s["dynamic_vs_packed"]:.1f} the packed LSTM's time. The time ratio
  is not the cell ratio: every step has fixed costs, and the loop here issues several PyTorch ops per step where
  `nn.LSTM` loops in C++.
- **All three compute the same function** where the input fits (max |difference| from packed ≤
  {s["max_abs_diff"]:.0e}). Beyond T the static graph silently truncates (above).
- **Not supported here: "dynamic unrolling is what enables multi-GPU parallelism".** All three run the steps
  strictly one after another on one device; none parallelises across time. Data parallelism splits the *batch*
  and wraps any of them unchanged (static TF graphs were replicated across GPUs too). {_gpu_here()}, and the
  shipped numbers came from {measured.machine(shipped)}: nothing here measures multi-GPU speed either way; see the
  Multi-GPU page for what was measured.
{_padding_conclusion(shipped)}
- What each buys, by these numbers: dynamic unrolling, no maximum length and no graph that grows with T, with
  correct final states and zero outputs past each end; packing, a cost that follows the real lengths; a static
  graph, whole-graph compiler fusion, which `torch.fx` tracing alone does not measure and whose compile time would
  grow with T like the build time above.
"""
    )
