"""``python -m core``: argparse subcommands, ``--json`` everywhere, one-line errors with exit 2.

Each feature package contributes a module with ``register(commands, train_commands)`` that
adds its subcommand(s) (and its ``train`` target) and sets ``func(args) -> int`` on them.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from core.errors import UserError
from core.training import Callback, Progress

# Modules that add subcommands, in --help order.
COMMAND_MODULES = (
    "core.models_cli",
    "core.translation.cli",
    "core.video.cli",
    "core.generation.cli",
    "core.varlen.cli",
    "core.distributed.cli",
    "core.inspect.cli",
)


class Parser(argparse.ArgumentParser):
    """argparse that reports a bad command line as one line on stderr, exit 2."""

    def error(self, message: str):
        self.exit(2, f"error: {message} (see '{self.prog} --help')\n")


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON instead of text")


def print_json(obj: Any) -> None:
    """One JSON document per line (JSON Lines when called repeatedly)."""
    print(json.dumps(obj, ensure_ascii=False, default=float))


def emit(obj: Any, as_json: bool, text: str) -> None:
    """Print ``obj`` as one JSON line under ``--json``, else the human-readable ``text``."""
    if as_json:
        print_json(obj)
    else:
        print(text, flush=True)


def _format_value(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


class ProgressLine(Callback):
    """The one training progress reporter of the CLI: a line (or a JSON object) per epoch.

    ``name`` prefixes the line (e.g. the model being built); ``epoch_word`` names the unit
    ("round" for the generator, whose epochs are rounds of steps).
    """

    def __init__(self, as_json: bool = False, name: str = "", epoch_word: str = "epoch"):
        self.as_json, self.name, self.epoch_word = as_json, name, epoch_word

    def on_epoch(self, progress: Progress) -> None:
        row = {self.epoch_word: progress.epoch, "loss": progress.loss, **progress.metrics}
        row["seconds"] = round(progress.elapsed, 1)
        shown = {k: v for k, v in row.items() if k != self.epoch_word and isinstance(v, int | float)}
        text = (
            f"{self.name + ' ' if self.name else ''}{self.epoch_word} {progress.epoch}/{progress.epochs}: "
            + " ".join(f"{k} {_format_value(v)}" for k, v in shown.items())
        )
        emit(row, self.as_json, text)


def package_version() -> str:
    try:
        return version("rnn-playground")
    except PackageNotFoundError:  # run from a checkout, not installed: read pyproject.toml
        import tomllib
        from pathlib import Path

        pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
        return tomllib.loads(pyproject.read_text())["project"]["version"]


def build_parser() -> Parser:
    parser = Parser(
        prog="python -m core", description="RNN Playground engine: every page's work from the command line."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    train = commands.add_parser("train", help="train a model (translation, video, generator)")
    train_commands = train.add_subparsers(dest="target", metavar="TARGET", parser_class=Parser)
    train_commands.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(commands, train_commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0 if args.command is None else 2
    try:
        return int(args.func(args) or 0)
    except (UserError, FileNotFoundError, IsADirectoryError, PermissionError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (``... | head``): stop quietly, as Unix tools do. Point stdout at
        # devnull so the interpreter's final flush does not raise a second time.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
