"""``python -m core``: argparse subcommands, ``--json`` everywhere, one-line errors with exit 2.

Each feature package contributes a module with ``register(commands, train_commands)`` that
adds its subcommand(s) (and its ``train`` target) and sets ``func(args) -> int`` on them.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from typing import Any

from core.errors import UserError

# Modules that add subcommands, in --help order.
COMMAND_MODULES = (
    "core.models_cli",
    "core.translation.cli",
    "core.video.cli",
    "core.generation.cli",
    "core.varlen.cli",
    "core.distributed.cli",
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


def build_parser() -> Parser:
    parser = Parser(
        prog="python -m core", description="RNN Playground engine: every page's work from the command line."
    )
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
