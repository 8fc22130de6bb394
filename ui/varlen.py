"""Section 1 of the variable-length page (inputs of different lengths); sections 2 and 3 are in
ui.varlen_outputs and ui.varlen_unrolling. Each calls core.varlen and draws with core.plots.varlen."""

from __future__ import annotations

from dataclasses import asdict

import pandas as pd
import streamlit as st

from core.plots import varlen as plots
from core.varlen import batching, correctness, cost, export, measured
from ui.common import bind_choice, bind_int, bind_text, cached_figure, kept_result, show_figure, user_errors

SOURCES = ("length distribution", "typed sequences")
TYPED_MAX_CHARS = 20_000
EXAMPLE = "3 1 4 1 5 9 2 6\n5 3 5\n8 9 7 9 3 2 3 8 4 6 2\n6 4"


@st.cache_data(max_entries=32, show_spinner=False)
def _batch(distribution: str, batch_size: int, max_len: int, seed: int) -> batching.Batch:
    return batching.make_batch(distribution, batch_size, max_len, seed)


def batch_builder() -> batching.Batch | None:
    """Widgets that build the batch; returns None (after showing why) when there is none."""
    left, right = st.columns([1, 2])
    with left:
        source = st.radio(
            "Batch from",
            SOURCES,
            key="varlen_source",
            horizontal=True,
            bind=bind_choice("varlen_source", "Batch from", SOURCES),
        )
    if source == "typed sequences":
        with right:
            text = st.text_area(
                "One sequence per line: token ids 0–999 separated by spaces or commas",
                EXAMPLE,
                key="varlen_typed",
                bind=bind_text("varlen_typed", "the typed sequences", TYPED_MAX_CHARS),
                height=130,
                max_chars=TYPED_MAX_CHARS,
            )
        with user_errors():
            return batching.parse_sequences(text)
        return None
    with right:
        a, b, c = st.columns(3)
        distribution = a.selectbox(
            "Length distribution",
            batching.DISTRIBUTIONS,
            index=batching.DISTRIBUTIONS.index("long-tailed"),
            key="varlen_dist",
            bind=bind_choice("varlen_dist", "Length distribution", batching.DISTRIBUTIONS),
            help="uniform / long-tailed are synthetic; numbers, dates and folk tunes are the app's own data "
            "(one token per character).",
        )
        batch_size = b.number_input(
            "Batch size",
            min_value=1,
            max_value=100_000,
            value=24,
            key="varlen_batch",
            bind=bind_int("varlen_batch", "Batch size", 1, 100_000),
            help=f"capped at {batching.MAX_BATCH}",
        )
        max_len = c.number_input(
            "Longest length (synthetic)",
            min_value=1,
            max_value=1_000_000,
            value=80,
            key="varlen_len",
            bind=bind_int("varlen_len", "Longest length", 1, 1_000_000),
            help=f"capped at {batching.MAX_LEN}",
            disabled=distribution in batching.REAL,
        )
    with user_errors():
        with st.spinner("Loading the dataset…"):
            batch = _batch(distribution, int(batch_size), int(max_len), 0)
        for notice in batch.notices:
            st.warning(notice)
        return batch
    return None


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
        show_figure(
            cached_figure(plots.correctness_figure, result["per_sequence"]),
            key="varlen_fig_correct",
            caption="Each dot is a sequence: how many pads it read, and how far its final state is from running it alone.",
        )


def _time_costs(lengths: tuple[int, ...], n_buckets: int) -> list[dict]:
    with st.status("Timing naive padding, packing and bucketing…") as status:
        bar = st.progress(0.0)
        costs = cost.measure(list(lengths), repeats=3, n_buckets=n_buckets, progress=bar.progress)
        status.update(label="Timed on this batch", state="complete")
    return [asdict(c) for c in costs]


def cost_section(batch: batching.Batch, shipped: dict) -> None:
    """Shipped cost chart until the user times this batch (timing takes seconds on a shared CPU)."""
    n_buckets = int(st.session_state.get("varlen_buckets", 4))
    key = (tuple(batch.lengths), n_buckets)
    pressed = st.button("Time forward+backward on this batch", key="varlen_measure_cost")
    costs = kept_result("varlen_costs", key, pressed, lambda: _time_costs(*key))
    if costs is not None:
        label, where = "this batch", "this batch, measured now on this server"
        source = f"measured live on this server, {len(batch.lengths)} sequences of {batch.source}"
    else:
        costs, label, where = shipped.get("cost", []), "shipped measurement", "the stored measurement above"
        source = export.source_of(shipped)
        b = shipped.get("batch", {})
        st.caption(
            f"Until you press the button: the shipped measurement ({b.get('source', '?')}, "
            f"{b.get('batch_size', '?')} sequences, {b.get('padding_fraction', 0):.0%} padding). "
            + measured.provenance(shipped)
        )
    if not costs:
        st.info("No cost measurement yet: press the button.")
        return
    naive = costs[0]["seconds"]
    left, right = st.columns([2, 1])
    with left:
        show_figure(
            cached_figure(plots.cost_figure, costs, label),
            key="varlen_fig_cost",
            caption="Bars: forward+backward time (left) and memory saved for backward (right) per batching strategy.",
        )
        st.download_button(
            "Download the cost table (CSV)",
            export.rows_csv(costs, source),
            file_name="varlen-cost.csv",
            mime="text/csv",
            key="varlen_cost_csv",
            on_click="ignore",
        )
    with right:
        st.markdown(
            f"One untrained LSTM layer (32 → 64), fastest of several forward+backward passes ({where}; "
            "on a shared CPU compare the bars with each other, not with other runs).\n\n"
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
    training_table(shipped)


def training_table(shipped: dict) -> None:
    training = shipped.get("training_folk_tunes")
    if not training:
        return
    st.markdown(
        f"**Training speed on a real task** (char LSTM language model on folk tunes, "
        f"{next(iter(training.values()))['steps']} training steps per strategy). {measured.provenance(shipped)}"
    )
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
