"""Launch a run as real separate processes, watch it, and keep its result.

``launch(spec)`` starts one ``python -m core.distributed.worker`` per rank on a fresh free port
(or the one asked for, after checking it is free), each in its own session with its output in a
log file. It polls: progress from the reporting rank's log, a crashed rank (any non-zero exit:
the others are killed and the error carries that rank's log), the cancel event, and an overall
deadline. Whatever happens, every child is killed and reaped before it returns, and the workers
also exit by themselves if this process dies. Finished runs go to a JSON-lines store.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import psutil
import torch

from core.distributed.model import activation_bytes_per_token, parameter_count
from core.distributed.worker import LAUNCHER_ENV, PROGRESS_PREFIX, RunSpec, cores_available, threads_per_rank
from core.errors import UserError
from core.training import Callback, Progress

ROOT = Path(__file__).resolve().parents[2]
STORE_NAME = "dist_runs.jsonl"
EXAMPLE_RUNS = Path(__file__).resolve().parent / "example_runs.jsonl"
STARTUP_ALLOWANCE_S = 60.0  # spawn + import torch + process group, generous for a loaded machine
MEMORY_HEADROOM = 0.8  # refuse runs estimated above this share of the available RAM


class RunFailed(RuntimeError):
    """A rank crashed or the run timed out; ``log`` holds the failing rank's output."""

    def __init__(self, message: str, log: str = ""):
        super().__init__(message)
        self.log = log


class RunCancelled(RuntimeError):
    pass


# ---------------------------------------------------------------- checks before starting


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def check_port(port: int) -> None:
    if not 1024 <= port <= 65535:
        raise UserError(f"port must be in 1024…65535, not {port}")
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            raise UserError(
                f"port {port} is already in use: pick another one, or leave it at 0 for a free port"
            ) from None


def memory_estimate(spec: RunSpec) -> dict:
    """Bytes per process: fp32 weights + gradients + AdamW's two moments, plus activations kept for backward."""
    params = parameter_count(spec.model) / spec.pipeline_stages
    states = 16 * params  # 4 B each for weight, gradient, exp_avg, exp_avg_sq
    tokens = spec.replica_batch * spec.seq_len
    # a GPipe stage holds every micro-batch's activations until its backward; a stage has 1/p of the layers
    activations = tokens * activation_bytes_per_token(spec.model) / spec.pipeline_stages
    per_process = states + activations + 350 * 2**20  # + the interpreter and torch itself
    return {
        "per_process": per_process,
        "total": per_process * spec.world_size,
        "states": states,
        "activations": activations,
    }


def check_fits(spec: RunSpec) -> None:
    """Refuse a run that would not fit in RAM (or on the GPUs), with the estimate."""
    estimate = memory_estimate(spec)
    if torch.cuda.is_available() and spec.backend != "gloo":
        capacity = min(torch.cuda.get_device_properties(i).total_memory for i in range(torch.cuda.device_count()))
        if estimate["per_process"] > MEMORY_HEADROOM * capacity:
            raise UserError(
                f"needs ~{estimate['per_process'] / 2**30:.1f} GiB per GPU, above {MEMORY_HEADROOM:.0%} of "
                f"{capacity / 2**30:.1f} GiB: use a smaller batch, sequence or model, or more stages"
            )
        return
    available = psutil.virtual_memory().available
    if estimate["total"] > MEMORY_HEADROOM * available:
        raise UserError(
            f"needs ~{estimate['total'] / 2**30:.1f} GiB of RAM ({spec.world_size} processes × "
            f"{estimate['per_process'] / 2**30:.2f} GiB), above {MEMORY_HEADROOM:.0%} of the "
            f"{available / 2**30:.1f} GiB available: use a smaller batch, sequence or model"
        )


def oversubscription_warning(spec: RunSpec) -> str | None:
    """A note when ranks must share cores, so nobody reads time-slicing as parallel speed."""
    cores = cores_available()
    if spec.backend != "gloo" and torch.cuda.is_available() and torch.cuda.device_count() >= spec.world_size:
        return None
    if spec.world_size > cores:
        return (
            f"{spec.world_size} processes on {cores} CPU cores: the ranks take turns on the cores, so "
            "throughput cannot grow with the world size and the step time includes waiting for a core. "
            "The run still shows how the strategy communicates; read its speed as an upper bound on overhead."
        )
    threads = threads_per_rank(spec, spec.world_size)
    if spec.world_size * threads > cores:
        return (
            f"{spec.world_size} processes × {threads} threads on {cores} CPU cores: threads will wait for each other "
            "(2 ranks × 2 threads on 2 cores lost 45 % here); use threads per process = 0 (cores ÷ processes)."
        )
    return None


def sweep_specs(base: RunSpec, world_sizes: list[int], microbatches: list[int]) -> list[RunSpec]:
    """One spec per world size (and micro-batch count); a world size of 1 is the one-process baseline."""
    if not world_sizes:
        raise UserError("pick at least one world size (1 is the one-process baseline)")
    specs: list[RunSpec] = []
    for world in sorted(set(world_sizes)):
        for m in sorted(set(microbatches or [1])) if base.mode != "ddp" else [1]:
            mode = "ddp" if world == 1 else base.mode  # one process runs the whole model: no communication
            spec = replace(base, mode=mode, world_size=world, microbatches=1 if world == 1 else m)
            spec = replace(spec, stages=0 if world == 1 else base.stages)
            if all(s != spec for s in specs):
                specs.append(spec)
    for spec in specs:
        spec.validate()
    return specs


# ---------------------------------------------------------------- launching


def _terminate(processes: list[subprocess.Popen]) -> None:
    """SIGTERM each worker's session, then SIGKILL what is left; always reap."""
    for process in processes:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 3
    for process in processes:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _progress(log: Path) -> tuple[int, int, float] | None:
    try:
        text = log.read_text(errors="replace")
    except FileNotFoundError:
        return None
    found = re.findall(rf"^{PROGRESS_PREFIX}(\d+)/(\d+)(?: loss ([\d.eE+-]+|nan))?$", text, flags=re.M)
    if not found:
        return None
    done, total, loss = found[-1]
    return int(done), int(total), float(loss) if loss else float("nan")


def _tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return ""
    kept = [line for line in text.splitlines() if not line.startswith(PROGRESS_PREFIX)]
    return "\n".join(kept[-lines:])


def launch(
    spec: RunSpec,
    callback: Callback | None = None,
    cancel: threading.Event | None = None,
    port: int = 0,
    run_index: int = 1,
    runs: int = 1,
    deadline_s: float | None = None,
    sweep: str = "",
) -> dict:
    """Run ``spec`` on ``spec.world_size`` local processes and return the result (see worker.summarise).

    ``callback.on_step`` gets a ``Progress`` every poll (0.2 s; step 0 until the ranks start) whose epoch
    is the run's index in a sweep of ``runs``.
    Raises ``RunFailed`` (with the log) or ``RunCancelled``; never leaves a process behind.
    """
    spec.validate()
    check_fits(spec)
    if port:
        check_port(port)
    callback, cancel = callback or Callback(), cancel or threading.Event()
    world = spec.world_size
    threads = threads_per_rank(spec, world)
    if deadline_s is None:
        deadline_s = STARTUP_ALLOWANCE_S + 30.0 * (spec.steps + spec.warmup + 1)
    with tempfile.TemporaryDirectory(prefix="rnnplay-dist-") as tmp:
        folder = Path(tmp)
        (folder / "spec.json").write_text(json.dumps(spec.to_dict()))
        master_port = port or free_port()
        env_common = {
            **os.environ,
            "MASTER_ADDR": "127.0.0.1",
            "MASTER_PORT": str(master_port),
            "WORLD_SIZE": str(world),
            "LOCAL_WORLD_SIZE": str(world),
            "OMP_NUM_THREADS": str(threads),
            "PYTHONUNBUFFERED": "1",
            LAUNCHER_ENV: str(os.getpid()),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        }
        command = [sys.executable, "-m", "core.distributed.worker", "--spec", str(folder / "spec.json")]
        command += ["--out", str(folder)]
        logs = [folder / f"rank{rank}.log" for rank in range(world)]
        processes: list[subprocess.Popen] = []
        start = time.monotonic()
        try:
            for rank in range(world):
                env = {**env_common, "RANK": str(rank), "LOCAL_RANK": str(rank)}
                with open(logs[rank], "w") as out:
                    processes.append(
                        subprocess.Popen(
                            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
                        )
                    )
            reporter = logs[spec.pipeline_stages - 1]
            while True:
                time.sleep(0.2)
                if cancel.is_set():
                    raise RunCancelled("cancelled")
                codes = [p.poll() for p in processes]
                failed = [rank for rank, code in enumerate(codes) if code not in (None, 0)]
                if failed:
                    # the first rank to fail explains it; the others usually just lost their peer
                    rank = min(failed, key=lambda r: logs[r].stat().st_mtime)
                    raise RunFailed(
                        f"rank {rank} of {world} exited with code {codes[rank]}; the run was stopped", _tail(logs[rank])
                    )
                if all(code == 0 for code in codes):
                    break
                if time.monotonic() - start > deadline_s:
                    raise RunFailed(f"no result after {deadline_s:.0f} s; the run was stopped", _tail(logs[0]))
                # every poll reports, step 0 while the ranks start: a caller's watchdog (ui.jobs) runs at each report
                done, total, loss = _progress(reporter) or (0, spec.warmup + spec.steps, float("nan"))
                callback.on_step(Progress(run_index, runs, done, total, loss, time.monotonic() - start))
            result_file = folder / "result.json"
            if not result_file.exists():
                raise RunFailed("the ranks exited without a result", _tail(logs[0]))
            result = json.loads(result_file.read_text())
        finally:
            _terminate(processes)
    result["wall_s"] = time.monotonic() - start
    result["machine"] = machine_info()
    result["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    result["sweep"] = sweep or result["finished"]
    result["id"] = uuid.uuid4().hex[:12]  # a stable name for selectors, whatever else is stored
    return result


def machine_info() -> dict:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    gpus = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    return {
        "host": platform.node(),
        "cpu": cpu,
        "cores": cores_available(),
        "gpus": gpus,
        "torch": torch.__version__,
        "load_1min": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
    }


# ---------------------------------------------------------------- results store


def store_path() -> Path:
    """JSON lines under $RNNPLAY_DATA_DIR, else ~/.local/share/rnnplay."""
    base = os.environ.get("RNNPLAY_DATA_DIR") or Path.home() / ".local" / "share" / "rnnplay"
    return Path(base) / STORE_NAME


def save_run(result: dict, path: Path | None = None) -> None:
    path = path or store_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as out:
        out.write(json.dumps(result) + "\n")


def load_runs(path: Path | None = None) -> list[dict]:
    """Stored runs, oldest first; lines that do not parse (a run cut off mid-write) are skipped."""
    path = path or store_path()
    if not path.exists():
        return []
    runs = []
    for line in path.read_text(errors="replace").splitlines():
        with contextlib.suppress(json.JSONDecodeError):
            row = json.loads(line)
            if isinstance(row, dict) and "step_s" in row:
                runs.append(row)
    return runs


def add_efficiency(runs: list[dict], baselines: list[dict] | None = None) -> None:
    """Set ``speedup`` and ``efficiency`` = throughput(N) / (N × throughput(1)) where a 1-process run matches.

    The matching one-process run has the same model and sequence length and, for weak scaling,
    the same batch per replica; for strong scaling the same global batch.
    """
    pool = [r for r in (baselines if baselines is not None else runs) if r["world_size"] == 1]
    for run in runs:
        per_replica = run["global_batch"] // run["replicas"]
        wanted = per_replica if run["scaling"] == "weak" else run["global_batch"]
        host = run.get("machine", {}).get("host")
        matches = [
            b
            for b in pool
            if b["global_batch"] == wanted
            and b["seq_len"] == run["seq_len"]
            and b["spec"]["model"] == run["spec"]["model"]
            and b.get("machine", {}).get("host") == host  # never compare across machines
        ]
        if matches:
            same_sweep = [b for b in matches if b.get("sweep") == run.get("sweep")]
            base = (same_sweep or matches)[-1]["samples_per_s"]  # measured side by side when possible
            run["speedup"] = run["samples_per_s"] / base
            run["efficiency"] = run["speedup"] / run["world_size"]
        else:
            run["speedup"] = run["efficiency"] = None


def load_example_runs() -> list[dict]:
    """Runs measured on the development machine, shipped so the first render has something to show."""
    return load_runs(EXAMPLE_RUNS)
