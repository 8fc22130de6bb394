"""The generated text on the generator page: coloured by probability, and the model's distribution at each step
(the per-step view)."""

from __future__ import annotations

import math

import streamlit as st

from core.generation import generate
from core.generation.model import CharRNN
from core.plots import generation as plots
from ui.common import cached_figure, show_figure


def _traced(model: CharRNN, result: dict) -> None:
    """The model's logits and each character's probability along the result: one forward pass per result, not
    one per rerun."""
    if "logits" not in result:
        prime = generate.prepare_prime(model, result["prime"])
        result["logits"] = generate.trace(model, prime, result["text"], result["style"])
        result["probabilities"] = generate.char_probabilities(result["logits"], model, result["text"])


def show_text(model: CharRNN, result: dict) -> bool:
    """The text coloured by probability and its download; False (with a notice) when there is no text."""
    text = result["text"]
    if not text:
        st.info("The model ended the text straight away: try another seed, a prime, or sampling.")
        return False
    _traced(model, result)
    probabilities = result["probabilities"]
    mean = -sum(math.log(max(p, 1e-12)) for p in probabilities) / len(probabilities)
    st.markdown(
        f"**Generated text coloured by probability** ({plots.PROBABILITY_LEGEND}; hover a character). "
        f"Mean surprise {mean:.2f} nats/char = {mean / math.log(2):.2f} bits/char."
    )
    st.html(plots.colored_text_html(text, probabilities))
    st.download_button("Download text (.txt)", result["prime"] + text, "generated.txt", "text/plain", key="gen_dl_txt")
    return True


def step_view(model: CharRNN, result: dict) -> None:
    """The model's next-character distribution at a chosen position, raw and after the decoding settings."""
    _traced(model, result)
    text, settings, logits = result["text"], result["settings"], result["logits"]
    probabilities = result["probabilities"]
    prime = generate.prepare_prime(model, result["prime"])
    position = 0
    if len(text) > 1:
        surprising = min(range(len(text)), key=probabilities.__getitem__)  # start at the least expected character
        position = st.slider("Position in the generated text", 0, len(text) - 1, surprising, key="gen_pos")
    view = generate.step_view(model, logits, prime, text, position, settings)
    context = (result["prime"] + text[:position])[-30:]
    st.caption(f"…{context!r} → chose {text[position]!r} (p = {view.chosen_raw:.3f} under the model)")
    show_figure(
        cached_figure(plots.step_distribution_figure, view),
        key="gen_step_fig",
        caption=f"Bar chart: the {len(view.chars)} most likely next characters at position {position}, two bars "
        "each: the model's raw probability and the probability after the decoding settings (temperature, top-k, "
        f"top-p, blocked n-grams); the chosen character, {text[position]!r}, is outlined and marked “chosen”.",
    )
