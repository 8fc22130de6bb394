"""Bad input for the server, on loopback only and bounded in count and time: does it stay up, keep its memory
bounded, and keep answering a normal session within 2x of its unloaded latency?

Three scenarios, one after another, while a normal "probe" session reruns the Home page every half second:
- ``never_read``: one client opens ``--sessions`` websocket sessions, asks each for ``--reruns`` page runs and
  never reads a byte of the answers (the server's writes pile up in its send buffers);
- ``max_upload``: one session uploads a file of the video limit (core.limits.VIDEO_MAX_MB, just under it:
  the multipart wrapping counts too) ``--uploads`` times to the Video page's uploader;
- ``reconnect_storm``: ``--reconnects`` connect-open-Home-close cycles within ``--storm-seconds``.

    python bench/load_protocol.py --abuse        (or python bench/load_abuse.py)

Writes bench/results/load_abuse.json: the probe's unloaded and per-scenario latency (median, p95, ratio),
server RSS before/peak/after each scenario, whether the server stayed up and still serves a fresh session.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import json
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.load_protocol import ProcessWatch, Session, servers, string_state  # noqa: E402
from core import limits  # noqa: E402
from core.distributed.runner import machine_info  # noqa: E402

OUT = ROOT / "bench" / "results" / "load_abuse.json"
SCENARIOS = ("never_read", "max_upload", "reconnect_storm")
MAX_RATIO = 2.0  # the bound: other sessions within 2x of the unloaded figure


@dataclass
class AbuseConfig:
    sessions: int = 200  # never-reading sessions
    reruns: int = 3  # page runs each never-reading session asks for
    uploads: int = 3  # maximum-size uploads, one after another
    upload_mb: float = limits.VIDEO_MAX_MB - 0.01  # just under the video limit (multipart headers count too)
    reconnects: int = 50  # in the storm
    storm_seconds: float = 10.0  # the storm's length
    probe_every: float = 0.5  # seconds between the probe's reruns
    timeout: float = 120.0  # seconds any one step may take
    scenarios: tuple[str, ...] = SCENARIOS


class Probe:
    """A normal session rerunning Home every ``every`` seconds; latencies kept with their start times."""

    def __init__(self, url: str, every: float, timeout: float):
        self.session, self.every = Session(url, timeout), every
        self.samples: list[tuple[float, float]] = []  # (monotonic start, seconds)
        self.errors: list[str] = []
        self.task: asyncio.Task | None = None

    async def start(self) -> None:
        await self.session.connect()
        await self.session.rerun(page="", query="")
        self.task = asyncio.create_task(self.loop())

    async def loop(self) -> None:
        while True:
            start = time.monotonic()
            try:
                self.samples.append((start, await self.session.rerun()))
            except (TimeoutError, ConnectionError, RuntimeError) as error:
                self.errors.append(f"{type(error).__name__}: {str(error)[:200]}")
            await asyncio.sleep(max(0.0, self.every - (time.monotonic() - start)))

    def between(self, start: float, end: float) -> list[float]:
        """Reruns that were running at some moment of [start, end] (one that started just before counts)."""
        return [seconds for t, seconds in self.samples if t <= end and t + seconds >= start]

    async def stop(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task
        await self.session.close()


async def never_read(url: str, config: AbuseConfig) -> dict:
    """Open ``sessions`` websockets, send ``reruns`` page runs on each, read nothing; then close them all."""
    sockets = []
    for _ in range(config.sessions):
        session = Session(url, config.timeout)
        await asyncio.to_thread(session.http, "/_stcore/health")
        protocols = ["streamlit", session.cookies.get("_streamlit_xsrf", "")]
        cookie = "; ".join(f"{k}={v}" for k, v in session.cookies.items())
        ws = await websockets.connect(
            url.replace("http", "ws", 1) + "/_stcore/stream",
            subprotocols=[p for p in protocols if p],
            max_size=None,
            additional_headers={"Cookie": cookie} if cookie else None,
            max_queue=1,  # the library stops reading from the socket once one message waits
            ping_interval=None,
            open_timeout=config.timeout,
        )
        sockets.append(ws)
        for _ in range(config.reruns):
            msg = BackMsg()
            msg.rerun_script.page_name = ""  # Home
            await ws.send(msg.SerializeToString())
    await asyncio.sleep(5)  # let the server run what it was asked while nobody reads
    await asyncio.gather(*(asyncio.wait_for(ws.close(), 2) for ws in sockets), return_exceptions=True)
    return {"sessions": config.sessions, "reruns_each": config.reruns}


async def max_upload(url: str, config: AbuseConfig) -> dict:
    """One session uploads a maximum-size file ``uploads`` times to the Video page's uploader."""
    session = Session(url, config.timeout)
    await session.connect()
    await session.rerun(page="", query="")
    await session.rerun(page="Video")
    await session.rerun((string_state(session.widget("video_source").id, "Upload"),))
    data = bytes(int(config.upload_mb * 2**20))  # zeros: not a video, refused with a message after the upload
    seconds, refused = [], []
    for i in range(config.uploads):
        seconds.append(round(await session.upload("video_upload", f"big{i}.mp4", data), 2))
        refused.append(any(element.WhichOneof("type") == "alert" for element in session.elements.values()))
    await session.close()
    return {"uploads": config.uploads, "megabytes": round(len(data) / 2**20, 2), "seconds": seconds, "refused": refused}


async def reconnect_storm(url: str, config: AbuseConfig) -> dict:
    """``reconnects`` cycles of connect, open Home, close, spread over ``storm_seconds``."""
    gap = config.storm_seconds / config.reconnects
    seconds, errors = [], []
    for _ in range(config.reconnects):
        start = time.monotonic()
        session = Session(url, config.timeout)
        try:
            await session.connect()
            await session.rerun(page="", query="")
            seconds.append(time.monotonic() - start)
        except (TimeoutError, ConnectionError, RuntimeError, OSError) as error:
            errors.append(f"{type(error).__name__}: {str(error)[:200]}")
        finally:
            await session.close()
        await asyncio.sleep(max(0.0, gap - (time.monotonic() - start)))
    return {"reconnects": config.reconnects, "errors": errors, "open_p50_s": _median(seconds)}


SCENARIO_RUNNERS = {"never_read": never_read, "max_upload": max_upload, "reconnect_storm": reconnect_storm}


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 3) if values else None


def _p95(values: list[float]) -> float | None:
    return round(sorted(values)[min(len(values) - 1, round(0.95 * (len(values) - 1)))], 3) if values else None


async def fresh_session_answers(url: str, timeout: float = 60) -> bool:
    """A new session can open Home and gets its script_finished."""
    session = Session(url, timeout)
    try:
        await session.connect()
        await session.rerun(page="", query="")
        return True
    except (TimeoutError, ConnectionError, RuntimeError, OSError, websockets.WebSocketException):
        return False
    finally:
        await session.close()


async def abuse(url: str, config: AbuseConfig, watch: ProcessWatch | None = None) -> dict:
    """Every scenario in turn with the probe running; returns the report's per-scenario part."""
    probe = Probe(url, config.probe_every, config.timeout)
    await probe.start()
    await asyncio.sleep(10 * config.probe_every)
    unloaded = [s for _, s in probe.samples[1:]]  # the first rerun after opening is warm-up
    out = {
        "probe": "a normal session rerunning Home",
        "unloaded": {"p50_s": _median(unloaded), "p95_s": _p95(unloaded)},
    }
    for name in config.scenarios:
        rss_before = watch.rss() if watch else None
        if watch:
            watch.peak = rss_before
        start = time.monotonic()
        result = await SCENARIO_RUNNERS[name](url, config)
        end = time.monotonic()
        await asyncio.sleep(3 * config.probe_every)  # the probe's reruns that were waiting finish
        # a scenario shorter than the probe's period may fall between two reruns: the window is at least
        # two periods long, so the probe's next rerun (which waited behind the scenario's work) counts
        during = probe.between(start, max(end, start + 2 * config.probe_every))
        figure = {**result, "wall_s": round(end - start, 1), "probe_reruns": len(during)}
        figure["probe_p50_s"], figure["probe_p95_s"] = _median(during), _p95(during)
        if during and out["unloaded"]["p50_s"]:
            figure["probe_p50_ratio"] = round(figure["probe_p50_s"] / out["unloaded"]["p50_s"], 2)
            figure["within_2x"] = figure["probe_p50_ratio"] <= MAX_RATIO
        figure["server_answers_after"] = await fresh_session_answers(url)
        if watch:
            await asyncio.sleep(5)
            figure["server_rss_mb"] = {
                "before": round(rss_before / 2**20),
                "peak": round(watch.peak / 2**20),
                "after_5s": round(watch.rss() / 2**20),
            }
        out[name] = figure
    out["probe_errors"] = probe.errors[:10]
    await probe.stop()
    return out


def run(config: AbuseConfig, url: str, pids: list[int]) -> dict:
    box = machine_info()
    with ProcessWatch(pids) as watch:
        report = asyncio.run(abuse(url, config, watch if pids else None))
    return {
        "benchmark": "load_abuse",
        "measured": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "config": {k: list(v) if isinstance(v, tuple) else v for k, v in vars(config).items()},
        **report,
        "server_alive": all(psutil.pid_exists(pid) for pid in pids) if pids else None,
        "server_cpu_s": round(watch.server_cpu, 1) if pids else None,
        "generator_cpu_s": round(watch.own_cpu, 1),
        "machine": {**box, "load_1min_peak": round(watch.load_peak, 2)},
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=AbuseConfig.sessions)
    parser.add_argument("--reruns", type=int, default=AbuseConfig.reruns)
    parser.add_argument("--uploads", type=int, default=AbuseConfig.uploads)
    parser.add_argument("--reconnects", type=int, default=AbuseConfig.reconnects)
    parser.add_argument("--storm-seconds", type=float, default=AbuseConfig.storm_seconds)
    parser.add_argument("--scenario", nargs="+", choices=SCENARIOS, default=SCENARIOS)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    config = AbuseConfig(
        sessions=args.sessions,
        reruns=args.reruns,
        uploads=args.uploads,
        reconnects=args.reconnects,
        storm_seconds=args.storm_seconds,
        scenarios=tuple(args.scenario),
    )
    with tempfile.TemporaryDirectory(prefix="rnnplay-abuse-") as tmp:
        with servers(1, Path(tmp)) as (url, pids):
            report = run(config, url, pids)
    report["command"] = "python bench/load_abuse.py " + " ".join(argv if argv is not None else sys.argv[1:])
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report, indent=1))
    return report


if __name__ == "__main__":
    main()
