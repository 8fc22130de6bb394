"""ui.jobs: background training owned by one session, refused while running, cancellable."""

from streamlit.testing.v1 import AppTest


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
