"""Upload and work limits, each overridable by an environment variable of the same name.

Pages pass the upload limits to ``st.file_uploader(max_upload_size=...)`` and core checks them
again on the bytes it is given, so the CLI and the app refuse the same things.
"""

import os


def _megabytes(name: str, default: int) -> int:
    try:
        return max(1, int(os.environ.get(name, default)))
    except ValueError:
        return default


VIDEO_MAX_MB = _megabytes("RNNPLAY_VIDEO_MAX_MB", 200)  # uploaded clips
TEXT_MAX_MB = _megabytes("RNNPLAY_TEXT_MAX_MB", 20)  # uploaded corpora, pair files, input lists
CHECKPOINT_MAX_MB = _megabytes("RNNPLAY_CHECKPOINT_MAX_MB", 50)  # uploaded checkpoint zips
