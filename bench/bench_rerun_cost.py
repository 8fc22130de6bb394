"""Server CPU per widget interaction, per page: what one click costs the server when it asks for no model work.

Each page is opened with AppTest (a cold run, then a warm rerun, both discarded), then each interaction
below is done ``--repeats`` times, flipping its widget between two values; the figure is the process CPU
time (``time.process_time``: user + system of every thread, not wall time) of that rerun. AppTest runs the
whole script on every rerun (it does not model fragment-only reruns), so the "full rerun" figures are what a
page costs without fragments; ``--live`` adds the same interactions against a real server over its websocket
(bench.load_protocol.Session, which sends a widget's fragment id the way the browser does), measuring the
server process's CPU, so a fragment-only rerun is counted as the server really runs it.

    python bench/bench_rerun_cost.py [--base COMMIT] [--repeats 5] [--live] [--page pages/2_Video.py]

``--base COMMIT`` measures that commit too ("before", from a ``git archive`` of it) and this tree ("after"),
each in its own process, in one run. Writes bench/results/rerun_cost.json; with ``--page`` (repeatable) only
those pages are measured, into bench/results/rerun_cost_<page>.json, so the every-page file stays whole.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "results" / "rerun_cost.json"
TARGET_MS = 50
# page -> interactions: (widget kind, key, two values to flip between); none of them asks for model work.
# ("rerun", "", ()) is a rerun with nothing changed (Home has no widget: a theme switch or reconnect reruns it).
INTERACTIONS = {
    "Home.py": [("rerun", "", ())],
    "pages/1_Translation.py": [("slider", "tr_temp", (1.5, 1.0)), ("number_input", "tr_seed", (1, 0))],
    "pages/2_Video.py": [
        ("number_input", "vt_epochs", (16, 15)),
        ("slider", "vt_heldout", (0.3, 0.2)),
        ("radio", "video_source", None),  # Sample clip <-> Upload: the sample's prediction was already computed
    ],
    "pages/3_Generator.py": [("slider", "gen_temp", (0.8, 1.0)), ("number_input", "gen_length", (401, 400))],
    "pages/4_Variable_length.py": [
        ("number_input", "varlen_len", (81, 80)),
        ("number_input", "varlen_buckets", (5, 4)),
        ("radio", "varlen_pad_side", ("pre", "post")),
    ],
    "pages/5_Multi_GPU.py": [
        ("number_input", "dist_steps", (13, 12)),
        ("slider", "dist_cm_layers", (9, 8)),
        ("slider", "dist_cm_jitter", (0.01, 0.0)),
    ],
    "pages/6_Inside_the_cell.py": [("slider", "inside_t", (5, 6)), ("radio", "inside_order", None)],
}


def _widget(at, kind: str, key: str):
    return getattr(at, kind)(key=key)


def _flip(widget, values):
    """The two values to flip between (None: the first two options of a radio/selectbox)."""
    return values if values is not None else tuple(widget.options[:2])


def measure_page(page: str, interactions: list, repeats: int) -> dict:
    """Median and all rerun CPU ms per interaction of ``page`` (AppTest, full-script reruns)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path.cwd() / page), default_timeout=120)
    at.run()  # cold: imports, model loads, caches
    at.run()  # warm
    out = {}
    for kind, key, values in interactions:
        name = "rerun (nothing changed)" if kind == "rerun" else f"{kind} {key}"
        if kind != "rerun":
            try:
                values = _flip(_widget(at, kind, key), values)
            except KeyError:
                out[name] = {"absent": True}
                continue
        samples = []
        for i in range(repeats):
            if kind != "rerun":
                _widget(at, kind, key).set_value(values[i % 2])
            start = time.process_time()
            at.run()
            samples.append(1000 * (time.process_time() - start))
        failed = [str(e.value)[:200] for e in at.exception]
        out[name] = {"median_ms": round(statistics.median(samples), 1), "ms": [round(s, 1) for s in samples]}
        if failed:
            out[name]["exception"] = failed
    return out


def measure_tree(repeats: int, live: bool, only: list[str]) -> dict:
    """Every page (or those in ``only``) of the tree this process runs in (its cwd)."""
    sys.path.insert(0, str(Path.cwd()))
    pages = {}
    for page, interactions in _selected(only).items():
        if Path(page).exists():
            per = measure_page(page, interactions, repeats)
            medians = [v["median_ms"] for v in per.values() if "median_ms" in v]
            pages[page] = {"median_ms": round(statistics.median(medians), 1) if medians else None, "interactions": per}
    result = {"apptest_full_rerun": pages}
    if live:
        result["live_server"] = measure_live(repeats, only)
    return result


def _selected(only: list[str]) -> dict:
    return {page: actions for page, actions in INTERACTIONS.items() if not only or page in only}


def _state(kind: str, widget_id: str, value):
    """The WidgetState a browser sends for ``value`` (value types as Streamlit 1.67 registers them)."""
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    state = WidgetState(id=widget_id)
    if kind == "slider":
        state.double_array_value.data.append(float(value))
    elif kind == "number_input":
        state.double_value = float(value)
    else:  # radio, selectbox: the option as shown
        state.string_value = str(value)
    return state


async def _live_page(url: str, pid: int, page: str, interactions: list, repeats: int) -> dict:
    """Server CPU ms per interaction on ``page``: sent as the browser sends it, with the widget's fragment id."""
    import asyncio

    import psutil
    from streamlit.proto.BackMsg_pb2 import BackMsg

    from bench.load_protocol import Session

    class FragmentSession(Session):
        """Also remembers which fragment drew each element (the browser reruns only that fragment)."""

        def handle(self, msg):
            super().handle(msg)
            if msg.WhichOneof("type") == "delta" and msg.delta.WhichOneof("type") == "new_element":
                element = msg.delta.new_element
                widget_id = getattr(getattr(element, element.WhichOneof("type")), "id", "")
                if widget_id:
                    self.fragments[widget_id] = msg.delta.fragment_id

    server = psutil.Process(pid)

    def server_cpu() -> float:
        times = server.cpu_times()
        return times.user + times.system

    session = FragmentSession(url, 180)
    session.fragments = {}
    await session.connect()
    await session.rerun(page="", query="")
    name = "" if page == "Home.py" else Path(page).stem.split("_", 1)[1]
    await session.rerun(page=name)
    await session.rerun()  # warm
    found = {}  # looked up before any change: a fragment run sends only its own section's elements
    for kind, key, values in interactions:
        if kind != "rerun":
            with contextlib.suppress(AssertionError):
                proto = session.widget(key)
                options = values if values is not None else tuple(proto.options[:2])
                found[key] = proto.id, session.fragments.get(proto.id, ""), options
    out = {}
    for kind, key, values in interactions:
        label = "rerun (nothing changed)" if kind == "rerun" else f"{kind} {key}"
        widget_id, fragment = "", ""
        if kind != "rerun":
            if key not in found:
                out[label] = {"absent": True}
                continue
            widget_id, fragment, values = found[key]
        samples = []
        for i in range(repeats):
            if widget_id:
                session.values[widget_id] = _state(kind, widget_id, values[i % 2])
            msg = BackMsg()
            client = msg.rerun_script
            client.query_string, client.page_script_hash = session.query, session.page_hash
            client.fragment_id = fragment
            client.widget_states.widgets.extend(session.values.values())
            session.finished = asyncio.get_running_loop().create_future()
            start = server_cpu()
            await session.ws.send(msg.SerializeToString())
            await asyncio.wait_for(session.finished, 180)
            await asyncio.sleep(0.3)  # the last deltas leave the server after script_finished
            samples.append(1000 * (server_cpu() - start))
        out[label] = {"fragment": bool(fragment), "median_ms": round(statistics.median(samples), 1)}
        out[label]["ms"] = [round(x, 1) for x in samples]
    await session.close()
    return out


def measure_live(repeats: int, only: list[str]) -> dict:
    """Every page (or those in ``only``) on a live `streamlit run` of this tree (its server process's CPU)."""
    import asyncio

    from bench.live import streamlit_server

    pages = {}
    with tempfile.TemporaryDirectory(prefix="rnnplay-rerun-") as tmp:
        with streamlit_server(Path(tmp) / "server.log") as (url, process):
            for page, interactions in _selected(only).items():
                per = asyncio.run(_live_page(url, process.pid, page, interactions, repeats))
                medians = [v["median_ms"] for v in per.values() if "median_ms" in v]
                pages[page] = {"median_ms": round(statistics.median(medians), 1) if medians else None}
                pages[page]["interactions"] = per
    return pages


def _child(tree: Path, repeats: int, live: bool, only: list[str]) -> dict:
    """Measure ``tree`` in a fresh process (its own imports of core/ and ui/)."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", "--repeats", str(repeats)]
    command += ["--live"] * live + [f"--page={page}" for page in only]
    done = subprocess.run(command, cwd=tree, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _archive(commit: str, folder: Path) -> Path:
    """The tracked files of ``commit`` in ``folder`` (a plain tree, no git worktree)."""
    tar = folder / "base.tar"
    subprocess.run(["git", "archive", "-o", str(tar), commit], cwd=ROOT, check=True)
    with tarfile.open(tar) as archive:
        archive.extractall(folder / "tree", filter="data")
    return folder / "tree"


def _ratios(before: dict, after: dict) -> dict:
    out = {}
    for mode in ("apptest_full_rerun", "live_server"):
        for page, figures in after.get(mode, {}).items():
            old = before.get(mode, {}).get(page, {}).get("median_ms")
            if old and figures["median_ms"]:
                out.setdefault(mode, {})[page] = round(figures["median_ms"] / old, 2)
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--base", help="also measure this commit, as 'before'")
    parser.add_argument("--live", action="store_true", help="also measure on a live server over its websocket")
    parser.add_argument(
        "--page", action="append", default=[], choices=list(INTERACTIONS), help="measure only this page (repeatable)"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure_tree(args.repeats, args.live, args.page)))
        return {}
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    load_start = os.getloadavg()
    report = {"benchmark": "rerun_cost", "target_median_ms": TARGET_MS}
    if args.base:
        with tempfile.TemporaryDirectory(prefix="rnnplay-base-") as tmp:
            base = subprocess.run(["git", "rev-parse", args.base], cwd=ROOT, capture_output=True, text=True)
            report["before"] = {
                "commit": base.stdout.strip(),
                **_child(_archive(args.base, Path(tmp)), args.repeats, args.live, args.page),
            }
    report["after"] = {"commit": commit, "dirty": _dirty(), **_child(ROOT, args.repeats, args.live, args.page)}
    if "before" in report:
        report["ratio_after_over_before"] = _ratios(report["before"], report["after"])
    sys.path.insert(0, str(ROOT))
    from bench.report import measured

    report["measured"] = measured(
        load_start,
        "bench_rerun_cost.py",
        argv,
        "process CPU ms (time.process_time) per rerun after one widget change; median of --repeats",
    )
    out = OUT.with_name(f"rerun_cost_{'_'.join(Path(p).stem.split('_', 1)[1].lower() for p in args.page)}.json")
    (out if args.page else OUT).write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report, indent=1))
    return report


def _dirty() -> bool:
    status = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True).stdout
    return bool(status.strip())


if __name__ == "__main__":
    main()
