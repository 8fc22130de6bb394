"""Chrome trace export of measured runs (Perfetto / chrome://tracing), from core and the CLI."""

import json

import pytest

from core.distributed import runner, trace
from core.errors import UserError
from tests.helpers.cli import run_cli

EXAMPLES = runner.load_example_runs()


def _complete(events: list[dict]) -> list[dict]:
    return [e for e in events if e["ph"] == "X"]


@pytest.mark.parametrize("run", EXAMPLES, ids=lambda r: f"{r['mode']}x{r['world_size']}-m{r['microbatches']}")
def test_one_process_per_rank_and_no_overlap_within_a_lane(run):
    loaded = json.loads(trace.chrome_trace([run]))  # valid JSON
    events = loaded["traceEvents"]
    processes = {e["pid"]: e["args"]["name"] for e in events if e["name"] == "process_name"}
    assert sorted(processes) == [rank["rank"] for rank in run["ranks"]]
    assert all(name.startswith(f"rank {pid}") for pid, name in processes.items())
    lanes = {(e["pid"], e["tid"]): e["args"]["name"] for e in events if e["name"] == "thread_name"}
    assert {name.split(" (")[0] for name in lanes.values()} <= set(trace.LANES)
    by_lane: dict = {}
    for e in _complete(events):
        assert (e["pid"], e["tid"]) in lanes and e["dur"] >= 0
        by_lane.setdefault((e["pid"], e["tid"]), []).append(e)
    for lane, timeline in by_lane.items():
        timeline.sort(key=lambda e: e["ts"])
        for before, after in zip(timeline, timeline[1:]):
            assert before["ts"] + before["dur"] <= after["ts"] + 0.1, (lane, before, after)  # 0.1 µs: rounding


def test_times_are_microseconds_and_every_event_is_kept():
    run = next(r for r in EXAMPLES if r["mode"] == "ddp" and r["world_size"] == 2)
    events = _complete(trace.trace_events([run]))
    forward = next(e for e in run["ranks"][0]["events"] if e[0] == "forward")
    exported = next(e for e in events if e["pid"] == 0 and e["name"] == "forward")
    assert exported["ts"] == pytest.approx(forward[1] * 1e6, abs=0.1)
    assert exported["dur"] == pytest.approx((forward[2] - forward[1]) * 1e6, abs=0.2)
    assert exported["tid"] == trace.LANES.index("compute")
    transfers = [e for e in events if e["name"] == "all-reduce"]
    assert len(transfers) == sum(1 for rank in run["ranks"] for e in rank["events"] if e[0] == "all-reduce")
    assert {e["cat"] for e in transfers} == {"communication"}


def test_several_runs_get_separate_processes():
    events = trace.trace_events(EXAMPLES[:3])
    names = [e["args"]["name"] for e in events if e["name"] == "process_name"]
    assert len(names) == len(set(names)) == sum(r["world_size"] for r in EXAMPLES[:3])


@pytest.mark.parametrize("runs", [[], [{"mode": "ddp", "error": "rank 1 exited"}], [{**EXAMPLES[0], "ranks": []}]])
def test_a_failed_run_has_nothing_to_export(runs):
    with pytest.raises(UserError, match="Nothing to export"):
        trace.chrome_trace(runs)


def test_cli_bench_writes_a_trace(tmp_path, monkeypatch):
    run = next(r for r in EXAMPLES if r["mode"] == "ddp" and r["world_size"] == 2)
    monkeypatch.setattr(runner, "launch", lambda spec, *a, **k: {**run, "world_size": spec.world_size})
    out = tmp_path / "run.json"
    result = run_cli("dist", "bench", "--world-sizes", "2", "--no-store", "--trace", str(out))
    assert result.returncode == 0, result.stderr
    assert "written to" in result.stderr
    assert {e["pid"] for e in json.loads(out.read_text())["traceEvents"]} == {0, 1}


def test_cli_bench_failed_run_writes_no_trace(tmp_path, monkeypatch):
    def crash(*args, **kwargs):
        raise runner.RunFailed("rank 1 of 2 exited with code 1", "injected crash")

    monkeypatch.setattr(runner, "launch", crash)
    out = tmp_path / "run.json"
    result = run_cli("dist", "bench", "--world-sizes", "2", "--no-store", "--trace", str(out))
    assert result.returncode == 2
    assert "nothing to export" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()
