"""The per-rank training entry: DDP, a GPipe-style pipeline over send/recv, or both (hybrid).

One process per rank, started by ``core.distributed.runner`` or by ``torchrun`` (both set
``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR``, ``MASTER_PORT``). Each rank times its phases with
``perf_counter`` (after a device sync on CUDA): forward, backward, the gradient all-reduce
(a DDP communication hook marks each bucket's start and completion, with CUDA events on a
GPU), the optimiser, and for pipelines the time spent waiting on neighbours. One extra step
after the measured ones is recorded as a timeline of events per rank for the Gantt chart.
Rank 0 gathers everything and writes ``result.json``.

Ranks are laid out replica-major: ``rank = replica * stages + stage``. ``ddp`` is ``stages = 1``,
``pipeline`` is ``replicas = 1``, ``hybrid`` has both above one.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import psutil
import torch
import torch.distributed as dist
from torch import nn
from torch.distributed.algorithms.ddp_comm_hooks import default_hooks

from core.distributed.model import DeepRNNConfig, SyntheticCorpus, build_stages
from core.errors import UserError

MODES = ("ddp", "pipeline", "hybrid")
SCALINGS = ("weak", "strong")
BACKENDS = ("auto", "gloo", "nccl")
PROBE_BYTES = (4_096, 262_144, 4_194_304)  # all-reduce sizes timed after start-up to calibrate the link
PROGRESS_PREFIX = "progress "
LAUNCHER_ENV = "RNNPLAY_LAUNCHER_PID"  # set by the runner; torchrun's ranks watch their own parent
CRASH_ENV = "RNNPLAY_TEST_CRASH_RANK"  # tests only: this rank raises at its first measured step


@dataclass
class RunSpec:
    mode: str = "ddp"  # "ddp" (data parallel), "pipeline" (layers split over ranks), "hybrid" (ddp over pipelines)
    world_size: int = 2  # processes (ranks)
    stages: int = 0  # pipeline stages per replica; 0 = 1 for ddp, world_size for pipeline, 2 for hybrid
    microbatches: int = 1  # GPipe micro-batches per step; 1 = plain model parallelism (no overlap between stages)
    scaling: str = "weak"  # "weak": batch_size per replica; "strong": batch_size is the global batch, split
    batch_size: int = 16  # sequences per replica (weak) or in total (strong)
    seq_len: int = 32  # tokens per sequence (truncated BPTT window)
    steps: int = 12  # measured steps
    warmup: int = 3  # steps before measuring (allocations, DDP's bucket rebuild)
    threads: int = 1  # intra-op threads per rank (one process per core); 0 = cores // ranks
    backend: str = "auto"  # "auto" = nccl when every local rank has a CUDA device, else gloo
    lr: float = 1e-3  # AdamW learning rate
    seed: int = 0  # model init; data windows are seeded by replica and step
    bucket_mb: float = 1.0  # DDP gradient bucket size; several buckets let all-reduce overlap backward
    timeout_s: float = 60.0  # init_process_group and collectives give up after this
    model: DeepRNNConfig = field(default_factory=DeepRNNConfig)

    @property
    def pipeline_stages(self) -> int:
        if self.stages:
            return self.stages
        return {"ddp": 1, "pipeline": self.world_size, "hybrid": 2}.get(self.mode, 1)

    @property
    def replicas(self) -> int:
        return self.world_size // self.pipeline_stages

    @property
    def replica_batch(self) -> int:
        return self.batch_size if self.scaling == "weak" else self.batch_size // self.replicas

    @property
    def global_batch(self) -> int:
        return self.replica_batch * self.replicas

    def validate(self) -> None:
        """UserError for any combination a run cannot take, before a process is started."""
        choices = (("mode", MODES), ("scaling", SCALINGS), ("backend", BACKENDS))
        for name, options in choices:
            if getattr(self, name) not in options:
                raise UserError(f"{name} must be one of {', '.join(options)}, not {getattr(self, name)!r}")
        ints = (
            ("world_size", 1, 64),
            ("microbatches", 1, 256),
            ("batch_size", 1, 65_536),
            ("seq_len", 1, 4_096),
            ("steps", 1, 10_000),
            ("warmup", 0, 1_000),
            ("threads", 0, 256),
        )
        for name, low, high in ints:
            value = getattr(self, name)
            if not isinstance(value, int) or not low <= value <= high:
                raise UserError(f"{name} must be an integer in {low}…{high}, not {value!r}")
        self.model.validate()
        p, w = self.pipeline_stages, self.world_size
        if self.mode == "ddp" and p != 1:
            raise UserError("ddp runs one full model per rank: leave stages at 0 or 1 (use hybrid for pipelines)")
        if self.mode == "pipeline" and p != w:
            raise UserError(f"a pipeline uses every rank as one stage: stages must equal world size {w}, not {p}")
        if self.mode == "hybrid" and (p < 2 or w % p or w // p < 2):
            raise UserError(
                f"hybrid needs world size = replicas × stages with both ≥ 2 (e.g. 4 = 2 × 2); got {w} ranks, {p} stages"
            )
        if p > self.model.layers:
            raise UserError(f"{p} pipeline stages need at least {p} layers; the model has {self.model.layers}")
        if self.scaling == "strong" and self.batch_size % self.replicas:
            raise UserError(
                f"strong scaling splits the global batch {self.batch_size} over {self.replicas} replicas: "
                "use a batch size divisible by the number of replicas"
            )
        if self.replica_batch % self.microbatches:
            raise UserError(f"{self.microbatches} micro-batches must divide the per-replica batch {self.replica_batch}")
        if self.mode == "ddp" and self.microbatches != 1:
            raise UserError("micro-batches apply to pipeline and hybrid runs; ddp takes 1")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> RunSpec:
        values = dict(values)
        values.pop("crash_rank", None)  # a test-only field that older stored runs carry
        model = DeepRNNConfig(**values.pop("model", {}))
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise UserError(f"unknown run settings: {', '.join(unknown)}")
        return cls(model=model, **values)


def cores_available() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def threads_per_rank(spec: RunSpec, local_processes: int) -> int:
    """Keep processes × threads ≤ cores: oversubscribed ranks lost 45 % here."""
    return spec.threads or max(1, cores_available() // max(1, local_processes))


def choose_backend(requested: str, local_processes: int) -> str:
    if requested != "auto":
        return requested
    cuda_ok = torch.cuda.is_available() and torch.cuda.device_count() >= local_processes and dist.is_nccl_available()
    return "nccl" if cuda_ok else "gloo"


def _watch_parent() -> None:
    """Exit when the launcher dies, so a killed page or CLI never leaves ranks behind.

    The runner passes its pid: the launcher may have died while this process was still
    importing torch, and then ``getppid()`` would already name the reaper.
    """
    parent = int(os.environ.get(LAUNCHER_ENV) or os.getppid())
    if os.getppid() != parent:
        os._exit(3)

    def watch():
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(3)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


class _Clock:
    """Host timestamps that mean something on any device.

    ``clock()`` ends a phase: on CUDA it waits for the queued kernels first. Inside backward
    (the DDP hook) waiting would serialise communication with compute, so ``mark()`` records a
    CUDA event instead, and ``seconds(mark)`` places it on the host clock, measured from the
    event ``start()`` recorded right after a synchronise. On CPU a mark is ``perf_counter()``.
    """

    def __init__(self, device: torch.device):
        self.cuda = device.type == "cuda"
        self.origin: tuple[torch.cuda.Event, float] | None = None  # (event, host time) of the last start()

    def __call__(self) -> float:
        if self.cuda:
            torch.cuda.synchronize()
        return time.perf_counter()

    def start(self) -> float:
        """The start of a step: every mark until the next start is measured from here."""
        now = self()
        if self.cuda:
            event = torch.cuda.Event(enable_timing=True)
            event.record()
            self.origin = (event, now)
        return now

    def mark(self):
        if not self.cuda:
            return time.perf_counter()
        event = torch.cuda.Event(enable_timing=True)
        event.record()  # on the current stream: reached when the work queued before it is done
        return event

    def seconds(self, mark) -> float:
        """Host seconds of a mark; on CUDA call after a synchronise (both events must have happened)."""
        if not self.cuda:
            return mark
        event, host = self.origin
        return host + event.elapsed_time(mark) / 1e3


@dataclass
class _StepLog:
    phases: dict[str, float] = field(default_factory=dict)  # seconds per phase, summed over the step
    events: list[tuple[str, float, float, str]] = field(default_factory=list)  # (kind, start, end, label)
    allreduce_total: float = 0.0  # seconds all-reduce was in flight, overlapped or not
    allreduce_bytes: int = 0

    def add(self, kind: str, start: float, end: float, label: str = "") -> None:
        self.phases[kind] = self.phases.get(kind, 0.0) + end - start
        self.events.append((kind, start, end, label))


class _TimedAllReduce:
    """DDP communication hook state: marks each bucket's all-reduce at launch and at completion.

    Marks come from ``_Clock.mark`` (CUDA events on a GPU, where host time inside backward says
    nothing about the kernels); ``buckets()`` turns them into host seconds after the step.
    """

    def __init__(self, clock: _Clock):
        self.clock = clock
        self.marks: list[tuple[object, object, int]] = []  # (launched, completed, bytes)
        self.lock = threading.Lock()

    def hook(self, _state, bucket):
        launched = self.clock.mark()
        buffer = bucket.buffer()
        nbytes = buffer.numel() * buffer.element_size()
        future = default_hooks.allreduce_hook(None, bucket)

        def done(fut):
            value = fut.value()  # on CUDA the current stream now waits for the all-reduce: mark after it
            with self.lock:
                self.marks.append((launched, self.clock.mark(), nbytes))
            return value

        return future.then(done)

    def buckets(self) -> list[tuple[float, float, int]]:
        """(launched, completed, bytes) per bucket in host seconds, in launch order; then forget them."""
        rows = sorted((self.clock.seconds(a), self.clock.seconds(b), n) for a, b, n in self.marks)
        self.marks.clear()
        return rows


def _probe_link(device: torch.device, group=None) -> list[dict]:
    """Median all-reduce time at a few sizes: the link's latency and bandwidth for calibration."""
    rows = []
    for nbytes in PROBE_BYTES:
        tensor = torch.ones(nbytes // 4, device=device)
        times = []
        for repeat in range(6):
            dist.barrier(group=group)
            start = time.perf_counter()
            dist.all_reduce(tensor, group=group)
            if device.type == "cuda":
                torch.cuda.synchronize()
            if repeat:  # the first one sets up buffers
                times.append(time.perf_counter() - start)
        rows.append({"bytes": nbytes, "seconds": sorted(times)[len(times) // 2]})
    return rows


class _Trainer:
    """The state of one rank: its stage of the model, optimiser, data and process groups."""

    def __init__(self, spec: RunSpec, rank: int, device: torch.device):
        self.spec, self.rank, self.device = spec, rank, device
        self.p = spec.pipeline_stages
        self.stage, self.replica = rank % self.p, rank // self.p
        self.first, self.last = self.stage == 0, self.stage == self.p - 1
        self.clock = _Clock(device)
        config = spec.model
        # every rank builds all stages from one seed and keeps its own: replicas start identical
        self.module: nn.Module = build_stages(config, self.p, spec.seed)[self.stage].to(device)
        self.hook = _TimedAllReduce(self.clock)
        self.dp_group = None
        # every rank must create every group, in the same order
        for stage in range(self.p):
            members = [stage + r * self.p for r in range(spec.replicas)]
            group = dist.new_group(members) if spec.replicas > 1 and self.p > 1 else None
            if stage == self.stage:
                self.dp_group = group
        self.model = self.module
        if spec.mode == "ddp" and spec.world_size > 1:
            ids = [device.index] if device.type == "cuda" else None
            self.model = nn.parallel.DistributedDataParallel(self.module, device_ids=ids, bucket_cap_mb=spec.bucket_mb)
            self.model.register_comm_hook(None, self.hook.hook)
        self.optimizer = torch.optim.AdamW(self.module.parameters(), lr=spec.lr)
        self.loss_fn = nn.CrossEntropyLoss()
        self.corpus = SyntheticCorpus(config.vocab_size)
        self.losses: list[float] = []

    def batch(self, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        x, y = self.corpus.batch(self.spec.replica_batch, self.spec.seq_len, self.replica, step)
        return x.to(self.device), y.to(self.device)

    def _loss(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return self.loss_fn(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))

    def ddp_step(self, batch) -> _StepLog:
        log, clock = _StepLog(), self.clock
        x, y = batch
        t0 = clock.start()
        loss = self._loss(self.model(x), y)  # (B, T, V) logits → scalar
        t1 = clock()
        loss.backward()
        t2 = clock()
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        t3 = clock()
        log.add("forward", t0, t1)
        buckets = self.hook.buckets()
        # the last bucket is launched when backward's compute ends; what follows is waiting on the network
        compute_end = max(t1, buckets[-1][0]) if buckets else t2
        log.add("backward", t1, compute_end)
        if buckets:
            log.add("all-reduce (exposed)", compute_end, t2)
            for launched, completed, nbytes in buckets:
                log.events.append(("all-reduce", launched, completed, f"{nbytes / 1e6:.2f} MB"))
                log.allreduce_total += completed - launched
                log.allreduce_bytes += nbytes
        log.add("optimiser", t2, t3)
        self.losses.append(loss.item())
        return log

    def pipeline_step(self, batch) -> _StepLog:
        """GPipe: all micro-batch forwards, then all backwards in reverse, then sync grads and step."""
        log, clock, spec = _StepLog(), self.clock, self.spec
        m, h = spec.microbatches, spec.model.hidden_size
        size = spec.replica_batch // m
        prev_rank, next_rank = self.rank - 1, self.rank + 1
        x, y = batch
        inputs, outputs, pending = [], [], []
        step_loss = 0.0
        for j in range(m):
            rows = slice(j * size, (j + 1) * size)
            if self.first:
                inp = x[rows]  # (b, T) token ids
            else:
                # gloo refuses non-contiguous tensors: receive into an explicit (b, T, H) buffer
                inp = torch.empty(size, spec.seq_len, h, device=self.device)
                t = clock()
                dist.recv(inp, src=prev_rank)
                log.add("wait / receive", t, clock())
                inp.requires_grad_()
            t = clock()
            out = self.module(inp)
            if self.last:
                out = self._loss(out, y[rows]) / m
                step_loss += out.item()
            log.add("forward", t, clock(), f"F{j}")
            if not self.last:
                sent = out.detach().contiguous()  # (b, T, H); the LSTM's batch-first output may be a view
                pending.append((dist.isend(sent, dst=next_rank), sent))
            inputs.append(inp)
            outputs.append(out)
        for j in reversed(range(m)):
            if self.last:
                t = clock()
                outputs[j].backward()
            else:
                grad = torch.empty(size, spec.seq_len, h, device=self.device)
                t = clock()
                dist.recv(grad, src=next_rank)
                log.add("wait / receive", t, clock())
                t = clock()
                outputs[j].backward(grad)
            log.add("backward", t, clock(), f"B{j}")
            if not self.first:
                sent = inputs[j].grad.contiguous()
                pending.append((dist.isend(sent, dst=prev_rank), sent))
        t = clock()
        for work, _tensor in pending:
            work.wait()
        log.add("wait / send", t, clock())
        if self.dp_group is not None:
            t = clock()
            log.allreduce_bytes = self._allreduce_gradients()
            end = clock()
            log.add("all-reduce (exposed)", t, end)
            log.allreduce_total = end - t
        t = clock()
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        log.add("optimiser", t, clock())
        if self.last:
            self.losses.append(step_loss)
        return log

    def _allreduce_gradients(self) -> int:
        """Average this stage's gradients over the replicas in one flat all-reduce."""
        grads = [p.grad for p in self.module.parameters() if p.grad is not None]
        flat = torch.cat([g.reshape(-1) for g in grads])
        dist.all_reduce(flat, group=self.dp_group)
        flat /= self.spec.replicas
        offset = 0
        for g in grads:
            g.copy_(flat[offset : offset + g.numel()].view_as(g))
            offset += g.numel()
        return flat.numel() * flat.element_size()

    def step(self, batch) -> _StepLog:
        return self.ddp_step(batch) if self.spec.mode == "ddp" else self.pipeline_step(batch)


def _report_progress(done: int, total: int, loss: float | None) -> None:
    shown = f" loss {loss:.4f}" if loss is not None else ""
    print(f"{PROGRESS_PREFIX}{done}/{total}{shown}", flush=True)


def run_rank(spec: RunSpec, rank: int, world: int, local_rank: int, local_world: int, out_dir: Path | None) -> dict:
    """Train on this rank; on rank 0 return (and write) the gathered result of all ranks."""
    threads = threads_per_rank(spec, local_world)
    torch.set_num_threads(threads)  # first, before any work: oversubscription costs more than it gains
    backend = choose_backend(spec.backend, local_world)
    device = torch.device(f"cuda:{local_rank}") if backend == "nccl" else torch.device("cpu")
    if device.type == "cuda":
        torch.cuda.set_device(device)
    dist.init_process_group(backend, rank=rank, world_size=world, timeout=timedelta(seconds=spec.timeout_s))
    try:
        trainer = _Trainer(spec, rank, device)
        probe = _probe_link(device) if world > 1 else []
        batches = [trainer.batch(step) for step in range(spec.warmup + spec.steps + 1)]
        reporter = spec.pipeline_stages - 1  # the last stage of replica 0 knows the loss
        ready = time.time()
        total = spec.warmup + spec.steps
        for step in range(spec.warmup):
            trainer.step(batches[step])
            if rank == reporter:
                _report_progress(step + 1, total, trainer.losses[-1] if trainer.losses else None)
        logs = []
        dist.barrier()
        measure_start = time.perf_counter()
        durations = []
        for step in range(spec.warmup, total):
            if os.environ.get(CRASH_ENV) == str(rank):
                raise RuntimeError(f"injected crash on rank {rank} ({CRASH_ENV})")
            started = time.perf_counter()
            logs.append(trainer.step(batches[step]))
            durations.append(time.perf_counter() - started)
            if rank == reporter:
                _report_progress(step + 1, total, trainer.losses[-1] if trainer.losses else None)
        measured = time.perf_counter() - measure_start
        dist.barrier()  # every rank starts the timeline step together: one shared zero
        zero = time.perf_counter()
        timeline = trainer.step(batches[-1])
        row = {
            "rank": rank,
            "stage": trainer.stage,
            "replica": trainer.replica,
            # medians: on a shared machine a step that lost its core to another program is an outlier
            "step_s": _median(durations),
            "step_mean_s": measured / spec.steps,
            "phases": {k: _median([log.phases.get(k, 0.0) for log in logs]) for k in _phase_names(logs)},
            "allreduce_total_s": sum(log.allreduce_total for log in logs) / len(logs),
            "allreduce_bytes": logs[-1].allreduce_bytes,
            "events": [(kind, round(a - zero, 6), round(b - zero, 6), label) for kind, a, b, label in timeline.events],
            "timeline_step_s": time.perf_counter() - zero,
            "losses": trainer.losses,
            "startup_s": ready - psutil.Process().create_time(),
            "threads": threads,
        }
        rows = [None] * world if rank == 0 else None
        dist.gather_object(row, rows, dst=0)
        if rank != 0:
            return {}
        result = summarise(spec, rows, probe, backend, threads)
        if out_dir is not None:
            (out_dir / "result.json").write_text(json.dumps(result))
        return result
    finally:
        dist.destroy_process_group()


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _phase_names(logs: list[_StepLog]) -> list[str]:
    names: list[str] = []
    for log in logs:
        names += [k for k in log.phases if k not in names]
    return names


def device_label(backend: str, world: int, threads: int) -> str:
    if backend == "nccl":
        names = sorted({torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())})
        return f"{world} × GPU ({', '.join(names)}), nccl"
    cores = cores_available()
    shared = " (processes share cores)" if world * threads > cores else ""
    return f"{world} CPU process{'es' if world > 1 else ''} × {threads} thread{'s' if threads > 1 else ''} on {cores} cores, gloo{shared}"


def summarise(spec: RunSpec, rows: list[dict], probe: list[dict], backend: str, threads: int) -> dict:
    """One record per run: throughput, phase breakdown, idle fraction, timeline, link probe."""
    step_s = max(r["step_s"] for r in rows)  # ranks finish a step together; the slowest sets the pace
    step_mean_s = max(r["step_mean_s"] for r in rows)
    p, m = spec.pipeline_stages, spec.microbatches
    compute = [r["phases"].get("forward", 0.0) + r["phases"].get("backward", 0.0) for r in rows]
    losses = next((r["losses"] for r in rows if r["losses"]), [])
    return {
        "mode": spec.mode,
        "scaling": spec.scaling,
        "world_size": spec.world_size,
        "stages": p,
        "replicas": spec.replicas,
        "microbatches": m,
        "global_batch": spec.global_batch,
        "seq_len": spec.seq_len,
        "backend": backend,
        "threads_per_rank": threads,
        "device": device_label(backend, spec.world_size, threads),
        "step_s": step_s,  # median step (the headline); the mean includes steps that lost their core
        "step_mean_s": step_mean_s,
        "samples_per_s": spec.global_batch / step_s,
        "tokens_per_s": spec.global_batch * spec.seq_len / step_s,
        "phases": {k: sum(r["phases"].get(k, 0.0) for r in rows) / len(rows) for k in rows[0]["phases"]},
        "allreduce_total_s": sum(r["allreduce_total_s"] for r in rows) / len(rows),
        "allreduce_bytes": max(r["allreduce_bytes"] for r in rows),
        "idle_fraction": max(0.0, 1.0 - sum(compute) / len(rows) / step_s),
        "bubble_textbook": (p - 1) / (m + p - 1),
        "loss_first": losses[0] if losses else None,
        "loss_last": losses[-1] if losses else None,
        "startup_s": max(r["startup_s"] for r in rows),
        "probe": probe,
        "ranks": [{k: r[k] for k in ("rank", "stage", "replica", "phases", "events", "timeline_step_s")} for r in rows],
        "spec": spec.to_dict(),
    }


def main(argv: list[str] | None = None) -> int:
    """``python -m core.distributed.worker --spec FILE --out DIR`` with torchrun-style env variables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", required=True, help="RunSpec as JSON")
    parser.add_argument("--out", required=True, help="folder for result.json")
    args = parser.parse_args(argv)
    _watch_parent()
    spec = RunSpec.from_dict(json.loads(Path(args.spec).read_text()))
    rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    local_rank = int(os.environ.get("LOCAL_RANK", rank))
    local_world = int(os.environ.get("LOCAL_WORLD_SIZE", world))
    run_rank(spec, rank, world, local_rank, local_world, Path(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
