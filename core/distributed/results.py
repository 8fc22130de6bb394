"""Measured runs as the Multi-GPU page shows them: names, sweeps, the results table, missing baselines."""

from __future__ import annotations

from dataclasses import replace

from core.distributed.worker import RunSpec

ALL_RUNS = "all runs"
PEER_WAIT = "all-reduce: waiting for peer"  # timeline event: a bucket launched here, not yet by every rank


def run_label(run: dict, sep: str = " ") -> str:
    extra = f", m={run['microbatches']}" if run["stages"] > 1 else ""
    return f"{run['mode']} ×{run['world_size']}{sep}({run['scaling']}{extra})"


def run_id(run: dict) -> str:
    """A name for one run that stays the same whatever else is in the list (a selector's value).

    Runs launched by this version carry an ``id``; older stored ones are named by when they
    finished and what they ran.
    """
    if "id" in run:
        return run["id"]
    return f"{run.get('finished', '')} · {run_label(run)} · batch {run['global_batch']} × {run['seq_len']}"


def sweep_of(run: dict) -> str:
    return run.get("sweep", run.get("finished", ""))


def sweeps(runs: list[dict]) -> list[str]:
    """Sweep names (their start, UTC), newest first."""
    return list(reversed(dict.fromkeys(sweep_of(r) for r in runs)))


def in_sweep(runs: list[dict], chosen: str) -> list[dict]:
    return runs if chosen == ALL_RUNS else [r for r in runs if sweep_of(r) == chosen]


def timeline_choice(runs: list[dict]) -> str:
    """The run whose timeline is shown first: the first one with communication to see."""
    return run_id(next((r for r in runs if r["world_size"] > 1), runs[0]))


def describe_machine(runs: list[dict]) -> str:
    machine = runs[-1].get("machine", {})
    when = runs[-1].get("finished", "?")[:16].replace("T", " ")
    gpus = ", ".join(machine.get("gpus") or []) or "no GPU"
    load = machine.get("load_1min")
    load_text = f", load {load:.1f}" if load is not None else ""
    cpu, cores = machine.get("cpu", "?"), machine.get("cores", "?")
    return f"{cpu}, {cores} cores, {gpus}{load_text} · {when} UTC (each run's device is in the table)"


def table_rows(runs: list[dict]) -> list[dict]:
    """One row per run for the results table (efficiency after ``runner.add_efficiency``)."""
    return [
        {
            "run": run_label(r),
            "samples/s": round(r["samples_per_s"], 1),
            "tokens/s": round(r["tokens_per_s"]),
            "step ms": round(1e3 * r["step_s"], 1),
            "efficiency": _efficiency_text(r),
            "all-reduced MB/step": round(r["allreduce_bytes"] / 1e6, 2),
            "idle": f"{r['idle_fraction']:.0%}",
            "start-up s": round(r["startup_s"], 1),
            "device": r["device"],
            "machine": f"{r.get('machine', {}).get('host', '?')} · {r.get('machine', {}).get('cpu', '?')}",
            "finished (UTC)": r.get("finished", "")[:16].replace("T", " "),
        }
        for r in runs
    ]


def _efficiency_text(run: dict) -> str:
    if run.get("efficiency") is not None:
        return f"{run['efficiency']:.0%}"
    return "baseline" if run["world_size"] == 1 else "needs a 1-process run"


def missing_baselines(runs: list[dict], host: str) -> list[RunSpec]:
    """The one-process runs that would give ``efficiency`` to the multi-process runs of ``host`` lacking it.

    Run after ``runner.add_efficiency``. A baseline must come from the same machine, so runs
    measured elsewhere (the shipped example) are left out.
    """
    specs: list[RunSpec] = []
    for run in runs:
        if run["world_size"] == 1 or run.get("efficiency") is not None:
            continue
        if run.get("machine", {}).get("host") != host or "spec" not in run:
            continue
        # world size 1 keeps the batch per replica (weak) or the global batch (strong): what add_efficiency matches
        spec = replace(RunSpec.from_dict(run["spec"]), mode="ddp", world_size=1, stages=0, microbatches=1)
        if spec not in specs:
            specs.append(spec)
    return specs


def split_peer_wait(events_per_rank: list[list]) -> list[list]:
    """Cut each timeline all-reduce bar into waiting for the slowest peer, then the transfer.

    A bucket's all-reduce cannot move data before every rank has launched it, so on each rank
    the time from its own launch to the last rank's launch of the same bucket (buckets launch
    in the same order everywhere) is waiting, not transfer. The ranks' timelines share the zero
    of the barrier they left together. Events are (kind, start, end, label); others pass through.
    Applying it again changes nothing, so stored runs are kept as measured and split when drawn.
    """
    launches = [sorted(e[1] for e in events if e[0] == "all-reduce") for events in events_per_rank]
    if len({len(starts) for starts in launches}) != 1:
        return events_per_rank  # bucket counts differ (cannot happen with DDP): leave them whole
    ready = [max(starts) for starts in zip(*launches)]  # when the k-th bucket can move, on every rank
    split = []
    for events in events_per_rank:
        buckets = sorted((i for i, e in enumerate(events) if e[0] == "all-reduce"), key=lambda i: events[i][1])
        bucket_of = {i: k for k, i in enumerate(buckets)}  # event index → its bucket's launch order
        out = []
        for i, (kind, start, end, *label) in enumerate(events):
            if kind == "all-reduce":
                moves = min(max(start, ready[bucket_of[i]]), end)
                if moves > start:
                    out.append((PEER_WAIT, start, moves, *("" for _ in label)))  # the bytes stay on the transfer
                start = moves
            out.append((kind, start, end, *label))
        split.append(out)
    return split
