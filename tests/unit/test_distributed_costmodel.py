"""The cost model: pure arithmetic, checked against hand-computed values and its own calibration."""

import math
from dataclasses import replace

import pytest

from core.distributed import costmodel as cm
from core.distributed.model import DeepRNNConfig, parameter_count, train_flops_per_token
from core.errors import UserError

LINK = cm.Link("test", bandwidth=1e9, latency=1e-5)
DEVICE = cm.Device("test", peak_flops=1e12, memory=16 * cm.GiB, efficiency=1.0, optimizer_s_per_param=0.0)
WORK = cm.Workload(
    "w", params=1e6, flops_per_sample=1e9, activation_bytes_per_sample=1e6, boundary_bytes_per_sample=0, layers=8
)


def test_ring_allreduce_formula():
    # 2(N−1)/N · bytes / bw + 2(N−1) · latency
    assert cm.ring_allreduce_s(4e6, 4, LINK) == pytest.approx(2 * 3 / 4 * 4e6 / 1e9 + 2 * 3 * 1e-5)
    assert cm.ring_allreduce_s(4e6, 1, LINK) == 0.0
    # fused buffers pay the latency once each
    assert cm.ring_allreduce_s(4e6, 2, LINK, fusion_bytes=1e6) == pytest.approx(4e6 / 1e9 + 2 * 1e-5 * 4)


def test_data_parallel_without_communication_cost_scales_perfectly():
    free = cm.Hardware(DEVICE, cm.Link("free", 1e30, 0.0))
    for n in (8, 64, 1024):
        pr = cm.predict(WORK, free, "ddp", n, batch=32)
        assert pr.efficiency == pytest.approx(1.0)
        assert pr.samples_per_s == pytest.approx(n * 32 / (32 * 1e9 / 1e12))


def test_exposed_allreduce_is_what_backward_cannot_hide():
    slow = cm.Hardware(DEVICE, cm.Link("slow", 1e8, 0.0), overlap=1.0)
    pr = cm.predict(WORK, slow, "ddp", 2, batch=1)  # compute 1 ms, backward 0.67 ms
    allreduce = 4e6 / 1e8  # 2(N−1)/N = 1 at N = 2
    assert pr.allreduce_s == pytest.approx(allreduce)
    assert pr.exposed_comm_s == pytest.approx(allreduce - 2 / 3 * 1e-3)
    no_overlap = cm.predict(WORK, replace(slow, overlap=0.0), "ddp", 2, batch=1)
    assert no_overlap.exposed_comm_s == pytest.approx(allreduce)
    assert "communication ≥ compute" in pr.limits


def test_pipeline_bubble_matches_textbook_when_links_are_free():
    free = cm.Hardware(DEVICE, cm.Link("free", 1e30, 0.0))
    for p, m in ((2, 1), (4, 4), (8, 16)):
        pr = cm.predict(WORK, free, "pipeline", p, batch=64, microbatches=m)
        assert pr.bubble_fraction == pytest.approx((p - 1) / (m + p - 1))
        assert pr.efficiency == pytest.approx(m / (m + p - 1))


def test_pipeline_cannot_have_more_stages_than_layers():
    with pytest.raises(UserError, match="need 16 layers"):
        cm.predict(WORK, cm.Hardware(DEVICE, LINK), "pipeline", 16, batch=8)
    rows = cm.sweep(WORK, cm.Hardware(DEVICE, LINK), "pipeline", [2, 4, 8, 16, 32], batch=8)
    assert [r.devices for r in rows] == [2, 4, 8]


def test_memory_per_device_and_the_limit():
    pr = cm.predict(WORK, cm.Hardware(DEVICE, LINK), "ddp", 8, batch=32)
    assert pr.memory_per_device == pytest.approx(16 * 1e6 + 32 * 1e6)
    tiny = replace(DEVICE, memory=1e6)
    pr = cm.predict(WORK, cm.Hardware(tiny, LINK), "hybrid", 8, batch=32, stages=4)
    assert not pr.fits and any("memory does not fit" in reason for reason in pr.limits)
    # splitting the layers over more stages divides weights and activations
    assert pr.memory_per_device == pytest.approx((16 * 1e6 + 32 * 1e6) / 4)


def test_stops_paying_reports_first_device_count():
    slow = cm.Hardware(DEVICE, cm.Link("slow", 1e7, 1e-4))
    rows = cm.sweep(WORK, slow, "ddp", [8, 16, 64], batch=1)
    first = cm.stops_paying(rows)
    assert first["communication ≥ compute"] == 8
    assert first["memory does not fit"] is None


def test_straggler_grows_with_replicas():
    hw = cm.Hardware(DEVICE, cm.Link("free", 1e30, 0.0), jitter=0.05)
    small, large = (cm.predict(WORK, hw, "ddp", n, batch=8) for n in (8, 512))
    assert large.straggler_s == pytest.approx(0.05 * math.sqrt(2 * math.log(512)) * large.compute_s)
    assert large.efficiency < small.efficiency < 1.0


def test_rnn_workload_matches_the_model_arithmetic():
    config = DeepRNNConfig(layers=4, hidden_size=64, vocab_size=32)
    w = cm.rnn_workload(config, seq_len=10)
    assert w.params == parameter_count(config)
    assert w.flops_per_sample == pytest.approx(10 * train_flops_per_token(config))
    assert w.boundary_bytes_per_sample == 4 * 64 * 10 and w.layers == 4


def _fake_run(mode, world, stages, micro, step_s, compute_s, probe=()):
    return {
        "mode": mode,
        "scaling": "weak",
        "world_size": world,
        "stages": stages,
        "replicas": world // stages,
        "microbatches": micro,
        "global_batch": 8 * (world // stages),
        "seq_len": 16,
        "threads_per_rank": 1,
        "step_s": step_s,
        "phases": {"forward": compute_s / 3, "backward": 2 * compute_s / 3, "optimiser": 0.001},
        "probe": list(probe),
        "machine": {"cores": 8},
        "spec": {"model": {"cell": "lstm", "vocab_size": 32, "hidden_size": 64, "layers": 4}},
    }


def test_calibration_recovers_a_known_link_and_rate():
    bw, lat = 2e9, 50e-6
    probe = [{"bytes": b, "seconds": 2 * (1 / 2) * b / bw + 2 * lat} for b in (4096, 262144, 4194304)]
    flops_per_rank = 8 * cm.rnn_workload(DeepRNNConfig(layers=4, hidden_size=64, vocab_size=32), 16).flops_per_sample
    rate = 10e9
    runs = [
        _fake_run("ddp", 1, 1, 1, flops_per_rank / rate + 0.001, flops_per_rank / rate),
        _fake_run("ddp", 2, 1, 1, flops_per_rank / rate + 0.002, flops_per_rank / rate, probe),
    ]
    calibration = cm.calibrate(runs)
    assert calibration.bandwidth == pytest.approx(bw, rel=1e-6)
    assert calibration.latency == pytest.approx(lat, rel=1e-6)
    assert calibration.flops == pytest.approx(rate, rel=1e-6)
    for row in cm.compare(runs, calibration):
        assert abs(row["error"]) < 0.05


def test_calibration_needs_runs():
    with pytest.raises(UserError, match="at least one measured run"):
        cm.calibrate([])


@pytest.mark.parametrize("row", cm.published_checks(), ids=lambda r: r["setup"])
def test_published_setups_land_within_ten_points(row):
    assert abs(row["error_points"]) <= 10


def test_without_straggler_jitter_horovod_is_optimistic():
    rows = cm.horovod_check(jitter=0.0)
    assert [round(r["predicted"], 2) for r in rows][:2] == [1.0, 1.0]
    assert rows[2]["predicted"] < 0.8  # VGG-16's 138 M parameters stay communication-bound


def test_unknown_strategy_is_refused():
    with pytest.raises(UserError, match="strategy must be one of"):
        cm.predict(WORK, cm.Hardware(DEVICE, LINK), "tensor", 8, 8)


def test_one_name_per_mode_shared_with_real_runs():
    from core.distributed.worker import MODES

    assert cm.STRATEGIES == MODES


def test_a_global_batch_below_the_replicas_is_raised_and_said():
    hw = cm.Hardware(DEVICE, LINK)
    pr = cm.predict(WORK, hw, "ddp", 8, batch=4, scaling="strong")
    assert pr.global_batch == 8  # one sample per replica, not the 4 asked for
    assert pr.notes == [
        "the global batch 4 is smaller than the 8 replicas: raised to one sample per replica (8 samples per step)"
    ]
    uneven = cm.predict(WORK, hw, "ddp", 8, batch=12, scaling="strong")
    assert uneven.global_batch == 8 and "does not split evenly over 8 replicas: 1 per replica" in uneven.notes[0]
    assert cm.predict(WORK, hw, "ddp", 8, batch=16, scaling="strong").notes == []
    assert cm.predict(WORK, hw, "ddp", 8, batch=4).notes == []  # weak scaling: 4 per replica, as asked


def test_sweep_notes_name_the_first_device_count():
    hw = cm.Hardware(DEVICE, LINK)
    sweeps = cm.strategy_sweeps(WORK, hw, batch=16, stages=2, microbatches=1, scaling="strong")
    notes = cm.sweep_notes(sweeps)
    assert notes[0].startswith("ddp from 32 devices: the global batch 16 is smaller than the 32 replicas")
    table = cm.stops_table(sweeps, layers=WORK.layers)
    assert [row["strategy"] for row in table] == ["ddp", "pipeline", "hybrid"]


def test_micro_batches_above_the_replica_batch_are_cut_and_said():
    pr = cm.predict(WORK, cm.Hardware(DEVICE, LINK), "pipeline", 2, batch=2, microbatches=8)
    assert pr.microbatches == 2
    assert pr.notes == ["8 micro-batches asked, a replica has 2 samples: cut to 2 (one sample each)"]
