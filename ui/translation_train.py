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
from core.translation.train import KINDS, TrainSettings, TranslationTraining, fit
from ui.common import last_result
from ui.jobs import current_job, show_job, start_job
from ui.translation import JOB_KEY, OPTIONS_KEY, add_session_model, used_options

TASKS = {"numbers en→fr": "numbers:en-fr", "numbers en→de": "numbers:en-de", "dates → ISO": "dates"}
UPLOADED = "uploaded pairs"
HIDDEN_SIZES = [32, 64, 128, 256]
STEPS_PER_EPOCH = [5, 25, 50, 100, 200]
MAX_BATCH_LINES = 5000
SHOWN_BATCH_ROWS = 200


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


def train_section() -> None:
    job = current_job(JOB_KEY)
    running = job is not None and job.running
    c1, c2, c3 = st.columns(3)
    source = c1.radio("Data", [*TASKS, UPLOADED], key="tr_train_task", disabled=running)
    kind = c2.radio("Model", KINDS, key="tr_train_kind", disabled=running)
    attention = c3.radio(
        "Attention",
        [a for a in ATTENTIONS if a != "none"] + ["none"],
        key="tr_train_att",
        disabled=running or kind == "plain",
    )
    c4, c5, c6, c7 = st.columns(4)
    cell = c4.selectbox("Cell", list(CELLS), key="tr_train_cell", disabled=running)
    hidden = c5.select_slider("Hidden", HIDDEN_SIZES, 64, key="tr_train_hidden", disabled=running)
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
        level = st.radio("Tokens", LEVELS, horizontal=True, key="tr_pairs_level")
        if upload is None:
            st.caption("Upload a pairs file to train on it.")
        else:
            try:
                pairs = data.parse_pairs(upload.getvalue())
                st.caption(f"{len(pairs):,} pairs read; e.g. “{pairs[0][0]}” → “{pairs[0][1]}”")
            except UserError as error:
                st.error(str(error))
    ready = source != UPLOADED or pairs is not None
    if st.button("Train", key="tr_train_start", disabled=running or not ready, type="primary"):
        run = _run(source, kind, attention, cell, hidden, epochs, steps, level)
        label = f"{kind} ({attention if kind != 'plain' else 'no attention'}) on {source}"
        start_job(JOB_KEY, label, lambda callback, cancel: fit(run, pairs, callback, cancel)[0])
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
