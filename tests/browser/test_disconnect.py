"""A browser that closes mid-run leaves nothing behind: no job thread, no worker process, no temp file.

The server here is our own: its watchdog cancels a run 3 s after its session left (20 s in the
app), and its temp files go to a folder only it uses. Each run is set to take minutes, so only
the watchdog can end it within the bound.
"""

import contextlib
import time
from pathlib import Path

import psutil
import pytest
from playwright.sync_api import Page

from bench.live import streamlit_server, wait_for_rerun

pytestmark = pytest.mark.browser

ORPHAN_SECONDS = 3
CLEANUP_BOUND_S = 45  # watchdog + the step it waits for + a run's wrap-up, on a busy 2-core machine


@pytest.fixture(scope="module")
def watched_server(tmp_path_factory):
    temp = tmp_path_factory.mktemp("server-tmp")
    env = {
        "RNNPLAY_ORPHAN_SECONDS": str(ORPHAN_SECONDS),
        "TMPDIR": str(temp),
        "RNNPLAY_DATA_DIR": str(tmp_path_factory.mktemp("data")),
    }
    with streamlit_server(tmp_path_factory.mktemp("streamlit") / "server.log", env) as (url, process):
        yield url, psutil.Process(process.pid), temp


def job_threads(server: psutil.Process) -> list[str]:
    """Threads named after a ui.jobs run (the job thread and the torch workers it started)."""
    names = []
    for task in Path(f"/proc/{server.pid}/task").iterdir():
        with contextlib.suppress(FileNotFoundError):  # a thread that ended while we looked
            name = (task / "comm").read_text().strip()
            if name.startswith("rnnplay-"):
                names.append(name)
    return names


def workers(server: psutil.Process) -> list[psutil.Process]:
    left = []
    for child in server.children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):
            if "core.distributed.worker" in " ".join(child.cmdline()) and child.status() != psutil.STATUS_ZOMBIE:
                left.append(child)
    return left


def temp_files(temp: Path) -> set[str]:
    # torch makes its compile-cache folder (torchinductor_USER) once per process, at the first
    # optimizer, and keeps it by design: not a file of a run
    return {p.name for p in temp.iterdir() if not p.name.startswith("torchinductor_")}


def leftovers(server: psutil.Process, temp: Path, before: set[str]) -> dict:
    return {
        "threads": job_threads(server),
        "workers": [p.pid for p in workers(server)],
        "temp": sorted(temp_files(temp) - before),
    }


def fill(page: Page, label: str, value: str) -> None:
    field = page.get_by_label(label).first  # the Multi-GPU cost model further down has a "Hidden size" too
    field.fill(value)
    field.press("Enter")
    wait_for_rerun(page)


def start_generator_training(page: Page) -> None:
    page.goto("/Generator")
    wait_for_rerun(page)
    page.get_by_role("radiogroup", name="Section").get_by_text("Train your own").click()
    wait_for_rerun(page)
    page.get_by_text("Python reference (pydoc)").click()
    wait_for_rerun(page)
    fill(page, "Epochs (rounds)", "50")
    fill(page, "Steps per round", "2000")  # 100,000 steps: hours on this machine
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text("Training a GRU 128 on").first.wait_for()


def start_distributed_run(page: Page) -> None:
    page.goto("/Multi_GPU")
    wait_for_rerun(page)
    worlds = page.locator('[data-testid="stMultiSelect"]').first.locator("input")
    worlds.click()
    worlds.press("Backspace")
    worlds.press("Backspace")  # the default world sizes (1, 2) gone: one run of 2 processes
    worlds.fill("2")
    worlds.press("Enter")
    worlds.press("Escape")
    wait_for_rerun(page)
    fill(page, "Hidden size", "512")
    fill(page, "Measured steps", "200")  # ~0.3 s a step on one core: minutes
    page.get_by_role("button", name="Run on this machine").click()
    page.get_by_text("Sweep of").first.wait_for()


@pytest.mark.parametrize(
    "start, running",
    [
        (start_generator_training, lambda server: job_threads(server)),
        (start_distributed_run, lambda server: len(workers(server)) == 2),  # both ranks are up
    ],
    ids=["generator-training", "multi-gpu-run"],
)
def test_closing_the_browser_mid_run_leaves_nothing(browser, watched_server, start, running):
    url, server, temp = watched_server
    assert not job_threads(server)
    before = temp_files(temp)
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, base_url=url)
    page = context.new_page()
    page.set_default_timeout(90_000)
    start(page)
    deadline = time.monotonic() + 90
    while not running(server):
        assert time.monotonic() < deadline, "the run never got under way"
        time.sleep(0.5)
    context.close()

    closed = time.monotonic()
    left = leftovers(server, temp, before)
    while any(left.values()) and time.monotonic() - closed < CLEANUP_BOUND_S:
        time.sleep(0.5)
        left = leftovers(server, temp, before)
    assert not any(left.values()), f"{CLEANUP_BOUND_S} s after the browser closed: {left}"
    assert server.is_running()
