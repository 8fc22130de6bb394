"""One person in a warm Chromium: how long each interaction of the classroom scenario takes to settle.

Each action is timed from the input event (Enter in a text field, a click, a file picked for the uploader)
until the run it starts has finished (the server's ``script_finished`` message reaches the page's websocket)
and no stSkeleton is left grey. Every action is done once to warm the server and the browser, then
``--repeats`` times with fresh values (another number, another seed, another clip), so no cache answers.

Writes bench/results/interactions.json. Run: python bench/bench_interactions.py [--repeats N]
"""

from __future__ import annotations

import argparse
import datetime
import functools
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.parse
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from num2words import num2words  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402

from bench.live import CHROMIUM, CHROMIUM_ARGS, streamlit_server, wait_for_rerun  # noqa: E402
from core.generation import corpora  # noqa: E402
from core.video import synth  # noqa: E402

OUT = ROOT / "bench" / "results" / "interactions.json"
TARGET_SECONDS = 1.0  # issue 20: every interaction settles within a second in a warm browser
ACTIONS = {
    "translate": "Translation: type an English number, press Enter (greedy)",
    "beam5": "Translation: switch decoding to beam search (width 5)",
    "generate": "Generator: press Generate, 400 characters of a jig (sampling)",
    "upload": "Video: pick a 3 s 640x480 MPEG-4 clip in the uploader, until the answer is drawn",
    "slider": "Variable length: type another longest length, press Enter",
    "time_step": "Inside the cell: move the time slider one step (arrow key)",
}


class Clock:
    """Times actions on one page by the server's own word: every run of the script (page or fragment) ends with
    a ``script_finished`` ForwardMsg on the websocket. (The DOM's script-state attribute is not enough: React
    may never draw "running" for a rerun quicker than a frame.)"""

    def __init__(self, page):
        self.page = page
        self.finished = 0
        page.on("websocket", lambda socket: socket.on("framereceived", self._frame))

    def _frame(self, payload) -> None:
        if isinstance(payload, bytes) and ForwardMsg.FromString(payload).WhichOneof("type") == "script_finished":
            self.finished += 1

    def open(self, path: str) -> None:
        self.page.goto(path)
        wait_for_rerun(self.page, timeout=120_000)

    def time(self, action, timeout: float = 120.0) -> float:
        """Seconds from ``action()`` until the run it started has finished and nothing is left grey."""
        before = self.finished
        start = time.perf_counter()
        action()
        while self.finished == before:
            if time.perf_counter() - start > timeout:
                raise TimeoutError(f"no run finished within {timeout:.0f} s of the action")
            self.page.wait_for_timeout(5)  # lets Playwright deliver the websocket's frames
        self.page.wait_for_selector('[data-testid="stSkeleton"]', state="detached", timeout=timeout * 1000)
        return time.perf_counter() - start


def type_and_enter(page, key: str, value: str):
    field = page.locator(f".st-key-{key} input, .st-key-{key} textarea").first

    def action():
        field.fill(value)
        field.press("Enter")

    return action


def translate_runs(clock: Clock, repeats: int) -> dict[str, list[float]]:
    page = clock.page
    clock.open("/Translation?tr_model=numbers-en-fr&tr_method=greedy")
    method = page.locator(".st-key-tr_method")
    out = {"translate": [], "beam5": []}
    for i in range(repeats + 1):  # the first of each is the warm-up
        number = 1000 + 7919 * i
        out["translate"].append(clock.time(type_and_enter(page, "tr_text", num2words(number, lang="en"))))
        out["beam5"].append(clock.time(method.get_by_text("beam", exact=True).click))
        clock.time(method.get_by_text("greedy", exact=True).click)
    return out


def generate_runs(clock: Clock, repeats: int) -> list[float]:
    times = []
    for seed in range(repeats + 1):
        query = {"gen_model": "folk-abc", "gen_meter": "6/8", "gen_key": corpora.key_label("D"), "gen_type": "jig"}
        query |= {"gen_method": "sampling", "gen_seed": 1000 + seed, "gen_length": 400}
        clock.open("/Generator?" + urllib.parse.urlencode(query))
        times.append(clock.time(clock.page.get_by_role("button", name="Generate").click))
    return times


def upload_runs(clock: Clock, repeats: int, folder: Path) -> list[float]:
    """Each clip into an empty uploader: open Video on "Upload" (the radio is bound to the link), pick the clip."""
    times = []
    for i in range(repeats + 1):
        spec = synth.random_spec(synth.LABELS[i % len(synth.LABELS)], seed=100 + i)
        spec = replace(spec, width=640, height=480, frames=90, fps=30.0)
        clip = str(synth.write_clip(spec, folder / f"clip{i}", "mp4v"))
        clock.open("/Video?video_source=Upload")
        with clock.page.expect_file_chooser() as chooser:  # as a person does: click the drop zone, pick the file
            clock.page.locator(".st-key-video_upload").get_by_test_id("stFileUploaderDropzone").click()
        times.append(clock.time(functools.partial(chooser.value.set_files, clip)))
    return times


def slider_runs(clock: Clock, repeats: int) -> list[float]:
    clock.open("/Variable_length")
    return [clock.time(type_and_enter(clock.page, "varlen_len", str(60 + 17 * i))) for i in range(repeats + 1)]


def time_step_runs(clock: Clock, repeats: int) -> list[float]:
    clock.open("/Inside_the_cell")
    thumb = clock.page.locator(".st-key-inside_t input[type=range]")
    return [clock.time(functools.partial(thumb.press, "ArrowRight")) for _ in range(repeats + 1)]


def summary(times: list[float]) -> dict:
    measured = times[1:]  # the first was the warm-up
    return {
        "median": round(statistics.median(measured), 3),
        "best": round(min(measured), 3),
        "worst": round(max(measured), 3),
        "runs": [round(t, 3) for t in measured],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats per action after one warm-up")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, streamlit_server(Path(tmp) / "server.log") as (url, _):
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            clock = Clock(browser.new_page(viewport={"width": 1400, "height": 1000}, base_url=url))
            times = translate_runs(clock, args.repeats)
            times["generate"] = generate_runs(clock, args.repeats)
            times["upload"] = upload_runs(clock, args.repeats, Path(tmp))
            times["slider"] = slider_runs(clock, args.repeats)
            times["time_step"] = time_step_runs(clock, args.repeats)
            browser.close()
    seconds = {name: {"what": ACTIONS[name], **summary(times[name])} for name in ACTIONS}
    for name, row in seconds.items():
        print(f"{name:<10} median {row['median']:.2f} s  best {row['best']:.2f} s  worst {row['worst']:.2f} s")
    result = {
        "benchmark": "interactions",
        "command": "python bench/bench_interactions.py",
        "measured": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "load_1min": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
        "repeats": args.repeats,
        "target_seconds": TARGET_SECONDS,
        "seconds": seconds,
    }
    OUT.write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
