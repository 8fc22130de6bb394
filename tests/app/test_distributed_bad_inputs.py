"""Multi-GPU page: every bad input gives its exact message, and nothing is started."""

import socket

import pytest

from core.distributed import runner

PAGE = "pages/5_Multi_GPU.py"


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNPLAY_DATA_DIR", str(tmp_path))


def set_widgets(at, values: dict):
    """Set widgets one at a time, in order (the micro-batch choice is enabled by the strategy)."""
    for key, value in values.items():
        if key in ("dist_worlds", "dist_micro"):
            widget = at.multiselect(key=key)
        elif key in ("dist_mode", "dist_scaling"):
            widget = at.radio(key=key)
        else:
            widget = at.number_input(key=key)
        widget.set_value(value)
        at.run()


CASES = [
    (
        "hybrid on 2",
        {"dist_mode": "hybrid", "dist_worlds": [2]},
        "error",
        "hybrid needs world size = replicas × stages",
    ),
    (
        "strong batch",
        {"dist_scaling": "strong", "dist_batch": 15},
        "error",
        "strong scaling splits the global batch 15 over 2 replicas",
    ),
    (
        "micro-batches",
        {"dist_mode": "pipeline", "dist_micro": [4], "dist_batch": 6},
        "error",
        "4 micro-batches must divide the per-replica batch 6",
    ),
    (
        "stages > layers",
        {"dist_mode": "pipeline", "dist_worlds": [4], "dist_layers": 2},
        "error",
        "4 pipeline stages need at least 4 layers",
    ),
    ("no world size", {"dist_worlds": []}, "error", "pick at least one world size"),
    ("too big", {"dist_batch": 65_536, "dist_seq": 4_096, "dist_hidden": 2048}, "error", "GiB of RAM"),
    ("oversubscribed", {"dist_worlds": [1, 4]}, "warning", "4 processes on 2 CPU cores"),
]


@pytest.mark.parametrize("name, values, kind, message", CASES, ids=[c[0] for c in CASES])
def test_bad_input_shows_message(open_page, monkeypatch, name, values, kind, message):
    monkeypatch.setattr(runner, "cores_available", lambda: 2)
    at = open_page(PAGE)
    set_widgets(at, values)
    assert not at.exception
    shown = [e.value for e in (at.error if kind == "error" else at.warning)]
    assert any(message in text for text in shown), shown
    if kind == "error":
        assert at.button(key="dist_run").disabled


def test_port_in_use(open_page):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        at = open_page(PAGE)
        at.number_input(key="dist_port").set_value(port).run()
        assert any(f"port {port} is already in use" in e.value for e in at.error)
        assert at.button(key="dist_run").disabled


def test_crashing_worker_shows_its_log(open_page, monkeypatch):
    def crash(spec, *args, **kwargs):
        raise runner.RunFailed("rank 1 of 2 exited with code 1; the run was stopped", "RuntimeError: boom on rank 1")

    monkeypatch.setattr(runner, "launch", crash)
    at = open_page(PAGE)
    at.button(key="dist_run").click().run()
    at.session_state["dist_job"].wait(10)
    at.run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert any("rank 1 of 2 exited with code 1" in e and "boom on rank 1" in e for e in errors), errors


@pytest.mark.parametrize(
    "key, value",
    [
        ("dist_mode", "<script>alert(1)</script>"),
        ("dist_mode", "x" * 100_000),
        ("dist_layers", "-1e99"),
        ("dist_layers", "1e400"),
        ("dist_hidden", "inf"),
        ("dist_scaling", "superlinear"),
    ],
)
def test_hostile_url_values_are_ignored_with_a_notice(open_page, key, value):
    at = open_page(PAGE, query={key: value})  # open_page asserts no exception
    notices = [w.value for w in at.warning if "Ignored the link's value" in w.value]
    assert len(notices) == 1 and len(notices[0]) < 200, notices
    assert at.radio(key="dist_mode").value == "ddp" and at.number_input(key="dist_layers").value == 4
    assert at.number_input(key="dist_hidden").value == 128 and at.radio(key="dist_scaling").value == "weak"
