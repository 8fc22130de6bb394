"""Deep RNN stages, run settings, the results store, and real multi-process runs on gloo (tiny model)."""

import json
import os
import socket
import subprocess
import sys
import threading
import time

import psutil
import pytest
import torch

from core.cli import main
from core.distributed import runner, worker
from core.distributed.model import DeepRNNConfig, SyntheticCorpus, build_stages, parameter_count, split_layers
from core.distributed.worker import RunSpec
from core.errors import UserError

TINY = DeepRNNConfig(vocab_size=16, hidden_size=16, layers=2)


def tiny_spec(**changes) -> RunSpec:
    values = dict(world_size=2, batch_size=4, seq_len=8, steps=2, warmup=1, model=TINY, timeout_s=30)
    values.update(changes)
    return RunSpec(**values)


def no_children_left():
    """Rank processes of this test process still alive (other children, e.g. a test server, don't count)."""
    left = []
    for child in psutil.Process().children(recursive=True):
        try:
            if "core.distributed.worker" in " ".join(child.cmdline()) and child.status() != psutil.STATUS_ZOMBIE:
                left.append(child)
        except psutil.NoSuchProcess:
            continue
    return left


# ---------------------------------------------------------------- model


def test_split_layers_is_contiguous_and_even():
    assert split_layers(5, 2) == [range(0, 3), range(3, 5)]
    assert split_layers(4, 4) == [range(i, i + 1) for i in range(4)]
    with pytest.raises(UserError, match="3 pipeline stages need at least 3 layers"):
        split_layers(2, 3)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_stages_compose_to_the_single_process_model(cell):
    config = DeepRNNConfig(cell=cell, vocab_size=16, hidden_size=16, layers=3)
    (whole,) = build_stages(config, 1, seed=3)
    parts = build_stages(config, 2, seed=3)
    assert sum(p.numel() for p in whole.parameters()) == parameter_count(config)
    assert sum(p.numel() for s in parts for p in s.parameters()) == parameter_count(config)
    tokens = torch.randint(16, (2, 5))
    with torch.no_grad():
        expected = whole(tokens)  # (B, T, V)
        hidden = parts[0](tokens)  # (B, T, H)
        assert hidden.shape == (2, 5, 16)
        torch.testing.assert_close(parts[1](hidden), expected)


def test_corpus_windows_are_next_token_pairs_and_seeded():
    corpus = SyntheticCorpus(16, tokens=2000)
    x, y = corpus.batch(3, 7, replica=0, step=5)
    assert x.shape == y.shape == (3, 7)
    assert torch.equal(x[:, 1:], y[:, :-1])
    assert torch.equal(corpus.batch(3, 7, 0, 5)[0], x)
    assert not torch.equal(corpus.batch(3, 7, 1, 5)[0], x)  # another replica, other data


# ---------------------------------------------------------------- settings


@pytest.mark.parametrize(
    "changes, message",
    [
        (dict(mode="tensor"), "mode must be one of"),
        (dict(mode="hybrid", world_size=2), "hybrid needs world size = replicas × stages"),
        (dict(mode="pipeline", world_size=4), "4 pipeline stages need at least 4 layers"),
        (dict(scaling="strong", batch_size=5), "strong scaling splits the global batch 5 over 2 replicas"),
        (dict(mode="pipeline", microbatches=3), "3 micro-batches must divide the per-replica batch 4"),
        (dict(microbatches=2), "micro-batches apply to pipeline and hybrid runs"),
        (dict(world_size=0), "world_size must be an integer in 1…64"),
        (dict(model=DeepRNNConfig(hidden_size=16_384, layers=64)), "above the 200 M limit"),
    ],
)
def test_bad_settings_are_refused(changes, message):
    with pytest.raises(UserError, match=message):
        tiny_spec(**changes).validate()


def test_sweep_uses_one_process_as_the_baseline():
    specs = runner.sweep_specs(tiny_spec(mode="pipeline"), [1, 2], [1, 2])
    assert [(s.mode, s.world_size, s.microbatches) for s in specs] == [
        ("ddp", 1, 1),
        ("pipeline", 2, 1),
        ("pipeline", 2, 2),
    ]
    with pytest.raises(UserError, match="pick at least one world size"):
        runner.sweep_specs(tiny_spec(), [], [1])


def test_runs_that_cannot_fit_are_refused_with_the_estimate():
    huge = tiny_spec(batch_size=65_536, seq_len=4_096, model=DeepRNNConfig(hidden_size=1024, layers=8))
    with pytest.raises(UserError, match=r"needs ~\d+\.\d GiB of RAM"):
        runner.check_fits(huge)


def test_port_in_use_is_refused():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(UserError, match=f"port {port} is already in use"):
            runner.launch(tiny_spec(), port=port)


def test_oversubscription_warning(monkeypatch):
    monkeypatch.setattr(runner, "cores_available", lambda: 2)
    assert runner.oversubscription_warning(tiny_spec(world_size=2)) is None
    assert "4 processes on 2 CPU cores" in runner.oversubscription_warning(tiny_spec(world_size=4))
    assert "2 processes × 2 threads" in runner.oversubscription_warning(tiny_spec(world_size=2, threads=2))


# ---------------------------------------------------------------- store


def test_store_round_trip_skips_broken_lines(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNPLAY_DATA_DIR", str(tmp_path))
    run = {"step_s": 0.1, "mode": "ddp"}
    runner.save_run(run)
    with open(runner.store_path(), "a") as out:
        out.write('{"step_s": 0.2, "mode": "dd')  # a write cut off by a crash
    assert runner.load_runs() == [run]
    assert runner.store_path() == tmp_path / "dist_runs.jsonl"


def test_shipped_example_has_every_strategy():
    runs = runner.load_example_runs()
    assert {r["mode"] for r in runs} >= {"ddp", "pipeline", "hybrid"}
    assert all(r["machine"]["cores"] and r["finished"] for r in runs)


def test_efficiency_against_the_matching_one_process_run():
    base = {"world_size": 1, "global_batch": 8, "replicas": 1, "scaling": "weak", "seq_len": 4, "samples_per_s": 100.0}
    base["spec"] = {"model": {"layers": 2}}
    weak = {**base, "world_size": 2, "global_batch": 16, "replicas": 2, "samples_per_s": 150.0}
    strong = {**base, "world_size": 2, "global_batch": 8, "replicas": 2, "scaling": "strong", "samples_per_s": 120.0}
    runner.add_efficiency([base, weak, strong])
    assert weak["efficiency"] == pytest.approx(0.75) and strong["efficiency"] == pytest.approx(0.6)


# ---------------------------------------------------------------- real processes (gloo)


def test_two_process_ddp_run_measures_every_phase():
    steps = []

    class Recorder(runner.Callback):
        def on_step(self, progress):
            steps.append(progress.step)

    result = runner.launch(tiny_spec(mode="ddp"), Recorder())
    assert result["world_size"] == 2 and result["backend"] == "gloo"
    assert {"forward", "backward", "all-reduce (exposed)", "optimiser"} <= set(result["phases"])
    assert result["allreduce_bytes"] == 4 * parameter_count(TINY)  # every fp32 gradient, once per step
    assert result["samples_per_s"] == pytest.approx(2 * 4 / result["step_s"])
    assert result["probe"] and all(p["seconds"] > 0 for p in result["probe"])
    kinds = {e[0] for rank in result["ranks"] for e in rank["events"]}
    assert {"forward", "backward", "all-reduce"} <= kinds
    assert steps and max(steps) == 3
    assert "2 CPU processes × 1 thread" in result["device"]
    assert not no_children_left()


def test_two_stage_pipeline_with_microbatches():
    result = runner.launch(tiny_spec(mode="pipeline", microbatches=2))
    assert result["stages"] == 2 and result["bubble_textbook"] == pytest.approx(1 / 3)
    labels = [[e[3] for e in rank["events"] if e[0] in ("forward", "backward")] for rank in result["ranks"]]
    assert labels[0] == ["F0", "F1", "B1", "B0"] and labels[1] == ["F0", "F1", "B1", "B0"]
    assert 0 < result["idle_fraction"] < 1
    assert result["loss_last"] is not None
    assert not no_children_left()


def test_a_crashing_rank_fails_cleanly_with_its_log(monkeypatch):
    monkeypatch.setenv(worker.CRASH_ENV, "1")  # the ranks inherit the launcher's environment
    with pytest.raises(runner.RunFailed, match="rank 1 of 2 exited") as failure:
        runner.launch(tiny_spec(warmup=0))
    assert "injected crash on rank 1" in failure.value.log
    assert not no_children_left()  # rank 0 was blocked in a collective: it must have been killed


def test_cancel_kills_every_rank():
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(runner.RunCancelled):
        runner.launch(tiny_spec(), cancel=cancel)
    assert not no_children_left()


def test_progress_is_reported_while_the_ranks_start():
    # ui.jobs' watchdog runs at each report: a run abandoned during start-up must be cancellable too
    cancel, seen = threading.Event(), []

    class CancelAtFirstReport(runner.Callback):
        def on_step(self, progress):
            seen.append(progress.step)
            cancel.set()

    with pytest.raises(runner.RunCancelled):
        runner.launch(tiny_spec(), CancelAtFirstReport(), cancel)
    assert seen == [0]  # reported before any rank had done a step (importing torch alone takes longer)
    assert not no_children_left()


# ---------------------------------------------------------------- CLI


def test_cli_dry_run_json(capsys):
    assert main(["dist", "train", "--dry-run", "--json", "--world-size", "2", "--layers", "2", "--hidden", "16"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["spec"]["world_size"] == 2 and plan["memory_per_process_bytes"] > 0


def test_cli_predict_with_published_checks(capsys):
    assert main(["dist", "predict", "--devices", "8,1024", "--json", "--published"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {r.get("strategy") for r in rows} >= {"ddp", "pipeline", "hybrid"}
    assert sum("published" in r for r in rows) == 4


def test_cli_predict_says_when_it_raises_the_global_batch(capsys):
    assert main(["dist", "predict", "--devices", "8", "--batch-size", "4", "--scaling", "strong", "--json"]) == 0
    ddp = next(json.loads(line) for line in capsys.readouterr().out.splitlines() if '"ddp"' in line)
    assert ddp["notes"] == [
        "the global batch 4 is smaller than the 8 replicas: raised to one sample per replica (8 samples per step)"
    ]


@pytest.mark.parametrize(
    "args, message",
    [
        (["bench", "--world-sizes", "0"], "expected positive integers"),
        (["bench", "--mode", "hybrid", "--world-sizes", "2"], "hybrid needs world size"),
        (["train", "--world-size", "2", "--scaling", "strong", "--batch-size", "15"], "strong scaling splits"),
        (["train", "--batch-size", "65536", "--seq-len", "4096", "--hidden", "1024", "--dry-run"], "GiB of RAM"),
        (["predict", "--device", "TPU"], "unknown device 'TPU'"),
        (["train", "--mode", "pipeline", "--world-size", "8"], "8 pipeline stages need at least 8 layers"),
    ],
)
def test_cli_bad_input_is_one_line_exit_2(args, message, capsys):
    try:
        code = main(["dist", *args])
    except SystemExit as exit_:  # argparse's own errors
        code = exit_.code
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert message in err and "Traceback" not in err


def test_ranks_exit_when_the_launcher_is_killed(tmp_path):
    script = tmp_path / "launch.py"
    script.write_text(
        "from core.distributed.runner import launch\n"
        "from core.distributed.worker import RunSpec\n"
        "from core.distributed.model import DeepRNNConfig\n"
        "launch(RunSpec(world_size=2, steps=10_000, model=DeepRNNConfig(hidden_size=8, layers=2)))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(runner.ROOT)}
    launcher = subprocess.Popen([sys.executable, str(script)], cwd=runner.ROOT, env=env)
    try:
        ranks = []
        for _ in range(600):  # importing torch takes seconds on a loaded machine
            ranks = psutil.Process(launcher.pid).children()
            if len(ranks) == 2:
                break
            time.sleep(0.05)
        assert len(ranks) == 2
    finally:
        launcher.kill()  # SIGKILL: no cleanup code runs in the launcher
        launcher.wait()
    gone, alive = psutil.wait_procs(ranks, timeout=30)
    for process in alive:
        process.kill()
    assert not alive, "ranks outlived their launcher"
