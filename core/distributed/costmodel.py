"""Step time, throughput and memory of data (``ddp``), pipeline and hybrid parallelism, from first principles.

Pure arithmetic (no torch): a ``Workload`` (parameters, FLOPs and activation bytes per sample,
from the RNN's config), a ``Device`` (achieved FLOP/s, memory) and a ``Link`` (bandwidth,
latency) give the time of one training step on N devices:

* compute: samples × FLOPs per sample / FLOP/s, split 1/3 forward, 2/3 backward;
* ring all-reduce: ``2(N−1)/N · bytes / bandwidth + 2(N−1) · latency`` per fused buffer; the part
  that does not fit under the backward pass (``overlap`` × backward) is exposed;
* stragglers: the slowest of N ranks sets the pace; with step-time jitter σ (coefficient of
  variation) the expected maximum of N is ≈ σ·√(2 ln N) above the mean;
* pipeline (GPipe): ``(m + p − 1)`` slots of one micro-batch on one stage plus its two hops, so
  the bubble is ``(p − 1)/(m + p − 1)`` of the step;
* memory per device: fp32 weights, gradients and AdamW's two moments (16 B/parameter) on the
  device's share of the layers, plus the activations its micro-batches keep for backward.

``calibrate(runs)`` fits the compute rate (with a contention term for CPU processes sharing a
machine), the optimiser cost and the link's bandwidth/latency to measured runs.
``published_checks()`` feeds the model the setups of two well-known results.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from core.distributed.model import (
    DeepRNNConfig,
    activation_bytes_per_token,
    layer_parameters,
    parameter_count,
    train_flops_per_token,
)
from core.errors import UserError

STRATEGIES = ("ddp", "pipeline", "hybrid")  # the names real runs use (worker.MODES); ddp = data parallel
GiB = 2**30
CLUSTER_DEVICES = [8, 16, 32, 64, 128, 256, 512, 1024]  # device counts the page predicts
PIPELINE_DEVICES = [2, 4, 8, 16, 32, 64]  # a pipeline has at most one layer per device (the page allows 64)


@dataclass(frozen=True)
class Device:
    name: str
    peak_flops: float  # FP32/TF32 dense FLOP/s from the data sheet
    memory: float  # bytes
    efficiency: float = 0.3  # achieved share of peak on this workload (RNNs run small, sequential GEMMs)
    optimizer_s_per_param: float = 2e-11  # AdamW update, memory-bound: ~28 B/param at ~1.5 TB/s
    step_overhead_s: float = 0.0  # fixed cost per layer and time step (kernel launches), whatever the batch

    @property
    def flops(self) -> float:
        return self.peak_flops * self.efficiency


@dataclass(frozen=True)
class Link:
    name: str
    bandwidth: float  # bytes/s per device and direction
    latency: float  # seconds per message hop


# Data-sheet peaks; efficiencies are the editable guess of what an LSTM reaches.
DEVICES = {
    "NVIDIA V100 16 GB": Device("NVIDIA V100 16 GB", 15.7e12, 16 * GiB),
    "NVIDIA A100 80 GB": Device("NVIDIA A100 80 GB", 156e12, 80 * GiB, efficiency=0.15),  # TF32 tensor cores
    "NVIDIA H100 80 GB": Device("NVIDIA H100 80 GB", 495e12, 80 * GiB, efficiency=0.1),  # TF32 dense
}
# Nominal line rates per device and direction; latencies are typical NCCL per-hop figures.
LINKS = {
    "PCIe 4.0 x16": Link("PCIe 4.0 x16", 25e9, 10e-6),
    "NVLink (A100, NVSwitch)": Link("NVLink (A100, NVSwitch)", 300e9, 3e-6),
    "InfiniBand HDR 200 Gbit/s": Link("InfiniBand HDR 200 Gbit/s", 25e9, 5e-6),
    "Ethernet 25 Gbit/s": Link("Ethernet 25 Gbit/s", 25e9 / 8, 10e-6),
    "Ethernet 10 Gbit/s (TCP)": Link("Ethernet 10 Gbit/s (TCP)", 10e9 / 8, 50e-6),
}


@dataclass(frozen=True)
class Workload:
    name: str
    params: float  # trainable parameters
    flops_per_sample: float  # forward + backward FLOPs of one sample
    activation_bytes_per_sample: float  # kept for backward, whole model
    boundary_bytes_per_sample: float  # hidden states crossing one pipeline boundary, one way
    layers: int  # the most pipeline stages the model can be cut into
    recurrent_steps: int = 0  # layers × time steps: sequential cell updates per forward pass
    stage_share: float = 0.0  # share of FLOPs (and params) on the busiest of p stages; 0 = 1/p
    fusion_bytes: float = 64e6  # gradients are all-reduced in buffers of this size (Horovod's default)


def rnn_workload(config: DeepRNNConfig, seq_len: int) -> Workload:
    """Pure arithmetic: any size goes (the limits of real runs do not apply to predictions)."""
    if config.cell not in ("lstm", "gru"):
        raise UserError(f"cell must be lstm or gru, not {config.cell!r}")
    return Workload(
        name=f"{config.layers}-layer {config.cell.upper()} {config.hidden_size}",
        params=parameter_count(config),
        flops_per_sample=train_flops_per_token(config) * seq_len,
        activation_bytes_per_sample=activation_bytes_per_token(config) * seq_len,
        boundary_bytes_per_sample=4 * config.hidden_size * seq_len,
        layers=config.layers,
        recurrent_steps=config.layers * seq_len,
    )


def busiest_stage_share(config: DeepRNNConfig, stages: int) -> float:
    """FLOP share of the heaviest stage when the layers are split as the worker splits them."""
    from core.distributed.model import split_layers

    h, v = config.hidden_size, config.vocab_size
    head = h * v  # multiply-adds per token of the output layer
    layer = layer_parameters(config) - 2 * h * (4 if config.cell == "lstm" else 3)  # multiply-adds per token
    ranges = split_layers(config.layers, stages)
    loads = [len(r) * layer + (head if i == stages - 1 else 0) for i, r in enumerate(ranges)]
    return max(loads) / sum(loads)


@dataclass(frozen=True)
class Hardware:
    device: Device
    link: Link
    overlap: float = 1.0  # share of the backward pass that can hide gradient all-reduce (0 = none)
    jitter: float = 0.0  # coefficient of variation of one rank's step time (straggler term)
    contention: float = 0.0  # CPU only: per extra busy process, compute slows by this share
    cores: int = 0  # CPU only: processes beyond this share cores (0 = one device per rank)


@dataclass
class Prediction:
    strategy: str
    devices: int
    stages: int
    replicas: int
    microbatches: int
    global_batch: int
    step_s: float
    compute_s: float  # forward + backward of one rank (pipeline: all its slots of work)
    allreduce_s: float  # whole all-reduce, overlapped or not
    exposed_comm_s: float  # communication the step waits for (all-reduce not hidden + pipeline hops)
    bubble_s: float
    straggler_s: float
    optimizer_s: float
    memory_per_device: float
    memory_limit: float
    samples_per_s: float = 0.0
    efficiency: float = 0.0  # throughput / (devices × one-device throughput)
    limits: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # where the settings asked for were adjusted, in words

    @property
    def fits(self) -> bool:
        return self.memory_per_device <= self.memory_limit

    @property
    def bubble_fraction(self) -> float:
        return self.bubble_s / self.step_s if self.step_s else 0.0


def ring_allreduce_s(nbytes: float, n: int, link: Link, fusion_bytes: float = math.inf) -> float:
    """Ring all-reduce: reduce-scatter + all-gather, 2(N−1) hops per fused buffer."""
    if n <= 1 or nbytes <= 0:
        return 0.0
    buffers = max(1, math.ceil(nbytes / fusion_bytes)) if math.isfinite(fusion_bytes) else 1
    return 2 * (n - 1) / n * nbytes / link.bandwidth + 2 * (n - 1) * link.latency * buffers


def p2p_s(nbytes: float, link: Link) -> float:
    return link.latency + nbytes / link.bandwidth


def _rate(hw: Hardware, demand: float) -> float:
    """FLOP/s of one rank when ``demand`` processes want a core at once (CPU runs; GPUs ignore it).

    Beyond the cores they are time-sliced; below, each extra busy neighbour slows a rank by
    ``contention`` (shared caches, memory bandwidth and, on a shared machine, other users).
    """
    if not hw.cores:
        return hw.device.flops
    share = min(1.0, hw.cores / max(demand, 1.0))
    together = min(max(demand, 1.0), hw.cores)
    return hw.device.flops * share / (1.0 + hw.contention * (together - 1))


def predict(
    workload: Workload,
    hw: Hardware,
    strategy: str,
    devices: int,
    batch: int,
    stages: int = 1,
    microbatches: int = 1,
    scaling: str = "weak",
    baseline: bool = True,
    demand: float | None = None,
) -> Prediction:
    """One training step. ``batch`` is per replica (weak scaling) or global (strong scaling).

    ``demand``: processes computing at once (CPU time-slicing); by default it follows from the
    prediction itself: ranks that wait (pipeline bubbles) leave their core to others.
    """
    if strategy not in STRATEGIES:
        raise UserError(f"strategy must be one of {', '.join(STRATEGIES)}, not {strategy!r}")
    p = {"ddp": 1, "pipeline": devices, "hybrid": stages}[strategy]
    if p < 1 or devices % p:
        raise UserError(f"{devices} devices cannot be split into pipelines of {p} stages")
    if p > workload.layers:
        raise UserError(f"{p} pipeline stages need {p} layers; the model has {workload.layers}")
    replicas = devices // p
    b = batch if scaling == "weak" else max(1, batch // replicas)  # samples per replica
    m = max(1, min(microbatches, b)) if p > 1 else 1
    notes = _adjustments(batch, scaling, replicas, b, microbatches if p > 1 else 1, m)
    if demand is None and hw.cores:
        first = predict(workload, hw, strategy, devices, batch, stages, microbatches, scaling, False, devices)
        demand = devices * (first.compute_s + first.optimizer_s) / first.step_s
    rate = _rate(hw, demand if demand is not None else devices)
    slowdown = hw.device.flops / rate  # time-slicing and contention stretch every kind of work alike
    share = workload.stage_share or 1.0 / p
    params_here = workload.params * share
    # a slot: one micro-batch through the busiest stage, forward and backward, plus its two hops
    overhead = 3 * workload.recurrent_steps * share * hw.device.step_overhead_s * slowdown
    slot_compute = (b / m) * workload.flops_per_sample * share / rate + overhead
    hops = 2 * p2p_s(workload.boundary_bytes_per_sample * b / m, hw.link) if p > 1 else 0.0
    slot = slot_compute + hops
    work = m * slot_compute
    bubble = (p - 1) * slot
    backward = work * 2 / 3
    allreduce = ring_allreduce_s(4 * params_here, replicas, hw.link, workload.fusion_bytes)
    # pipelines reduce gradients after the last micro-batch; only the last slot's backward can hide it
    hideable = hw.overlap * (backward if p == 1 else slot_compute * 2 / 3)
    exposed_ar = max(0.0, allreduce - hideable)
    # replicas wait for the slowest at every all-reduce; stages already wait for each other in the slots
    straggler = hw.jitter * math.sqrt(2 * math.log(replicas)) * work if replicas > 1 else 0.0
    optimizer = params_here * hw.device.optimizer_s_per_param * slowdown
    step = work + m * hops + bubble + exposed_ar + straggler + optimizer
    weights = 16 * params_here
    activations = b * workload.activation_bytes_per_sample * share
    prediction = Prediction(
        strategy=strategy,
        devices=devices,
        stages=p,
        replicas=replicas,
        microbatches=m,
        global_batch=b * replicas,
        step_s=step,
        compute_s=work,
        allreduce_s=allreduce,
        exposed_comm_s=exposed_ar + m * hops,
        bubble_s=bubble,
        straggler_s=straggler,
        optimizer_s=optimizer,
        memory_per_device=weights + activations,
        memory_limit=hw.device.memory,
    )
    prediction.samples_per_s = prediction.global_batch / step
    if baseline:
        one = predict(workload, hw, "ddp", 1, b * (replicas if scaling == "strong" else 1), baseline=False)
        prediction.efficiency = prediction.samples_per_s / (devices * one.samples_per_s)
    prediction.limits = _limits(prediction)
    prediction.notes = notes
    return prediction


def _adjustments(batch: int, scaling: str, replicas: int, per_replica: int, asked_m: int, m: int) -> list[str]:
    """What ``predict`` changed in the settings it was given, so a page can say so."""
    notes = []
    if scaling == "strong" and batch < replicas:
        notes.append(
            f"the global batch {batch} is smaller than the {replicas} replicas: raised to one sample per replica "
            f"({replicas} samples per step)"
        )
    elif scaling == "strong" and per_replica * replicas != batch:
        notes.append(
            f"the global batch {batch} does not split evenly over {replicas} replicas: {per_replica} per replica "
            f"({per_replica * replicas} samples per step)"
        )
    if m != asked_m:
        samples = f"{per_replica} sample{'s' if per_replica > 1 else ''}"
        notes.append(f"{asked_m} micro-batches asked, a replica has {samples}: cut to {m} (one sample each)")
    return notes


def _limits(pr: Prediction) -> list[str]:
    """Why this configuration stops paying, in words (empty when it still pays)."""
    reasons = []
    if pr.allreduce_s >= pr.compute_s and pr.replicas > 1:
        reasons.append("communication ≥ compute")
    if not pr.fits:
        reasons.append(f"memory does not fit ({pr.memory_per_device / GiB:.1f} > {pr.memory_limit / GiB:.0f} GiB)")
    if pr.stages > 1 and pr.bubble_fraction >= 0.5:
        reasons.append("bubble ≥ half the step")
    return reasons


def sweep(
    workload: Workload,
    hw: Hardware,
    strategy: str,
    device_counts: list[int],
    batch: int,
    stages: int = 2,
    microbatches: int = 8,
    scaling: str = "weak",
) -> list[Prediction]:
    """Predictions over device counts; counts the strategy cannot use (too few layers) are left out."""
    rows = []
    for n in device_counts:
        try:
            rows.append(predict(workload, hw, strategy, n, batch, stages, microbatches, scaling))
        except UserError:
            continue
    return rows


def strategy_sweeps(
    workload: Workload, hw: Hardware, batch: int, stages: int, microbatches: int, scaling: str = "weak"
) -> dict[str, list[Prediction]]:
    """Every strategy over the cluster sizes of the page (a pipeline over up to 64 layers, one each)."""
    return {
        "ddp": sweep(workload, hw, "ddp", CLUSTER_DEVICES, batch, scaling=scaling),
        "pipeline": sweep(
            workload, hw, "pipeline", PIPELINE_DEVICES, batch, microbatches=microbatches, scaling=scaling
        ),
        "hybrid": sweep(workload, hw, "hybrid", CLUSTER_DEVICES, batch, stages, microbatches, scaling),
    }


def sweep_notes(sweeps: dict[str, list[Prediction]]) -> list[str]:
    """One line per strategy whose settings were adjusted: from which device count, and how."""
    lines = []
    for strategy, rows in sweeps.items():
        first = next((r for r in rows if r.notes), None)
        if first is not None:
            lines.append(f"{strategy} from {first.devices} devices: " + "; ".join(first.notes))
    return lines


def stops_table(sweeps: dict[str, list[Prediction]], layers: int) -> list[dict]:
    """Per strategy, the first device count at which each limit appears ("—": not within the sweep)."""
    return [
        {
            "strategy": strategy,
            **{k: (v if v is not None else "—") for k, v in stops_paying(rows).items()},
            "most devices": f"{layers} (a layer each)" if strategy == "pipeline" else "—",
        }
        for strategy, rows in sweeps.items()
    ]


def stops_paying(rows: list[Prediction]) -> dict[str, int | None]:
    """First device count at which each limit appears (None: not within the sweep)."""
    first: dict[str, int | None] = {"communication ≥ compute": None, "memory does not fit": None}
    first["bubble ≥ half the step"] = None
    for row in rows:
        for reason in row.limits:
            key = reason.split(" (")[0]
            if first.get(key) is None:
                first[key] = row.devices
    return first


# ---------------------------------------------------------------- calibration on measured runs


@dataclass
class Calibration:
    flops: float  # one process alone on the machine
    step_overhead_s: float  # per layer and time step, forward (backward counts twice)
    contention: float  # per extra busy process
    optimizer_s_per_param: float
    bandwidth: float
    latency: float
    jitter: float
    cores: int
    points: int  # runs used

    def hardware(self) -> Hardware:
        device = Device("CPU process (calibrated)", self.flops, 1e12, efficiency=1.0)
        device = replace(device, optimizer_s_per_param=self.optimizer_s_per_param, step_overhead_s=self.step_overhead_s)
        link = Link("loopback gloo (calibrated)", self.bandwidth, self.latency)
        return Hardware(device, link, overlap=1.0, jitter=self.jitter, contention=self.contention, cores=self.cores)


def _least_squares(rows: list[list[float]], targets: list[float]) -> list[float]:
    """Ordinary least squares by the normal equations (tiny systems, no numpy needed)."""
    k = len(rows[0])
    a = [[sum(r[i] * r[j] for r in rows) for j in range(k)] for i in range(k)]
    y = [sum(r[i] * t for r, t in zip(rows, targets)) for i in range(k)]
    for col in range(k):  # Gauss-Jordan with partial pivoting
        pivot = max(range(col, k), key=lambda r: abs(a[r][col]))
        a[col], a[pivot], y[col], y[pivot] = a[pivot], a[col], y[pivot], y[col]
        if abs(a[col][col]) < 1e-30:
            return [0.0] * k
        for r in range(k):
            if r != col:
                f = a[r][col] / a[col][col]
                a[r] = [x - f * z for x, z in zip(a[r], a[col])]
                y[r] -= f * y[col]
    return [y[i] / a[i][i] for i in range(k)]


def _run_workload(run: dict) -> tuple[Workload, DeepRNNConfig]:
    config = DeepRNNConfig(**run["spec"]["model"])
    workload = rnn_workload(config, run["seq_len"])
    if run["stages"] > 1:
        workload = replace(workload, stage_share=busiest_stage_share(config, run["stages"]))
    return workload, config


def _slots(run: dict, cores: int) -> tuple[float, float]:
    """(processes computing at once, share of a core slot each) in a measured run.

    A slot is ``threads_per_rank`` cores; a rank that waits on its neighbours leaves its core free.
    """
    slots = max(1, cores // max(1, run["threads_per_rank"]))
    working = (
        run["phases"].get("forward", 0.0) + run["phases"].get("backward", 0.0) + run["phases"].get("optimiser", 0.0)
    )
    demand = max(1.0, run["world_size"] * min(1.0, working / run["step_s"]))
    return min(demand, slots), min(1.0, slots / demand)


def _fit_compute(runs: list[dict], cores: int) -> tuple[float, float, float]:
    """Fit rank compute = (FLOPs / r + calls · c₀) · (1 + κ·(busy − 1)) / share.

    Linear in (1/r, c₀) for a fixed κ; κ is scanned. ``calls`` = the rank's sequential cell
    updates (layers × time steps × micro-batches × 3 for forward + backward): what small
    micro-batches pay for whatever their size.
    """
    points = []
    for run in runs:
        compute = run["phases"].get("forward", 0.0) + run["phases"].get("backward", 0.0)
        if compute <= 0:
            continue
        workload, _ = _run_workload(run)
        p = run["stages"]
        b = run["global_batch"] // run["replicas"]
        flops = b * workload.flops_per_sample / p  # mean rank: 1/p of the replica's work
        calls = 3 * workload.recurrent_steps / p * run["microbatches"]
        busy, share = _slots(run, cores)
        points.append((flops, calls, busy, compute * share))
    if not points:
        raise UserError("calibration needs runs with measured forward and backward times")
    best = None
    kappas = [k / 100 for k in range(0, 101)] if len({p[2] for p in points}) > 1 else [0.0]
    separable = len({round(c / f, 15) for f, c, _b, _t in points}) > 1  # else c₀ cannot be told from 1/r
    for kappa in kappas:
        # relative least squares: each row divided by its measured time
        rows = [[f * (1 + kappa * (busy - 1)) / t, c * (1 + kappa * (busy - 1)) / t] for f, c, busy, t in points]
        if separable:
            inv_rate, overhead = _least_squares(rows, [1.0] * len(rows))
        else:
            inv_rate, overhead = len(rows) / sum(r[0] for r in rows), 0.0
        inv_rate, overhead = max(inv_rate, 1e-15), max(overhead, 0.0)
        error = sum((r[0] * inv_rate + r[1] * overhead - 1) ** 2 for r in rows)
        if best is None or error < best[0]:
            best = (error, 1 / inv_rate, overhead, kappa)
    return best[1], best[2], best[3]


def calibrate(runs: list[dict]) -> Calibration:
    """Fit compute rate, per-step overhead and contention, optimiser cost, link and jitter to runs."""
    if not runs:
        raise UserError("calibration needs at least one measured run")
    cores = max(run.get("machine", {}).get("cores", 0) or 0 for run in runs) or 1
    flops, overhead, contention = _fit_compute(runs, cores)
    opt_rates = []
    for run in runs:
        workload, _ = _run_workload(run)
        busy, share = _slots(run, cores)
        params = workload.params / run["stages"]
        opt_rates.append(run["phases"].get("optimiser", 0.0) * share / (1 + contention * (busy - 1)) / params)
    # link: probe times t = 2(n−1)/n · bytes · (1/bw) + 2(n−1) · lat, linear in (1/bw, lat)
    rows, targets = [], []
    for run in runs:
        n = run["world_size"]
        for probe in run.get("probe", []):
            rows.append([2 * (n - 1) / n * probe["bytes"] / probe["seconds"], 2 * (n - 1) / probe["seconds"]])
            targets.append(1.0)  # relative error: small messages count as much as large ones
    if len({round(r[0] / r[1], 6) for r in rows}) >= 2:
        inv_bw, latency = _least_squares(rows, targets)
        bandwidth, latency = 1.0 / max(inv_bw, 1e-12), max(latency, 0.0)
    else:
        bandwidth, latency = 1e9, 1e-4
    calibration = Calibration(
        flops, overhead, contention, sorted(opt_rates)[len(opt_rates) // 2], bandwidth, latency, 0.0, cores, len(runs)
    )
    # stragglers: what data-parallel runs wait for beyond the modelled step, as jitter·√(2 ln R)·compute
    excess = []
    for run in runs:
        if run["replicas"] > 1:
            pred = predict_run(run, calibration)
            waited = run["step_s"] - pred.step_s
            excess.append(waited / (math.sqrt(2 * math.log(run["replicas"])) * pred.compute_s))
    if excess:
        calibration.jitter = max(0.0, sorted(excess)[len(excess) // 2])
    return calibration


def predict_run(run: dict, calibration: Calibration) -> Prediction:
    """The calibrated model's prediction for the configuration of one measured run."""
    workload, _ = _run_workload(run)
    hw = calibration.hardware()
    per_replica = run["global_batch"] // run["replicas"]
    # threads per rank count as busy cores: 1 process × 2 threads uses both
    hw = replace(hw, cores=max(1, calibration.cores // max(1, run["threads_per_rank"])))
    return predict(
        workload,
        hw,
        run["mode"],
        run["world_size"],
        per_replica,
        stages=run["stages"],
        microbatches=run["microbatches"],
        baseline=False,
    )


def compare(runs: list[dict], calibration: Calibration | None = None) -> list[dict]:
    """Predicted vs measured step time per run, with the relative error."""
    calibration = calibration or calibrate(runs)
    table = []
    for run in runs:
        pred = predict_run(run, calibration)
        table.append(
            {
                "mode": run["mode"],
                "scaling": run["scaling"],
                "world_size": run["world_size"],
                "microbatches": run["microbatches"],
                "measured_s": run["step_s"],
                "predicted_s": pred.step_s,
                "error": pred.step_s / run["step_s"] - 1.0,
            }
        )
    return table


# ---------------------------------------------------------------- published setups


def horovod_check(jitter: float = 0.03) -> list[dict]:
    """Sergeev & Del Balso 2018 (arXiv:1802.05799), Fig. 6: 512 Pascal GPUs (128 servers × 4), 25 Gbit/s RoCE.

    Published scaling efficiency: Inception V3 and ResNet-101 ≈ 90 %, VGG-16 ≈ 68 %.
    Inputs: one P100's images/s at batch 64 from TensorFlow's benchmark page (docs_src/performance/
    benchmarks.md, DGX-1, synthetic data, May 2017): Inception V3 142, VGG-16 154; ResNet-101 is not
    listed: 129, interpolated by FLOPs (7.8 G) between ResNet-50 (219, 4.1 G) and ResNet-152 (91.8,
    11.5 G). Parameters: Keras applications (23.9 M, 44.7 M, 138.4 M). 64 MB fusion buffers
    (Horovod's default), 10 µs per ring hop, gradients all-reduced during backward (``overlap`` = 1);
    ``jitter`` = per-GPU step-time spread: an assumption, not from the paper (0 gives the
    no-straggler bound).
    """
    link = LINKS["Ethernet 25 Gbit/s"]
    models = (
        ("Inception V3", 23.9e6, 142.0, 0.90),
        ("ResNet-101", 44.7e6, 129.0, 0.90),
        ("VGG-16", 138.4e6, 154.0, 0.68),
    )
    rows = []
    for name, params, images_per_s, published in models:
        batch = 64
        # express the measured single-GPU speed as a device that runs one image's FLOPs in 1/images_per_s
        device = Device(f"P100 ({name})", images_per_s, 16 * GiB, efficiency=1.0, optimizer_s_per_param=0.0)
        workload = Workload(name, params, 1.0, 0.0, 0.0, layers=1)
        hw = Hardware(device, link, overlap=1.0, jitter=jitter)
        pred = predict(workload, hw, "ddp", 512, batch)
        rows.append(
            {
                "setup": f"Horovod, {name}, 512 GPUs, 25 Gbit/s",
                "published": published,
                "predicted": pred.efficiency,
                "error_points": 100 * (pred.efficiency - published),
                "inputs": {"params": params, "images_per_s_one_gpu": images_per_s, "batch_per_gpu": batch},
            }
        )
    return rows


def sutskever_check(overlap_softmax: bool = False) -> dict:
    """Sutskever, Vinyals & Le 2014 (arXiv:1409.3215) §3.5: 8 GPUs, 3.7× a single GPU (6,300 vs 1,700 words/s).

    Setup from the paper: 4-layer LSTMs of 1,000 cells, 1,000-dim embeddings, output vocabulary
    80,000, minibatch 128; one LSTM layer per GPU (4 GPUs, activations passed on as soon as they
    are computed), the softmax split over the other 4 GPUs (1000 × 20000 each). Sentence lengths:
    304 M English / 348 M French words over 12 M sentences (§3.1) → 25 source, 29 target tokens.
    Model: the layer GPUs form a 4-stage pipeline whose micro-batches are time steps (the LSTM
    wavefront), then the softmax runs split 4 ways; time ∝ FLOPs on every GPU. With
    ``overlap_softmax`` the softmax GPUs work concurrently with the LSTM wavefront instead.
    Device speed is fitted to the single-GPU 1,700 words/s; links: PCIe 3.0 (≈ 6 GB/s, 10 µs).
    """
    h, vocab, batch, layers = 1000, 80_000, 128, 4
    src, tgt = 25, 29
    layer_flops = 2 * 4 * 2 * h * h  # one LSTM layer, one token, forward
    softmax_flops = 2 * h * vocab  # one target token, forward
    single = layer_flops * layers * (src + tgt) + softmax_flops * tgt  # forward FLOPs per sentence
    words_per_s_single = 1700.0
    sentences_per_s = words_per_s_single / (src + tgt)
    flops = 3 * single * sentences_per_s  # fitted FLOP/s of one GPU (forward + backward)
    link = Link("PCIe 3.0 x16 (2014)", 6e9, 10e-6)
    # layer GPUs: each runs its layer for src + tgt steps, plus the pipeline's (p − 1)-step fill and drain
    step = 3 * batch * layer_flops / flops  # one layer, one time step, forward + backward
    hop = 2 * p2p_s(4 * batch * h, link)  # activation forward, gradient back
    lstm = (src + tgt + layers - 1) * (step + hop)
    softmax = 3 * batch * softmax_flops * tgt / 4 / flops + tgt * 2 * p2p_s(4 * batch * h, link)
    eight = max(lstm, softmax) if overlap_softmax else lstm + softmax
    one = 3 * batch * single / flops
    speedup = one / eight
    return {
        "setup": "Sutskever et al. 2014, 4-layer LSTM, 8 GPUs (4 layer + 4 softmax)"
        + (", softmax overlapped" if overlap_softmax else ""),
        "published": 3.7,
        "predicted": speedup,
        "error_points": 100 * (speedup - 3.7) / 8,  # as efficiency points on 8 GPUs
        "inputs": {"hidden": h, "vocab_out": vocab, "batch": batch, "src_tokens": src, "tgt_tokens": tgt},
    }


def published_checks(jitter: float = 0.03) -> list[dict]:
    return [*horovod_check(jitter), sutskever_check()]
