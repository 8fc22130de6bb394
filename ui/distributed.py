"""Sections of the Multi-GPU page: launch real runs and show the measured results (run controls:
ui.distributed_controls; cost model: ui.distributed_cost)."""

from __future__ import annotations

import platform
import threading
from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from core.distributed import costmodel, results, runner, trace
from core.distributed.worker import RunSpec
from core.errors import UserError
from core.plots import distributed as plots
from core.training import Callback
from ui.common import cached_figure, show_figure, user_errors
from ui.jobs import current_job, show_job, start_job

JOB_KEY = "dist_job"


def _sweep_target(specs: list[RunSpec], port: int, sweep: str = ""):
    """A job that runs ``specs`` one after another under one sweep name (a new one by default)."""
    # milliseconds: two sweeps started within one second must not merge into one
    sweep = sweep or datetime.now(UTC).isoformat(timespec="milliseconds")

    def target(callback: Callback, cancel: threading.Event) -> list[dict]:
        runs = []
        for i, spec in enumerate(specs, start=1):
            try:
                result = runner.launch(spec, callback, cancel, port=port, run_index=i, runs=len(specs), sweep=sweep)
            except runner.RunCancelled:
                break
            except runner.RunFailed as error:
                raise UserError(f"{error}. Its log:\n\n```\n{error.log[-3000:]}\n```") from None
            runner.save_run(result)
            runs.append(result)
        return runs

    return target


def _start_sweep(specs: list[RunSpec], sweep: str = "") -> None:
    label = f"Sweep of {len(specs)} run(s) (epoch = run)"
    start_job(JOB_KEY, label, _sweep_target(specs, st.session_state.get("dist_port_value", 0), sweep))


def _running() -> bool:
    job = current_job(JOB_KEY)
    return job is not None and job.running


def launch_section(specs: list[RunSpec] | None) -> None:
    clicked = st.button("Run on this machine", key="dist_run", type="primary", disabled=specs is None or _running())
    if clicked and specs:
        _start_sweep(specs)
    job = show_job(JOB_KEY, describe=lambda p: f"run {p.epoch}/{p.epochs}")
    if job is not None and not job.running and job.result and st.session_state.get("dist_result_shown") is not job:
        # show the new runs once, then leave the choice to the user
        st.session_state["dist_result_shown"] = job
        st.session_state["dist_source"] = "stored history"
        st.session_state["dist_sweep"] = job.result[0]["sweep"]


# ---------------------------------------------------------------- measured results


def _figure(builder: str, *args):
    """Figures of measured runs, built once per runs shown: a widget change elsewhere redraws nothing."""
    return cached_figure(getattr(plots, builder), *args)


def _keep_valid(key: str, options: list, default) -> None:
    """Reset a selector whose kept value is no longer among its options (a new sweep, another source).

    Set before the widget is drawn, so what it shows and what it returns are the same value.
    """
    if st.session_state.get(key) not in options:
        st.session_state[key] = default


def pick_runs() -> tuple[list[dict], str]:
    """The runs to show: this machine's stored history, or the example shipped with the app."""
    history = runner.load_runs()
    sources = ["stored history", "shipped example"] if history else ["shipped example"]
    _keep_valid("dist_source", sources, sources[0])
    source = st.radio("Results", sources, horizontal=True, key="dist_source")
    runs = history if source == "stored history" else runner.load_example_runs()
    if not runs:
        return [], source
    sweeps = results.sweeps(runs)
    options = [results.ALL_RUNS, *sweeps]
    _keep_valid("dist_sweep", options, options[0] if source == "shipped example" or len(sweeps) == 1 else sweeps[0])
    chosen = st.selectbox("Sweep", options, key="dist_sweep", help="runs started together (UTC)")
    picked = results.in_sweep(runs, chosen)
    runner.add_efficiency(picked, [r for r in runs if r["world_size"] == 1])
    return picked, source


def results_section(runs: list[dict], source: str) -> None:
    if not runs:
        st.info("No runs yet: start one above.")
        return
    label = "Shipped example measured on" if source == "shipped example" else "Measured on"
    st.caption(f"{label} {results.describe_machine(runs)}")
    if any("share cores" in r["device"] for r in runs):
        st.warning("Some of these runs had more processes than cores: their speed shows time-slicing, not parallelism.")
    if any(r.get("machine", {}).get("cores", 99) <= 2 for r in runs):
        st.caption(
            "On a 2-core machine other programs compete for the same cores: single measurements are noisy "
            "(repeat a sweep to see the spread); start-up (spawn, import, process group) is reported apart."
        )
    st.dataframe(pd.DataFrame(results.table_rows(runs)), hide_index=True, width="stretch", key="dist_table")
    cols = st.columns(2)
    with cols[0]:
        show_figure(
            _figure("throughput_figure", runs),
            key="dist_throughput",
            caption="Samples per second against the number of processes, one line per strategy and scaling.",
        )
    with cols[1]:
        if any(r.get("efficiency") is not None for r in runs if r["world_size"] > 1):
            show_figure(
                _figure("efficiency_figure", runs),
                key="dist_efficiency",
                caption="Scaling efficiency of each multi-process run; the dotted line is perfect scaling (100%).",
            )
        baseline_offer(runs)
    show_figure(
        _figure("breakdown_figure", runs),
        key="dist_breakdown",
        caption="Milliseconds per step by phase (stacked), one bar per run; the dash marks the measured step time.",
    )
    timeline_section(runs)
    if any(r["stages"] > 1 for r in runs):
        show_figure(_figure("bubble_figure", runs), key="dist_bubble")
        st.caption(
            "Measured idle includes transfers and unequal stages (the last one also runs the output layer), "
            "so it sits above the textbook bubble, which assumes equal stages and free communication."
        )
    calibrated_section(runs)


def baseline_offer(runs: list[dict]) -> None:
    """Efficiency needs a one-process run of the same settings: say so, and offer to run it."""
    lacking = [r for r in runs if r["world_size"] > 1 and r.get("efficiency") is None]
    if not lacking:
        return
    st.info(
        "Scaling efficiency = throughput of N processes ÷ (N × throughput of one process with the same model, "
        "sequence length and batch per replica, on this machine). "
        f"{len(lacking)} run(s) here have no such 1-process run yet."
    )
    specs = results.missing_baselines(runs, platform.node())
    if specs and st.button(
        f"Run the 1-process baseline{'s' if len(specs) > 1 else ''}", key="dist_baseline", disabled=_running()
    ):
        _start_sweep(specs, results.sweep_of(lacking[0]))  # joins the sweep it completes
        st.rerun()  # the progress panel is drawn above this section


def timeline_section(runs: list[dict]) -> None:
    by_id = {results.run_id(r): r for r in runs}
    # keyed by a run's id, not its place in the list: a new sweep must not show another run's timeline
    _keep_valid("dist_gantt_run", list(by_id), results.timeline_choice(runs))
    chosen = st.selectbox(
        "Timeline of run",
        list(by_id),
        format_func=lambda i: f"{results.run_label(by_id[i])} · {by_id[i].get('finished', '')[11:19]}",
        key="dist_gantt_run",
    )
    show_figure(_figure("timeline_figure", by_id[chosen]), key="dist_gantt")
    run = by_id[chosen]
    with user_errors():
        st.download_button(
            "Download this run as a Chrome trace (open it in ui.perfetto.dev or chrome://tracing)",
            trace.chrome_trace([run]),
            file_name=f"trace-{run['mode']}-x{run['world_size']}-{run.get('finished', '')[:19].replace(':', '')}.json",
            mime="application/json",
            key="dist_trace",
            on_click="ignore",
        )
    st.caption(
        "Time 0 = all ranks left a barrier together. DDP: each gradient bucket's all-reduce (its own lane) runs "
        "while backward still computes; its faded part is the bucket waiting until the slower rank has launched "
        "it too, the solid part the transfer. The red part of the main lane is what the step waits for after "
        "backward. Pipelines: F/B = micro-batch forward/backward; grey = waiting on a neighbour (bubble + "
        "transfer). Hybrid runs average each stage's gradients after the whole backward, in one flat all-reduce "
        "over that stage's replicas (red, nothing overlaps it); a pipeline alone has one replica and none. On a "
        "GPU the all-reduce times come from CUDA events, the phases from host time after a synchronise."
    )


def calibrated_section(runs: list[dict]) -> None:
    st.subheader("Cost model calibrated on these runs")
    calibration = costmodel.calibrate(runs)
    rows = costmodel.compare(runs, calibration)
    show_figure(_figure("predicted_vs_measured_figure", rows), key="dist_calibrated")
    st.caption(
        f"Fitted: {calibration.flops / 1e9:.1f} GFLOP/s per process (contention {calibration.contention:.2f} per extra busy "
        f"process), link {calibration.bandwidth / 1e9:.2f} GB/s + {calibration.latency * 1e6:.0f} µs from the all-reduce "
        f"probes, straggler jitter {calibration.jitter:.2f}. An in-sample fit of up to 7 numbers on {calibration.points} "
        "run(s): with few runs it matches by construction; `bench/bench_distributed.py` also reports leave-one-out errors."
    )
