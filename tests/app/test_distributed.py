"""Multi-GPU page: first render shows the shipped example without launching anything; runs go to the store."""

import threading

import pytest

from core.distributed import results, runner
from tests.helpers.apptest import charts, titles

PAGE = "pages/5_Multi_GPU.py"


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNPLAY_DATA_DIR", str(tmp_path))
    return tmp_path


def test_first_render_shows_the_example_and_launches_nothing(open_page, monkeypatch):
    started = []
    monkeypatch.setattr(runner, "launch", lambda *a, **k: started.append(a))
    at = open_page(PAGE)
    assert not at.exception
    assert "dist_job" not in at.session_state and not started
    assert at.radio(key="dist_source").value == "shipped example"
    assert any("Shipped example measured on" in c.value for c in at.caption)
    names = titles(at)
    for title in (
        "Throughput vs number of workers",
        "Scaling efficiency",
        "Where a step's time goes",
        "One step, per rank",
    ):
        assert any(t.startswith(title) for t in names), names
    assert any(t.startswith("Pipeline idle time") for t in names)
    assert any(t.startswith("Predicted scaling") for t in names)


def test_gantt_of_a_ddp_run_has_a_communication_lane(open_page):
    at = open_page(PAGE)
    runs = runner.load_example_runs()
    ddp = next(r for r in runs if r["mode"] == "ddp" and r["world_size"] == 2)
    at.selectbox(key="dist_gantt_run").set_value(results.run_id(ddp)).run()
    gantt = next(c for c in charts(at) if (c["layout"]["title"]["text"] or "").startswith("One step"))
    lanes = {lane for trace in gantt["data"] for lane in trace["y"]}
    assert "rank 0 · comm" in lanes and "rank 1" in lanes


def test_run_button_runs_in_background_and_stores_results(open_page, monkeypatch, data_dir):
    example = runner.load_example_runs()
    release = threading.Event()

    def fake_launch(spec, callback=None, cancel=None, **kwargs):
        release.wait(10)
        match = next(r for r in example if r["world_size"] == spec.world_size)
        return {**match, "sweep": kwargs.get("sweep", "")}

    monkeypatch.setattr(runner, "launch", fake_launch)
    at = open_page(PAGE)
    at.button(key="dist_run").click().run()
    job = at.session_state["dist_job"]
    assert job.running
    at.run()
    assert at.button(key="dist_run").disabled  # no second start while one runs
    release.set()
    job.wait(10)
    at.run()
    assert not at.exception and len(job.result) == 2
    assert len(runner.load_runs()) == 2
    at.run()
    assert at.radio(key="dist_source").value == "stored history"


def test_cancel_stops_the_sweep(open_page, monkeypatch):
    release = threading.Event()

    def fake_launch(spec, callback=None, cancel=None, **kwargs):
        release.wait(10)
        raise runner.RunCancelled("cancelled")

    monkeypatch.setattr(runner, "launch", fake_launch)
    at = open_page(PAGE)
    at.button(key="dist_run").click().run()
    at.button(key="dist_job_cancel").click().run()
    job = at.session_state["dist_job"]
    assert job.cancel.is_set()
    release.set()
    job.wait(10)
    assert job.result == [] and job.error is None


def test_cost_model_reacts_to_presets(open_page):
    at = open_page(PAGE)
    before = next(c for c in charts(at) if c["layout"]["title"]["text"].startswith("Predicted scaling"))
    at.selectbox(key="dist_cm_link").set_value("Ethernet 10 Gbit/s (TCP)").run()
    after = next(c for c in charts(at) if c["layout"]["title"]["text"].startswith("Predicted scaling"))
    data_before = next(t for t in before["data"] if t.get("name") == "ddp")["y"]
    data_after = next(t for t in after["data"] if t.get("name") == "ddp")["y"]
    assert data_after[-1] < data_before[-1]  # a slower link costs data parallelism efficiency
    stops = next(d.value for d in at.dataframe if "strategy" in d.value.columns)
    assert list(stops["strategy"]) == ["ddp", "pipeline", "hybrid"]
    assert stops.loc[stops["strategy"] == "ddp", "communication ≥ compute"].item() != "—"


def test_published_checks_are_listed(open_page):
    at = open_page(PAGE)
    table = next(d.value for d in at.dataframe if "published" in d.value.columns)
    assert len(table) == 4 and (table["error (points)"].abs() <= 10).all()


def test_a_link_sets_the_run_controls(open_page):
    at = open_page(PAGE, query={"dist_mode": "pipeline", "dist_layers": "8", "dist_scaling": "strong"})
    assert at.radio(key="dist_mode").value == "pipeline" and at.radio(key="dist_scaling").value == "strong"
    assert at.number_input(key="dist_layers").value == 8
    assert not any("Ignored" in w.value for w in at.warning)


def test_the_chosen_run_downloads_as_a_chrome_trace(open_page):
    at = open_page(PAGE)
    button = next(b for b in at.get("download_button") if b.proto.id.endswith("dist_trace"))
    assert "Chrome trace" in button.proto.label


def test_a_link_sets_the_model_and_batch(open_page):
    query = {"dist_steps": "5", "dist_batch": "8", "dist_seq": "16", "dist_cell": "gru", "dist_hidden": "64"}
    at = open_page(PAGE, query=query)
    assert [at.number_input(key=k).value for k in ("dist_steps", "dist_batch", "dist_seq", "dist_hidden")] == [
        5,
        8,
        16,
        64,
    ]
    assert at.radio(key="dist_cell").value == "gru"
