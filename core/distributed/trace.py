"""Measured runs as a Chrome trace (Trace Event Format), the file Perfetto and chrome://tracing open.

One process per rank, three threads per process: compute, communication, waiting. Each timeline
event becomes a complete ("X") event with its start and duration in microseconds, from the barrier
all ranks left together (the zero of the page's timeline). Format:
https://docs.google.com/document/d/1CvAClvFfyA5R-PhYUmn5OOQtYMH4h6I0nSsKchNAySU
"""

from __future__ import annotations

import json

from core.distributed.results import PEER_WAIT, run_label, split_peer_wait
from core.errors import UserError

LANES = ("compute", "communication", "waiting")
LANE_OF = {
    "forward": "compute",
    "backward": "compute",
    "optimiser": "compute",
    "all-reduce": "communication",
    "all-reduce (exposed)": "waiting",  # the main loop blocked until the gradients are averaged
    PEER_WAIT: "communication",  # a launched bucket waiting for the slower rank, as the page draws it
    "wait / receive": "waiting",
    "wait / send": "waiting",
}
OVERFLOW_TID = 10  # first thread id of the extra rows that hold events overlapping others of their lane
RUN_PID = 100  # with several runs, run i's rank r is process i * RUN_PID + r


def _lane_rows(events: list[tuple]) -> list[tuple[str, int, tuple]]:
    """(lane, row, event) for each event: rows keep a lane's events from overlapping.

    Chrome's viewer draws overlapping complete events of one thread badly (they must nest), and
    a rank's all-reduce buckets can be in flight together; such an event goes to the lane's next
    free row instead of being clipped, so every number stays as measured.
    """
    ends: dict[str, list[float]] = {lane: [] for lane in LANES}  # per lane, where each row is busy until
    placed = []
    for event in sorted(events, key=lambda e: (e[1], e[2])):
        lane = LANE_OF.get(event[0], "compute")
        rows = ends[lane]
        row = next((i for i, end in enumerate(rows) if end <= event[1]), len(rows))
        if row == len(rows):
            rows.append(event[2])
        else:
            rows[row] = event[2]
        placed.append((lane, row, event))
    return placed


def _tid(lane: str, row: int) -> int:
    return LANES.index(lane) if row == 0 else OVERFLOW_TID + 3 * (row - 1) + LANES.index(lane)


def _meta(name: str, pid: int, tid: int, value: str, sort: int) -> list[dict]:
    kind = "process" if name == "process_name" else "thread"
    return [
        {"ph": "M", "name": name, "pid": pid, "tid": tid, "args": {"name": value}},
        {"ph": "M", "name": f"{kind}_sort_index", "pid": pid, "tid": tid, "args": {"sort_index": sort}},
    ]


def _check_exportable(runs: list[dict]) -> None:
    if not runs:
        raise UserError("Nothing to export: no finished run (a failed or cancelled run leaves no timeline).")
    for run in runs:
        if run.get("error") or not any(rank.get("events") for rank in run.get("ranks") or []):
            raise UserError(
                f"Nothing to export for {run_label(run) if 'stages' in run else 'this run'}: it has no timeline "
                "(it failed, or was stored before timelines were recorded)."
            )


def trace_events(runs: list[dict]) -> list[dict]:
    """The trace events of ``runs``: with one run, process id = rank; with several, run i's ranks are i·100 + rank."""
    _check_exportable(runs)
    out: list[dict] = []
    for index, run in enumerate(runs):
        prefix = f"{run_label(run)} · " if len(runs) > 1 else ""
        timelines = split_peer_wait([rank["events"] for rank in run["ranks"]])
        for rank, events in zip(run["ranks"], timelines):
            pid = index * RUN_PID + rank["rank"] if len(runs) > 1 else rank["rank"]
            stage = f" · stage {rank['stage']}" if run["stages"] > 1 else ""
            out += _meta("process_name", pid, 0, f"{prefix}rank {rank['rank']}{stage}", pid)
            named = set()
            for lane, row, (kind, start, end, *label) in _lane_rows(events):
                tid = _tid(lane, row)
                if tid not in named:
                    named.add(tid)
                    out += _meta("thread_name", pid, tid, lane if row == 0 else f"{lane} ({row + 1})", tid)
                args = {"label": label[0]} if label and label[0] else {}
                out.append(
                    {
                        "name": kind,
                        "cat": lane,
                        "ph": "X",
                        "pid": pid,
                        "tid": tid,
                        "ts": round(start * 1e6, 1),
                        "dur": round((end - start) * 1e6, 1),
                        "args": args,
                    }
                )
    return out


def chrome_trace(runs: list[dict]) -> str:
    """A JSON trace of one measured step per rank of each run; raises UserError when there is nothing to export."""
    events = trace_events(runs)
    meta = [
        {k: run.get(k) for k in ("mode", "scaling", "world_size", "microbatches", "device", "finished")} for run in runs
    ]
    trace = {"traceEvents": events, "displayTimeUnit": "ms", "otherData": {"runs": meta}}
    return json.dumps(trace)
