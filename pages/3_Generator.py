"""Text and music generator: char-level RNN language models and the decoders that drive them."""

import streamlit as st

from ui import generation as gen
from ui import generation_music as gen_music
from ui import generation_text as gen_text
from ui import generation_train as gen_train
from ui import setup_page, user_errors
from ui.common import frozen_after_first_run

setup_page("Text and music generator")
st.title("Text and music generator")
st.markdown(
    "A character-level GRU reads text one character at a time and predicts the next. **Sequence to sequence**: "
    "it continues your prime. **Vector to sequence**: the folk-tune model also gets a style vector (meter, key, "
    "tune type) and writes a tune in that style. Compare greedy decoding, beam search and sampling, see every "
    "step's distribution, and hear the tunes."
)

name, model, uploaded = gen.choose_model()  # outside the sections: another model reruns the whole page
# One section at a time, not st.tabs: tabs draw all three sections (26 gallery samples, the training form)
# on every run, and the browser showed grey placeholders for seconds until every element had loaded.
view = gen.choose_view()


# Each section is a fragment: a widget change reruns only it, and a rerun that asks for nothing new does no
# model work (the sample, its trace and its audio are kept).
@st.fragment
def generate_area() -> None:
    prime, settings = gen.decoding_settings(name)
    style = gen.style_settings(model)
    inputs = (name, prime, settings, style)
    from_link = gen.link_asks_for_output()  # a link to a result generates it by itself
    if st.button("Generate", key="gen_run", type="primary") or from_link:
        with user_errors():
            gen.run_generation(name, model, prime, settings, style)
    result = gen.current_result(name, model)
    gen.mark_link(result, inputs)
    if result is not None:
        with user_errors():
            if gen_text.show_text(model, result):
                views = gen.result_views(result)  # lazy tabs: only the open view is drawn
                if "Music" in views:
                    with views["Music"]:
                        gen_music.show_music(result)
                if "Piano roll" in views:
                    with views["Piano roll"]:
                        gen_music.show_piano_roll(result)
                if "Per-step view" in views:
                    with views["Per-step view"]:
                        gen_text.step_view(model, result)
    if style is not None:
        gen_music.adherence_section(name, model, style)


if view == "Generate" and model is not None:
    generate_area()
elif view == "Loss vs samples" and model is not None:
    st.fragment(gen_train.show_gallery)(model)
elif view == "Train your own":
    st.fragment(gen_train.training_section)(uploaded)
frozen_after_first_run(__file__)
