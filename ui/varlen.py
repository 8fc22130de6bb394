"""Sections of the variable-length page; each calls core.varlen and draws with core.plots.varlen."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pandas as pd
import streamlit as st

from core.plots import varlen as plots
from core.varlen import batching, correctness, cost, outputs, unrolling, views
from ui.common import query_choice, query_number, show_figure, user_errors

MEASURED = Path(batching.__file__).with_name("measured.json")  # written by `python -m core varlen ... --save`
SOURCES = ("length distribution", "typed sequences")
VIEWS = ("Padding", "Truncation", "Mask", "Packing", "Bucketing")
EXAMPLE = "3 1 4 1 5 9 2 6\n5 3 5\n8 9 7 9 3 2 3 8 4 6 2\n6 4"


@st.cache_data(max_entries=32, show_spinner=False)
def _batch(distribution: str, batch_size: int, max_len: int, seed: int) -> batching.Batch:
    return batching.make_batch(distribution, batch_size, max_len, seed)


def batch_builder() -> batching.Batch | None:
    """Widgets that build the batch; returns None (after showing why) when there is none."""
    left, right = st.columns([1, 2])
    with left:
        source = st.radio("Batch from", SOURCES, key="varlen_source", horizontal=True)
    if source == "typed sequences":
        with right:
            text = st.text_area(
                "One sequence per line: token ids 0–999 separated by spaces or commas",
                EXAMPLE,
                key="varlen_typed",
                height=130,
                max_chars=20_000,
            )
        with user_errors():
            return batching.parse_sequences(text)
        return None
    with right:
        a, b, c = st.columns(3)
        dist_default = query_choice("dist", list(batching.DISTRIBUTIONS), "long-tailed")
        distribution = a.selectbox(
            "Length distribution",
            batching.DISTRIBUTIONS,
            index=batching.DISTRIBUTIONS.index(dist_default),
            key="varlen_dist",
            help="uniform / long-tailed are synthetic; numbers, dates and folk tunes are the app's own data "
            "(one token per character).",
        )
        batch_size = b.number_input(
            "Batch size",
            min_value=1,
            max_value=100_000,
            value=query_number("batch", 24, 1, 100_000),
            key="varlen_batch",
            help=f"capped at {batching.MAX_BATCH}",
        )
        max_len = c.number_input(
            "Longest length (synthetic)",
            min_value=1,
            max_value=1_000_000,
            value=query_number("len", 80, 1, 1_000_000),
            key="varlen_len",
            help=f"capped at {batching.MAX_LEN}",
            disabled=distribution in batching.REAL,
        )
    st.query_params["dist"] = distribution
    st.query_params["batch"] = str(batch_size)
    st.query_params["len"] = str(max_len)
    with user_errors():
        with st.spinner("Loading the dataset…"):
            batch = _batch(distribution, int(batch_size), int(max_len), 0)
        for notice in batch.notices:
            st.warning(notice)
        return batch
    return None


def layout_section(batch: batching.Batch) -> int:
    """Padding, truncation, mask, packing and bucketing pictures; returns the chosen pad value."""
    lengths = batch.lengths
    s = batching.summary(lengths)
    st.caption(
        f"{batch.source} · {s['batch_size']} sequences, lengths {s['min_length']}–{s['max_length']} "
        f"(mean {s['mean_length']:.1f})"
    )
    a, b, c, d, e = st.columns(5)
    side = a.selectbox("Pad side", batching.SIDES, key="varlen_pad_side")
    pad_value = int(b.number_input("Pad value", 0, batching.MAX_TOKEN_ID, 0, key="varlen_pad_value"))
    cut_side = c.selectbox("Truncate side", batching.SIDES, key="varlen_cut_side")
    default_cut = max(1, sorted(lengths)[len(lengths) // 2])
    cut_len = int(d.number_input("Truncate to", 1, batching.MAX_LEN, min(default_cut, 500), key="varlen_cut_len"))
    n_buckets = int(e.number_input("Buckets", 1, 16, 4, key="varlen_buckets"))
    if any(pad_value in seq for seq in batch.sequences):
        st.warning(
            f"The pad value {pad_value} is also a real token in this batch: a mask rebuilt from the pad value "
            "would hide real tokens. Build masks from the lengths (as here) or pick an unused pad value."
        )
    cut_fraction = views.truncation_view(batch.sequences, cut_len, cut_side, pad_value, side).padding_fraction
    st.markdown(
        f"Share of computed cells that are padding: **naive {s['padding_fraction']:.0%}** · truncated to {cut_len} "
        f"{cut_fraction:.0%} · bucketed ({n_buckets}) "
        f"{batching.bucketed_padding_fraction(lengths, batching.buckets(lengths, n_buckets)):.0%} · packed 0%"
    )
    view = st.radio("Picture", VIEWS, horizontal=True, key="varlen_view")  # one heatmap built per run
    if view == "Padding":
        grid = views.padding_view(batch.sequences, pad_value, side)
        st.markdown(
            f"**{grid.padding_fraction:.0%} of the computed cells are padding**: every sequence is padded "
            f"({side}) to the longest, {s['max_length']} steps."
        )
        show_figure(plots.token_grid(grid.tokens, grid.kinds, "Padded batch", grid.x, grid.rows), key="varlen_fig_pad")
    elif view == "Truncation":
        grid = views.truncation_view(batch.sequences, cut_len, cut_side, pad_value, side)
        cut = sum(max(n - cut_len, 0) for n in lengths)
        st.markdown(
            f"Truncating to **{cut_len}** ({cut_side}) drops **{cut:,} of {sum(lengths):,} tokens "
            f"({cut / sum(lengths):.0%})** and leaves **{grid.padding_fraction:.0%}** padding."
        )
        show_figure(
            plots.token_grid(grid.tokens, grid.kinds, "Truncated, then padded", grid.x, grid.rows),
            key="varlen_fig_cut",
        )
    elif view == "Mask":
        valid = batching.mask(lengths, s["max_length"], side).tolist()
        st.markdown(
            "The mask is 1 on real tokens and 0 on pads, built **from the lengths**, never by comparing with the "
            "pad value. Losses, attention and state updates multiply by it."
        )
        show_figure(plots.mask_grid(valid, "Mask (1 = real token)"), key="varlen_fig_mask")
    elif view == "Packing":
        layout = batching.pack_layout(batch.sequences)
        st.markdown(
            f"`pack_sequence` sorts by length and stores the batch time-major: at step t only the "
            f"`batch_sizes[t]` sequences still running are computed. **0% padding**; "
            f"{len(layout.batch_sizes)} steps, widths {layout.batch_sizes[0]} → {layout.batch_sizes[-1]}."
        )
        show_figure(plots.packing_figure(layout.batch_sizes, layout.grid, layout.sorted_indices), key="varlen_fig_pack")
    else:
        grid = views.bucket_view(batch.sequences, n_buckets, pad_value)
        st.markdown(
            f"Sorted by length and cut into {n_buckets} bucket(s), each padded only to its own longest: "
            f"**{grid.padding_fraction:.0%} padding** instead of {s['padding_fraction']:.0%}."
        )
        show_figure(
            plots.token_grid(grid.tokens, grid.kinds, "Bucketed batch", grid.x, grid.rows), key="varlen_fig_bucket"
        )
    return pad_value


@st.cache_data(max_entries=16, show_spinner=False)
def _check(sequences: tuple[tuple[int, ...], ...], pad_value: int) -> dict:
    return correctness.check([list(s) for s in sequences], pad_value)


def correctness_section(batch: batching.Batch, pad_value: int) -> None:
    result = _check(tuple(map(tuple, batch.sequences)), pad_value)
    rows = [
        {"method": name, "outputs": d["outputs"], "final h": d["h"], "final c": d["c"]}
        for name, d in result["max_abs_diff"].items()
    ]
    st.markdown(
        "One LSTM (same weights) run five ways on this batch; each number is the **max |difference| from running "
        "every sequence alone**, over all real positions."
    )
    left, right = st.columns([1, 1])
    with left:
        st.dataframe(
            pd.DataFrame(rows).style.format({"outputs": "{:.1e}", "final h": "{:.1e}", "final c": "{:.1e}"}),
            hide_index=True,
            key="varlen_correctness_table",
        )
        worst = result["max_abs_diff"]["padded, no mask (post)"]["h"]
        st.markdown(
            f"Packed and masked runs agree to float32 rounding (≤ {max(r['final h'] for r in rows[:3]):.0e}). "
            f"Without a mask, post-padded outputs at real positions are still right (pads come after them), "
            f"but **the final hidden state reads every pad: error up to {worst:.2f}**. Pre-padding puts the pads "
            "first, so outputs are wrong but the state partly forgets them by the end."
        )
    with right:
        show_figure(plots.correctness_figure(result["per_sequence"]), key="varlen_fig_correct")


def _costs(lengths: tuple[int, ...], n_buckets: int, progress) -> list[dict]:
    return [asdict(c) for c in cost.measure(list(lengths), repeats=3, n_buckets=n_buckets, progress=progress)]


def _measured() -> dict:
    try:
        return json.loads(MEASURED.read_text())
    except (OSError, ValueError):
        return {}


def cost_section(batch: batching.Batch) -> None:
    """Shipped cost chart until the user times this batch (timing takes seconds on a shared CPU)."""
    n_buckets = int(st.session_state.get("varlen_buckets", 4))
    key = (tuple(batch.lengths), n_buckets)
    if st.button("Time forward+backward on this batch", key="varlen_measure_cost"):
        with st.status("Timing naive padding, packing and bucketing…") as status:
            bar = st.progress(0.0)
            st.session_state["varlen_costs"] = (key, _costs(*key, progress=bar.progress))
            status.update(label="Timed on this batch", state="complete")
    stored = st.session_state.get("varlen_costs")
    if stored and stored[0] == key:
        costs, label = stored[1], "this batch"
    else:
        shipped = _measured()
        costs = shipped.get("cost", [])
        b = shipped.get("batch", {})
        label = "shipped measurement"
        st.caption(
            f"Until you press the button: the shipped measurement ({b.get('source', '?')}, "
            f"{b.get('batch_size', '?')} sequences, {b.get('padding_fraction', 0):.0%} padding)."
        )
    if not costs:
        st.info("No cost measurement yet: press the button.")
        return
    naive = costs[0]["seconds"]
    left, right = st.columns([2, 1])
    with left:
        show_figure(plots.cost_figure(costs, label), key="varlen_fig_cost")
    with right:
        st.markdown(
            f"One LSTM layer (32 → 64), fastest of several forward+backward passes ({label}; shared CPU: "
            "compare the bars with each other, not with other runs).\n\n"
            + "\n".join(
                f"- **{c['strategy']}**: ×{naive / c['seconds']:.2f} vs naive, {c['padding_fraction']:.0%} padding"
                for c in costs
            )
        )
        st.caption(
            "Memory = bytes autograd saves for backward (CPU PyTorch has no peak-allocation counter). "
            "On CPU the padded nn.LSTM runs oneDNN's fused kernel while the packed one steps in ATen, so packing "
            "saves memory but often not time here; bucketing keeps the fused kernel and drops most pads."
        )
    training = _measured().get("training_folk_tunes")
    if training:
        st.markdown("**Training speed on a real task** (char LSTM language model on folk tunes, shipped measurement):")
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "strategy": name,
                        "ms / step": r["seconds_per_step"] * 1000,
                        "× vs naive": r["speedup"],
                        "padding": r["padding_fraction"],
                        "loss after the steps": r["loss"],
                    }
                    for name, r in training.items()
                ]
            ).style.format(
                {"ms / step": "{:.0f}", "× vs naive": "{:.2f}", "padding": "{:.0%}", "loss after the steps": "{:.3f}"}
            ),
            hide_index=True,
            key="varlen_training_table",
        )


@st.cache_data(max_entries=8, show_spinner=False)
def _live_point(steps: int) -> dict:
    return asdict(unrolling.measure_point(steps, repeats=2))


@st.cache_data(max_entries=8, show_spinner=False)
def _longer(steps: int, length: int) -> dict:
    return unrolling.longer_than_t(steps, length)


def unrolling_section() -> list[dict]:
    """Shipped sweep over T plus a live build at the user's T; returns the points drawn."""
    points = list(_measured().get("unrolling", []))
    notices: list[str] = []
    requested = int(
        st.number_input(
            "Static length T",
            min_value=1,
            max_value=1_000_000,
            value=query_number("T", 50, 1, 1_000_000),
            key="varlen_T",
            help=f"graphs are built live up to T = {unrolling.LIVE_MAX_T}; larger T come from the shipped sweep",
        )
    )
    st.query_params["T"] = str(requested)
    steps = batching.capped(requested, 1, unrolling.LIVE_MAX_T, "T", notices)
    for notice in notices:
        st.warning(notice + f" Building a {unrolling.MAX_T}-step graph takes seconds; the shipped sweep covers it.")
    if st.button(f"Build the static graph at T = {steps} and time both", key="varlen_build"):
        with st.status(f"Tracing {steps} unrolled steps and timing both…") as status:
            st.session_state["varlen_live"] = (_live_point(steps), _longer(steps, steps + max(5, steps // 2)))
            status.update(label=f"Measured T = {steps}", state="complete")
    live, longer = st.session_state.get("varlen_live") or (None, _measured().get("longer_than_T"))
    if live:
        st.markdown(
            f"**Live, T = {live['T']}**: static graph {live['static_nodes']:,} fx nodes built in "
            f"{live['static_build_seconds']:.2f} s; forward+backward {live['static_seconds'] * 1000:.1f} ms static vs "
            f"{live['dynamic_seconds'] * 1000:.1f} ms dynamic (batch's longest sequence: {live['batch_max_length']}); "
            f"max |difference| of the outputs {live['max_abs_diff']:.1e}."
        )
    if points:
        show_figure(plots.unrolling_figure(points), key="varlen_fig_unroll")
    else:
        st.info(
            "No shipped sweep found: run `python -m core varlen --unroll 10,20,50,100,200,500,1000 --save "
            "core/varlen/measured.json`."
        )
    if longer:
        t, n = longer["T"], longer["input_length"]
        st.markdown(
            f"**An input longer than T.** A length-{n} sequence through the T = {t} graph: no error, no warning. "
            f"It reads the first {t} steps and stops: its final state equals that of the input cut to {t} "
            f"(|Δ| = {longer['static_vs_truncated_h_diff']:.0e}) and differs from the full run by "
            f"**{longer['static_vs_full_h_diff']:.2f}**. The dynamic LSTM reads all {n}. A static graph must be "
            "rebuilt (or the input truncated on purpose) for every longer length."
        )
    return points


def _padding_conclusion() -> str:
    """The shipped padding/packing/bucketing numbers, as one bullet (empty when not shipped)."""
    measured = _measured()
    speed = measured.get("speedup_vs_naive_padding")
    costs = {c["strategy"]: c for c in measured.get("cost", [])}
    training = measured.get("training_folk_tunes", {})
    if not speed or not costs or not training:
        return ""
    return (
        f"- **Packing saves memory, bucketing saves time, on this CPU.** At "
        f"{measured['batch']['padding_fraction']:.0%} padding, one LSTM layer ran ×{speed['bucketing']:.1f} faster "
        f"bucketed and ×{speed['packing']:.2f} packed; packed kept {costs['packing']['saved_bytes'] / 2**20:.1f} MB "
        f"for backward vs {costs['naive padding']['saved_bytes'] / 2**20:.1f} MB padded. Training the folk-tune "
        f"LSTM: bucketing ×{training['bucketing']['speedup']:.1f}, packing ×{training['packing']['speedup']:.2f}. "
        "The padded nn.LSTM runs oneDNN's fused kernel (`aten::mkldnn_rnn_layer` in the profiler), the packed one "
        "does not. On a GPU, where cuDNN takes packed batches natively, the ranking may differ: not measured here."
    )


def conclusions(points: list[dict]) -> None:
    """What the shipped measurements support, with their numbers; and what they do not."""
    if len(points) < 2:
        st.info("Conclusions need the shipped sweep (core/varlen/measured.json).")
        return
    small, large = points[0], points[-1]
    per_step = (large["static_nodes"] - small["static_nodes"]) / (large["T"] - small["T"])
    build_ratio = large["static_build_seconds"] / small["static_build_seconds"]
    # below the batch's longest sequence the data itself is clipped to T: compare from the first T that holds it all
    fits = next((p for p in points if p["T"] > p["batch_max_length"]), large)
    time_static = large["static_seconds"] / fits["static_seconds"]
    time_dynamic = large["dynamic_seconds"] / fits["dynamic_seconds"]
    st.markdown(
        f"""
- **Graph size and build time grow linearly with T for the static graph**: {per_step:.0f} fx nodes per step,
  {small["static_nodes"]:,} nodes at T = {small["T"]} → {large["static_nodes"]:,} at T = {large["T"]}; build time
  ×{build_ratio:.0f} over that range ({large["static_build_seconds"]:.1f} s at T = {large["T"]}). The dynamic model's
  graph is {large["dynamic_nodes"]} nodes at every T: the loop lives inside one op.
- **A static graph pays for T, not for the data.** On the same long-tailed batch (median length
  {unrolling.DATA_MEDIAN}, longest {fits["batch_max_length"]}), going from T = {fits["T"]} (the first T that holds
  every sequence) to T = {large["T"]} made a static forward+backward ×{time_static:.1f} slower
  ({large["static_seconds"] * 1000:.0f} ms) while the dynamic one changed ×{time_dynamic:.1f}
  ({large["dynamic_seconds"] * 1000:.0f} ms): same data, same results. Memory kept for backward at T = {large["T"]}:
  {large["static_saved_bytes"] / 2**20:.0f} MB vs {large["dynamic_saved_bytes"] / 2**20:.1f} MB.
- **Both compute the same function** where the input fits (max |difference| ≤
  {max(p["max_abs_diff"] for p in points):.0e}). Beyond T the static graph silently truncates (above).
- **Not supported here: "dynamic unrolling is what enables multi-GPU parallelism".** Both versions run the T
  steps strictly one after another on one device; neither parallelises across time. Data parallelism splits the
  *batch* and wraps either kind of model unchanged (static TF graphs were replicated across GPUs too). This machine
  has no GPU, so nothing here measures multi-GPU speed either way; see the Multi-GPU page for what was measured.
{_padding_conclusion()}
- What dynamic unrolling does buy, by these numbers: no maximum length, a graph that does not grow with T, and
  cost that follows the real lengths. What a static graph can buy (whole-graph compiler fusion) is not measured
  by `torch.fx` tracing alone, and its compile time would grow with T like the build time above.
"""
    )


@st.cache_resource(max_entries=2, show_spinner=False)
def _translator(name: str):
    from core import checkpoints

    return checkpoints.load(name)


@st.cache_data(max_entries=8, show_spinner=False)
def _compare(name: str, count: int) -> dict:
    return outputs.compare(_translator(name), count)


def outputs_section() -> None:
    """Stop at EOS vs fixed length, greedy vs beam, on a shipped translation model (on request)."""
    models = outputs.available_models()
    if not models:
        st.info(
            "No translation model is shipped in this build yet (looked for "
            f"{', '.join(outputs.MODELS)}); this section needs one. Build them with `make weights`."
        )
        return
    a, b, c = st.columns([2, 1, 2])
    name = a.selectbox("Translation model", models, index=len(models) - 1, key="varlen_out_model")
    count = int(b.number_input("Held-out examples", 4, outputs.MAX_EXAMPLES, 24, key="varlen_out_count"))
    c.write("")
    if c.button("Decode them three ways", key="varlen_decode"):
        with st.status(f"Loading {name} and decoding {count} examples…") as status:
            with user_errors():
                st.session_state["varlen_outputs"] = (name, count, _compare(name, count))
            status.update(label="Decoded", state="complete")
    stored = st.session_state.get("varlen_outputs")
    if not stored or stored[:2] != (name, count):
        st.caption("Press the button: loading a model and decoding takes a few seconds.")
        return
    result = stored[2]
    runs = result["runs"]
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "decoding": label,
                    "exact match": r["exact"],
                    "mean length": r["mean_length"],
                    "ended with EOS": r["ended_with_eos"],
                    "decoder steps": r["decoder_steps"],
                    "cells computed": r["cells_computed"],
                }
                for label, r in runs.items()
            ]
        ).style.format({"exact match": "{:.0%}", "mean length": "{:.1f}", "ended with EOS": "{:.0%}"}),
        hide_index=True,
        key="varlen_outputs_table",
    )
    fixed, eos = runs["greedy, fixed length"], runs["greedy, stop at EOS"]
    st.markdown(
        f"References average **{result['reference_mean_length']:.1f}** target tokens. Stopping at EOS gives "
        f"{eos['mean_length']:.1f} and the batch stops after {eos['decoder_steps']} steps (its longest output). "
        f"Running a fixed {result['max_len']} steps computes {fixed['cells_computed']:,} cells instead of "
        f"{eos['cells_computed']:,}, and without looking for EOS the text runs on past the answer: exact match "
        f"{fixed['exact']:.0%} vs {eos['exact']:.0%}. A model trained without an EOS token has no way to stop at all."
    )
    left, right = st.columns(2)
    with left:
        series = {k: r["lengths"] for k, r in runs.items()}
        show_figure(
            plots.length_scatter(result["reference_lengths"], series, "Output lengths vs references"),
            key="varlen_fig_lengths",
        )
    with right:
        shown = 8
        grid = views.decoded_view(fixed["tokens"][:shown], stop_at_eos=False, width=result["max_len"])
        show_figure(
            plots.token_grid(grid.tokens, grid.kinds, "Fixed length: what comes after EOS", grid.x, grid.rows),
            key="varlen_fig_fixed",
        )
    st.dataframe(pd.DataFrame(result["examples"][:12]), hide_index=True, key="varlen_outputs_examples")
