"""Section 2 of the variable-length page: outputs of different lengths, and what stops a decoder."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.plots import varlen as plots
from core.varlen import outputs, views
from ui.common import cached_figure, frozen_after, kept_result, show_figure, user_errors

STOPPING_RULES = """**What stops a decoder**, and what each costs:
- **An EOS token** the model learns to emit: each output ends at its own length. Costs one more symbol to
  learn, and a model can end too early or too late (the length scatter shows where).
- **A length cap** (a maximum number of steps): always stops, but a model that never looks for EOS runs every
  output to the cap: the steps past the answer are computed and their tokens must be cut by something else.
- **A fixed output length**, where the task has one: ISO dates are always 10 characters, so 10 steps end every
  answer exactly, with no EOS at all. Free, but only for fixed-format outputs.
- **A predicted length**: a second output predicts how many tokens to write before decoding (as
  non-autoregressive translation does: Gu et al., 2018, "Non-Autoregressive Neural Machine Translation").
  Costs a second prediction to train, and a wrong guess cuts or pads the answer. Not shown here."""


@st.cache_resource(max_entries=2, show_spinner=False)
def _translator(name: str):
    from core import checkpoints

    return frozen_after(lambda: checkpoints.load(name))


@st.cache_data(max_entries=8, show_spinner=False)
def _compare(name: str, count: int) -> dict:
    return outputs.compare(_translator(name), count)


def _decode(name: str, count: int) -> dict | None:
    with st.status(f"Loading {name} and decoding {count} examples…") as status:
        result = _compare(name, count)
        status.update(label="Decoded", state="complete")
    return result


def outputs_section() -> None:
    """Stop at EOS vs a length cap vs the task's fixed length, greedy vs beam, on a shipped translation model."""
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
    pressed = c.button("Decode them each way", key="varlen_decode")
    with user_errors():
        result = kept_result("varlen_outputs", (name, count), pressed, lambda: _decode(name, count))
    if result is None:
        st.caption("Press the button: loading a trained model and decoding takes a few seconds.")
        st.markdown(STOPPING_RULES)
        return
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
    st.markdown(_summary(result))
    st.markdown(STOPPING_RULES)
    left, right = st.columns(2)
    with left:
        series = {k: r["lengths"] for k, r in runs.items()}
        show_figure(
            cached_figure(plots.length_scatter, result["reference_lengths"], series, "Output lengths vs references"),
            key="varlen_fig_lengths",
            caption="Each dot is one decoded example: its reference length against its output length, per decoding.",
        )
    with right:
        capped = runs["greedy, length cap only"]
        grid = views.decoded_view(capped["tokens"][:8], stop_at_eos=False, width=result["max_len"])
        show_figure(
            cached_figure(
                plots.token_grid, grid.tokens, grid.kinds, "Length cap only: what comes after EOS", grid.x, grid.rows
            ),
            key="varlen_fig_fixed",
            caption="Eight decoded outputs, one per row: tokens up to EOS, EOS itself, and what was decoded after it.",
        )
    st.dataframe(pd.DataFrame(result["examples"][:12]), hide_index=True, key="varlen_outputs_examples")


def _summary(result: dict) -> str:
    runs = result["runs"]
    capped, eos = runs["greedy, length cap only"], runs["greedy, stop at EOS"]
    text = (
        f"References average **{result['reference_mean_length']:.1f}** target tokens. Stopping at EOS gives "
        f"{eos['mean_length']:.1f} and the batch stops after {eos['decoder_steps']} steps (its longest output). "
        f"Ignoring EOS, only the cap of {result['max_len']} steps stops it: {capped['cells_computed']:,} cells instead "
        f"of {eos['cells_computed']:,}, and the text runs on past the answer: exact match {capped['exact']:.0%} vs "
        f"{eos['exact']:.0%}."
    )
    steps = outputs.FIXED_LENGTH.get(result["task"])
    if steps:
        fixed = runs[outputs.fixed_length_label(steps)]
        text += (
            f" This task's outputs all have {steps} tokens, so running exactly {steps} steps without EOS stops "
            f"every answer too: exact match {fixed['exact']:.0%}, {fixed['cells_computed']:,} cells."
        )
    return text
