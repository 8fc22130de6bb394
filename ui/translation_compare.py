"""Translation page sections that compare models: side by side, accuracy by input length, the delay sweep."""

from __future__ import annotations

import streamlit as st

from core.plots import translation as plots
from core.translation import data, inference, reading
from ui.common import cached_figure, kept_result, last_result, show_figure
from ui.translation import (
    PLAIN,
    TRANSLATOR,
    attention_of,
    describe,
    get_model,
    load_shipped,
    models_of_task,
    shipped_names,
)

EVAL_COUNTS = [200, 600, 1000, 2000]  # held-out inputs per model the length chart may use
EVAL_PAIRS = 600  # ... by default


def side_by_side(model, text: str) -> None:
    same_task = models_of_task(model.config.task)
    if len(same_task) < 2:
        st.info("Only one model for this task: train another one below to compare.")
        return
    text = reading.prepare(model.config.task, text).text
    inputs = (tuple((n, id(get_model(n))) for n in same_task), text)
    st.dataframe(
        last_result("tr_side", inputs, lambda: _side_rows(model.config.task, same_task, text)),
        hide_index=True,
        key="tr_side_table",
    )
    if len({attention_of(get_model(n)) for n in same_task} - {"none"}) < 2:
        st.caption(
            "To compare two attention types, train a model of this task with another attention type below "
            "(it joins this table)."
        )


def _side_rows(task: str, names: list[str], text: str) -> list[dict]:
    rows = []
    for n in names:
        m = get_model(n)
        r = inference.translate(m, [text])[0]
        check = reading.verdict(task, text, r.output)["check"]
        rows.append(
            {"model": n, "kind": describe(m), "output": r.output, "check": check, "log-prob": round(r.score, 3)}
        )
    return rows


@st.cache_data(max_entries=16, show_spinner=False)
def _shipped_length_rows(name: str, task: str, count: int) -> list[dict]:
    """Shared by every session (shipped models only: a session's own model may share a name, not weights).
    Draws nothing: a cached function that touches an element crashes when its result is replayed."""
    return inference.evaluate_pairs(load_shipped(name), data.task_pairs(task, count, seed=1, split="test"))


def _length_rows(names: list[str], task: str, count: int) -> dict[str, list[dict]]:
    """Held-out rows per model, with a progress bar drawn here, outside any cached function."""
    bar = st.progress(0.0, text="translating the test split…")
    rows_by_model = {}
    for i, n in enumerate(names):
        bar.progress(i / len(names), text=f"{n}…")
        if n in shipped_names():
            rows_by_model[n] = _shipped_length_rows(n, task, count)
        else:
            rows_by_model[n] = inference.evaluate_pairs(
                get_model(n), data.task_pairs(task, count, seed=1, split="test")
            )
    bar.empty()
    return rows_by_model


def length_section(model, name: str) -> None:
    task = model.config.task
    if task in ("", "pairs"):
        st.info("Accuracy by length needs a generated task (numbers or dates).")
        return
    names = [n for n in shipped_names() if load_shipped(n).config.task == task]
    if name not in names:
        names.append(name)
    count = st.select_slider("Held-out inputs per model", EVAL_COUNTS, EVAL_PAIRS, key="tr_eval_n")
    pressed = st.button("Compute accuracy by input length", key="tr_length")
    rows_by_model = kept_result(
        "tr_length", (tuple(names), task, count), pressed, lambda: _length_rows(names, task, count)
    )
    if rows_by_model is None:
        st.caption("Runs every model of this task on the held-out test split (shipped models' results are cached).")
        return
    all_rows = [r for rows in rows_by_model.values() for r in rows]
    edges = inference.length_edges(all_rows, 6)
    series = {n: inference.accuracy_by_length(rows, edges) for n, rows in rows_by_model.items()}
    for metric, words in (("exact", "exact-match share"), ("chrf", "chrF score")):
        show_figure(
            cached_figure(plots.accuracy_by_length, series, metric),
            key=f"tr_len_{metric}",
            caption=f"Line chart: the {words} of each model ({len(series)} lines) on held-out inputs grouped by input "
            "length, shortest bucket on the left; the table below gives the same numbers.",
        )
    st.dataframe(
        [
            {
                "model": n,
                "bucket": b["bucket"],
                "inputs": b["count"],
                "exact %": round(100 * b["exact"], 2),
                "chrF": round(b["chrf"], 2),
            }
            for n, buckets in series.items()
            for b in buckets
        ],
        hide_index=True,
        key="tr_len_table",
    )


@st.cache_resource(max_entries=1, show_spinner=False)
def _delay_figure(name: str):
    """The stored sweep's figure, built once per server (plotly's validation makes building it cost more
    than drawing it); shared read-only, like the models."""
    return plots.delay_sweep(load_shipped(name).meta["delay_sweep"])


def delay_section() -> None:
    if "dates-iso-plain" not in shipped_names():
        return
    plain = load_shipped("dates-iso-plain")
    sweep = plain.meta.get("delay_sweep")
    if sweep:
        show_figure(
            _delay_figure("dates-iso-plain"),
            key="tr_delay",
            caption="Grouped bar chart: exact match (%) of plain seq2seq GRUs on dates, one bar colour per output "
            f"delay ({', '.join(str(row['delay']) for row in sweep)}), grouped by input length in characters.",
        )
        st.caption(
            "Stored measurement, from the dates-iso-plain checkpoint's metadata (written when `make weights` "
            f"built it: {plain.meta.get('delay_sweep_steps', '?')} training steps per delay, one thread, "
            f"scored on {sweep[0].get('test_pairs', '?')} held-out dates). "
            "Each delay: a plain seq2seq GRU trained on five times the shipped models' budget. ISO dates start "
            "with the year, which human-written dates give last, so with delay d the first output has seen only d + 1 "
            "characters. d = 0 fails on every length; d = 12 works only where the year ends within 12 characters "
            "and drops to about zero on longer inputs; d = 36 covers every format, so its accuracy no longer falls "
            "with length, but carrying the whole date across 36 steps is learned slowly. The encoder–decoder reads "
            "everything first and is exact on every length with the shipped budget."
        )


def stopping_section(model, name: str, text: str) -> None:
    """The same model to EOS and forced to a length, and a model of the other kind to EOS."""
    if model.model_type == PLAIN:
        st.caption("A plain seq2seq RNN writes exactly one output token per input token: its length is the input's.")
        return
    st.markdown(
        "**Output length is set by the stopping rule, not by attention.** The decoder writes until its rule "
        "says stop: here, until it emits end-of-sequence. Mask end-of-sequence until L tokens and stop at L, "
        "and the same model writes exactly L tokens; a model without attention stops at its end-of-sequence "
        "just as well (whether its tokens are right is another matter)."
    )
    natural = last_result("tr_natural", (name, id(model), text), lambda: inference.translate(model, [text])[0])
    length = st.slider(
        "Forced length L", 1, inference.MAX_FORCED_LEN // 4, min(len(natural.target_tokens) + 3, 50), key="tr_forced"
    )
    runs = [(name, model, None), (name, model, length)]
    others = [n for n in models_of_task(model.config.task) if get_model(n).model_type == TRANSLATOR]
    other = next((n for n in others if (attention_of(get_model(n)) == "none") != (attention_of(model) == "none")), None)
    if other is not None:
        runs.append((other, get_model(other), None))
    inputs = (tuple((n, id(m), length) for n, m, length in runs), text)
    rows = last_result("tr_stopping", inputs, lambda: inference.stopping_rows(runs, text))
    st.table(rows)  # three static rows: no interactive grid to load
