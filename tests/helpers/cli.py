"""Running ``python -m core`` from tests: in-process (fast) or as a real subprocess."""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
from types import SimpleNamespace

from core.cli import main


def run_cli(*args: str) -> SimpleNamespace:
    """``python -m core ARGS`` in this process (a subprocess per case would spend most of the test
    importing torch): ``returncode``, ``stdout``, ``stderr``."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exit:
            code = exit.code
    return SimpleNamespace(returncode=code, stdout=out.getvalue(), stderr=err.getvalue())


def run_cli_process(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """``python -m core ARGS`` as a child process, for what only a real process shows (exit on a
    closed pipe, import-time behaviour)."""
    return subprocess.run([sys.executable, "-m", "core", *args], capture_output=True, text=True, timeout=timeout)
