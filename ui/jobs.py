"""Training in the background, one run per browser session at a time.

A widget change reruns the page script and would kill a training loop run inside it, so
training runs in a thread owned by the session (kept in ``st.session_state``). The thread never
touches ``st``: it reports through a ``core.training.Callback`` into the job, and a fragment
redraws progress every second until it ends. A second start while one runs is refused.

Streamlit never stops such a thread, so at every reported step the job asks Streamlit whether its
browser session is still connected, and cancels itself once it has been gone for
``ORPHAN_SECONDS``: a closed tab leaves no training (or distributed worker) running. We ask the
server rather than count the progress fragment's reruns as a heartbeat: Chrome runs a repeating
timer of a tab hidden for 5 minutes once a minute, and a user on another page of the app has no
fragment running but still owns the run.
"""

from __future__ import annotations

import ctypes
import logging
import math
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import plotly.graph_objects as go
import streamlit as st
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from core.errors import UserError
from core.training import Callback, Progress

# target(callback, cancel_event) -> result; it must pass both on to core.training.Trainer.
Target = Callable[[Callback, threading.Event], Any]

# A run whose browser session has been disconnected this long is cancelled (a reconnect within it keeps the run).
ORPHAN_SECONDS = float(os.environ.get("RNNPLAY_ORPHAN_SECONDS", 20))
log = logging.getLogger(__name__)


@dataclass
class Job:
    label: str
    cancel: threading.Event = field(default_factory=threading.Event)
    last_step: Progress | None = None
    epochs: list[Progress] = field(default_factory=list)
    result: Any = None
    error: str | None = None
    started: float = field(default_factory=time.monotonic)
    thread: threading.Thread | None = None
    connected: Callable[[], bool] = lambda: True  # is the session that started it still connected? (any thread)
    seen: float = field(default_factory=time.monotonic)  # when ``connected`` last said yes
    orphaned: bool = False  # cancelled because its session went away

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def wait(self, timeout: float | None = None) -> None:
        """Block until the run ends (tests and the CLI; pages poll instead)."""
        if self.thread is not None:
            self.thread.join(timeout)

    def watch(self, now: float | None = None) -> None:
        """Cancel the run once its session has been disconnected for more than ORPHAN_SECONDS."""
        now = time.monotonic() if now is None else now
        if self.connected():
            self.seen = now
        elif now - self.seen > ORPHAN_SECONDS and not self.cancel.is_set():
            self.orphaned = True
            self.cancel.set()
            log.warning("%s: cancelled, its browser session left %.0f s ago", self.label, now - self.seen)


class _JobCallback(Callback):
    def __init__(self, job: Job):
        self.job = job

    def on_step(self, progress: Progress) -> None:
        self.job.last_step = progress
        self.job.watch()

    def on_epoch(self, progress: Progress) -> None:
        self.job.epochs = [*self.job.epochs, progress]  # replaced, never mutated: readers see a whole list
        self.job.watch()


def _session_connected() -> Callable[[], bool]:
    """A check, safe from any thread, that the browser session running this script is still connected."""
    ctx = get_script_run_ctx()
    if ctx is None or not Runtime.exists():
        return lambda: True  # no server to lose the browser from (a bare script)
    runtime, session_id = Runtime.instance(), ctx.session_id
    # bool(): under AppTest the runtime is a stand-in whose answer is a truthy mock
    return lambda: bool(runtime.is_active_session(session_id))


def _name_os_thread(name: str) -> None:
    """Show the job's name to the OS (ps -L, top -H, /proc/PID/task), where Python 3.11 calls every thread
    "python"; threads it starts (torch's OpenMP workers) inherit it, so a leftover of a run is visible too."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(15, name.encode()[:15], 0, 0, 0)  # 15 = PR_SET_NAME; the kernel keeps 15 bytes


def _run(job: Job, target: Target) -> None:
    _name_os_thread(threading.current_thread().name)
    try:
        job.result = target(_JobCallback(job), job.cancel)
    except UserError as error:
        job.error = str(error)
    except Exception:  # noqa: BLE001 - shown to the user with its traceback; the server keeps serving
        job.error = "training failed:\n" + traceback.format_exc(limit=3)


def start_job(key: str, label: str, target: Target) -> Job | None:
    """Start ``target`` in the background unless this session already runs a job under ``key``."""
    current: Job | None = st.session_state.get(key)
    if current is not None and current.running:
        st.warning(f"{current.label} is still running in this session: wait for it or cancel it first.")
        return None
    job = Job(label, connected=_session_connected())
    job.thread = threading.Thread(target=_run, args=(job, target), name=f"rnnplay-{key}", daemon=True)
    st.session_state[key] = job
    job.thread.start()
    return job


def current_job(key: str) -> Job | None:
    return st.session_state.get(key)


def _curve(job: Job, metric_names: tuple[str, ...]) -> go.Figure:
    fig = go.Figure()
    epochs = [p.epoch for p in job.epochs]
    fig.add_scatter(x=epochs, y=[p.loss for p in job.epochs], mode="lines+markers", name="train loss")
    for name in metric_names:
        fig.add_scatter(x=epochs, y=[p.metrics.get(name) for p in job.epochs], mode="lines+markers", name=name)
    fig.update_layout(title="Training curve", xaxis_title="epoch", height=300)
    # whole epochs only, from the first shown (a fine-tune's curve starts at epoch 0, the start model)
    fig.update_xaxes(tick0=min(epochs, default=1), dtick=max(1, math.ceil(len(epochs) / 10)))
    return fig


def show_job(
    key: str,
    metric_names: tuple[str, ...] = (),
    describe: Callable[[Progress], str] | None = None,
    caption: str | None = None,
) -> Job | None:
    """Progress, live curve and a cancel button for the session's job; reruns the page when it ends.

    ``describe`` words the progress line (default: epoch and loss); ``caption`` says under the curve what it
    shows, for readers who cannot see it.
    """
    job = current_job(key)
    if job is None:
        return None

    @st.fragment(run_every=1.0 if job.running else None)
    def _panel():
        step = job.last_step
        if job.running:
            detail = describe or (lambda p: f"epoch {p.epoch}/{p.epochs}, loss {p.loss:.3f}")
            text = f"{job.label}: " + (detail(step) if step else "starting…")
            st.progress(step.fraction if step else 0.0, text=text)
            if st.button("Cancel training", key=f"{key}_cancel"):
                job.cancel.set()
        elif job.error:
            st.error(job.error)
        else:
            seconds = (job.epochs[-1].elapsed if job.epochs else 0.0) or (time.monotonic() - job.started)
            state = "cancelled" if job.cancel.is_set() else "finished"
            if job.orphaned:
                state = f"cancelled ({ORPHAN_SECONDS:.0f} s after this page was closed)"
            st.success(
                f"{job.label} {state} after {seconds:.1f} s."
                if seconds < 10
                else f"{job.label} {state} after {seconds:.0f} s."
            )
        if job.epochs:
            st.plotly_chart(_curve(job, metric_names), key=f"{key}_curve", theme=None, width="stretch")
            shown = " and ".join(["training loss", *metric_names])
            st.caption(caption or f"Line chart: {shown} after each of the {len(job.epochs)} epoch(s) so far.")
        if not job.running and st.session_state.get(f"{key}_shown") is not job:
            st.session_state[f"{key}_shown"] = job
            st.rerun()  # the whole page picks up the finished model once

    _panel()
    return job
