"""Let a user bring their own checkpoint zip to a page, validated like a shipped one."""

from __future__ import annotations

import hashlib

import streamlit as st
import torch

from core import checkpoints, modelcard
from core.errors import UserError
from core.limits import CHECKPOINT_MAX_MB
from ui.common import user_errors


def checkpoint_uploader(key: str, model_types: tuple[str, ...]) -> torch.nn.Module | None:
    """A zip uploader; returns the loaded model (kept in this session only) or None.

    Bad zips (missing files, pickles, wrong shapes, unknown fields, another task's model) get an
    ``st.error`` naming what is wrong.
    """
    upload = st.file_uploader(
        "Use your own checkpoint (.zip holding config.json + model.safetensors)",
        type=["zip"],
        key=key,
        max_upload_size=CHECKPOINT_MAX_MB,
    )
    if upload is None:
        return None
    data = upload.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    cached = st.session_state.get(f"{key}_model")
    if cached is not None and cached[0] == digest:
        return cached[1]
    with user_errors():
        if len(data) > CHECKPOINT_MAX_MB * 2**20:
            raise UserError(f"the checkpoint is larger than {CHECKPOINT_MAX_MB} MB")
        model = checkpoints.load_zip(data)
        if model.model_type not in model_types:
            ours = " or ".join(sorted({modelcard.task_name(t) for t in model_types}))
            raise UserError(
                f"this checkpoint is a {modelcard.task_name(model.model_type)} model ({model.model_type!r}); "
                f"this page takes {ours} models ({', '.join(map(repr, model_types))}): open it on the page for "
                f"{modelcard.task_name(model.model_type)}"
            )
        st.session_state[f"{key}_model"] = (digest, model)
        return model
    return None
