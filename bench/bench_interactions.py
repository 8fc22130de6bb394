"""One person in a warm Chromium: how long each interaction of the classroom scenario takes to settle.

Each action is timed from the input event (Enter in a text field, a click, a file handed to the uploader)
until the rerun it starts has finished and nothing is left grey: the page's script state went to
"running" (seen by a MutationObserver, so a rerun quicker than a poll still counts) and came back to
"notRunning" with no stSkeleton left. Every action is done once to warm the server and the browser, then
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

from bench.live import CHROMIUM, CHROMIUM_ARGS, RERUN_SETTLED, streamlit_server, wait_for_rerun  # noqa: E402
from core.generation import corpora  # noqa: E402
from core.video import synth  # noqa: E402

OUT = ROOT / "bench" / "results" / "interactions.json"
TARGET_SECONDS = 1.0  # issue 20: every interaction settles within a second in a warm browser
ACTIONS = {
    "translate": "Translation: type an English number, press Enter (greedy)",
    "beam5": "Translation: switch decoding to beam search (width 5)",
    "generate": "Generator: press Generate, 400 characters of a jig (sampling)",
    "upload": "Video: hand the uploader a 3 s MJPG clip (640x480), until the answer is drawn",
    "slider": "Variable length: type another longest length, press Enter",
    "time_step": "Inside the cell: move the time slider one step (arrow key)",
}
# Installed once per page load: records that a rerun started, however briefly it ran.
WATCH_RERUNS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  window.__rerunStarted = false;
  new MutationObserver(() => {
    if (app.getAttribute('data-test-script-state') === 'running') window.__rerunStarted = true;
  }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""


def open_page(page, path: str) -> None:
    page.goto(path)
    wait_for_rerun(page, timeout=120_000)
    page.evaluate(WATCH_RERUNS)


def timed(page, action) -> float:
    """Seconds from ``action()`` until the rerun it started has settled."""
    page.evaluate("() => { window.__rerunStarted = false; }")
    start = time.perf_counter()
    action()
    page.wait_for_function("() => window.__rerunStarted", timeout=120_000)
    for selector, state in RERUN_SETTLED[1:]:
        page.wait_for_selector(selector, state=state, timeout=120_000)
    return time.perf_counter() - start


def type_and_enter(page, key: str, value: str):
    field = page.locator(f".st-key-{key} input, .st-key-{key} textarea").first

    def action():
        field.fill(value)
        field.press("Enter")

    return action


def translate_runs(page, repeats: int) -> dict[str, list[float]]:
    open_page(page, "/Translation?tr_model=numbers-en-fr&tr_method=greedy")
    method = page.locator(".st-key-tr_method")
    out = {"translate": [], "beam5": []}
    for i in range(repeats + 1):  # the first of each is the warm-up
        number = 1000 + 7919 * i
        out["translate"].append(timed(page, type_and_enter(page, "tr_text", num2words(number, lang="en"))))
        out["beam5"].append(timed(page, lambda: method.get_by_text("beam", exact=True).click()))
        timed(page, lambda: method.get_by_text("greedy", exact=True).click())
    return out


def generate_runs(page, repeats: int) -> list[float]:
    times = []
    for seed in range(repeats + 1):
        query = {"gen_model": "folk-abc", "gen_meter": "6/8", "gen_key": corpora.key_label("D"), "gen_type": "jig"}
        query |= {"gen_method": "sampling", "gen_seed": 1000 + seed, "gen_length": 400}
        open_page(page, "/Generator?" + urllib.parse.urlencode(query))
        button = page.get_by_role("button", name="Generate")
        times.append(timed(page, button.click))
    return times


def upload_runs(page, repeats: int, folder: Path) -> list[float]:
    open_page(page, "/Video")
    timed(page, lambda: page.locator(".st-key-video_source").get_by_text("Upload", exact=True).click())
    chooser = page.locator(".st-key-video_upload input[type=file]")
    times = []
    for i in range(repeats + 1):
        spec = synth.random_spec(synth.LABELS[i % len(synth.LABELS)], seed=100 + i)
        spec = replace(spec, width=640, height=480, frames=90, fps=30.0)
        clip = str(synth.write_clip(spec, folder / f"clip{i}", "MJPG"))
        times.append(timed(page, functools.partial(chooser.set_input_files, clip)))
    return times


def slider_runs(page, repeats: int) -> list[float]:
    open_page(page, "/Variable_length")
    return [timed(page, type_and_enter(page, "varlen_len", str(60 + 17 * i))) for i in range(repeats + 1)]


def time_step_runs(page, repeats: int) -> list[float]:
    open_page(page, "/Inside_the_cell")
    thumb = page.locator(".st-key-inside_t input[type=range]")
    return [timed(page, lambda: thumb.press("ArrowRight")) for _ in range(repeats + 1)]


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
            page = browser.new_page(viewport={"width": 1400, "height": 1000}, base_url=url)
            times = translate_runs(page, args.repeats)
            times["generate"] = generate_runs(page, args.repeats)
            times["upload"] = upload_runs(page, args.repeats, Path(tmp))
            times["slider"] = slider_runs(page, args.repeats)
            times["time_step"] = time_step_runs(page, args.repeats)
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
