"""What the Multi-GPU page shows of measured runs: run ids, baselines, the timeline split, figure layouts, timing."""

import time

import pytest
import torch

from core.distributed import costmodel as cm
from core.distributed import results, runner, worker
from core.distributed.model import DeepRNNConfig
from core.distributed.worker import RunSpec
from core.plots import distributed as plots

EXAMPLE = runner.load_example_runs()


def _run(world: int, **changes) -> dict:
    base = next(r for r in EXAMPLE if r["mode"] == "ddp" and r["world_size"] == world and r["scaling"] == "weak")
    return {**base, **changes}


# ---------------------------------------------------------------- ids, sweeps, baselines


def test_run_ids_do_not_depend_on_the_list():
    one, two = _run(1), _run(2)
    assert results.run_id(two) == results.run_id(dict(two))
    assert results.run_id(one) != results.run_id(two)
    assert results.run_id({**two, "id": "abc"}) == "abc"
    assert results.timeline_choice([one, two]) == results.run_id(two)  # the first run with communication


def test_a_lone_multi_process_run_asks_for_its_baseline():
    host = "here"
    lone = _run(2, machine={**EXAMPLE[0]["machine"], "host": host})
    runner.add_efficiency([lone])
    assert lone["efficiency"] is None
    assert results.table_rows([lone])[0]["efficiency"] == "needs a 1-process run"
    (spec,) = results.missing_baselines([lone], host)
    assert (spec.mode, spec.world_size, spec.global_batch) == ("ddp", 1, lone["global_batch"] // 2)
    assert results.missing_baselines([lone], "elsewhere") == []  # a baseline must come from the same machine


def test_strong_scaling_baseline_keeps_the_global_batch():
    run = _run(2, scaling="strong", global_batch=32, machine={"host": "h"})
    run["spec"] = {**run["spec"], "scaling": "strong", "batch_size": 32}
    (spec,) = results.missing_baselines([{**run, "efficiency": None}], "h")
    assert spec.global_batch == 32 and spec.world_size == 1


def test_old_stored_specs_still_load():
    stored = {**RunSpec(model=DeepRNNConfig(layers=2)).to_dict(), "crash_rank": -1}
    assert RunSpec.from_dict(stored) == RunSpec(model=DeepRNNConfig(layers=2))
    assert not hasattr(RunSpec(), "crash_rank")  # fault injection lives in the tests (worker.CRASH_ENV)


# ---------------------------------------------------------------- timeline: waiting vs transfer


def test_all_reduce_is_split_into_waiting_for_the_peer_and_transfer():
    fast = [("backward", 0.0, 1.0, ""), ("all-reduce", 0.5, 2.0, "b0"), ("all-reduce", 1.0, 2.5, "b1")]
    slow = [("backward", 0.0, 1.8, ""), ("all-reduce", 1.5, 2.0, "b0"), ("all-reduce", 1.8, 2.5, "b1")]
    split_fast, split_slow = results.split_peer_wait([fast, slow])
    assert split_fast == [
        ("backward", 0.0, 1.0, ""),
        (results.PEER_WAIT, 0.5, 1.5, ""),
        ("all-reduce", 1.5, 2.0, "b0"),
        (results.PEER_WAIT, 1.0, 1.8, ""),
        ("all-reduce", 1.8, 2.5, "b1"),
    ]
    assert split_slow == slow  # the last to launch waits for nobody
    assert results.split_peer_wait([split_fast, split_slow]) == [split_fast, split_slow]  # idempotent


def test_timeline_draws_the_wait_on_the_comm_lane():
    fig = plots.timeline_figure(_run(2))
    (waits,) = [t for t in fig.data if t.name == results.PEER_WAIT]  # in the shipped run rank 1 launches first
    assert set(waits.y) == {"rank 1 · comm"} and min(waits.x) > 0
    comm = next(t for t in fig.data if t.name == "all-reduce")
    assert all(lane.endswith("· comm") for lane in comm.y)


# ---------------------------------------------------------------- figure layout


@pytest.mark.parametrize("builder", ["timeline", "throughput", "breakdown"])
def test_legends_sit_below_the_axis_labels_not_on_them(builder):
    runs = [_run(1), _run(2)]
    fig = plots.timeline_figure(runs[1]) if builder == "timeline" else getattr(plots, f"{builder}_figure")(runs)
    legend = fig.layout.legend
    # anchored to the bottom of the whole figure, with a margin that holds the tick labels and the legend
    assert legend.yref == "container" and legend.y == 0 and legend.yanchor == "bottom"
    assert fig.layout.margin.b >= 45 + plots.LEGEND_ROW_PX


def test_cost_model_limits_are_markers_named_in_the_legend_not_text_on_the_plot():
    tiny_memory = cm.Hardware(cm.Device("small", 1e12, 1 * cm.GiB), cm.LINKS["Ethernet 10 Gbit/s (TCP)"])
    workload = cm.rnn_workload(DeepRNNConfig(hidden_size=8192, layers=64, vocab_size=32_000), 1024)
    sweeps = cm.strategy_sweeps(workload, tiny_memory, batch=1, stages=16, microbatches=1)
    fig = plots.scaling_prediction_figure(sweeps, "t")
    assert not [t for t in fig.data if "text" in (t.mode or "")]  # no words to clip at the plot's edge
    assert not fig.layout.annotations
    named = [t.name for t in fig.data if t.showlegend is not False and t.name in plots.LIMIT_SYMBOLS]
    assert "memory does not fit" in named and len(named) == len(set(named))  # each limit named once


# ---------------------------------------------------------------- timestamps on CUDA


class _FakeEvent:
    recorded = 0

    def __init__(self, enable_timing=False):
        assert enable_timing
        self.at = None

    def record(self):
        _FakeEvent.recorded += 1
        self.at = time.perf_counter()

    def elapsed_time(self, other) -> float:
        return 1e3 * (other.at - self.at)  # milliseconds, as CUDA reports them


def test_cuda_clock_synchronises_and_uses_events(monkeypatch):
    synced = []
    monkeypatch.setattr(torch.cuda, "synchronize", lambda *a: synced.append(1))
    monkeypatch.setattr(torch.cuda, "Event", _FakeEvent)
    clock = worker._Clock(torch.device("cuda", 0))
    start = clock.start()
    assert synced  # a phase boundary waits for the device before reading host time
    mark = clock.mark()
    assert isinstance(mark, _FakeEvent)  # inside backward: an event, not a host timestamp
    hook = worker._TimedAllReduce(clock)
    hook.marks.append((mark, clock.mark(), 64))
    ((launched, completed, nbytes),) = hook.buckets()
    assert start <= launched <= completed <= time.perf_counter() and nbytes == 64 and not hook.marks


def test_cpu_clock_reads_host_time_without_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "synchronize", lambda *a: pytest.fail("no synchronise on CPU"))
    clock = worker._Clock(torch.device("cpu"))
    before = clock.start()
    mark = clock.mark()
    assert isinstance(mark, float) and clock.seconds(mark) == mark >= before
