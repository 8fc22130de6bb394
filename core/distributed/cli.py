"""``python -m core dist``: real multi-process runs (bench, train) and the cost model (predict).

``dist train`` under ``torchrun --nproc_per_node N -m core dist train ...`` runs as one rank of
torchrun's job (``RANK`` is set); started plainly it launches its own ranks.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime

from core.cli import add_json_flag, emit
from core.distributed import costmodel, runner, trace
from core.distributed.model import DeepRNNConfig
from core.distributed.worker import MODES, SCALINGS, RunSpec, run_rank
from core.errors import UserError
from core.training import Callback, Progress


def _int_list(text: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers like 1,2,4, got {text!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected positive integers, got {text!r}")
    return values


def _add_run_arguments(p: argparse.ArgumentParser) -> None:
    d, m = RunSpec(), DeepRNNConfig()
    p.add_argument("--mode", choices=MODES, default="ddp", help="ddp (data parallel), pipeline or hybrid")
    p.add_argument("--scaling", choices=SCALINGS, default=d.scaling, help="weak: batch per replica; strong: global")
    p.add_argument("--batch-size", type=int, default=d.batch_size, help="sequences per replica (weak) or in total")
    p.add_argument("--seq-len", type=int, default=d.seq_len, help="tokens per sequence")
    p.add_argument("--steps", type=int, default=d.steps, help="measured steps (after warm-up)")
    p.add_argument("--warmup", type=int, default=d.warmup, help="steps before measuring")
    p.add_argument("--stages", type=int, default=0, help="pipeline stages per replica (0: all ranks / 2 for hybrid)")
    p.add_argument("--threads", type=int, default=1, help="threads per rank; 0 = cores // ranks")
    p.add_argument("--cell", choices=("lstm", "gru"), default=m.cell, help="recurrent cell")
    p.add_argument("--layers", type=int, default=m.layers, help="stacked recurrent layers")
    p.add_argument("--hidden", type=int, default=m.hidden_size, help="hidden size of every layer")
    p.add_argument("--vocab", type=int, default=m.vocab_size, help="vocabulary of the synthetic corpus")
    p.add_argument("--backend", choices=("auto", "gloo", "nccl"), default="auto", help="auto: nccl with CUDA")
    p.add_argument("--port", type=int, default=0, help="rendezvous port (0: a free one)")
    p.add_argument("--no-store", action="store_true", help="do not append the runs to the results store")


def _spec(args, world: int, microbatches: int, mode: str | None = None) -> RunSpec:
    model = DeepRNNConfig(cell=args.cell, vocab_size=args.vocab, hidden_size=args.hidden, layers=args.layers)
    return RunSpec(
        mode=mode or args.mode,
        world_size=world,
        stages=args.stages,
        microbatches=microbatches,
        scaling=args.scaling,
        batch_size=args.batch_size,
        seq_len=args.seq_len,
        steps=args.steps,
        warmup=args.warmup,
        threads=args.threads,
        backend=args.backend,
        model=model,
    )


class _Line(Callback):
    """Step progress of a run as one rewritten line on stderr.

    Not ``core.cli.ProgressLine``: that one prints a line per epoch on stdout (part of the
    output, JSON under ``--json``); a run here has no epochs, only steps polled every 0.2 s,
    and stdout keeps one result per run.
    """

    def __init__(self):
        self.shown = None

    def on_step(self, progress: Progress) -> None:
        text = f"\r  run {progress.epoch}/{progress.epochs}: step {progress.step}/{progress.steps}"
        if text != self.shown:
            self.shown = text
            print(text, end="", file=sys.stderr, flush=True)


def _row_text(run: dict) -> str:
    ph = run["phases"]
    parts = " ".join(f"{k.split(' ')[0]}={v * 1e3:.1f}" for k, v in ph.items())
    eff = f" eff={run['efficiency']:.0%}" if run.get("efficiency") is not None else ""
    pred = f" predicted={run['predicted_s'] * 1e3:.1f}ms ({run['error']:+.0%})" if "predicted_s" in run else ""
    return (
        f"{run['mode']:<8} N={run['world_size']} {run['scaling']:<6} m={run['microbatches']} "
        f"{run['samples_per_s']:8.1f} samples/s {run['tokens_per_s']:9.0f} tok/s step={run['step_s'] * 1e3:.1f}ms "
        f"[{parts}] idle={run['idle_fraction']:.0%}{eff} startup={run['startup_s']:.1f}s{pred}"
    )


def _bench(args) -> int:
    specs = runner.sweep_specs(_spec(args, 1, 1), args.world_sizes, args.microbatches)
    sweep = datetime.now(UTC).isoformat(timespec="seconds")
    for spec in specs:
        runner.check_fits(spec)
        warning = runner.oversubscription_warning(spec)
        if warning:
            print(f"warning: {warning}", file=sys.stderr)
    runs = []
    for i, spec in enumerate(specs, start=1):
        try:
            result = runner.launch(spec, _Line(), port=args.port, run_index=i, runs=len(specs), sweep=sweep)
        except runner.RunFailed as error:
            print(f"\n{error.log}", file=sys.stderr)
            unwritten = f"; no trace written to {args.trace}: a failed run has nothing to export" if args.trace else ""
            raise UserError(f"{error}{unwritten}") from None
        print("\r", end="", file=sys.stderr)
        runs.append(result)
        if not args.no_store:
            runner.save_run(result)
    if args.trace:
        _write_trace(runs, args.trace)
    runner.add_efficiency(runs)
    calibration = costmodel.calibrate(runs)
    for run, row in zip(runs, costmodel.compare(runs, calibration)):
        run["predicted_s"], run["error"] = row["predicted_s"], row["error"]
    for run in runs:
        _print_run(run, args.json)
    summary = {
        "calibration": vars(calibration),
        "note": "in-sample fit on these runs; CPU processes on a shared machine are noisy",
    }
    emit(
        summary,
        args.json,
        f"calibrated: {calibration.flops / 1e9:.2f} GFLOP/s per process, contention {calibration.contention:.2f}, "
        f"link {calibration.bandwidth / 1e9:.2f} GB/s + {calibration.latency * 1e6:.0f} µs, "
        f"jitter {calibration.jitter:.2f} (in-sample fit on these runs)",
    )
    return 0


def _write_trace(runs: list[dict], path: str) -> None:
    text = trace.chrome_trace(runs)  # before opening: nothing to export must not leave an empty file
    try:
        with open(path, "w") as out:
            out.write(text)
    except OSError as error:
        raise UserError(f"cannot write the trace to {path}: {error.strerror}") from None
    print(f"trace of {len(runs)} run(s) written to {path} (open it in https://ui.perfetto.dev)", file=sys.stderr)


def _train(args) -> int:
    if "RANK" in os.environ and "WORLD_SIZE" in os.environ:  # one rank of a torchrun job
        world = int(os.environ["WORLD_SIZE"])
        spec = _spec(args, world, args.microbatches[0])
        spec.validate()
        rank = int(os.environ["RANK"])
        local = int(os.environ.get("LOCAL_RANK", rank)), int(os.environ.get("LOCAL_WORLD_SIZE", world))
        result = run_rank(spec, rank, world, local[0], local[1], None)
        if rank == 0:
            result["machine"] = runner.machine_info()
            if not args.no_store:
                runner.save_run(result)
            _print_run(result, args.json)
        return 0
    spec = _spec(args, args.world_size, args.microbatches[0])
    spec.validate()
    estimate = runner.memory_estimate(spec)
    runner.check_fits(spec)
    warning = runner.oversubscription_warning(spec)
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    if args.dry_run:
        plan = {"spec": spec.to_dict(), "memory_per_process_bytes": estimate["per_process"]}
        emit(plan, args.json, json.dumps(plan, indent=1))
        return 0
    try:
        result = runner.launch(spec, _Line(), port=args.port)
    except runner.RunFailed as error:
        print(f"\n{error.log}", file=sys.stderr)
        raise UserError(str(error)) from None
    print("\r", end="", file=sys.stderr)
    if not args.no_store:
        runner.save_run(result)
    _print_run(result, args.json)
    return 0


def _print_run(result: dict, as_json: bool) -> None:
    emit({k: v for k, v in result.items() if k not in ("ranks", "spec")}, as_json, _row_text(result))


def _predict(args) -> int:
    if args.device not in costmodel.DEVICES:
        raise UserError(f"unknown device {args.device!r}; choose from {', '.join(costmodel.DEVICES)}")
    if args.link not in costmodel.LINKS:
        raise UserError(f"unknown link {args.link!r}; choose from {', '.join(costmodel.LINKS)}")
    model = DeepRNNConfig(cell=args.cell, vocab_size=args.vocab, hidden_size=args.hidden, layers=args.layers)
    workload = costmodel.rnn_workload(model, args.seq_len)
    hw = costmodel.Hardware(costmodel.DEVICES[args.device], costmodel.LINKS[args.link])
    for n in args.devices:
        for strategy in costmodel.STRATEGIES:
            try:
                pr = costmodel.predict(
                    workload, hw, strategy, n, args.batch_size, args.stages, args.microbatches[0], args.scaling
                )
            except UserError as error:
                row = {"strategy": strategy, "devices": n, "error": str(error)}
                emit(row, args.json, f"{strategy:<9} N={n:<5} n/a: {error}")
                continue
            row = {
                "strategy": strategy,
                "devices": n,
                "step_s": pr.step_s,
                "samples_per_s": pr.samples_per_s,
                "efficiency": pr.efficiency,
                "memory_gib": pr.memory_per_device / costmodel.GiB,
                "limits": pr.limits,
                "notes": pr.notes,
            }
            limits = f"  stops paying: {', '.join(pr.limits)}" if pr.limits else ""
            notes = f"  note: {'; '.join(pr.notes)}" if pr.notes else ""
            text = (
                f"{strategy:<9} N={n:<5} step={pr.step_s * 1e3:8.2f}ms {pr.samples_per_s:12.0f} samples/s "
                f"eff={pr.efficiency:5.0%} mem={row['memory_gib']:.2f}GiB{limits}{notes}"
            )
            emit(row, args.json, text)
    if args.published:
        for row in costmodel.published_checks():
            text = (
                f"{row['setup']}: predicted {row['predicted']:.3g}, published {row['published']}, "
                f"{row['error_points']:+.1f} points"
            )
            emit(row, args.json, text)
    return 0


def register(commands, train_commands) -> None:
    dist = commands.add_parser("dist", help="multi-process training of a deep RNN and the multi-GPU cost model")
    sub = dist.add_subparsers(dest="action", metavar="ACTION", required=True)

    bench = sub.add_parser("bench", help="measure real runs over world sizes and compare with the cost model")
    bench.add_argument("--world-sizes", type=_int_list, default=[1, 2], help="comma-separated, e.g. 1,2")
    bench.add_argument("--microbatches", type=_int_list, default=[1], help="pipeline micro-batches, e.g. 1,2,4")
    bench.add_argument("--trace", metavar="FILE", help="also write the runs' timelines as a Chrome trace (Perfetto)")
    _add_run_arguments(bench)
    add_json_flag(bench)
    bench.set_defaults(func=_bench)

    train = sub.add_parser("train", help="one run (also one rank under torchrun --nproc_per_node N -m core dist train)")
    train.add_argument("--world-size", type=int, default=2, help="ranks to launch (ignored under torchrun)")
    train.add_argument("--microbatches", type=_int_list, default=[1], help="pipeline micro-batches")
    train.add_argument("--dry-run", action="store_true", help="check the settings and memory, start nothing")
    _add_run_arguments(train)
    add_json_flag(train)
    train.set_defaults(func=_train)

    predict = sub.add_parser("predict", help="cost-model predictions for a cluster (8 … 1,024 GPUs)")
    predict.add_argument("--devices", type=_int_list, default=[8, 64, 512], help="device counts")
    predict.add_argument("--device", default="NVIDIA A100 80 GB", help=f"one of: {', '.join(costmodel.DEVICES)}")
    predict.add_argument("--link", default="InfiniBand HDR 200 Gbit/s", help=f"one of: {', '.join(costmodel.LINKS)}")
    predict.add_argument("--batch-size", type=int, default=64, help="sequences per replica (weak) or in total")
    predict.add_argument("--scaling", choices=SCALINGS, default="weak", help="weak: batch per replica; strong: global")
    predict.add_argument("--seq-len", type=int, default=128, help="tokens per sequence")
    predict.add_argument("--stages", type=int, default=4, help="pipeline stages of a hybrid replica")
    predict.add_argument("--microbatches", type=_int_list, default=[8], help="micro-batches")
    predict.add_argument("--cell", choices=("lstm", "gru"), default="lstm", help="recurrent cell")
    predict.add_argument("--layers", type=int, default=8, help="stacked recurrent layers")
    predict.add_argument("--hidden", type=int, default=2048, help="hidden size")
    predict.add_argument("--vocab", type=int, default=32_000, help="vocabulary")
    predict.add_argument("--published", action="store_true", help="also run the published-setup checks")
    add_json_flag(predict)
    predict.set_defaults(func=_predict)
