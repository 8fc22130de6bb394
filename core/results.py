"""docs/results.md, generated: every measured figure of the project beside the file that stores it.

Figures come from the benchmarks' files (``bench/results/*.json``), the measurements two pages
ship (``core/varlen/measured.json``, ``core/distributed/example_runs.jsonl``) and the metadata of
the shipped checkpoints (``assets/models/*/config.json``, written by ``python -m core models
build``). Nothing is measured here and no figure is typed here: ``make results`` rewrites the
document, and tests/unit/test_results_doc.py fails when the committed copy and its sources differ.

    python -m core.results --write docs/results.md
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from core import checkpoints

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "results.md"
GENERATOR = "`make results` (`python -m core.results --write docs/results.md`)"

# Where each stored file comes from: the command(s) that write it.
COMMANDS = {
    "bench/results/translation.json": (
        "python bench/bench_translation.py",
        "python bench/bench_translation.py --train-only",
    ),
    "bench/results/phrasing.json": "python bench/bench_phrasing.py",
    "bench/results/page_drawn.json": "python bench/bench_page_drawn.py",
    "bench/results/interactions.json": "python bench/bench_interactions.py",
    "bench/results/video.json": "python bench/bench_video.py",
    "bench/results/video_memory.json": "python bench/bench_video_memory.py",
    "bench/results/video_shift.json": "python bench/bench_video_shift.py",
    "bench/results/video_transfer.json": "python bench/bench_video_transfer.py",
    "bench/results/generation.json": "python bench/bench_generation.py",
    "bench/results/folk_transpose_probe.json": "python bench/probe_folk_transpose.py",
    "bench/results/flow_size_probe.json": "python bench/probe_flow_size.py",
    "bench/results/flow_method_probe.json": "python bench/probe_flow_method.py",
    "bench/results/video_dev_sets.json": "python bench/probe_dev_sets.py --model NAME=FOLDER ...",
    "bench/results/varlen.json": "python bench/bench_varlen.py",
    "bench/results/distributed.json": "python bench/bench_distributed.py",
    "bench/results/load.json": "python bench/load_protocol.py",
    "bench/results/rerun_cost.json": "python bench/bench_rerun_cost.py --live",
    "bench/results/reopen_upload.json": "python bench/bench_reopen_upload.py",
    "bench/results/video_reopen.json": "python bench/bench_video_reopen.py",
    "bench/results/load_2replicas.json": "python bench/load_protocol.py --replicas N",
    "bench/results/load_abuse.json": "python bench/load_abuse.py",
    "bench/results/load_abuse_nginx.json": "python bench/load_abuse.py --behind-nginx",
    "core/varlen/measured.json": "python -m core varlen --save core/varlen/measured.json",
    "core/distributed/example_runs.jsonl": "python bench/bench_distributed.py --example",
}


# --- reading -------------------------------------------------------------------------------------


def read(relative: str) -> Any:
    """A stored file's JSON (a list of rows for .jsonl), or None when it has not been written yet."""
    path = ROOT / relative
    if not path.is_file():
        return None
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return json.loads(path.read_text())


def dig(data: Any, *keys) -> Any:
    """``data[k1][k2]...``, or None where any step is missing."""
    for key in keys:
        if isinstance(data, dict) and key in data:
            data = data[key]
        elif isinstance(data, list) and isinstance(key, int) and -len(data) <= key < len(data):
            data = data[key]
        else:
            return None
    return data


def machine(data: Any) -> str:
    """What the file itself says about where and when it was measured."""
    if not isinstance(data, dict):
        return "the file does not record the machine"
    said = []
    box = data.get("machine")
    if isinstance(box, dict):
        gpus = ", ".join(box.get("gpus") or []) or "no GPU"
        said.append(f"{box.get('cpu', '?')}, {box.get('cores', '?')} cores, {gpus}, torch {box.get('torch', '?')}")
    if "cpu_cores" in data:
        said.append(f"{data['cpu_cores']} CPU cores")
    if "threads" in data:
        said.append(f"{data['threads']} torch thread(s)")
    if data.get("note"):
        said.append(str(data["note"]))
    for when in ("measured", "finished"):
        stamp = data.get(when)
        if isinstance(stamp, dict):  # {"machine", "time", "load_average_start", ...}
            load = dig(stamp, "load_average_start", 0)
            said += [str(stamp.get("machine")), f"{when} {stamp.get('time')}, load average {load} at the start"]
        elif stamp:
            said.append(f"{when} {stamp}")
    return "; ".join(said) or "the file does not record the machine"


# --- formatting ----------------------------------------------------------------------------------


def pct(value: Any, digits: int = 1) -> str | None:
    return None if value is None else f"{100 * value:.{digits}f} %"


def num(value: Any, digits: int = 0, unit: str = "") -> str | None:
    if value is None:
        return None
    return f"{value:,.{digits}f}{' ' + unit if unit else ''}"


def auto(value: Any) -> Any:
    """A value of a generic key/value table: thousands separated, floats to four significant digits."""
    if isinstance(value, bool):
        return yes(value)
    if not isinstance(value, int | float):
        return value
    if isinstance(value, int) or abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def yes(flag: Any) -> str:
    return {True: "yes", False: "no"}.get(flag, "not recorded")


def ms(seconds: Any, digits: int = 1) -> str | None:
    return None if seconds is None else num(1000 * seconds, digits, "ms")


def label(key: str) -> str:
    """A stored key as a column or row label: the label carries the key's own settings (e.g. beam5)."""
    return key.replace("_", " ").replace("pct", " %")


def table(header: list[str], rows: list[list[Any]]) -> list[str]:
    cells = [[("—" if cell is None else str(cell)) for cell in row] for row in rows]
    return [
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *("| " + " | ".join(row) + " |" for row in cells),
        "",
    ]


def commands(relative: str) -> str:
    written_by = COMMANDS[relative]
    return " and ".join(f"`{c}`" for c in ((written_by,) if isinstance(written_by, str) else written_by))


def source(relative: str, data: Any, what: str = "") -> list[str]:
    """The line under each heading: stored where, measured by what, on which machine."""
    if data is None:
        return [f"*Not measured yet: run {commands(relative)} (writes `{relative}`).*", ""]
    scope = f" ({what})" if what else ""
    return [
        f"*Stored figures{scope}. File: `{relative}`; measured by {commands(relative)}; machine: {machine(data)}.*",
        "",
    ]


def trained_by(meta: dict, name: str) -> str:
    """The command (and device, where recorded) that trained a checkpoint and wrote its metadata."""
    command = meta.get("trained_with") or f"python -m core models build {name}"
    device = dig(meta, "training", "device")
    return f"`{command}`" + (f"; trained on {device}" if device else "")


def checkpoint_source(names: list[str]) -> list[str]:
    shown = ", ".join(f"`{n}`" for n in names)
    return [
        f"*Stored figures from checkpoint metadata: `meta` in `assets/models/NAME/config.json` of {shown}, "
        "written when the model was built (commands in the first table).*",
        "",
    ]


# --- sections ------------------------------------------------------------------------------------


def headline(meta: dict) -> str | None:
    name, value = meta.get("headline"), dig(meta, "metrics", meta.get("headline") or "")
    if value is None:
        return None
    if name == "valid_loss":
        return f"{name} {value:.4f} nats/char"
    return f"{name} {pct(value, 2)}"


def training_seconds(meta: dict) -> str | None:
    first = dig(meta, "metrics", "train_seconds") or dig(meta, "training", "seconds")
    second = dig(meta, "training", "averaging_phase", "seconds")
    if first is None:
        return None
    return num(first, 0, "s") + (f" + {num(second, 0, 's')}" if second is not None else "")


def checkpoints_section(meta: dict[str, dict]) -> list[str]:
    rows = [[f"`{n}`", m.get("task"), headline(m), training_seconds(m), trained_by(m, n)] for n, m in meta.items()]
    return [
        "## Shipped checkpoints",
        "",
        "*Stored figures from checkpoint metadata: `meta` in `assets/models/NAME/config.json`, written by the "
        "command in the last column when the model was built.*",
        "",
        *table(["model", "task", "held-out headline", "training time", "built by"], rows),
    ]


def by_length_table(meta: dict[str, dict], names: list[str]) -> list[str]:
    buckets = [b["bucket"] for b in dig(meta, names[0], "by_length") or []]
    header = ["model", "exact (all)", "chrF", *(f"{b} tokens (n = {n})" for b, n in _counts(meta, names[0]))]
    rows = []
    for name in names:
        exact = {b["bucket"]: b["exact"] for b in dig(meta, name, "by_length") or []}
        metrics = dig(meta, name, "metrics") or {}
        row = [f"`{name}`", pct(metrics.get("test_exact"), 2), num(metrics.get("test_chrf"), 2)]
        rows.append(row + [pct(exact.get(b), 1) for b in buckets])
    return table(header, rows)


def _counts(meta: dict, name: str) -> list[tuple[str, int]]:
    return [(b["bucket"], b["count"]) for b in dig(meta, name, "by_length") or []]


def translation_section(meta: dict[str, dict]) -> list[str]:
    numbers = [n for n, m in meta.items() if str(m.get("task", "")).startswith("numbers")]
    dates = [n for n, m in meta.items() if m.get("task") == "dates"]
    lines = ["## Translation", "", "### Held-out exact match by input length (the recipes' test pairs)", ""]
    lines += checkpoint_source(numbers + dates)
    for group in (numbers, dates):
        if group:
            lines += by_length_table(meta, group)
    plain = next((n for n in dates if dig(meta, n, "delay_sweep")), None)
    if plain:
        sweep = meta[plain]["delay_sweep"]
        buckets = [b["bucket"] for b in sweep[0]["by_length"]]
        steps, shipped = dig(meta, plain, "delay_sweep_steps"), dig(meta, plain, "steps")
        lines += [
            f"### Plain seq2seq with a delay (`{plain}` metadata, `delay_sweep`)",
            "",
            f"Each delay trained for {num(steps)} steps (the shipped `{plain}`: {num(shipped)}), "
            "scored on the same test pairs.",
            "",
        ]
        rows = [
            [
                d["delay"],
                pct(d["test_exact"], 2),
                *(pct(b["exact"], 1) for b in d["by_length"]),
                num(d["train_seconds"]),
            ]
            for d in sweep
        ]
        lines += table(["delay", "exact (all)", *(f"{b} tokens" for b in buckets), "train s"], rows)
    return lines + translation_bench() + phrasing_bench()


def phrasing_bench() -> list[str]:
    """Typed inputs: the phrasing and round-number sets beside the in-distribution sample."""
    relative = "bench/results/phrasing.json"
    data = read(relative)
    lines = ["### Text the way people type it: phrasing and round-number sets", ""] + source(relative, data)
    if data is None:
        return lines
    sets = ("in distribution", "phrasing", "round numbers")
    rows = [
        [name, *(pct(dig(results, kind, "exact"), 2) for kind in sets)]
        for name, results in (data.get("models") or {}).items()
    ]
    lines += table(["model", *sets], rows)
    for name, results in (data.get("models") or {}).items():
        checks = results.get("issue table") or []
        if checks:
            right = sum(bool(c.get("right")) for c in checks)
            lines += [f"{name} on the issue's typed examples: {right} of {len(checks)} right.", ""]
    return lines


def translation_bench() -> list[str]:
    relative = "bench/results/translation.json"
    data = read(relative)
    lines = ["### Benchmark: quality on the bench's own held-out sample, speed, training time", ""]
    lines += source(relative, data)
    if data is None:
        return lines
    quality = data.get("quality") or {}
    lines += [
        "The bench draws its own held-out pairs, not the recipes' test pairs: where a model is not "
        "perfect its figure differs from the checkpoint's above.",
        "",
    ]
    rows = []
    for name, q in quality.items():
        buckets = ", ".join(f"{b}: {pct(v['exact'], 1)}" for b, v in q.get("by_length", {}).items())
        rows.append([f"`{name}`", pct(q.get("exact"), 2), num(q.get("chrf"), 2), q.get("pairs"), buckets])
    lines += table(["model", "exact", "chrF", "pairs", "exact by input length (tokens)"], rows)
    speed = data.get("speed") or {}
    rows = [[f"`{name}`", *(auto(value) for value in s.values())] for name, s in speed.items()]
    lines += table(["model", *(label(key) for key in next(iter(speed.values()), {}))], rows)
    for key, train in data.items():
        if key.startswith("train_") and isinstance(train, dict):
            lines += [
                f"`{key}` (the default numbers model trained from scratch, held-out numbers scored as it trains):",
                "",
            ]
            shown = {k: v for k, v in train.items() if not isinstance(v, list | dict)}
            lines += table(["measurement", "result"], [[label(k), auto(v)] for k, v in shown.items()])
    return lines


def video_shift_bench() -> list[str]:
    """Clips drawn by another renderer (the shift set) beside the held-out set, and transfer for new classes."""
    relative = "bench/results/video_shift.json"
    data = read(relative)
    lines = ["### Clips drawn differently: held-out vs shift set", ""] + source(relative, data)
    if data:
        models = data.get("models") or {}
        classes = list(dig(models, "video-motion", "shift", "per_class") or {})
        rows = [
            [name, pct(dig(sets, "heldout", "accuracy")), pct(dig(sets, "shift", "accuracy"))]
            + [pct(dig(sets, "shift", "per_class", c), 0) for c in classes]
            for name, sets in models.items()
        ]
        lines += table(["model", "held-out", "shift", *(f"shift {c}" for c in classes)], rows)
    relative = "bench/results/video_transfer.json"
    data = read(relative)
    lines += ["### Your own classes: transfer from the shipped CNN vs from scratch", ""] + source(relative, data)
    if data:
        rows = [
            [
                start,
                pct(s.get("test_accuracy_mean")),
                pct(s.get("test_accuracy_min")),
                num(s.get("cpu_seconds_max"), 1, "s"),
            ]
            for start, s in (data.get("starts") or {}).items()
        ]
        lines += [
            f"Classes {', '.join(data.get('classes', []))}: {data.get('train_clips_per_class')} training clips "
            f"and {data.get('test_clips_per_class')} test clips per class, one run per seed.",
            "",
        ] + table(["start", "test accuracy (mean)", "test accuracy (worst run)", "CPU time (worst run)"], rows)
    return (
        lines
        + stream_probe("flow_size", "the motion stream on larger frames than the CNN reads")
        + stream_probe("flow_method", "the motion stream's optical flow, DIS or Farneback's")
        + dev_sets_probe()
    )


def dev_sets_probe() -> list[str]:
    """Full video-motion builds, shipped or not, side by side on the dev sets (bench/probe_dev_sets.py)."""
    relative = "bench/results/video_dev_sets.json"
    data = read(relative)
    lines = ["### Probe: whole video-motion builds on the dev sets", ""] + source(relative, data)
    if not data:
        return lines
    models = data.get("models") or {}
    classes = list(dig(next(iter(models.values()), {}), "dev_shift_per_class") or {})

    def reads(row: dict) -> str:
        r = row.get("reads") or {}
        crop = ", motion crop" if r.get("motion_crop") else ""
        polar = " + radial and turning parts" if r.get("flow_polar") else ""
        grey = "luma, or colour where luma hides the change" if r.get("grey") == "clip_grey" else "luma"
        size = f" on {s}x{s}" if (s := r.get("flow_size")) else ""
        return f"{r.get('flow_method')} flow{size}{polar} of {grey}{crop}"

    rows = [
        [f"`{name}`", reads(row), pct(row.get("dev_heldout_accuracy"))]
        + [pct(dig(row, part, "accuracy")) for part in ("dev_heldout_small", "dev_heldout_larger")]
        + [pct(row.get("dev_shift_accuracy"))]
        + [pct(dig(row, "dev_shift_per_class", c), 0) for c in classes]
        for name, row in models.items()
    ]
    sets = data.get("sets") or {}
    lines += [f"Dev: {sets.get('dev_heldout')}; {sets.get('dev_shift')}.", ""]
    header = ["model", "reads", "held-out ranges dev", "… small objects", "… larger", "shift dev"]
    return lines + table(header + [f"dev {c}" for c in classes], rows)


def stream_probe(name: str, title: str) -> list[str]:
    """A dev-set probe of the motion stream: one row per arm (bench/probe_NAME.py)."""
    relative = f"bench/results/{name}_probe.json"
    data = read(relative)
    lines = [f"### Probe: {title} (dev sets only)", ""] + source(relative, data)
    if not data:
        return lines
    arms = data.get("arms") or {}
    first = next(iter(arms.values()), {})
    classes = list(first.get("dev_shift_per_class") or {})
    held = "dev_heldout_accuracy" in first
    rows = [
        [arm, pct(dig(a, "epochs", -1, "train_accuracy")), pct(dig(a, "epochs", -1, "val_accuracy"))]
        + ([pct(a.get("dev_heldout_accuracy"))] if held else [])
        + [pct(a.get("dev_shift_accuracy"))]
        + [pct(dig(a, "dev_shift_per_class", c), 0) for c in classes]
        + [num(a.get("seconds"), 0, "s")]
        for arm, a in arms.items()
    ]
    sets = data.get("sets") or {}
    dev = f"{sets.get('dev_heldout')}; {sets.get('dev_shift')}" if held else sets.get("dev_shift")
    lines += [f"Training: {sets.get('train')}; {dig(data, 'config', 'epochs')} epochs. Validation: {sets.get('val')}. "
              f"Dev: {dev}.", ""]  # fmt: skip
    header = ["arm", "train (sample)", "validation", *(["held-out ranges dev"] if held else []), "shift dev"]
    return lines + table(header + [f"dev {c}" for c in classes] + ["time"], rows)


def video_section(meta: dict[str, dict]) -> list[str]:
    names = [n for n, m in meta.items() if str(m.get("task", "")).startswith("video")]
    lines = ["## Video classification", ""] + checkpoint_source(names)
    classes = list(dig(meta, names[0], "metrics", "per_class_accuracy") or {}) if names else []
    rows = []
    for name in names:
        metrics = meta[name]["metrics"]
        confusion = metrics.get("confusion") or []
        right = sum(row[i] for i, row in enumerate(confusion))
        accuracy = f"{pct(metrics.get('heldout_accuracy'))} ({right} of {metrics.get('heldout_clips')})"
        per_class = metrics.get("per_class_accuracy") or {}
        rows.append(
            [f"`{name}`", accuracy, pct(metrics.get("pair_accuracy")), pct(metrics.get("shuffled_accuracy"))]
            + [pct(per_class.get(c), 0) for c in classes]
        )
    lines += table(["model", "held-out", "right pair", "frames shuffled", *classes], rows)
    if names:
        m = meta[names[0]]["metrics"]
        lines += [
            f"Held-out set: {m.get('heldout_clips')} files, codecs {', '.join(m.get('heldout_codecs', []))}, "
            f"{' to '.join(m.get('heldout_size_range', []))} pixels, "
            f"{' to '.join(str(f) for f in m.get('heldout_frames_range', []))} frames each.",
            "",
        ]
    rows = [
        [f"`{n}`", dig(meta, n, "training", "train_clips"), dig(meta, n, "training", "epochs")]
        + [pct(dig(meta, n, "training", "val_accuracy")), num(dig(meta, n, "training", "seconds"), 1, "s")]
        for n in names
    ]
    lines += table(["model", "training clips", "epochs", "validation accuracy", "training time"], rows)
    relative = "bench/results/video.json"
    data = read(relative)
    lines += ["### Benchmark: speed", ""] + source(relative, data)
    if data:
        for key, values in data.items():
            if isinstance(values, dict):
                lines += [f"`{key}`:", ""]
                lines += table(["measurement", "result"], [[label(k), auto(v)] for k, v in values.items()])
    relative = "bench/results/video_memory.json"
    data = read(relative)
    lines += ["### Benchmark: memory for a long clip", ""] + source(relative, data)
    if data:
        clip, rss = data.get("clip") or {}, data.get("rss_mb") or {}
        lines += table(
            ["clip", "frames read", "classify", "above idle", "peak", "every frame held would be"],
            [
                [
                    f"{clip.get('width')}×{clip.get('height')}, {clip.get('fps')} fps, {num(clip.get('seconds'))} s, "
                    f"{clip.get('codec')}, {num(clip.get('megabytes'), 0, 'MB')}",
                    num(data.get("frames_read")),
                    num(data.get("classify_seconds"), 1, "s"),
                    num(rss.get("above_idle"), 0, "MB"),
                    num(rss.get("peak"), 0, "MB"),
                    num(data.get("every_frame_held_would_be_mb"), 0, "MB"),
                ]
            ],
        )
    return lines + video_shift_bench()


def generator_section(meta: dict[str, dict]) -> list[str]:
    names = [n for n, m in meta.items() if m.get("corpus")]
    lines = ["## Text and music generator", ""] + checkpoint_source(names)
    rows = [
        [
            f"`{n}`",
            num(dig(meta, n, "metrics", "valid_loss"), 4, "nats/char"),
            num(dig(meta, n, "metrics", "valid_bits_per_char"), 4, "bits/char"),
            num(dig(meta, n, "data", "valid_texts")),
            num(dig(meta, n, "data", "train_chars")),
            training_seconds(meta[n]),
        ]
        for n in names
    ]
    lines += table(
        ["model", "held-out loss", "held-out bits", "held-out texts", "training chars", "training time"], rows
    )
    relative = "bench/results/generation.json"
    data = read(relative)
    lines += ["### Benchmark: loss, tunes, sampling speed", ""] + source(relative, data)
    if data:
        valid, targets = dig(data, "validation") or {}, dig(data, "validation", "targets") or {}
        rows = [
            [f"`{n}`", num(v.get("valid_nats_per_char"), 4), f"≤ {targets.get(n)}"]
            for n, v in valid.items()
            if n != "targets"
        ]
        lines += table(["model", "held-out nats/char", "target"], rows)
        goals = data.get("tunes_targets") or {}
        tunes_key = next((k for k in data if k.startswith("tunes_at_")), "tunes")  # the key names the temperature
        rows = [
            [style, t.get("tunes"), pct(t.get("parse_rate"), 0), num(t.get("bar_fraction_vs_real"), 3)]
            + [pct(t.get("key_match_rate"), 0), pct(t.get("real_tunes_key_match_rate"), 0)]
            for style, t in (data.get(tunes_key) or {}).items()
        ]
        header = [
            f"style ({label(tunes_key)})",
            "tunes",
            f"parse (target {pct(goals.get('parse_rate'), 0)})",
            f"full bars vs real tunes (target {goals.get('bar_fraction_vs_real')})",
            f"key found (target {pct(goals.get('key_match_rate'), 0)})",
            "key found in real tunes",
        ]
        lines += table(header, rows)
        speed = dict(data.get("speed") or {})
        goals = speed.pop("targets", {})
        rows = [[label(k), auto(v)] for k, v in speed.items()] + [[f"target: {label(k)}", v] for k, v in goals.items()]
        lines += table(["sampling", "result"], rows)
    relative = "bench/results/folk_transpose_probe.json"
    data = read(relative)
    lines += ["### Probe: transposed copies of the folk tunes", ""] + source(relative, data)
    if data:
        lines += [
            f"The shipped folk GRU on a fraction {data.get('fraction')} of the training tunes, "
            f"{data.get('rounds')} rounds of {data.get('steps_per_round')} steps, both arms side by side.",
            "",
        ]
        rows = [
            [a.get("copies"), num(a.get("train_tunes")), a.get("best_round"), num(a.get("best_valid_loss"), 4)]
            + [num(dig(a, "valid_loss_per_round", -1), 4), num(a.get("seconds"), 0, "s")]
            for a in data.get("arms") or []
        ]
        lines += table(["copies", "training tunes", "best round", "best held-out loss", "last round", "time"], rows)
    return lines


def varlen_section() -> list[str]:
    relative = "core/varlen/measured.json"
    data = read(relative)
    lines = ["## Variable-length sequences", "", "### The page's stored sweep", ""]
    what = "shown on the Variable-length page as stored; untrained LSTMs; the file does not record its options"
    lines += source(relative, data, what)
    if data:
        batch = data.get("batch") or {}
        lines += [
            f"Batch: {batch.get('batch_size')} sequences, lengths {batch.get('min_length')} to "
            f"{batch.get('max_length')} (mean {batch.get('mean_length')}), padding {pct(batch.get('padding_fraction'))}.",
            "",
        ]
        rows = [
            [way, f"{d.get('outputs'):.2g}", f"{d.get('h'):.2g}", f"{d.get('c'):.2g}"]
            for way, d in (data.get("max_abs_diff") or {}).items()
        ]
        lines += table(["batch form vs one sequence at a time", "outputs", "h", "c"], rows)
        speedup = data.get("speedup_vs_naive_padding") or {}
        rows = [
            [
                c["strategy"],
                ms(c.get("seconds")),
                pct(c.get("padding_fraction")),
                num(speedup.get(c["strategy"]), 2, "×"),
            ]
            for c in data.get("cost") or []
        ]
        lines += table(["forward + backward", "time", "padding", "vs naive padding"], rows)
        rows = [
            [s, ms(t.get("seconds_per_step"), 0), pct(t.get("padding_fraction")), num(t.get("speedup"), 2, "×")]
            for s, t in (data.get("training_folk_tunes") or {}).items()
        ]
        lines += table(["training step on folk tunes", "time per step", "padding", "vs naive padding"], rows)
        rows = [
            [u.get("T"), num(u.get("static_nodes")), num(u.get("static_build_seconds"), 2, "s")]
            + [ms(u.get("static_seconds")), ms(u.get("dynamic_seconds")), f"{u.get('max_abs_diff'):.2g}"]
            for u in data.get("unrolling") or []
        ]
        lines += table(["T", "static graph nodes", "static build", "static run", "dynamic run", "max difference"], rows)
    relative = "bench/results/varlen.json"
    data = read(relative)
    lines += ["### Benchmark: padding vs packing vs bucketing", ""] + source(relative, data)
    if data:
        sweep = data.get("padding_vs_packing_vs_bucketing") or {}
        lines += [f"Batch: {sweep.get('batch')}.", ""]
        rows = [
            [r.get("seed"), pct(r.get("padding_fraction"))]
            + [num(dig(r, "ms", s), 1, "ms") for s in ("naive padding", "packing", "bucketing")]
            + [num(dig(r, "speedup", s), 2, "×") for s in ("packing", "bucketing")]
            for r in sweep.get("runs") or []
        ]
        header = ["seed", "padding", "naive padding", "packing", "bucketing", "packing ×", "bucketing ×"]
        lines += table(header, rows)
        rows = [
            [s, num(t.get("ms_per_step"), 0, "ms"), pct(t.get("padding_fraction")), num(t.get("speedup"), 2, "×")]
            for s, t in (data.get("training_folk_tunes_10_steps") or {}).items()
        ]
        lines += table(["training step on folk tunes", "time per step", "padding", "vs naive padding"], rows)
    return lines


def distributed_section() -> list[str]:
    relative = "bench/results/distributed.json"
    data = read(relative)
    lines = ["## Multi-GPU (processes on the CPU)", "", "### Benchmark: measured points vs the cost model", ""]
    lines += source(relative, data)
    if data:
        rows = [
            [name, num(p.get("step_ms"), 1, "ms"), num(p.get("samples_per_s"), 1), pct(p.get("efficiency"))]
            + [pct(p.get("idle_fraction")), pct(p.get("bubble_textbook")), num(p.get("startup_s"), 1, "s")]
            + [num(p.get("predicted_ms"), 1, "ms"), pct(p.get("error_in_sample")), pct(p.get("error_leave_one_out"))]
            for name, p in (data.get("points") or {}).items()
        ]
        header = ["point", "step", "samples/s", "efficiency", "idle", "textbook bubble", "start-up", "predicted"]
        lines += table(header + ["error", "error, leave one out"], rows)
        lines += [
            *(f"{label(k)}: {v}." for k, v in data.items() if k.startswith("points_within")),
            "",
        ]
        checks = {
            k: v for k, v in (data.get("published_checks") or {}).items() if isinstance(v, dict) and "published" in v
        }
        rows = [[name, c["published"], num(c["predicted"], 3)] for name, c in checks.items()]
        lines += table(["published setup (efficiency or speed-up)", "paper", "cost model"], rows)
    relative = "core/distributed/example_runs.jsonl"
    runs = read(relative)
    lines += ["### The Multi-GPU page's shipped example", ""]
    lines += source(relative, dig(runs, 0), "shown on the Multi-GPU page before any run")
    rows = [
        [r.get("mode"), r.get("scaling"), r.get("world_size"), r.get("microbatches"), ms(r.get("step_s"))]
        + [num(r.get("samples_per_s"), 1), num(r.get("startup_s"), 1, "s"), num(dig(r, "machine", "load_1min"), 1)]
        for r in runs or []
    ]
    return lines + table(
        ["mode", "scaling", "processes", "micro-batches", "step", "samples/s", "start-up", "load"], rows
    )


def _load_run(relative: str) -> list[str]:
    data = read(relative)
    lines = source(relative, data)
    if not data:
        return lines
    cpu, own_cpu = data.get("server_cpu") or {}, data.get("generator_cpu") or {}
    machine = data.get("machine") or {}
    lines += [
        f"Run as `{data.get('command')}`. {data.get('sessions')} simulated people over {data.get('minutes')} minutes, "
        f"{data.get('replicas', 1)} replica(s) ({data.get('generator')}): {data.get('interactions')}. "
        f"Every person saw only their own results: {yes(data.get('all_own_results'))}; errors: "
        f"{data.get('error_count', data.get('exceptions'))}; server alive: {yes(data.get('server_alive'))}; "
        f"server memory idle {num(dig(data, 'server_rss_mb', 'idle'), 0, 'MB')}, peak "
        f"{num(dig(data, 'server_rss_mb', 'peak'), 0, 'MB')}; server CPU {num(cpu.get('percent_of_one_core'), 0, '%')} "
        f"of one core ({num(cpu.get('ms_per_action'), 0, 'ms')} per action), the load generator's own "
        f"{num(own_cpu.get('percent_of_one_core'), 1, '%')}; machine load average "
        f"{num(machine.get('load_1min'), 1)} at the start, {num(machine.get('load_1min_peak'), 1)} at its peak.",
        "",
    ]
    rows = [
        [name, s.get("completed"), s.get("errors", 0)] + [num(s.get(q), 1, "s") for q in ("p50", "p95", "p99", "max")]
        for name, s in (data.get("seconds") or {}).items()
    ]
    return lines + table(["action", "completed", "errors", "p50", "p95", "p99", "max"], rows)


def page_drawn() -> list[str]:
    relative = "bench/results/page_drawn.json"
    data = read(relative)
    lines = ["### Each page fully drawn in Chromium, warm (no placeholder left)", ""] + source(relative, data)
    if data:
        rows = [[path, num(t.get("best"), 2, "s"), num(t.get("median"), 2, "s")] for path, t in data["seconds"].items()]
        lines += [f"Machine load average when measured: {num(data.get('load_1min'), 2)}.", ""]
        lines += table(["page", "best", "median"], rows)
    return lines


def interactions() -> list[str]:
    relative = "bench/results/interactions.json"
    data = read(relative)
    lines = ["### One person in a warm browser: each interaction until it settles", ""] + source(relative, data)
    if data:
        lines += [
            f"From the input event until the run it started has finished and nothing is grey; Chromium runs on "
            f"the server's own {data.get('cpus')} cores, so its drawing competes with the server; "
            f"{data.get('repeats')} timed runs per action after one warm-up, fresh values each time; target "
            f"{num(data.get('target_seconds'), 0, 's')}. Machine load average when measured: "
            f"{num(data.get('load_1min'), 2)}.",
            "",
        ]
        rows = [
            [name, t.get("what"), num(t.get("median"), 2, "s"), num(t.get("worst"), 2, "s")]
            for name, t in data["seconds"].items()
        ]
        lines += table(["action", "what", "median", "worst"], rows)
    return lines


def rerun_cost() -> list[str]:
    relative = "bench/results/rerun_cost.json"
    data = read(relative)
    lines = ["### Server CPU per widget change that does no model work", ""] + source(relative, data)
    if not data:
        return lines
    lines += [
        f"Run as `{dig(data, 'measured', 'command')}`: {dig(data, 'measured', 'what')}; before is the commit "
        f"given to `--base`, after the tree measured (commit `{dig(data, 'after', 'commit')}`).",
        "",
    ]
    pages = list(dig(data, "after", "live_server") or dig(data, "after", "apptest_full_rerun") or {})
    rows = [
        [page]
        + [
            num(dig(data, side, kind, page, "median_ms"), 0, "ms")
            for side in ("before", "after")
            for kind in ("live_server", "apptest_full_rerun")
        ]
        for page in pages
    ]
    header = ["page", "live, before", "AppTest, before", "live, after", "AppTest, after"]
    return lines + table(header, rows)


def reopen() -> list[str]:
    lines = ["### Reopen an uploaded checkpoint and use it", ""]
    relative = "bench/results/reopen_upload.json"
    data = read(relative)
    lines += source(relative, data, "wall seconds from opening the page to the result, over the websocket")
    rows = [
        [page, name, num(row.get("zip_mb"), 2, "MB"), num(row.get("total_median_s"), 2, "s")]
        for page, models in (dig(data, "pages") or {}).items()
        for name, row in models.items()
    ]
    relative = "bench/results/video_reopen.json"
    video = read(relative)
    rows += [
        ["Video", name, num(row.get("zip_mb"), 2, "MB"), num(row.get("page_median_s"), 2, "s")]
        for name, row in (dig(video, "checkpoints") or {}).items()
    ]
    lines += source(relative, video, "AppTest: the upload rerun and the rerun that picks the model and classifies")
    return lines + table(["page", "checkpoint", "zip", "median to result"], rows)


ABUSE_SCENARIOS = {
    "never_read": "sessions opened, never read",
    "max_upload": "maximum-size uploads, back to back",
    "reconnect_storm": "reconnects",
}


def abuse_run(relative: str) -> list[str]:
    data = read(relative)
    lines = source(relative, data)
    if not data:
        return lines
    unloaded = dig(data, "unloaded", "p50_s")
    lines += [
        f"Run as `{data.get('command')}`. A normal session reruns Home every "
        f"{num(dig(data, 'config', 'probe_every'), 1, 's')} throughout; unloaded its median is "
        f"{ms(unloaded, 0)}. Server alive at the end: {yes(data.get('server_alive'))}; probe errors: "
        f"{len(data.get('probe_errors') or [])}.",
        "",
    ]
    rows = []
    for name, what in ABUSE_SCENARIOS.items():
        run = data.get(name) or {}
        count = run.get("sessions", run.get("uploads", run.get("reconnects")))
        rss = run.get("server_rss_mb") or {}
        rows.append(
            [
                f"{count} {what}",
                run.get("served", "all" if data.get("behind_nginx") is False else None),
                run.get("refused", 0 if data.get("behind_nginx") is False else None),
                ms(run.get("probe_p50_s"), 0),
                num(run.get("probe_p50_ratio"), 2, "x"),
                yes(run.get("within_2x")),
                num(rss.get("peak"), 0, "MB"),
                yes(run.get("server_answers_after")),
            ]
        )
    header = [
        "scenario",
        "served",
        "refused (Too Many Requests)",
        "probe p50",
        "vs unloaded",
        "within twice",
        "server peak",
        "answers after",
    ]
    return lines + table(header, rows)


def more_cores() -> list[str]:
    """What a larger machine would serve, as the one-server run scaled it (``capacity`` in load.json)."""
    data = read("bench/results/load.json")
    room = (data or {}).get("capacity")
    if not room:
        return []
    cpu = data["server_cpu"]
    return [
        "",
        "### More cores",
        "",
        f"Scaled from the one-server run: {data['sessions']} people kept {num(cpu['percent_of_one_core'], 0, '%')} "
        f"of one core busy ({num(cpu['ms_per_action'], 0, 'ms')} per action). A replica is one process whose script "
        "runs share one interpreter lock, so more cores serve more people through more replicas, one per core "
        f"(`python deploy/serve.py N PORT`). With each core at most {num(room['busy_share'] * 100, 0, '%')} busy, one "
        f"replica serves about {room['people_per_replica']:,} people and a {room['cores']}-core machine about "
        f"{room['people']:,}, with {room['cores']} times one replica's memory (peak "
        f"{num(dig(data, 'server_rss_mb', 'peak'), 0, 'MB')} here). An estimate from the cost of one action, not a "
        "run on such a machine.",
        "",
    ]


def app_section() -> list[str]:
    lines = ["## The app: drawing time and load", ""] + page_drawn() + interactions() + rerun_cost() + reopen()
    lines += ["### One server", ""] + _load_run("bench/results/load.json")
    lines += ["", "### Two replicas behind nginx", ""] + _load_run("bench/results/load_2replicas.json")
    lines += more_cores()
    lines += ["", "### Bad clients: the bare server", ""] + abuse_run("bench/results/load_abuse.json")
    return (
        lines
        + ["", "### Bad clients: behind nginx's per-client limits", ""]
        + abuse_run("bench/results/load_abuse_nginx.json")
    )


def render() -> str:
    """The whole document, from the stored files as they are now."""
    meta = {name: document.get("meta", {}) for name, document in checkpoints.shipped_documents().items()}
    lines = [
        "# Measured results",
        "",
        f"Generated by {GENERATOR} from `bench/results/*.json`, `core/varlen/measured.json`, "
        "`core/distributed/example_runs.jsonl` and `assets/models/*/config.json`. Do not edit by hand: "
        "`tests/unit/test_results_doc.py` fails when this file and those sources disagree.",
        "",
        "Every figure here is **stored**: measured once, by the command named under its heading, and "
        "not re-measured when you read it. Where a file says which machine and when, that is quoted; "
        "where it does not, the line says so.",
        "",
    ]
    lines += checkpoints_section(meta)
    lines += translation_section(meta)
    lines += video_section(meta)
    lines += generator_section(meta)
    lines += varlen_section()
    lines += distributed_section()
    lines += app_section()
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.results", description=__doc__.splitlines()[0])
    parser.add_argument("--write", metavar="PATH", help="write the document here (default: print it)")
    args = parser.parse_args(argv)
    text = render()
    if args.write:
        Path(args.write).write_text(text)
        print(f"wrote {args.write}")
    else:
        print(text, end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
