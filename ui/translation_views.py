"""Views of one translation: the attention heatmap and its row, the beam search's n-best list and tree."""

from __future__ import annotations

import streamlit as st

from core.plots import translation as plots
from core.translation import inference
from ui.common import cached_figure, show_figure
from ui.translation import PLAIN, TREE_PATHS


def _shown(token: str) -> str:
    return "“" + token.replace("▁", "␣") + "”"


def attention_section(model, result: inference.Translation, name: str) -> None:
    if result.attention is None:
        if model.model_type == PLAIN:
            st.info("A plain seq2seq RNN has no attention: output i sees only the first i + delay input tokens.")
        else:
            st.info("This model has no attention: the decoder sees the source only through the encoder's final state.")
        return
    if not result.target_tokens:
        return
    labels = [f"{i + 1}: {t.replace('▁', '␣')}" for i, t in enumerate(result.target_tokens)]
    choice = st.selectbox("Highlight an output token", labels, key="tr_highlight")
    row = labels.index(choice)
    fig = cached_figure(
        plots.attention_heatmap, result.source_tokens, result.target_tokens, result.attention, row, result.unknown
    )
    left, right = st.columns([3, 2])
    with left:
        show_figure(
            fig,
            key="tr_heatmap",
            config={"toImageButtonOptions": {"format": "png", "filename": "attention"}},
            caption=f"Attention heatmap: one row per output token ({len(labels)}, first at the top), one column per "
            f"source token ({len(result.source_tokens)}; unknown ones in red); the darker a cell, the more the decoder "
            f"looked at that source token while writing that output token. Row {row + 1} is outlined.",
        )
    with right:
        token, weights = result.target_tokens[row], result.attention[row]
        looked = result.source_tokens[max(range(len(weights)), key=weights.__getitem__)]
        show_figure(
            cached_figure(plots.source_distribution, result.source_tokens, weights, token),
            key="tr_row",
            caption=f"Bar chart: how output token {row + 1} ({_shown(token)}) spread its attention over the source "
            f"tokens; the bars sum to 1, the tallest is {_shown(looked)}.",
        )
    st.download_button(
        "Download attention matrix (CSV)",
        inference.attention_csv(result),
        file_name=f"attention-{name}.csv",
        mime="text/csv",
        key="tr_csv",
    )
    st.caption("PNG: use the camera icon in the heatmap's toolbar.")


def beam_section(model, result: inference.Translation) -> None:
    st.dataframe(
        [
            {
                "rank": i + 1,
                "output": c.output,
                "log-prob": round(c.score, 4),
                "normalized": round(c.normalized_score, 4),
            }
            for i, c in enumerate(result.n_best)
        ],
        hide_index=True,
        key="tr_nbest_table",
    )
    if not result.tree:
        return
    last = max(n.step for n in result.tree) + 1
    c1, c2, c3 = st.columns([2, 2, 3])
    pruned = c1.toggle("Only the best hypotheses' paths", True, key="tr_tree_prune", help="readable for long outputs")
    top = c2.slider("Paths shown", 1, inference.MAX_BEAM, TREE_PATHS, key="tr_tree_top", disabled=not pruned)
    steps = c3.slider("Show the search up to step", 1, last, last, key="tr_tree_step") if last > 1 else last
    labels = dict(enumerate(model.tgt_tokenizer.vocab))
    show_figure(
        cached_figure(plots.beam_tree, result.tree, labels, steps, top if pruned else None),
        key="tr_tree",
        caption=f"Beam search tree up to step {steps}: one column per decoding step, one dot per hypothesis kept, a "
        "line from each token to the hypothesis it extends; "
        + (f"only the paths of the {top} best finished hypotheses are drawn." if pruned else "every kept path drawn."),
    )
