"""Translation page sections that make or run many: train your own (in the background), batch mode."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import streamlit as st

from core import checkpoints, limits
from core.errors import UserError
from core.recurrent import CELLS
from core.translation import data, inference
from core.translation.model import ATTENTIONS
from core.translation.tokenizer import LEVELS
from core.translation.train import KINDS, TrainSettings, TranslationTraining, fit, new_tokens, training_pairs
from ui.common import last_result
from ui.jobs import current_job, show_job, start_job
from ui.translation import (
    JOB_KEY,
    OPTIONS_KEY,
    PLAIN,
    add_session_model,
    attention_of,
    describe,
    get_model,
    session_models,
    shipped_names,
    used_options,
)

TASKS = {"numbers en→fr": "numbers:en-fr", "numbers en→de": "numbers:en-de", "dates → ISO": "dates"}
UPLOADED = "uploaded pairs"
HIDDEN_SIZES = [32, 64, 128, 256]
STEPS_PER_EPOCH = [5, 25, 50, 100, 200]
MAX_BATCH_LINES = 5000
SHOWN_BATCH_ROWS = 200
SCRATCH = "scratch"
SHOWN_NEW_TOKENS = 30  # new tokens listed by name; the rest are counted
NOTICES_KEY = "tr_train_notices"  # session_state: what the start vocabulary lacked, for the running fine-tune
START_KEY = "tr_train_started_from"  # session_state: the start model's name of the session's job (None: scratch)


def _run(source: str, kind: str, attention: str, cell: str, hidden: int, epochs: int, steps: int, level: str):
    """The page's training run: small and quick, on generated data sized to the budget."""
    settings = TrainSettings(
        epochs=epochs, steps_per_epoch=steps, batch_size=64, lr=3e-3, lr_decay=0.85, eval_pairs=200
    )
    run = TranslationTraining(
        trained_with="the Translation page (Train your own)",
        kind=kind,
        task="pairs" if source == UPLOADED else TASKS[source],
        train_pairs=2 * settings.batch_size * settings.steps_per_epoch,
        valid_pairs=200,
        level=level,
        cell=cell,
        embed=32 if hidden < 128 else 64,
        hidden=hidden,
        attention=attention,
        settings=settings,
    )
    return replace(run, description=f"trained in the browser: {kind} {run.sizes()}")


def _start_model(running: bool) -> tuple[str, object]:
    """The "Start from" choice: (SCRATCH, None) or a shipped or session model's (name, model)."""
    names = [*shipped_names(), *(n for n in session_models() if n not in shipped_names())]
    name = st.radio(
        "Start from",
        [SCRATCH, *names],
        key="tr_train_from",
        horizontal=True,
        disabled=running,
        help="Fine-tune: keep a model's network and tokenisation and go on training it on new data.",
    )
    return (name, None) if name == SCRATCH else (name, get_model(name))


def _architecture(start, start_name: str, running: bool) -> tuple[str, str, str, int]:
    """(kind, attention, cell, hidden): chosen here for a new model, the start model's for a fine-tune."""
    if start is not None:
        c = start.config
        st.caption(
            f"Fine-tuning keeps {start_name}'s network ({describe(start)}) and its tokenisation ({c.src_level} → "
            f"{c.tgt_level}); tokens of your data outside its vocabulary get new rows, listed when you start."
        )
        kind = "plain" if start.model_type == PLAIN else KINDS[0]
        return kind, attention_of(start), c.cell, c.hidden
    c2, c3 = st.columns(2)
    kind = c2.radio("Model", KINDS, key="tr_train_kind", disabled=running)
    attention = c3.radio(
        "Attention",
        [a for a in ATTENTIONS if a != "none"] + ["none"],
        key="tr_train_att",
        disabled=running or kind == "plain",
    )
    c4, c5 = st.columns(2)
    cell = c4.selectbox("Cell", list(CELLS), key="tr_train_cell", disabled=running)
    hidden = c5.select_slider("Hidden", HIDDEN_SIZES, 64, key="tr_train_hidden", disabled=running)
    return kind, attention, cell, hidden


def _new_token_notices(start, run, pairs) -> list[str]:
    """What the start vocabulary lacks of this run's training data, in words (shown while it trains); word
    tokens are shown without their word-start mark ▁."""
    added = new_tokens(start, training_pairs(run, pairs)[0])
    return [
        f"{len(tokens)} {side} token(s) not in the start model's vocabulary get fresh rows: "
        + ", ".join(f"“{t.replace('▁', ' ').strip() or t}”" for t in tokens[:SHOWN_NEW_TOKENS])
        + (" …" if len(tokens) > SHOWN_NEW_TOKENS else "")
        for side, tokens in added.items()
        if tokens
    ]


def train_section() -> None:
    job = current_job(JOB_KEY)
    running = job is not None and job.running
    start_name, start = _start_model(running)
    source = st.radio("Data", [*TASKS, UPLOADED], key="tr_train_task", disabled=running, horizontal=True)
    kind, attention, cell, hidden = _architecture(start, start_name, running)
    c6, c7 = st.columns(2)
    epochs = c6.slider("Epochs", 1, 20, 4, key="tr_train_epochs", disabled=running)
    steps = c7.select_slider("Steps per epoch", STEPS_PER_EPOCH, 50, key="tr_train_steps", disabled=running)
    pairs, level = None, LEVELS[0]
    if source == UPLOADED:
        upload = st.file_uploader(
            "Pairs file: source<TAB>target per line, UTF-8 (Tatoeba/Anki format)",
            type=["txt", "tsv"],
            key="tr_pairs_file",
            max_upload_size=limits.TEXT_MAX_MB,
        )
        if start is None:  # a fine-tune reads the pairs with the start model's tokenisation
            level = st.radio("Tokens", LEVELS, horizontal=True, key="tr_pairs_level")
        if upload is None:
            st.caption("Upload a pairs file to train on it.")
        else:
            try:
                pairs = data.parse_pairs(upload.getvalue())
                st.caption(f"{len(pairs):,} pairs read; e.g. “{pairs[0][0]}” → “{pairs[0][1]}”")
            except UserError as error:
                st.error(str(error))
    freeze = start is not None and st.checkbox(
        "Keep the encoder fixed (train only the decoder)",
        key="tr_train_freeze",
        disabled=running,
        help="A few pairs then adapt how the model writes, not how it reads its inputs.",
    )
    ready = source != UPLOADED or pairs is not None
    if st.button("Train", key="tr_train_start", disabled=running or not ready, type="primary"):
        run = _run(source, kind, attention, cell, hidden, epochs, steps, level)
        label = f"{kind} ({attention if kind != 'plain' else 'no attention'}) on {source}"
        st.session_state[NOTICES_KEY] = []
        if start is not None:
            label = f"Fine-tuning {start_name} on {source}"
            run = replace(
                run, description=f"fine-tuned in the browser from {start_name} on {source}", freeze_encoder=freeze
            )
            st.session_state[NOTICES_KEY] = _new_token_notices(start, run, pairs)
        st.session_state[START_KEY] = start_name if start is not None else None
        start_job(JOB_KEY, label, lambda callback, cancel: fit(run, pairs, callback, cancel, start)[0])
    tuned_from = st.session_state.get(START_KEY)
    caption = None
    if tuned_from:
        caption = (
            "Line chart: training loss, validation loss and validation exact match after each epoch; epoch 0 is "
            f"{tuned_from} on your data, before any step."
        )
    job = show_job(JOB_KEY, ("val_loss", "val_exact"), caption=caption)
    for notice in st.session_state.get(NOTICES_KEY, []) if job is not None else []:
        st.info(notice)
    if job is not None and not job.running and job.result is not None and not job.error:
        model = job.result
        begun, ended = model.meta.get("start", {}), model.meta["metrics"]
        if "val_loss" in begun and "val_loss" in ended:  # a fine-tune with a validation split
            st.markdown(
                f"Fine-tuned from **{tuned_from}**: epoch 0 of the curve is that model on your data before any "
                f"step: validation loss **{begun['val_loss']:.3f}**, exact match **{100 * begun['val_exact']:.1f} %**;"
                f" after epoch {ended['epoch']}: **{ended['val_loss']:.3f}**, **{100 * ended['val_exact']:.1f} %**."
            )
        name = add_session_model(model, "my")
        st.success(f"Your model is selectable above as **{name}**.")
        st.download_button(
            "Download checkpoint (zip: config.json + model.safetensors)",
            checkpoints.to_zip(model, model.meta),
            file_name=f"{name}.zip",
            mime="application/zip",
            key="tr_ckpt",
        )


def batch_section(model, name: str) -> None:
    """Translate an uploaded file with the decoding settings chosen above (kept until the file, model or a
    setting it uses changes)."""
    options = st.session_state[OPTIONS_KEY]
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

    def translated() -> list[dict]:
        with st.status(f"Translating {len(lines):,} inputs…", expanded=False):
            return inference.batch_rows(inference.translate(model, lines, attention=False, **options))

    inputs = (hashlib.sha256(upload.getvalue()).hexdigest(), name, id(model), used_options(options))
    rows = last_result("tr_batch", inputs, translated)
    st.dataframe(rows[:SHOWN_BATCH_ROWS], hide_index=True, key="tr_batch_table")
    st.download_button(
        f"Download {len(rows):,} translations (CSV)",
        inference.rows_csv(rows),
        file_name=f"translations-{name}.csv",
        mime="text/csv",
        key="tr_batch_csv",
    )
