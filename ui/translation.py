"""Sections of the translation page (widgets + calls into core.translation; no model code here)."""

from __future__ import annotations

import csv
import io
import random

import streamlit as st

from core import checkpoints, limits
from core.errors import UserError
from core.plots import translation as plots
from core.translation import data, inference
from ui.common import query_choice, query_number, query_text, show_figure
from ui.jobs import current_job, show_job, start_job

MODEL_TYPES = ("rnn-translator", "rnn-plain-seq2seq")
SESSION_MODELS = "translation_models"  # session_state: {name: model trained in this session}
JOB_KEY = "translation_job"
TEXT_KEY = "tr_text"
MAX_BATCH_LINES = 5000
EVAL_PAIRS = 600


@st.cache_resource(max_entries=8, show_spinner=False)
def load_shipped(name: str):
    return checkpoints.load(name)


def shipped_names() -> list[str]:
    return [row["name"] for row in checkpoints.list_models() if row["model_type"] in MODEL_TYPES]


def session_models() -> dict:
    return st.session_state.setdefault(SESSION_MODELS, {})


def get_model(name: str):
    return session_models()[name] if name in session_models() else load_shipped(name)


def add_session_model(model, prefix: str) -> str:
    """Make a trained or uploaded model selectable in this session; returns its name."""
    models = session_models()
    for name, known in models.items():
        if known is model:
            return name
    task = (model.config.task or "pairs").replace(":", "-")
    name = f"{prefix}-{task}-{getattr(model.config, 'attention', 'none')}-{len(models) + 1}"
    models[name] = model
    return name


def describe(model) -> str:
    c = model.config
    if type(model).__name__ == "PlainSeq2Seq":
        return f"plain seq2seq {c.cell.upper()} {c.hidden}, delay {c.delay}"
    direction = "bi" if c.bidirectional else "uni"
    return f"{direction}-{c.cell.upper()} {c.hidden}, attention: {c.attention}"


def choose_model() -> tuple[str, object]:
    job = current_job(JOB_KEY)
    if job is not None and not job.running and job.result is not None:
        add_session_model(job.result, "my")  # a model finished since the last run joins the list first
    names = shipped_names() + [n for n in session_models() if n not in shipped_names()]
    if not names:
        st.error("No translation models found: run `make weights` (python -m core models build).")
        st.stop()
    default = query_choice("model", names, "numbers-en-fr" if "numbers-en-fr" in names else names[0])
    name = st.selectbox("Model", names, index=names.index(default), key="tr_model", help="shipped or trained here")
    st.query_params["model"] = name
    model = get_model(name)
    metrics = model.meta.get("metrics", {})
    line = f"{describe(model)} · task `{model.config.task}`"
    if "test_exact" in metrics:
        line += (
            f" · held-out exact match **{100 * metrics['test_exact']:.2f} %** on {metrics.get('test_pairs', '?')} pairs"
        )
    st.caption(line)
    return name, model


def random_example(task: str, seed: int) -> tuple[str, str] | None:
    if task == "pairs" or not task:
        return None
    return data.task_pairs(task, 1, seed=seed, split="test")[0]


def decoding_controls() -> dict:
    c1, c2, c3, c4, c5 = st.columns(5)
    methods = list(inference.METHODS)
    method = c1.radio(
        "Decoding", methods, index=methods.index(query_choice("method", methods, "greedy")), key="tr_method"
    )
    beam = c2.slider("Beam width", 1, inference.MAX_BEAM, int(query_number("beam", 5, 1, 10)), key="tr_beam")
    alpha = c3.slider(
        "Length penalty α", 0.0, 2.0, float(query_number("alpha", 0.6, 0.0, 2.0, float)), 0.1, key="tr_alpha"
    )
    temperature = c4.slider(
        "Temperature", 0.1, 3.0, float(query_number("temp", 1.0, 0.1, 3.0, float)), 0.1, key="tr_temp"
    )
    n_best = c5.slider("n-best", 1, beam, min(beam, 5), key="tr_nbest") if beam > 1 else 1
    st.query_params.update({"method": method, "beam": str(beam), "alpha": str(alpha), "temp": str(temperature)})
    return {"method": method, "beam_size": beam, "alpha": alpha, "temperature": temperature, "n_best": n_best}


def show_source_tokens(result: inference.Translation) -> None:
    """Source tokens as the model read them; unknown ones highlighted in red."""
    unknown = set(result.unknown)
    visible = [t.replace("▁", "␣").replace(" ", "␣") for t in result.source_tokens]
    shown = [f":red-background[{t}]" if i in unknown else f"`{t}`" for i, t in enumerate(visible)]
    st.markdown("Source tokens: " + " ".join(shown))


def attention_csv(result: inference.Translation) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["output \\ source", *result.source_tokens])
    for token, row in zip(result.target_tokens, result.attention):
        writer.writerow([token, *[f"{w:.6f}" for w in row]])
    return buffer.getvalue()


def translate_section(model, options: dict) -> inference.Translation | None:
    task = model.config.task
    if st.button("Random example", key="tr_random", disabled=task in ("", "pairs")):
        example = random_example(task, random.randrange(10**9))
        st.session_state[TEXT_KEY] = example[0]
    if TEXT_KEY not in st.session_state:
        default = random_example(task, 7)
        st.session_state[TEXT_KEY] = query_text("text", default[0] if default else "")
    elif st.session_state.get("tr_task_seen", task) != task:  # another task: its own example, not stale text
        example = random_example(task, 7)
        st.session_state[TEXT_KEY] = example[0] if example else ""
    st.session_state["tr_task_seen"] = task
    text = st.text_input("Input", key=TEXT_KEY, max_chars=2000)
    st.query_params["text"] = text
    if not text.strip():
        st.warning("Type an input (a number in English words, a date, or a sentence) or press Random example.")
        return None
    result = inference.translate(model, [text], record_tree=options["method"] == "beam", **options)[0]
    if result.truncated:
        st.warning(
            f"The input is longer than this model reads ({model.config.max_source_len} tokens): "
            "it was truncated, so the translation covers only the beginning."
        )
    if result.unknown:
        unknown = ", ".join(f"“{result.source_tokens[i].replace('▁', '')}”" for i in result.unknown)
        st.warning(f"Tokens never seen in training (read as <unk>, highlighted below): {unknown}")
    reference = data.reference_for(task, text)
    st.markdown(f"### → {result.output or '∅ (empty output)'}")
    if reference is not None:
        if inference.exact(result.output, reference):
            st.success(f"Correct (reference: {reference})")
        else:
            st.error(f"Wrong: the reference is “{reference}”")
    else:
        st.caption("No reference: the input is not exactly what this task's generator writes.")
    if not result.finished:
        st.caption("Stopped at the maximum length without producing end-of-sequence.")
    show_source_tokens(result)
    st.caption(f"log-probability {result.score:.3f} · {len(result.target_tokens)} output tokens")
    return result


def attention_section(model, result: inference.Translation, name: str) -> None:
    if result.attention is None:
        if getattr(model.config, "delay", None) is not None:
            st.info("A plain seq2seq RNN has no attention: output i sees only the first i + delay input tokens.")
        else:
            st.info("This model has no attention: the decoder sees the source only through the encoder's final state.")
        return
    if not result.target_tokens:
        return
    labels = [f"{i + 1}: {t.replace('▁', '␣')}" for i, t in enumerate(result.target_tokens)]
    choice = st.selectbox("Highlight an output token", labels, key="tr_highlight")
    row = labels.index(choice)
    fig = plots.attention_heatmap(result.source_tokens, result.target_tokens, result.attention, row, result.unknown)
    st.caption(
        "Rows: output tokens, first at the top; columns: source tokens (unknown ones in red); hover for weights."
    )
    left, right = st.columns([3, 2])
    with left:
        show_figure(fig, key="tr_heatmap", config={"toImageButtonOptions": {"format": "png", "filename": "attention"}})
    with right:
        show_figure(
            plots.source_distribution(result.source_tokens, result.attention[row], result.target_tokens[row]),
            key="tr_row",
        )
    st.download_button(
        "Download attention matrix (CSV)",
        attention_csv(result),
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
    if result.tree:
        last = max(n.step for n in result.tree) + 1
        steps = st.slider("Show the search up to step", 1, last, last, key="tr_tree_step") if last > 1 else last
        labels = dict(enumerate(model.tgt_tokenizer.vocab))
        show_figure(plots.beam_tree(result.tree, labels, steps), key="tr_tree")


def side_by_side(model, text: str) -> None:
    task = model.config.task
    same_task = [n for n in shipped_names() if load_shipped(n).config.task == task]
    same_task += [n for n, m in session_models().items() if m.config.task == task and n not in same_task]
    if len(same_task) < 2:
        st.info("Only one model for this task: train another one below to compare.")
        return
    rows = []
    reference = data.reference_for(task, text)
    for n in same_task:
        m = get_model(n)
        r = inference.translate(m, [text])[0]
        rows.append(
            {
                "model": n,
                "kind": describe(m),
                "output": r.output,
                "correct": "" if reference is None else ("yes" if inference.exact(r.output, reference) else "no"),
                "log-prob": round(r.score, 3),
            }
        )
    st.dataframe(rows, hide_index=True, key="tr_side_table")
    kinds = {get_model(n).config.attention for n in same_task} - {"none"}
    if len(kinds) < 2:
        st.caption(
            "To compare two attention types, train a model of this task with another attention type below "
            "(it joins this table)."
        )


@st.cache_data(max_entries=16, show_spinner=False)
def _length_rows(name: str, task: str, count: int, _model, _progress=None) -> list[dict]:
    pairs = data.task_pairs(task, count, seed=1, split="test")
    return inference.evaluate_pairs(_model, pairs, progress=_progress, chunk=100)


def length_section(model, name: str) -> None:
    task = model.config.task
    if task in ("", "pairs"):
        st.info("Accuracy by length needs a generated task (numbers or dates).")
        return
    names = [n for n in shipped_names() if load_shipped(n).config.task == task]
    if name not in names:
        names.append(name)
    count = st.select_slider("Held-out inputs per model", [200, 600, 1000, 2000], EVAL_PAIRS, key="tr_eval_n")
    if not st.button("Compute accuracy by input length", key="tr_length"):
        st.caption("Runs every model of this task on the held-out test split (cached once computed).")
        return
    bar = st.progress(0.0, text="translating the test split…")
    rows_by_model = {}
    for i, n in enumerate(names):

        def progress(fraction, i=i, n=n):
            bar.progress((i + fraction) / len(names), text=f"{n}: {fraction:.0%}")

        rows_by_model[n] = _length_rows(n, task, count, get_model(n), progress)
    bar.progress(1.0, text="done")
    all_rows = [r for rows in rows_by_model.values() for r in rows]
    edges = inference.length_edges(all_rows, 6)
    series = {n: inference.accuracy_by_length(rows, edges) for n, rows in rows_by_model.items()}
    c1, c2 = st.columns(2)
    with c1:
        show_figure(plots.accuracy_by_length(series, "exact"), key="tr_len_exact")
    with c2:
        show_figure(plots.accuracy_by_length(series, "chrf"), key="tr_len_chrf")
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


def delay_section() -> None:
    if "dates-iso-plain" not in shipped_names():
        return
    sweep = load_shipped("dates-iso-plain").meta.get("delay_sweep")
    if sweep:
        show_figure(plots.delay_sweep(sweep), key="tr_delay")
        st.caption(
            "Each delay: a plain seq2seq GRU trained on five times the shipped models' budget. ISO dates start "
            "with the year, which human-written dates give last, so with delay d the first output has seen only d + 1 "
            "characters. d = 0 fails on every length; d = 12 works only where the year ends within 12 characters "
            "and drops to about zero on longer inputs; d = 36 covers every format, so its accuracy no longer falls "
            "with length, but carrying the whole date across 36 steps is learned slowly. The encoder–decoder reads "
            "everything first and is exact on every length with the shipped budget."
        )


TASKS = {"numbers en→fr": "numbers:en-fr", "numbers en→de": "numbers:en-de", "dates → ISO": "dates"}


def _train_target(task, pairs, kind, sizes, settings, level):
    from core.training import seed_everything
    from core.translation.train import build_model, train

    def target(callback, cancel):
        if pairs is None:
            train_pairs = data.task_pairs(task, 20 * settings.batch_size * settings.steps_per_epoch // 10, 0, "train")
            valid_pairs = data.task_pairs(task, 200, 0, "valid")
        else:
            train_pairs, valid_pairs = data.split_pairs(pairs, "train"), data.split_pairs(pairs, "valid")
        seed_everything(settings.seed)
        model = build_model(kind, task, train_pairs, levels=(level, level) if pairs else None, **sizes)
        history = train(model, train_pairs, valid_pairs, settings, callback, cancel)
        model.meta = {
            "task": task,
            "description": f"trained in the browser: {kind} {sizes}",
            "metrics": history.epochs[-1] if history.epochs else {},
            "headline": "val_exact",
            "history": history.epochs,
            "trained_with": "the Translation page (Train your own)",
        }
        return model

    return target


def train_section() -> None:
    from core.translation.train import TrainSettings

    job = current_job(JOB_KEY)
    running = job is not None and job.running
    c1, c2, c3 = st.columns(3)
    source = c1.radio("Data", [*TASKS, "uploaded pairs"], key="tr_train_task", disabled=running)
    kind = c2.radio("Model", ["encoder-decoder", "plain"], key="tr_train_kind", disabled=running)
    attention = c3.radio(
        "Attention", ["additive", "dot", "general", "none"], key="tr_train_att", disabled=running or kind == "plain"
    )
    c4, c5, c6, c7 = st.columns(4)
    cell = c4.selectbox("Cell", ["gru", "lstm"], key="tr_train_cell", disabled=running)
    hidden = c5.select_slider("Hidden", [32, 64, 128, 256], 64, key="tr_train_hidden", disabled=running)
    epochs = c6.slider("Epochs", 1, 20, 4, key="tr_train_epochs", disabled=running)
    steps = c7.select_slider("Steps per epoch", [5, 25, 50, 100, 200], 50, key="tr_train_steps", disabled=running)
    pairs, level = None, "word"
    if source == "uploaded pairs":
        upload = st.file_uploader(
            "Pairs file: source<TAB>target per line, UTF-8 (Tatoeba/Anki format)",
            type=["txt", "tsv"],
            key="tr_pairs_file",
            max_upload_size=limits.TEXT_MAX_MB,
        )
        level = st.radio("Tokens", ["word", "char"], horizontal=True, key="tr_pairs_level")
        if upload is None:
            st.caption("Upload a pairs file to train on it.")
        else:
            try:
                pairs = data.parse_pairs(upload.getvalue())
                st.caption(f"{len(pairs):,} pairs read; e.g. “{pairs[0][0]}” → “{pairs[0][1]}”")
            except UserError as error:
                st.error(str(error))
    task = "pairs" if source == "uploaded pairs" else TASKS[source]
    ready = source != "uploaded pairs" or pairs is not None
    if st.button("Train", key="tr_train_start", disabled=running or not ready, type="primary"):
        sizes = {"cell": cell, "hidden": hidden, "embed": 32 if hidden < 128 else 64}
        sizes |= {"delay": 0} if kind == "plain" else {"attention": attention}
        settings = TrainSettings(
            epochs=epochs, steps_per_epoch=steps, batch_size=64, lr=3e-3, lr_decay=0.85, eval_pairs=200
        )
        label = f"{kind} ({attention if kind != 'plain' else 'no attention'}) on {source}"
        start_job(JOB_KEY, label, _train_target(task, pairs, kind, sizes, settings, level))
    job = show_job(JOB_KEY, ("val_loss", "val_exact"))
    if job is not None and not job.running and job.result is not None and not job.error:
        model = job.result
        name = add_session_model(model, "my")
        st.success(f"Your model is selectable above as **{name}**.")
        st.download_button(
            "Download checkpoint (zip: config.json + model.safetensors)",
            checkpoints.to_zip(model, model.meta),
            file_name=f"{name}.zip",
            mime="application/zip",
            key="tr_ckpt",
        )


def batch_section(model, name: str, options: dict) -> None:
    upload = st.file_uploader(
        "Inputs: a UTF-8 text file, one input per line",
        type=["txt", "tsv", "csv"],
        key="tr_batch_file",
        max_upload_size=limits.TEXT_MAX_MB,
    )
    if upload is None:
        return
    text = data.decode_text(upload.getvalue(), "the inputs file")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        raise UserError("the inputs file has no non-blank lines")
    if len(lines) > MAX_BATCH_LINES:
        raise UserError(f"the inputs file has {len(lines):,} lines; at most {MAX_BATCH_LINES:,} are translated at once")
    with st.status(f"Translating {len(lines):,} inputs…", expanded=False):
        results = inference.translate(model, lines, attention=False, **options)
    rows = [
        {
            "input": r.input,
            "output": r.output,
            "log_prob": round(r.score, 4),
            "unknown_tokens": " ".join(r.source_tokens[i] for i in r.unknown),
            "truncated": r.truncated,
        }
        for r in results
    ]
    st.dataframe(rows[:200], hide_index=True, key="tr_batch_table")
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    st.download_button(
        f"Download {len(rows):,} translations (CSV)",
        buffer.getvalue(),
        file_name=f"translations-{name}.csv",
        mime="text/csv",
        key="tr_batch_csv",
    )
