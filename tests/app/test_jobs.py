"""ui.jobs: background training owned by one session, refused while running, cancellable."""

from streamlit.testing.v1 import AppTest

from ui import jobs


def training_page():
    import threading

    import streamlit as st

    from core.training import Progress
    from ui.jobs import show_job, start_job

    release = st.session_state.setdefault("release", threading.Event())

    def target(callback, cancel):
        for epoch in range(1, 4):
            callback.on_epoch(Progress(epoch, 3, 1, 1, 1.0 / epoch, 0.1 * epoch))
            release.wait(10)
            if cancel.is_set():
                return "cancelled"
        return "trained"

    if st.button("Train", key="train"):
        start_job("job", "Toy training", target)
    job = show_job("job", ())
    if job is not None and not job.running:
        st.write(f"result: {job.result}")


def test_second_start_is_refused_then_result_shows():
    at = AppTest.from_function(training_page, default_timeout=30).run()
    at.button(key="train").click().run()
    job = at.session_state["job"]
    assert job.running
    at.button(key="train").click().run()
    assert "still running" in at.warning[0].value
    assert at.session_state["job"] is job  # not replaced, not queued
    at.session_state["release"].set()
    job.wait(10)
    at.run()
    assert "result: trained" in [m.value for m in at.markdown]
    assert "finished" in at.success[0].value


def test_cancel_stops_the_run():
    at = AppTest.from_function(training_page, default_timeout=30).run()
    at.button(key="train").click().run()
    at.button(key="job_cancel").click().run()
    at.session_state["release"].set()
    at.session_state["job"].wait(10)
    at.run()
    assert "result: cancelled" in [m.value for m in at.markdown]


def test_watch_cancels_once_the_session_has_been_gone_long_enough(monkeypatch):
    monkeypatch.setattr(jobs, "ORPHAN_SECONDS", 20.0)
    connected = [True]
    job = jobs.Job("Toy training", connected=lambda: connected[0], seen=100.0)
    job.watch(now=130.0)
    assert job.seen == 130.0 and not job.cancel.is_set()  # a connected session keeps its run however long
    connected[0] = False
    job.watch(now=150.0)
    assert not job.cancel.is_set()  # gone 20 s: a reconnect may still come
    job.watch(now=150.5)
    assert job.cancel.is_set() and job.orphaned


def test_a_run_whose_session_left_stops_by_itself(monkeypatch):
    monkeypatch.setattr(jobs, "ORPHAN_SECONDS", 0.5)
    at = AppTest.from_function(endless_page, default_timeout=30).run()
    at.button(key="train").click().run()
    job = at.session_state["job"]
    job.connected = lambda: False  # what Streamlit answers once the browser tab is closed
    job.wait(10)
    assert not job.running and job.orphaned and job.result == "cancelled"
    at.run()
    assert "after this page was closed" in at.success[0].value


def endless_page():
    import time

    import streamlit as st

    from core.training import Progress
    from ui.jobs import show_job, start_job

    def target(callback, cancel):
        deadline = time.monotonic() + 60  # only the watchdog ends it within the test's wait
        while time.monotonic() < deadline and not cancel.is_set():
            callback.on_step(Progress(1, 1, 1, 0, 1.0, 0.0))
            time.sleep(0.05)
        return "cancelled" if cancel.is_set() else "ran to the end"

    if st.button("Train", key="train"):
        start_job("job", "Endless training", target)
    show_job("job", ())


def test_training_curve_ticks_whole_epochs_only():
    from core.training import Progress

    job = jobs.Job("toy")
    job.epochs = [Progress(e, 3, 1, 1, 1.0 / e, 0.1 * e) for e in range(1, 4)]
    axis = jobs._curve(job, ()).layout.xaxis
    assert axis.tick0 == 1 and axis.dtick == 1  # plotly would otherwise tick 1, 1.5, 2, 2.5, 3
    job.epochs = [Progress(e, 40, 1, 1, 1.0, 0.1) for e in range(1, 41)]
    assert jobs._curve(job, ()).layout.xaxis.dtick == 4 and float(jobs._curve(job, ()).layout.xaxis.dtick).is_integer()
