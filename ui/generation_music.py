"""Music sections of the generator page: the generated tune as audio, MIDI and piano roll, and the style check.

Audio and MIDI come from one ``core.generation.music.render`` of the tune, so they play the same
notes (repeats written out, at the ``Q:`` tempo); a tune music21 cannot play still offers its ABC.
"""

from __future__ import annotations

import streamlit as st

from core.generation import corpora, generate, music
from core.generation.model import CharRNN
from core.plots import generation as plots
from ui.common import cached_figure, kept_result, show_figure


@st.cache_data(max_entries=32, show_spinner="Parsing with music21 and synthesising audio…")
def cached_render(abc: str, meter: str, key: str) -> music.Rendered:
    return music.render(abc, meter, key)


def _rendered(result: dict) -> music.Rendered:
    style = result["style"]
    abc = music.assemble_abc(result["prime"] + result["text"], style["meter"], style["key"])
    return cached_render(abc, style["meter"], style["key"])


def show_music(result: dict) -> None:
    """The tune to hear and download, and how well it keeps its meter and key (or why music21 cannot play it)."""
    style, tune = result["style"], _rendered(result)
    a, b, c = st.columns(3)
    a.download_button("Download .abc", tune.abc, "generated.abc", "text/plain", key="gen_dl_abc")
    for repair in tune.repairs:
        st.caption(f"Repaired for playing: {repair}.")
    check = tune.check
    if not check.plays:
        line = check.line
        where = f" at line {line}: `{tune.abc.splitlines()[line - 1]}`" if line else ""
        verb = "parse" if not check.parses else "play"
        st.error(f"music21 could not {verb} this tune{where} ({check.error}). The ABC is below and downloadable.")
        st.code(tune.abc, language=None)
        return
    b.download_button("Download .mid", tune.midi, "generated.mid", "audio/midi", key="gen_dl_mid")
    c.download_button("Download .wav", tune.wav, "generated.wav", "audio/wav", key="gen_dl_wav")
    played = f"{tune.seconds:.0f} s at {tune.qpm:g} quarter notes a minute, repeats played"
    what = f"The generated tune in {style['meter']}, {corpora.key_label(style['key'])}, synthesised: {played}"
    st.audio(tune.wav, format="audio/wav", alt=what)
    if tune.seconds > music.MAX_AUDIO_SECONDS:
        played += f"; the audio stops at {music.MAX_AUDIO_SECONDS} s (the MIDI file has it all)"
    st.caption(f"Audio and MIDI: {played}.")
    c1, c2 = st.columns(2)
    share = check.full_bars / check.bars if check.bars else 0.0
    c1.metric(
        f"Bars with the full {style['meter']} length", f"{share:.0%}", help=f"{check.full_bars} of {check.bars} bars"
    )
    c2.metric(
        f"Key analysis (asked {corpora.key_label(style['key'])})",
        check.key_found or "—",
        delta="matches" if check.key_ok else "differs",
        delta_color="normal" if check.key_ok else "inverse",
    )
    with st.expander("ABC text"):
        st.code(tune.abc, language=None)


def show_piano_roll(result: dict) -> None:
    tune = _rendered(result)
    if not tune.check.plays:
        st.info("No piano roll: music21 cannot play this tune (the Music tab says where it fails).")
        return
    pitches = [n.pitch for n in tune.notes]
    show_figure(
        cached_figure(plots.piano_roll_figure, tune.notes),
        key="gen_roll",
        caption=f"Piano roll: the tune's {len(pitches)} notes as bars, time in seconds across, pitch up"
        + (f" (MIDI {min(pitches)}–{max(pitches)})." if pitches else "."),
    )


def adherence_section(name: str, model: CharRNN, style: dict) -> None:
    """Sample a batch of tunes in the chosen style and measure them against real tunes of that meter."""
    st.subheader("How well does the model honour the style?")
    n = st.slider("Tunes to sample (temperature 1.0)", 4, 24, 8, 4, key="gen_check_n")
    pressed = st.button("Sample and check tunes", key="gen_check")
    checked = kept_result("gen_check", (name, style, n), pressed, lambda: _check_tunes(model, style, n))
    if checked is None:
        return
    ours, theirs, failures = checked
    a, b, c, d = st.columns(4)
    a.metric(
        "Tunes that play",
        f"{ours['play_rate']:.0%}",
        help=f"{n} tunes sampled at temperature 1.0, seed 0: parsed by music21, then written as MIDI and audio "
        "as this page does",
    )
    b.metric("Tunes that parse", f"{ours['parse_rate']:.0%}")
    c.metric(
        f"Bars with the full {style['meter']} length",
        f"{ours['full_bar_fraction']:.0%}",
        delta=f"real {style['meter']} tunes: {theirs['full_bar_fraction']:.0%}",
        delta_color="off",
    )
    d.metric(f"Key analysis finds {corpora.key_label(style['key'])}", f"{ours['key_match_rate']:.0%}")
    for i, check in failures[:3]:
        where = f" (line {check.line})" if check.line else ""
        st.caption(f"tune {i + 1} does not play{where}: {check.error}")


def _check_tunes(model: CharRNN, style: dict, n: int) -> tuple[dict, dict, list]:
    """(summary of n sampled tunes, summary of up to n real tunes of the meter, the failures)."""
    bar = st.progress(0.0, text="Sampling tunes…")
    prime = generate.prepare_prime(model, "")
    settings = generate.Settings("sample", 1500, n=n, temperature=1.0, seed=0)
    samples = generate.generate(model, prime, settings, style)
    checks = []
    for i, sample in enumerate(samples):
        bar.progress((i + 1) / (2 * n), text=f"Rendering generated tune {i + 1}/{n} with music21…")
        abc = music.assemble_abc(sample.text, style["meter"], style["key"])
        checks.append(music.check_tune(abc, style["meter"], style["key"]))
    real = [t for t in corpora.folk_tunes() if t.meter == style["meter"]][:n]
    reference = []
    for i, tune in enumerate(real):
        bar.progress(0.5 + (i + 1) / (2 * max(len(real), 1)), text=f"Rendering real tune {i + 1}/{len(real)}…")
        reference.append(music.check_tune(tune.abc, tune.meter, tune.key))
    bar.empty()
    failures = [(i, c) for i, c in enumerate(checks) if not c.plays]
    return music.summarize(checks), music.summarize(reference), failures
