"""``python -m core inspect``: step a model's cell through an input, or search its interpretable units.

python -m core inspect --model folk-abc [--json] "L:1/8 |:d2e fed|"   # gates and states per step
python -m core inspect --model numbers-en-fr --part decoder "twenty one"
python -m core inspect --model video-motion grow                       # a sample clip by name
python -m core inspect units --model python-prose --json               # best unit per text feature
"""

from __future__ import annotations

import sys

from core import checkpoints
from core.cli import add_json_flag, emit
from core.errors import UserError

UNITS = "units"  # the first word that asks for the unit search instead of a step-through


def _steps(args, text: str) -> int:
    from core.inspect import steps

    trace = steps.trace(checkpoints.load(args.model), args.model, text, args.part)
    if not -len(trace.layers) <= args.layer < len(trace.layers):
        raise UserError(f"--layer must be in 0..{len(trace.layers) - 1} ({', '.join(x.name for x in trace.layers)})")
    for notice in trace.notices:
        print(f"note: {notice}", file=sys.stderr)
    layer = trace.layers[args.layer]
    rows = steps.step_json(trace, args.layer)
    document = {"model": args.model, "part": args.part, "cell": trace.kind, "layer": layer.name, "steps": rows}
    lines = [f"{args.model} {args.part} ({trace.kind}, {layer.name}, {layer.hidden.shape[1]} units)"]
    for row in rows:
        means = " ".join(f"{g}̄ {sum(v) / len(v):+.3f}" for g, v in row["gates"].items())
        norm = sum(v * v for v in row["hidden"]) ** 0.5
        lines.append(f"{row['t']:4d} {row['token']!r:>10}  {means}  |h| {norm:.3f}")
    emit(document, args.json, "\n".join(lines))
    return 0


def _units(args) -> int:
    from core.inspect import units

    found = units.search(checkpoints.load(args.model))
    rows = [
        {"feature": f.feature, "description": f.description, "unit": f.unit, "r": round(f.r, 4), "clear": f.clear}
        for f in found.findings
    ]
    document = {"model": args.model, "chars": found.chars, "threshold": units.CLEAR, "features": rows}
    lines = [f"{args.model}: {found.chars:,} held-out characters"]
    lines += [f"  {f.feature:15} {units.verdict(f)}" for f in found.findings]
    emit(document, args.json, "\n".join(lines))
    return 0


def _inspect(args) -> int:
    if args.words == [UNITS] and args.text is None:
        return _units(args)
    text = args.text if args.text is not None else " ".join(args.words)
    return _steps(args, text)


def register(commands, train_commands) -> None:
    parser = commands.add_parser(
        "inspect", help="step a model's GRU/LSTM cell through an input (gates, states), or 'units' to find units"
    )
    parser.add_argument("words", nargs="*", help="the input (a clip name for a video model), or 'units'")
    parser.add_argument("--model", required=True, help="shipped model name or checkpoint folder")
    parser.add_argument("--text", help="the input, when it is the word 'units' or starts with '-'")
    parser.add_argument("--part", default="rnn", choices=["rnn", "encoder", "decoder"], help="which cell")
    parser.add_argument("--layer", type=int, default=0, help="which layer/direction to print (0 = the first)")
    add_json_flag(parser)
    parser.set_defaults(func=_inspect)
