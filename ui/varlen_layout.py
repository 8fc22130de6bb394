"""Section 1 of the variable-length page, its pictures: padding, truncation, mask, packing, bucketing.
Every setting is bound to the URL, so a link shows the same picture."""

from __future__ import annotations

import streamlit as st

from core.plots import varlen as plots
from core.varlen import batching, views
from ui.common import bind_choice, bind_int, cached_figure, show_figure

VIEWS = ("Padding", "Truncation", "Mask", "Packing", "Bucketing")
CUT_DEFAULT = 20  # tokens kept by truncation until the user picks
MASK_USES = """The mask m is 1 on real tokens and 0 on pads, built **from the lengths**, never by comparing with the
pad value. Each use applies it its own way:
- **Loss**: per-token losses are multiplied by m and divided by its sum (or the pad id is passed as
  `ignore_index`), so pads add nothing and the mean is over real tokens.
- **State updates**: h = m·h_new + (1 − m)·h_old: past its end a sequence copies its state through.
- **Attention**: m is *added*, as 0 on real tokens and −∞ (in practice a large negative such as the dtype's minimum)
  on pads, to the scores **before** the softmax, so pads get weight exactly 0 and the rest still sum to 1;
  multiplying the weights by m after the softmax would leave rows that no longer sum to 1."""
GRID_CAPTION = (
    "One row per sequence, one column per time step; the colour of a cell (legend on the right) says what it holds."
)


def layout_section(batch: batching.Batch) -> int:
    """Padding, truncation, mask, packing and bucketing pictures; returns the chosen pad value."""
    lengths = batch.lengths
    s = batching.summary(lengths)
    st.caption(
        f"{batch.source} · {s['batch_size']} sequences, lengths {s['min_length']}–{s['max_length']} "
        f"(mean {s['mean_length']:.1f})"
    )
    a, b, c, d, e = st.columns(5)
    side = a.selectbox(
        "Pad side",
        batching.SIDES,
        key="varlen_pad_side",
        bind=bind_choice("varlen_pad_side", "Pad side", batching.SIDES),
    )
    pad_value = int(
        b.number_input(
            "Pad value",
            0,
            batching.MAX_TOKEN_ID,
            0,
            key="varlen_pad_value",
            bind=bind_int("varlen_pad_value", "Pad value", 0, batching.MAX_TOKEN_ID),
        )
    )
    cut_side = c.selectbox(
        "Truncate side",
        batching.SIDES,
        key="varlen_cut_side",
        bind=bind_choice("varlen_cut_side", "Truncate side", batching.SIDES),
    )
    # a fixed default, not one from this batch: a kept value and a fresh link's default must agree
    cut_len = int(
        d.number_input(
            "Truncate to",
            1,
            batching.MAX_LEN,
            CUT_DEFAULT,
            key="varlen_cut_len",
            bind=bind_int("varlen_cut_len", "Truncate to", 1, batching.MAX_LEN),
        )
    )
    n_buckets = int(
        e.number_input("Buckets", 1, 16, 4, key="varlen_buckets", bind=bind_int("varlen_buckets", "Buckets", 1, 16))
    )
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
    view = st.radio(
        "Picture", VIEWS, horizontal=True, key="varlen_view", bind=bind_choice("varlen_view", "Picture", VIEWS)
    )  # one heatmap built per run
    if view == "Padding":
        grid = views.padding_view(batch.sequences, pad_value, side)
        st.markdown(
            f"**{grid.padding_fraction:.0%} of the computed cells are padding**: every sequence is padded "
            f"({side}) to the longest, {s['max_length']} steps."
        )
        show_figure(
            cached_figure(plots.token_grid, grid.tokens, grid.kinds, "Padded batch", grid.x, grid.rows),
            key="varlen_fig_pad",
            caption=GRID_CAPTION,
        )
    elif view == "Truncation":
        grid = views.truncation_view(batch.sequences, cut_len, cut_side, pad_value, side)
        cut = sum(max(n - cut_len, 0) for n in lengths)
        st.markdown(
            f"Truncating to **{cut_len}** ({cut_side}) drops **{cut:,} of {sum(lengths):,} tokens "
            f"({cut / sum(lengths):.0%})** and leaves **{grid.padding_fraction:.0%}** padding."
        )
        show_figure(
            cached_figure(plots.token_grid, grid.tokens, grid.kinds, "Truncated, then padded", grid.x, grid.rows),
            key="varlen_fig_cut",
            caption=GRID_CAPTION,
        )
    elif view == "Mask":
        valid = batching.mask(lengths, s["max_length"], side).tolist()
        st.markdown(MASK_USES)
        show_figure(
            cached_figure(plots.mask_grid, valid, "Mask (1 = real token)"), key="varlen_fig_mask", caption=GRID_CAPTION
        )
    elif view == "Packing":
        layout = batching.pack_layout(batch.sequences)
        st.markdown(
            f"`pack_sequence` sorts by length and stores the batch time-major: at step t only the "
            f"`batch_sizes[t]` sequences still running are computed. **0% padding**; "
            f"{len(layout.batch_sizes)} steps, widths {layout.batch_sizes[0]} → {layout.batch_sizes[-1]}."
        )
        show_figure(
            cached_figure(plots.packing_figure, layout.batch_sizes, layout.grid, layout.sorted_indices),
            key="varlen_fig_pack",
            caption="Top: how many sequences are still running at each step. Below: the packed data, longest first.",
        )
    else:
        grid = views.bucket_view(batch.sequences, n_buckets, pad_value)
        st.markdown(
            f"Sorted by length and cut into {n_buckets} bucket(s), each padded only to its own longest: "
            f"**{grid.padding_fraction:.0%} padding** instead of {s['padding_fraction']:.0%}."
        )
        show_figure(
            cached_figure(plots.token_grid, grid.tokens, grid.kinds, "Bucketed batch", grid.x, grid.rows),
            key="varlen_fig_bucket",
            caption=GRID_CAPTION,
        )
    return pad_value
