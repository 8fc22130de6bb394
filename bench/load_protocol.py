"""A classroom at once: many simulated people on the app, spoken at Streamlit's own protocol, no browser.

Each person is one websocket session (``/_stcore/stream``) that sends what the browser sends
(``BackMsg.rerun_script`` with a ``ClientState``: page hash, query string, widget states keyed by the
widget ids the server put in its element protos) and reads the ``ForwardMsg`` deltas back. A file goes
up the way ``st.file_uploader`` sends it: ``BackMsg.file_urls_request`` -> ``file_urls_response`` ->
HTTP PUT to ``/_stcore/upload_file/<session>/<file>`` (XSRF header from the ``_streamlit_xsrf`` cookie).
Parsing protobufs costs the generator a few ms per rerun, so the CPU figures are the server's; the
generator's own CPU is reported beside them.

One person, over and over until the time is up, ``think`` seconds before every step:
open the Translation page, type a number in words (translate), switch to beam search with width 5
(beam5), open the Generator, generate 400 characters of a folk tune (generate), open the Video page,
choose "Upload" (choose_upload), upload a 3 s clip (upload), open the Variable-length page and move
a slider (slider). Every page visit is an ``open``. Latency runs from sending the BackMsg to the
``script_finished`` ForwardMsg (for an upload: from asking for the upload URL). Each result is
checked to be the person's own: the French words of the number only they typed, the tune their seed
gives (computed here first), the frame count of the clip only they have.

    python bench/load_protocol.py --people 30 --minutes 5 [--url URL] [--replicas N]
    python bench/load_protocol.py --abuse [--sessions 200 --uploads 3 --reconnects 50]   (bench/load_abuse.py)

Without ``--url`` it starts the server itself (N replicas behind nginx when N > 1, see deploy/serve.py)
and measures its process tree; with ``--url`` server CPU and memory are measured only for ``--pid``s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import http.client
import http.cookies
import json
import os
import random
import shlex
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field, replace
from pathlib import Path

import psutil
import websockets
from num2words import num2words
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.live import streamlit_server  # noqa: E402
from core import checkpoints  # noqa: E402
from core.distributed.runner import machine_info  # noqa: E402
from core.generation import corpora, generate  # noqa: E402
from core.varlen import batching  # noqa: E402
from core.video import synth  # noqa: E402

# The parts of one round and the actions each part times (every page visit is an "open").
PARTS = {
    "translate": ("translate", "beam5"),
    "generate": ("generate",),
    "upload": ("choose_upload", "upload"),
    "slider": ("slider",),
}
PART_TEXT = {
    "translate": "open Translation, translate a typed number, switch to beam 5",
    "generate": "open Generator, generate 400 characters of a tune",
    "upload": "open Video, choose Upload, upload a 3 s clip",
    "slider": "open Variable-length, change its longest length (the page's number input; it has no slider)",
}
SCENARIO = tuple(PARTS)
ACTIONS = ("open", *(action for actions in PARTS.values() for action in actions))
# The targets: p95 seconds per action on one 2-core server (open/choose_upload have none).
TARGET_P95 = {"translate": 2.0, "beam5": 2.0, "slider": 2.0, "generate": 5.0, "upload": 5.0}
TARGET_PEAK_MB = 1536
BUSY_SHARE = 0.5  # capacity(): a replica's core kept at most half busy
LARGER_MACHINE_CORES = 16  # capacity(): the machine the issue asks about
TUNE = {"model": "folk-abc", "meter": "6/8", "key": "D", "type": "jig"}
FINISHED_OK = (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)


@dataclass
class LoadConfig:
    people: int = 30  # simulated people, each one websocket session
    minutes: float = 5.0  # how long they keep clicking
    think: tuple[float, float] = (5.0, 15.0)  # seconds between steps, uniform
    tune_chars: int = 400  # characters of tune the Generator writes per click
    clip_seconds: float = 3.0  # length of each person's uploaded clip
    timeout: float = 180.0  # seconds a step may take before it counts as an error
    seed: int = 0  # think times and start offsets
    scenario: tuple[str, ...] = SCENARIO  # the parts of one round, in order
    rounds: int = 0  # rounds per person (0: as many as fit in ``minutes``)


class NotOwn(AssertionError):
    """The rerun finished but shows something other than this person's result."""


class PageException(RuntimeError):
    """The rerun finished with an exception drawn on the page."""


# ---- one person's session -----------------------------------------------------------------------


class Session:
    """A Streamlit session driven over its websocket, as the frontend would drive it; ``source``: the local
    address it connects from (on Linux all of 127.0.0.0/8 is loopback, so a second "client address" for
    nginx's per-address limits is 127.0.0.2), None: the system's choice."""

    def __init__(self, base_url: str, timeout: float, source: str | None = None):
        self.base_url, self.timeout, self.source = base_url.rstrip("/"), timeout, source
        self.opener = urllib.request.build_opener(*([SourceHandler(source)] if source else []))
        self.cookies: dict[str, str] = {}
        self.ws = None
        self.reader: asyncio.Task | None = None
        self.session_id = ""
        self.pages: dict[str, str] = {}  # url pathname -> page script hash
        self.page_hash = ""
        self.query = ""
        self.elements: dict[tuple, object] = {}  # delta path -> element proto of the current run
        self.values: dict[str, WidgetState] = {}  # widget id -> the value this client set on this page
        self.finished: asyncio.Future | None = None
        self.urls: asyncio.Future | None = None

    # -- transport

    def http(self, path: str, data: bytes | None = None, method: str = "GET", headers: dict | None = None) -> bytes:
        """One HTTP request with this session's cookies (the XSRF one and nginx's route); keeps new ones."""
        url = urllib.parse.urljoin(self.base_url + "/", path.lstrip("/"))
        request = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
        if self.cookies:
            request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        with self.opener.open(request, timeout=self.timeout) as response:
            for header in response.headers.get_all("Set-Cookie") or []:
                self.cookies.update({k: m.value for k, m in http.cookies.SimpleCookie(header).items()})
            return response.read()

    async def connect(self) -> None:
        await asyncio.to_thread(self.http, "/_stcore/health")  # sets the XSRF (and route) cookies
        url = self.base_url.replace("http", "ws", 1) + "/_stcore/stream"
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        # the subprotocol header carries "streamlit", then the XSRF token (as the frontend sends it)
        protocols = ["streamlit", self.cookies.get("_streamlit_xsrf", "")]
        self.ws = await websockets.connect(
            url, subprotocols=[p for p in protocols if p], additional_headers={"Cookie": cookie} if cookie else None,
            max_size=None, open_timeout=self.timeout, ping_interval=None,  # a browser sends no pings either
            **self.socket_options(),
        )  # fmt: skip
        self.reader = asyncio.create_task(self.read())

    def socket_options(self) -> dict:
        """websockets.connect's options for connecting from ``source`` (passed on to loop.create_connection)."""
        return {"local_addr": (self.source, 0)} if self.source else {}

    async def close(self) -> None:
        if self.reader is not None:
            self.reader.cancel()
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()

    async def read(self) -> None:
        try:
            async for raw in self.ws:
                msg = ForwardMsg()
                msg.ParseFromString(raw)
                self.handle(msg)
        except websockets.ConnectionClosed:
            pass
        finally:
            for future in (self.finished, self.urls):
                if future is not None and not future.done():
                    future.set_exception(ConnectionError("the server closed the websocket"))

    def handle(self, msg: ForwardMsg) -> None:
        kind = msg.WhichOneof("type")
        if kind == "new_session":  # every script run starts with one
            self.session_id = msg.new_session.initialize.session_id
            self.page_hash = msg.new_session.page_script_hash or self.page_hash
            self.elements = {}
        elif kind == "navigation":
            self.pages = {p.url_pathname: p.page_script_hash for p in msg.navigation.app_pages}
        elif kind == "page_info_changed":
            self.query = msg.page_info_changed.query_string
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            self.elements[tuple(msg.metadata.delta_path)] = msg.delta.new_element
        elif kind == "file_urls_response" and self.urls is not None and not self.urls.done():
            self.urls.set_result(msg.file_urls_response)
        elif kind == "script_finished" and msg.script_finished in FINISHED_OK:
            if self.finished is not None and not self.finished.done():
                self.finished.set_result(msg.script_finished)

    # -- what a browser does

    async def rerun(self, widgets: tuple[WidgetState, ...] = (), page: str | None = None, query: str = "") -> float:
        """Rerun the current page (or open ``page`` with ``query``) with ``widgets`` set; returns seconds
        from sending to ``script_finished``."""
        if page is not None:
            self.page_hash, self.query, self.values = self.pages.get(page, ""), query, {}
        for state in widgets:
            if state.WhichOneof("value") != "trigger_value":  # a click is sent once, a value stays
                self.values[state.id] = state
        msg = BackMsg()
        client = msg.rerun_script
        client.query_string, client.page_script_hash = self.query, self.page_hash
        if page is not None and not self.page_hash:
            client.page_name = page  # the first visit, before the server sent its page list
        client.widget_states.widgets.extend([*self.values.values(), *(w for w in widgets if w.id not in self.values)])
        self.finished = asyncio.get_running_loop().create_future()
        start = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        await asyncio.wait_for(self.finished, self.timeout)
        seconds = time.perf_counter() - start
        self.raise_shown_exception()
        return seconds

    def raise_shown_exception(self) -> None:
        for element in self.elements.values():
            if element.WhichOneof("type") == "exception":
                raise PageException(f"page exception: {element.exception.type}: {element.exception.message[:300]}")

    def widget(self, key: str):
        """The element proto of the widget with user key ``key`` in the current run."""
        for element in self.elements.values():
            proto = getattr(element, element.WhichOneof("type"))
            if getattr(proto, "id", "").endswith(f"-{key}"):
                return proto
        raise NotOwn(f"no widget with key {key!r} on the page")

    def texts(self) -> list[str]:
        """Every markdown body of the current run (st.markdown, st.caption, st.write_stream's text)."""
        return [element.markdown.body for element in self.elements.values() if element.WhichOneof("type") == "markdown"]

    async def upload(self, key: str, name: str, data: bytes) -> float:
        """Send a file to the uploader with user key ``key`` the way the frontend does; returns seconds."""
        widget_id = self.widget(key).id
        request = BackMsg()
        request.file_urls_request.request_id = f"{random.getrandbits(64):x}"
        request.file_urls_request.file_names.append(name)
        request.file_urls_request.session_id = self.session_id
        self.urls = asyncio.get_running_loop().create_future()
        start = time.perf_counter()
        await self.ws.send(request.SerializeToString())
        urls = (await asyncio.wait_for(self.urls, self.timeout)).file_urls[0]
        boundary = f"----rnnplay{random.getrandbits(64):x}"
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n"
            ).encode()
            + data
            + f"\r\n--{boundary}--\r\n".encode()
        )
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        headers["X-Xsrftoken"] = self.cookies.get("_streamlit_xsrf", "")
        await asyncio.to_thread(self.http, urls.upload_url, body, "PUT", headers)
        state = WidgetState(id=widget_id)
        info = state.file_uploader_state_value.uploaded_file_info.add()
        info.name, info.size, info.file_id = name, len(data), urls.file_id
        info.file_urls.CopyFrom(urls)
        await self.rerun((state,))
        return time.perf_counter() - start


class SourceHandler(urllib.request.HTTPHandler):
    """Plain-HTTP requests from the local address ``source``."""

    def __init__(self, source: str):
        super().__init__()
        self.source = source

    def http_open(self, request):
        return self.do_open(http.client.HTTPConnection, request, source_address=(self.source, 0))


def string_state(widget_id: str, value: str) -> WidgetState:
    return WidgetState(id=widget_id, string_value=value)


# ---- one person ---------------------------------------------------------------------------------


@dataclass
class Person:
    """What only this person types, uploads and asks for, and what they must see back."""

    index: int
    clip: bytes
    clip_frames: int
    tune: str  # the text the Generator must stream for this person's seed
    rng: random.Random  # this person's think times
    think: tuple[float, float]
    timings: dict[str, list[float]] = field(default_factory=lambda: {name: [] for name in ACTIONS})
    errors: list[str] = field(default_factory=list)
    not_own: int = 0

    def number(self, round_: int) -> int:
        return 1000 + 7919 * self.index + 104_729 * round_  # distinct per person and per round


def person_clip(folder: Path, index: int, seconds: float) -> tuple[bytes, int]:
    """A ``seconds``-long MJPG clip whose frame count (30 + index) names its owner."""
    frames = 30 + index
    spec = replace(synth.random_spec(synth.LABELS[index % len(synth.LABELS)], seed=index), frames=frames)
    spec = replace(spec, fps=frames / seconds)
    return synth.write_clip(spec, folder / f"person{index}", "MJPG").read_bytes(), frames


def tune_seed(index: int) -> int:
    return 1000 + index


def expected_tunes(count: int, chars: int) -> list[str]:
    """The tune each person's seed gives with the Generator page's defaults, computed here."""
    model = checkpoints.load(TUNE["model"])
    style = {k: TUNE[k] for k in ("meter", "key", "type")}
    prime = generate.prepare_prime(model, "")
    settings = [generate.Settings("sample", chars, seed=tune_seed(i)) for i in range(count)]
    return ["".join(generate.stream(model, prime, s, style)) for s in settings]


async def translate(session: Session, person: Person, round_: int) -> dict[str, float]:
    """Type this person's number, then switch to beam search of width 5: both must show its French words."""
    number = person.number(round_)
    source, expected = num2words(number, lang="en"), num2words(number, lang="fr")
    seconds = {"translate": await session.rerun((string_state(session.widget("tr_text").id, source),))}
    check_translation(session, expected)
    await think(person)
    beam = WidgetState(id=session.widget("tr_beam").id)
    beam.double_array_value.data.append(5)
    seconds["beam5"] = await session.rerun((string_state(session.widget("tr_method").id, "beam"), beam))
    check_translation(session, expected)
    return seconds


def check_translation(session: Session, expected: str) -> None:
    shown = [t for t in session.texts() if t.startswith("### → ")]
    if shown != [f"### → {expected}"]:
        raise NotOwn(f"expected '→ {expected}', the page shows {shown[:1]!r}")


async def generate_tune(session: Session, person: Person) -> float:
    seconds = await session.rerun((WidgetState(id=session.widget("gen_run").id, trigger_value=True),))
    streamed = [t for t in session.texts() if t.startswith("`````text\n")]
    text = streamed[0].removeprefix("`````text\n").removesuffix("\n`````") if streamed else None
    if text != person.tune:
        raise NotOwn(f"expected the tune of seed {tune_seed(person.index)}, the page shows {str(text)[:60]!r}")
    return seconds


async def upload_clip(session: Session, person: Person) -> float:
    seconds = await session.upload("video_upload", f"person{person.index}.avi", person.clip)
    if not any(f"· {person.clip_frames} frames read ·" in text for text in session.texts()):
        raise NotOwn(f"expected '{person.clip_frames} frames read', the page shows none")
    if not any(e.WhichOneof("type") == "metric" for e in session.elements.values()):
        raise NotOwn("the clip was read but no prediction was shown")
    return seconds


async def move_slider(session: Session, rng: random.Random) -> float:
    """The Variable-length page's "slider" step. The page has no st.slider today: its batch is set by number
    inputs, so this changes "Longest length" (key varlen_len), a change that rebuilds the batch and its figures."""
    length = rng.randint(20, 200)
    seconds = await session.rerun((WidgetState(id=session.widget("varlen_len").id, double_value=length),))
    # The page's own batch for this length (default distribution and size, seed 0) must be the one described:
    # its URL cannot tell, since a bound widget's value reaches the address bar from the browser, not the server.
    s = batching.summary(batching.make_batch("long-tailed", 24, length, 0).lengths)
    expected = f"lengths {s['min_length']}–{s['max_length']} (mean {s['mean_length']:.1f})"
    if not any(expected in text for text in session.texts()):
        raise NotOwn(f"asked for longest length {length}; the page does not describe that batch ({expected})")
    return seconds


async def think(person: Person) -> None:
    await asyncio.sleep(person.rng.uniform(*person.think))


async def visit(session: Session, person: Person, page: str, query: str = "") -> None:
    person.timings["open"].append(await session.rerun(page=page, query=query))


def part_steps(part: str, person: Person, round_: int, config: LoadConfig) -> tuple:
    """(action name, coroutine function of the session) for each step of one part of the scenario."""
    # the pages' widgets are bound to the URL under their keys (a select box's value as it is shown)
    translation_query = urllib.parse.urlencode({"tr_model": "numbers-en-fr", "tr_method": "greedy"})
    tune_query = urllib.parse.urlencode(
        {
            "gen_model": TUNE["model"],
            "gen_meter": TUNE["meter"],
            "gen_key": corpora.key_label(TUNE["key"]),
            "gen_type": TUNE["type"],
            "gen_method": "sampling",
            "gen_seed": tune_seed(person.index),
            "gen_length": config.tune_chars,
        }
    )
    return {
        "translate": (
            ("open", lambda s: visit(s, person, "Translation", translation_query)),
            ("translate", lambda s: translate(s, person, round_)),
        ),
        "generate": (
            ("open", lambda s: visit(s, person, "Generator", tune_query)),
            ("generate", lambda s: generate_tune(s, person)),
        ),
        "upload": (
            ("open", lambda s: visit(s, person, "Video")),
            ("choose_upload", lambda s: s.rerun((string_state(s.widget("video_source").id, "Upload"),))),
            ("upload", lambda s: upload_clip(s, person)),
        ),
        "slider": (
            ("open", lambda s: visit(s, person, "Variable_length")),
            ("slider", lambda s: move_slider(s, person.rng)),
        ),
    }[part]


async def run_person(base_url: str, person: Person, config: LoadConfig, deadline: float) -> Person:
    """One person's rounds in one session until ``deadline`` (time.monotonic). A failed step skips the rest of
    its part; a timeout or a dropped websocket also starts a fresh session for the next part."""
    await asyncio.sleep(person.rng.uniform(0, config.think[1]))  # people arrive over the first think time
    session: Session | None = None
    first = person.index % len(config.scenario)  # people start at different parts: every part is under load
    order = config.scenario[first:] + config.scenario[:first]
    round_ = 0
    try:
        while time.monotonic() < deadline and (not config.rounds or round_ < config.rounds):
            for part in order:
                for name, step in part_steps(part, person, round_, config):
                    if time.monotonic() >= deadline:
                        break
                    await think(person)
                    try:
                        if session is None:  # the first visit, or after a failure: a fresh session on Home
                            session = Session(base_url, config.timeout)
                            await session.connect()
                            person.timings["open"].append(await session.rerun(page="", query=""))
                        seconds = await step(session)
                    except (NotOwn, PageException) as error:
                        person.not_own += isinstance(error, NotOwn)
                        person.errors.append(f"{name}: {error}")
                        break  # the rest of this part needs what this step should have shown
                    except (
                        TimeoutError,
                        ConnectionError,
                        OSError,
                        RuntimeError,
                        websockets.WebSocketException,
                    ) as error:
                        person.errors.append(f"{name}: {type(error).__name__}: {str(error)[:300]}")
                        await session.close()
                        session = None  # a timeout or a dropped websocket: reconnect for the next part
                        break
                    for key, value in (seconds if isinstance(seconds, dict) else {name: seconds}).items():
                        if value is not None:
                            person.timings[key].append(value)
            round_ += 1
    finally:
        if session is not None:
            await session.close()
    return person


# ---- measuring the server -----------------------------------------------------------------------


class ProcessWatch:
    """CPU seconds and peak memory of process trees (server replicas) sampled in a thread."""

    def __init__(self, pids: list[int]):
        self.roots = [psutil.Process(pid) for pid in pids]
        self.peak = self.idle = self.rss()
        self.load_peak = os.getloadavg()[0]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.sample, daemon=True)

    def tree(self) -> list[psutil.Process]:
        processes = []
        for root in self.roots:
            with contextlib.suppress(psutil.Error):
                processes += [root, *root.children(recursive=True)]
        return processes

    def rss(self) -> int:
        total = 0
        for process in self.tree():
            with contextlib.suppress(psutil.Error):
                total += process.memory_info().rss
        return total

    def cpu(self) -> float:
        total = 0.0
        for process in self.tree():
            with contextlib.suppress(psutil.Error):
                times = process.cpu_times()
                total += times.user + times.system
        return total

    def sample(self) -> None:
        while not self.stop.wait(0.5):
            self.peak = max(self.peak, self.rss())
            self.load_peak = max(self.load_peak, os.getloadavg()[0])

    def __enter__(self):
        self.cpu_start, self.own_start, self.wall_start = self.cpu(), cpu_seconds(psutil.Process()), time.monotonic()
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        self.wall = time.monotonic() - self.wall_start
        self.server_cpu = self.cpu() - self.cpu_start
        self.own_cpu = cpu_seconds(psutil.Process()) - self.own_start


def cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def cpu_figures(seconds: float, wall: float) -> dict:
    return {"seconds": round(seconds, 1), "percent_of_one_core": round(100 * seconds / wall, 1)}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(values: list[float], errors: int) -> dict:
    if not values:
        return {"completed": 0, "errors": errors}
    quantiles = {name: round(percentile(values, q), 3) for name, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))}
    quantiles["p50"] = round(statistics.median(values), 3)
    return {"completed": len(values), "errors": errors, **quantiles, "max": round(max(values), 3)}


# ---- the run ------------------------------------------------------------------------------------


@contextlib.contextmanager
def servers(replicas: int, folder: Path):
    """``replicas`` servers (behind nginx when more than one); yields (url, pids)."""
    if replicas == 1:
        with streamlit_server(folder / "server.log") as (url, process):
            yield url, [process.pid]
        return
    from deploy.serve import replicas_behind_nginx

    with replicas_behind_nginx(replicas, folder) as (url, processes):
        yield url, [p.pid for p in processes]


def make_people(config: LoadConfig, folder: Path) -> list[Person]:
    """Everyone's clip and expected tune (only for the parts the scenario has), made before the clock starts."""
    count = config.people
    clips = [person_clip(folder, i, config.clip_seconds) for i in range(count)] if "upload" in config.scenario else None
    tunes = expected_tunes(count, config.tune_chars) if "generate" in config.scenario else None
    return [
        Person(
            i,
            *(clips[i] if clips else (b"", 0)),
            tunes[i] if tunes else "",
            random.Random(config.seed * 1000 + i),
            config.think,
        )
        for i in range(count)
    ]


def run(config: LoadConfig, url: str, pids: list[int], folder: Path, replicas: int = 1) -> dict:
    """Prepare every person's data, then let them all loose on ``url`` for ``config.minutes``;
    ``pids``: the server processes to measure (none: no server figures)."""
    people = make_people(config, folder)

    async def everyone():
        deadline = time.monotonic() + 60 * config.minutes
        return await asyncio.gather(*(run_person(url, person, config, deadline) for person in people))

    box = machine_info()  # its load_1min is the load as the run starts
    with ProcessWatch(pids) as watch:
        people = asyncio.run(everyone())
    errors = [f"person {p.index}: {e}" for p in people for e in p.errors]
    seconds = {}
    for name in ("open", *(action for part in config.scenario for action in PARTS[part])):
        failed = sum(e.split(": ", 1)[0] == name for p in people for e in p.errors)
        seconds[name] = summary([t for p in people for t in p.timings[name]], failed)
    report = {
        "benchmark": "load",
        "generator": "protocol: one websocket session per person (BackMsg/ForwardMsg), no browser",
        "measured": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "sessions": config.people,
        "minutes": config.minutes,
        "think_seconds": list(config.think),
        "replicas": replicas,
        "interactions": "each person, in rounds: open Home; " + "; ".join(PART_TEXT[p] for p in config.scenario),
        "all_own_results": not any(p.not_own for p in people) and all(s["completed"] for s in seconds.values()),
        "not_own": sum(p.not_own for p in people),
        "exceptions": sum("page exception" in e for e in errors),
        "error_count": len(errors),
        "errors": errors[:30],
        "per_person": [
            {"index": p.index, "completed": sum(map(len, p.timings.values())), "errors": len(p.errors)} for p in people
        ],
        "server_alive": all(psutil.pid_exists(pid) for pid in pids),
        "seconds": seconds,
        "server_rss_mb": {"idle": round(watch.idle / 2**20), "peak": round(watch.peak / 2**20)},
        "server_cpu": {
            **cpu_figures(watch.server_cpu, watch.wall),
            "ms_per_action": round(1000 * watch.server_cpu / max(1, sum(s["completed"] for s in seconds.values()))),
        },
        "generator_cpu": cpu_figures(watch.own_cpu, watch.wall),
        "wall_seconds": round(watch.wall, 1),
        "machine": {**box, "load_1min_peak": round(watch.load_peak, 2), "load_1min_end": round(os.getloadavg()[0], 2)},
    }
    if not pids:
        report.update(server_alive=None, server_rss_mb=None, server_cpu=None)
    report["capacity"] = capacity(report)
    report["targets_met"] = targets_met(report)
    return report


def capacity(report: dict) -> dict | None:
    """What a larger machine would serve, scaled from this run's server CPU per person: a replica is one process
    whose script runs share one interpreter lock, so more cores serve more people through more replicas, one per
    core, each kept at most BUSY_SHARE busy (headroom for a whole class clicking at once)."""
    cpu = report["server_cpu"]
    if not cpu or not cpu["percent_of_one_core"]:
        return None
    per_replica = report["sessions"] * BUSY_SHARE * 100 / cpu["percent_of_one_core"]  # the servers' CPU, summed
    return {
        "busy_share": BUSY_SHARE,
        "people_per_replica": round(per_replica),
        "cores": LARGER_MACHINE_CORES,
        "people": round(LARGER_MACHINE_CORES * per_replica),
    }


def targets_met(report: dict) -> dict:
    seconds = report["seconds"]
    met = {
        f"{name}_p95_le_{limit}s": seconds[name].get("p95", float("inf")) <= limit
        for name, limit in TARGET_P95.items()
        if name in seconds
    }
    met["no_errors"] = report["error_count"] == 0
    met["own_results"] = report["all_own_results"]
    if report["server_rss_mb"]:
        met[f"peak_le_{TARGET_PEAK_MB}MB"] = report["server_rss_mb"]["peak"] <= TARGET_PEAK_MB
    return met


def command_line(argv: list[str] | None, script: str) -> str:
    """The command as it was typed (``argv`` None: this process's own), else ``script`` with ``argv``."""
    return shlex.join(["python", *sys.argv] if argv is None else ["python", script, *argv])


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=LoadConfig.people)
    parser.add_argument("--minutes", type=float, default=LoadConfig.minutes)
    parser.add_argument("--think", type=float, nargs=2, default=LoadConfig.think, metavar=("MIN", "MAX"))
    parser.add_argument("--scenario", nargs="+", choices=SCENARIO, default=SCENARIO, help="parts of one round")
    parser.add_argument("--rounds", type=int, default=0, help="rounds per person (0: as many as fit)")
    parser.add_argument("--timeout", type=float, default=LoadConfig.timeout, help="seconds per step")
    parser.add_argument("--url", help="an app already running (default: start it here)")
    parser.add_argument("--pid", type=int, action="append", default=[], help="with --url: server pids to measure")
    parser.add_argument("--replicas", type=int, default=1, help="without --url: servers behind nginx")
    parser.add_argument("--out", type=Path, help="default bench/results/load.json (load_Nreplicas.json for N > 1)")
    parser.add_argument("--abuse", action="store_true", help="the bad-input scenarios instead (bench/load_abuse.py)")
    args, rest = parser.parse_known_args(argv)
    if args.abuse:
        from bench import load_abuse

        return load_abuse.main(rest, command_line(argv, "bench/load_protocol.py"))
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    config = LoadConfig(
        args.people,
        args.minutes,
        tuple(args.think),
        timeout=args.timeout,
        scenario=tuple(args.scenario),
        rounds=args.rounds,
    )
    out = args.out or ROOT / "bench" / "results" / (
        "load.json" if args.replicas == 1 else f"load_{args.replicas}replicas.json"
    )
    with tempfile.TemporaryDirectory(prefix="rnnplay-load-") as tmp:
        if args.url:
            report = run(config, args.url, args.pid, Path(tmp), args.replicas)
        else:
            with servers(args.replicas, Path(tmp)) as (url, pids):
                report = run(config, url, pids, Path(tmp), args.replicas)
    report["command"] = command_line(argv, "bench/load_protocol.py")
    out.write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report, indent=1))
    return report


if __name__ == "__main__":
    main()
