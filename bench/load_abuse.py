"""Bad input for the server, on loopback only and bounded in count and time: does it stay up, keep its memory
bounded, and keep answering a normal session within 2x of its unloaded latency?

Three scenarios, one after another, while a normal "probe" session reruns the Home page every half second:
- ``never_read``: one client opens ``--sessions`` websocket sessions, asks each for ``--reruns`` page runs and
  never reads a byte of the answers (the server's writes pile up in its send buffers);
- ``max_upload``: one session uploads a file of the video limit (core.limits.VIDEO_MAX_MB, just under it:
  the multipart wrapping counts too) ``--uploads`` times to the Video page's uploader;
- ``reconnect_storm``: ``--reconnects`` connect-open-Home-close cycles within ``--storm-seconds``.

The abusing clients connect from ``--abuser`` (127.0.0.2), the probe from 127.0.0.1: behind nginx
(``--behind-nginx``: one replica behind deploy/rnnplay.conf, whose limits are per client address) they are
two clients, as a script kid and a class are. An open or upload that nginx refuses (429, or a websocket
handshake refused) counts as refused, not as an error; each scenario reports how many were served and refused.

    python bench/load_protocol.py --abuse        (or python bench/load_abuse.py)
    python bench/load_abuse.py --behind-nginx

Writes bench/results/load_abuse.json (load_abuse_nginx.json behind nginx): the probe's unloaded and
per-scenario latency (median, p95, ratio), server RSS before/peak/after each scenario, whether the server
stayed up and still serves a fresh session.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import json
import multiprocessing
import queue
import statistics
import sys
import tempfile
import time
import urllib.error
from dataclasses import dataclass
from pathlib import Path

import psutil
import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.load_protocol import ProcessWatch, Session, command_line, servers, string_state  # noqa: E402
from core import limits  # noqa: E402
from core.distributed.runner import machine_info  # noqa: E402

OUT = ROOT / "bench" / "results" / "load_abuse.json"
OUT_NGINX = ROOT / "bench" / "results" / "load_abuse_nginx.json"
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
    abuser: str | None = "127.0.0.2"  # the abusing clients' local address (the probe's is 127.0.0.1)


def refused(error: Exception) -> bool:
    """nginx's per-client limits said no (429): to a websocket open, or to an upload."""
    if isinstance(error, websockets.InvalidStatus):
        return error.response.status_code == 429
    return isinstance(error, urllib.error.HTTPError) and error.code == 429


def said(error: Exception) -> str:
    """An error as the report keeps it: its type and the start of its message."""
    return f"{type(error).__name__}: {str(error)[:200]}"


class Probe:
    """A normal session rerunning Home every ``every`` seconds, in a process of its own: in this process's
    event loop the abusing clients' work (200 handshakes, their messages) delayed the probe's reading of its
    own answers, and that delay was counted as the server's. Latencies come back with their start times
    (``time.monotonic`` is the machine's clock, the same in both processes)."""

    def __init__(self, url: str, every: float, timeout: float):
        self.timeout = timeout
        self.samples: list[tuple[float, float]] = []  # (monotonic start, seconds)
        self.errors: list[str] = []
        context = multiprocessing.get_context("spawn")  # a fork would inherit this process's running loop
        self._queue, self._stop = context.Queue(), context.Event()
        self._process = context.Process(target=_probe_main, args=(url, every, timeout, self._queue, self._stop))

    async def start(self) -> None:
        self._process.start()
        ready = await asyncio.to_thread(self._queue.get, True, self.timeout)  # after its first (warm-up) rerun
        if ready != "ready":
            raise RuntimeError(f"the probe could not open a session: {ready}")

    def _drain(self) -> None:
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            (self.errors if isinstance(item, str) else self.samples).append(item)

    def answered(self) -> list[tuple[float, float]]:
        """Every (start, seconds) the probe has reported so far."""
        self._drain()
        return self.samples

    def between(self, start: float, end: float) -> list[float]:
        """Reruns that were running at some moment of [start, end] (one that started just before counts)."""
        return [seconds for t, seconds in self.answered() if t <= end and t + seconds >= start]

    async def stop(self) -> None:
        self._stop.set()
        await asyncio.to_thread(self._process.join, self.timeout + 5)
        if self._process.is_alive():
            self._process.kill()
        self._drain()


def _probe_main(url: str, every: float, timeout: float, out, stop) -> None:
    """The probe process: open a session, say "ready", then one rerun every ``every`` seconds until ``stop``."""

    async def loop() -> None:
        session = Session(url, timeout)
        try:
            await session.connect()
            await session.rerun(page="", query="")
        except (TimeoutError, ConnectionError, RuntimeError, OSError) as error:
            out.put(said(error))
            return
        out.put("ready")
        while not stop.is_set():
            start = time.monotonic()
            try:
                out.put((start, await session.rerun()))
            except (TimeoutError, ConnectionError, RuntimeError) as error:
                out.put(said(error))
            await asyncio.sleep(max(0.0, every - (time.monotonic() - start)))
        await session.close()

    asyncio.run(loop())


async def never_read(url: str, config: AbuseConfig) -> dict:
    """Open ``sessions`` websockets, send ``reruns`` page runs on each, read nothing; then close them all."""
    sockets, refusals = [], 0
    for _ in range(config.sessions):
        session = Session(url, config.timeout, config.abuser)
        await asyncio.to_thread(session.http, "/_stcore/health")
        protocols = ["streamlit", session.cookies.get("_streamlit_xsrf", "")]
        cookie = "; ".join(f"{k}={v}" for k, v in session.cookies.items())
        try:
            ws = await websockets.connect(
                url.replace("http", "ws", 1) + "/_stcore/stream",
                subprotocols=[p for p in protocols if p],
                max_size=None,
                additional_headers={"Cookie": cookie} if cookie else None,
                max_queue=1,  # the library stops reading from the socket once one message waits
                ping_interval=None,
                open_timeout=config.timeout,
                **session.socket_options(),
            )
        except websockets.InvalidStatus as error:
            if not refused(error):
                raise
            refusals += 1
            continue
        sockets.append(ws)
        for _ in range(config.reruns):
            msg = BackMsg()
            msg.rerun_script.page_name = ""  # Home
            await ws.send(msg.SerializeToString())
    await asyncio.sleep(5)  # let the server run what it was asked while nobody reads
    await asyncio.gather(*(asyncio.wait_for(ws.close(), 2) for ws in sockets), return_exceptions=True)
    for ws in sockets:  # a close cut short by the timeout leaves the TCP connection open: nginx would count it
        ws.transport.abort()
    return {"sessions": config.sessions, "served": len(sockets), "refused": refusals, "reruns_each": config.reruns}


async def max_upload(url: str, config: AbuseConfig) -> dict:
    """One session uploads a maximum-size file ``uploads`` times to the Video page's uploader."""
    session = Session(url, config.timeout, config.abuser)
    await session.connect()
    await session.rerun(page="", query="")
    await session.rerun(page="Video")
    await session.rerun((string_state(session.widget("video_source").id, "Upload"),))
    data = bytes(int(config.upload_mb * 2**20))  # zeros: not a video, refused with a message after the upload
    seconds, app_message, refusals = [], [], 0
    for i in range(config.uploads):
        try:
            seconds.append(round(await session.upload("video_upload", f"big{i}.mp4", data), 2))
        except urllib.error.HTTPError as error:
            if not refused(error):
                raise
            refusals += 1
            continue
        app_message.append(any(element.WhichOneof("type") == "alert" for element in session.elements.values()))
    await session.close()
    return {
        "uploads": config.uploads,
        "megabytes": round(len(data) / 2**20, 2),
        "served": len(seconds),
        "refused": refusals,
        "seconds": seconds,  # per served upload
        "app_message": app_message,  # per served upload: the page said it is not a video
    }


async def reconnect_storm(url: str, config: AbuseConfig) -> dict:
    """``reconnects`` cycles of connect, open Home, close, spread over ``storm_seconds``."""
    gap = config.storm_seconds / config.reconnects
    seconds, errors, refusals = [], [], 0
    for _ in range(config.reconnects):
        start = time.monotonic()
        session = Session(url, config.timeout, config.abuser)
        try:
            await session.connect()
            await session.rerun(page="", query="")
            seconds.append(time.monotonic() - start)
        except websockets.InvalidStatus as error:
            if not refused(error):
                raise
            refusals += 1
        except (TimeoutError, ConnectionError, RuntimeError, OSError) as error:
            errors.append(said(error))
        finally:
            await session.close()
        await asyncio.sleep(max(0.0, gap - (time.monotonic() - start)))
    return {
        "reconnects": config.reconnects,
        "served": len(seconds),
        "refused": refusals,
        "errors": errors,
        "open_p50_s": _median(seconds),
    }


SCENARIO_RUNNERS = {"never_read": never_read, "max_upload": max_upload, "reconnect_storm": reconnect_storm}


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 3) if values else None


def _p95(values: list[float]) -> float | None:
    return round(sorted(values)[min(len(values) - 1, round(0.95 * (len(values) - 1)))], 3) if values else None


async def fresh_session_answers(url: str, timeout: float = 60, source: str | None = None) -> bool:
    """A new session (from the local address ``source``) can open Home and gets its script_finished."""
    session = Session(url, timeout, source)
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
    unloaded = [s for _, s in probe.answered()[1:]]  # the first rerun after opening is warm-up
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
    await probe.stop()
    out["probe_errors"] = probe.errors[:10]
    return out


@contextlib.contextmanager
def one_server(folder: Path, behind_nginx: bool):
    """One replica, bare or behind nginx with deploy/rnnplay.conf; yields (url, replica pids)."""
    if not behind_nginx:
        with servers(1, folder) as served:
            yield served
        return
    from deploy.serve import replicas_behind_nginx

    with replicas_behind_nginx(1, folder) as (url, processes):
        yield url, [p.pid for p in processes]


def run(config: AbuseConfig, url: str, pids: list[int], behind_nginx: bool = False) -> dict:
    box = machine_info()
    with ProcessWatch(pids) as watch:
        report = asyncio.run(abuse(url, config, watch if pids else None))
    return {
        "benchmark": "load_abuse",
        "measured": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "behind_nginx": behind_nginx,  # one replica behind deploy/rnnplay.conf and its per-client limits
        "config": {k: list(v) if isinstance(v, tuple) else v for k, v in vars(config).items()},
        **report,
        "server_alive": all(psutil.pid_exists(pid) for pid in pids) if pids else None,
        "server_cpu_s": round(watch.server_cpu, 1) if pids else None,
        "generator_cpu_s": round(watch.own_cpu, 1),
        "machine": {**box, "load_1min_peak": round(watch.load_peak, 2)},
    }


def main(argv: list[str] | None = None, command: str | None = None) -> dict:
    """``command``: the command line to record when another script parsed part of it (load_protocol --abuse)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=AbuseConfig.sessions)
    parser.add_argument("--reruns", type=int, default=AbuseConfig.reruns)
    parser.add_argument("--uploads", type=int, default=AbuseConfig.uploads)
    parser.add_argument("--upload-mb", type=float, default=AbuseConfig.upload_mb)
    parser.add_argument("--reconnects", type=int, default=AbuseConfig.reconnects)
    parser.add_argument("--storm-seconds", type=float, default=AbuseConfig.storm_seconds)
    parser.add_argument("--scenario", nargs="+", choices=SCENARIOS, default=SCENARIOS)
    parser.add_argument("--behind-nginx", action="store_true", help="one replica behind deploy/rnnplay.conf")
    parser.add_argument("--abuser", default=AbuseConfig.abuser, help="the abusing clients' local address")
    parser.add_argument("--out", type=Path, help="default bench/results/load_abuse.json (_nginx.json behind nginx)")
    args = parser.parse_args(argv)
    config = AbuseConfig(
        sessions=args.sessions,
        reruns=args.reruns,
        uploads=args.uploads,
        upload_mb=args.upload_mb,
        reconnects=args.reconnects,
        storm_seconds=args.storm_seconds,
        scenarios=tuple(args.scenario),
        abuser=args.abuser,
    )
    with tempfile.TemporaryDirectory(prefix="rnnplay-abuse-") as tmp:
        with one_server(Path(tmp), args.behind_nginx) as (url, pids):
            report = run(config, url, pids, args.behind_nginx)
    report["command"] = command or command_line(argv, "bench/load_abuse.py")
    out = args.out or (OUT_NGINX if args.behind_nginx else OUT)
    out.write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report, indent=1))
    return report


if __name__ == "__main__":
    main()
