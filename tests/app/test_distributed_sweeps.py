"""Multi-GPU page across sweeps: the timeline shows the run the selector names, a lone run offers its baseline."""

import platform
from datetime import UTC, datetime, timedelta

import pytest

from core.distributed import runner
from tests.helpers.apptest import charts, titles

PAGE = "pages/5_Multi_GPU.py"
EXAMPLE = runner.load_example_runs()


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNPLAY_DATA_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture
def fake_launch(monkeypatch):
    """runner.launch without processes: the shipped run of the same world size, measured on this host now."""
    clock = iter(datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=10 * i) for i in range(1000))
    launched = []

    def launch(spec, callback=None, cancel=None, **kwargs):
        match = next(
            r for r in EXAMPLE if r["mode"] == "ddp" and r["scaling"] == "weak" and r["world_size"] == spec.world_size
        )
        finished = next(clock).isoformat(timespec="seconds")
        launched.append(spec)
        return {
            **match,
            "spec": spec.to_dict(),
            "global_batch": spec.global_batch,
            "seq_len": spec.seq_len,
            "finished": finished,
            "sweep": kwargs.get("sweep") or finished,
            "machine": {**match["machine"], "host": platform.node()},
        }

    monkeypatch.setattr(runner, "launch", launch)
    return launched


def sweep(at, worlds: list[int]) -> None:
    at.multiselect(key="dist_worlds").set_value(worlds).run()
    at.button(key="dist_run").click().run()
    at.session_state["dist_job"].wait(10)
    at.run()  # the finished job selects its sweep
    at.run()


def timeline_title(at) -> str:
    return next(t for t in titles(at) if t.startswith("One step, per rank"))


def test_timeline_follows_the_selector_across_sweeps(open_page, fake_launch):
    at = open_page(PAGE)
    sweep(at, [2])
    sweep(at, [1, 2])
    chosen = at.selectbox(key="dist_gantt_run")
    assert len(chosen.options) == 2  # the new sweep's two runs
    shown = chosen.format_func(chosen.value)
    assert shown.startswith("ddp ×2 (weak)"), shown
    assert timeline_title(at).endswith("ddp ×2 (weak)")  # the old page drew "ddp ×1 (weak)" here
    gantt = next(c for c in charts(at) if c["layout"]["title"]["text"].startswith("One step"))
    lanes = {lane for trace in gantt["data"] for lane in trace["y"]}
    assert {"rank 0", "rank 1"} <= lanes
    assert not at.exception


def test_a_lone_two_process_run_offers_its_baseline(open_page, fake_launch):
    at = open_page(PAGE)
    sweep(at, [2])
    table = next(d.value for d in at.dataframe if "efficiency" in d.value.columns)
    assert list(table["efficiency"]) == ["needs a 1-process run"]
    assert any("no such 1-process run yet" in i.value for i in at.info)
    assert not any(t.startswith("Scaling efficiency") for t in titles(at))  # no empty chart
    at.button(key="dist_baseline").click().run()
    at.session_state["dist_job"].wait(10)
    at.run()
    at.run()
    assert [s.world_size for s in fake_launch] == [2, 1] and fake_launch[
        1
    ].batch_size == 16  # the page's batch per replica
    table = next(d.value for d in at.dataframe if "efficiency" in d.value.columns)
    assert len(table) == 2 and table["efficiency"].iloc[1].endswith("%")  # the baseline joined the sweep
    assert any(t.startswith("Scaling efficiency") for t in titles(at))
    assert not at.exception


def test_results_stay_when_an_unrelated_widget_changes(open_page, fake_launch):
    at = open_page(PAGE)
    sweep(at, [1, 2])
    chosen = at.selectbox(key="dist_sweep").value
    at.selectbox(key="dist_cm_link").set_value("PCIe 4.0 x16").run()
    at.number_input(key="dist_steps").set_value(3).run()
    assert at.selectbox(key="dist_sweep").value == chosen
    assert any("finished after" in s.value for s in at.success)
    assert timeline_title(at).endswith("ddp ×2 (weak)")


def test_cost_model_says_when_the_global_batch_is_raised(open_page):
    at = open_page(PAGE)
    at.radio(key="dist_cm_scaling").set_value("strong").run()
    at.select_slider(key="dist_cm_batch").set_value(16).run()
    notes = [i.value for i in at.info if i.value.startswith("Settings adjusted")]
    assert any("ddp from 32 devices: the global batch 16 is smaller than the 32 replicas" in n for n in notes), notes
    assert not at.exception
