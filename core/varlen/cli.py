"""``python -m core varlen``: padding fractions, the correctness check and the cost comparison."""

from __future__ import annotations

import json
import os
import platform
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import torch

from core.cli import add_json_flag, emit
from core.errors import UserError
from core.varlen import batching, correctness, cost, sources, unrolling


def _ts(text: str) -> list[int]:
    try:
        ts = [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise UserError(f"--unroll takes comma-separated whole numbers, e.g. 10,100,1000; got {text!r}") from None
    bad = [t for t in ts if not 1 <= t <= unrolling.MAX_T]
    if not ts or bad:
        raise UserError(f"--unroll values must be in 1..{unrolling.MAX_T}; got {text!r}")
    return ts


def _check_args(args) -> None:
    if args.unroll:
        _ts(args.unroll)
    if not 0 <= args.pad_value <= batching.MAX_TOKEN_ID:
        raise UserError(f"--pad-value must be in 0..{batching.MAX_TOKEN_ID}, got {args.pad_value}")
    for name, value, high in (
        ("repeats", args.repeats, 100),
        ("buckets", args.buckets, batching.MAX_BATCH),
        ("threads", args.threads, 64),
        ("train-steps", args.train_steps + 1, 201),
    ):
        if not 1 <= value <= high:
            raise UserError(f"--{name} is out of range (got {value}); see --help")


def _cpu_name() -> str:
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        lines = []
    names = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    return names[0] if names else platform.processor() or platform.machine()


def provenance(args) -> dict:
    """When, how and on what machine these numbers were measured: saved with them so the page can say so."""
    settings = {k: v for k, v in vars(args).items() if k not in ("func", "command", "json", "save") and v is not None}
    flags = [f"--{k.replace('_', '-')} {v}" for k, v in settings.items()]
    cuda = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    return {
        "measured_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": "python -m core varlen " + " ".join(flags),
        "cpu": _cpu_name(),
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "cuda_devices": cuda,
        "load_average": round(os.getloadavg()[0], 1),  # 1-minute load when measuring began: other work slows timings
    }


def report(args) -> dict:
    _check_args(args)
    torch.set_num_threads(args.threads)
    if args.sequences is not None:
        batch = batching.parse_sequences(args.sequences.replace(";", "\n"))
    else:
        batch = batching.make_batch(args.distribution, args.batch_size, args.max_len, args.seed)
    lengths = batch.lengths
    check = correctness.check(batch.sequences, pad_value=args.pad_value, seed=args.seed)
    costs = cost.measure(lengths, repeats=args.repeats, n_buckets=args.buckets, seed=args.seed)
    result = {
        "measured": provenance(args),
        "batch": {"source": batch.source, "notices": batch.notices, **batching.summary(lengths, args.buckets)},
        "max_abs_diff": check["max_abs_diff"],
        "cost": [asdict(c) for c in costs],
        "speedup_vs_naive_padding": cost.speedups(costs),
    }
    if args.train_steps:
        tunes = sources.texts("folk tunes")
        vocab = sources.char_vocab(tunes)
        sequences = [[vocab[ch] for ch in tune] for tune in tunes[: args.train_steps * 32]]
        runs = cost.training_speed(sequences, len(vocab) + 1, steps=args.train_steps, seed=args.seed)
        naive = runs[0]["seconds_per_step"]
        result["training_folk_tunes"] = {r["strategy"]: {**r, "speedup": naive / r["seconds_per_step"]} for r in runs}
    if args.unroll:
        result["unrolling"] = unrolling.sweep(_ts(args.unroll), repeats=args.repeats)
        result["longer_than_T"] = unrolling.longer_than_t()
    if args.save:
        Path(args.save).write_text(json.dumps(result, indent=1) + "\n")
    return result


def text(result: dict) -> str:
    """The report as lines for a terminal."""
    b = result["batch"]
    m = result["measured"]
    lines = [
        f"measured {m['measured_at']} on {m['cpu']} ({m['cores']} cores, {m['torch_threads']} torch threads)",
        f"batch: {b['source']}; {b['batch_size']} sequences, lengths {b['min_length']}..{b['max_length']}",
        *(f"notice: {notice}" for notice in b["notices"]),
        f"padding fraction: naive {b['padding_fraction']:.1%}, bucketed ({b['buckets']}) "
        f"{b['bucketed_padding_fraction']:.1%}, packed 0%",
    ]
    for name, diff in result["max_abs_diff"].items():
        lines.append(f"max |diff| vs one at a time, {name:<24} outputs {diff['outputs']:.2e}  h {diff['h']:.2e}")
    for row in result["cost"]:
        speed = result["speedup_vs_naive_padding"][row["strategy"]]
        lines.append(
            f"{row['strategy']:<14} {row['seconds'] * 1000:8.1f} ms fwd+bwd  x{speed:.2f}  "
            f"saved for backward {row['saved_bytes'] / 2**20:.2f} MB"
        )
    for name, row in result.get("training_folk_tunes", {}).items():
        lines.append(
            f"training on folk tunes, {name:<14} {row['seconds_per_step'] * 1000:.0f} ms/step  x{row['speedup']:.2f}"
        )
    for point in result.get("unrolling", []):
        lines.append(
            f"T={point['T']:<5} static: {point['static_nodes']} nodes, build {point['static_build_seconds']:.2f}s, "
            f"{point['static_seconds'] * 1000:.1f} ms/batch; dynamic (padded + lengths) "
            f"{point['dynamic_seconds'] * 1000:.1f} ms/batch; packed {point['packed_seconds'] * 1000:.1f} ms/batch"
        )
    return "\n".join(lines)


def run(args) -> int:
    result = report(args)
    emit(result, args.json, text(result))
    return 0


def register(commands, train_commands) -> None:
    p = commands.add_parser(
        "varlen", help="variable-length batches: padding fractions, correctness check, padding vs packing vs bucketing"
    )
    p.add_argument("--distribution", default="long-tailed", choices=batching.DISTRIBUTIONS, help="length distribution")
    p.add_argument("--batch-size", type=int, default=64, help=f"sequences per batch (capped at {batching.MAX_BATCH})")
    p.add_argument("--max-len", type=int, default=200, help=f"longest synthetic length (capped at {batching.MAX_LEN})")
    p.add_argument("--sequences", help="typed sequences instead of a distribution: '3 1 4; 1 5 9 2' (';' between)")
    p.add_argument("--pad-value", type=int, default=0, help="token id used for padding")
    p.add_argument("--buckets", type=int, default=4, help="buckets for bucketing")
    p.add_argument("--repeats", type=int, default=5, help="timed repeats per measurement (the fastest is reported)")
    p.add_argument("--seed", type=int, default=0, help="seed for lengths, tokens and weights")
    p.add_argument("--threads", type=int, default=1, help="torch threads")
    p.add_argument("--train-steps", type=int, default=0, help="also time N training steps per strategy on folk tunes")
    p.add_argument("--unroll", help="also measure static vs dynamic unrolling at these T, e.g. 10,100,1000")
    p.add_argument(
        "--save", help="also write the result to this JSON file (the page ships one: core/varlen/measured.json)"
    )
    add_json_flag(p)
    p.set_defaults(func=run)
