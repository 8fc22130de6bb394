"""Reopen a page, bring your own checkpoint, get a result: seconds on a live server, per page and checkpoint size.

Each try is a fresh session (a person reopening the page from a link): open the page, upload a checkpoint zip
to its uploader, pick the uploaded model, and wait until the translation (Translation page) or a 400-character
sample (Generator page) is on the page. Driven over Streamlit's websocket as the browser drives it
(bench.load_protocol.Session), so the figure is the server's work plus the transfer, without a browser's drawing.
Checkpoints: a shipped one as it is, and the same architecture widened to about 10 MB (random weights: the time
does not depend on training). Target (issue 18): <= 2 s for checkpoints up to 10 MB.

    python bench/bench_reopen_upload.py [--repeats 5]

Writes bench/results/reopen_upload.json.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from streamlit.proto.WidgetStates_pb2 import WidgetState  # noqa: E402

from bench.live import streamlit_server  # noqa: E402
from bench.load_protocol import NotOwn, Session, string_state  # noqa: E402
from bench.report import measured  # noqa: E402
from core import checkpoints  # noqa: E402

OUT = ROOT / "bench" / "results" / "reopen_upload.json"
TARGET_S = 2.0
LARGEST_MB = 10
# page -> (shipped checkpoint, the config field widened for the large one)
PAGES = {"Translation": ("dates-iso", "hidden"), "Generator": ("python-prose", "hidden")}


def zips(name: str, field: str) -> dict[str, bytes]:
    """The shipped checkpoint as a zip, and the same model widened until its zip is just under LARGEST_MB."""
    model = checkpoints.load(name)
    out = {f"{name} (shipped)": checkpoints.to_zip(model, model.meta)}
    values = dataclasses.asdict(model.config)
    width, data = values[field], b""
    while True:
        wider = checkpoints.build_model(model.model_type, {**values, field: width + 32})
        candidate = checkpoints.to_zip(wider, model.meta)
        if len(candidate) > LARGEST_MB * 2**20:
            break
        width, data = width + 32, candidate
    if data:
        out[f"{name} widened to {field} {width}"] = data
    return out


def _toggle(session: Session, key: str) -> WidgetState:
    return WidgetState(id=session.widget(key).id, bool_value=True)


async def translation_try(url: str, data: bytes) -> dict[str, float]:
    session = Session(url, 120)
    await session.connect()
    try:
        start = time.perf_counter()
        await session.rerun(page="", query="")
        await session.rerun(page="Translation", query="tr_model=dates-iso")
        opened = time.perf_counter()
        await session.rerun((_toggle(session, "tr_ckpt_toggle"),))
        await session.upload("tr_ckpt_upload", "mine.zip", data)
        uploaded = time.perf_counter()
        model = session.widget("tr_model")
        name = next(o for o in model.options if o.startswith("uploaded-"))
        await session.rerun((string_state(model.id, name),))
        if not any(t.startswith("### → ") for t in session.texts()):
            raise NotOwn("no translation on the page after picking the uploaded model")
        done = time.perf_counter()
    finally:
        await session.close()
    return {"open": opened - start, "upload": uploaded - opened, "result": done - uploaded, "total": done - start}


async def generator_try(url: str, data: bytes) -> dict[str, float]:
    session = Session(url, 120)
    await session.connect()
    try:
        start = time.perf_counter()
        await session.rerun(page="", query="")
        await session.rerun(page="Generator", query="gen_model=python-prose")
        opened = time.perf_counter()
        await session.upload("gen_ckpt_upload", "mine.zip", data)
        uploaded = time.perf_counter()
        if not any(t.startswith("Loaded for this session") for t in session.texts()):
            raise NotOwn("the uploaded checkpoint was not loaded")
        await session.rerun((string_state(session.widget("gen_model").id, "your uploaded model"),))
        await session.rerun((WidgetState(id=session.widget("gen_run").id, trigger_value=True),))
        if not any(t.startswith("`````text\n") for t in session.texts()):
            raise NotOwn("no generated text on the page after Generate")
        done = time.perf_counter()
    finally:
        await session.close()
    return {"open": opened - start, "upload": uploaded - opened, "result": done - uploaded, "total": done - start}


TRIES = {"Translation": translation_try, "Generator": generator_try}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    load_start = os.getloadavg()
    report = {"benchmark": "reopen_upload", "target_seconds": TARGET_S, "pages": {}}
    with tempfile.TemporaryDirectory(prefix="rnnplay-reopen-") as tmp:
        with streamlit_server(Path(tmp) / "server.log") as (url, _):
            for page, (name, field) in PAGES.items():
                for label, data in zips(name, field).items():
                    asyncio.run(TRIES[page](url, data))  # warm: the page's imports and shipped models
                    tries = [asyncio.run(TRIES[page](url, data)) for _ in range(args.repeats)]
                    row = {"zip_mb": round(len(data) / 2**20, 2)}
                    for part in ("open", "upload", "result", "total"):
                        row[f"{part}_median_s"] = round(statistics.median(t[part] for t in tries), 3)
                    row["total_s"] = [round(t["total"], 3) for t in tries]
                    row["within_target"] = row["total_median_s"] <= TARGET_S
                    report["pages"].setdefault(page, {})[label] = row
    report["measured"] = measured(
        load_start,
        "bench_reopen_upload.py",
        argv,
        "wall seconds from opening the page in a fresh session to the result on it (websocket client); "
        "open = Home then the page, upload = transfer + validation + load, result = pick the model (+ Generate)",
    )
    OUT.write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report, indent=1))
    return report


if __name__ == "__main__":
    main()
