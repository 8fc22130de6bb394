"""RNN Playground engine: data, models, decoding, training and plots. Never imports streamlit."""

import os

# Offline by default: the Hub is reached only when the user opts in. huggingface_hub reads
# this once at import, so it is set before anything imports it.
if os.environ.get("RNNPLAY_ALLOW_NETWORK", "") != "1":
    os.environ["HF_HUB_OFFLINE"] = "1"

from core.errors import UserError  # noqa: E402

__all__ = ["UserError"]
