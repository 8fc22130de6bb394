"""Print every bench/results/*.json as one table (nested keys flattened with dots); ``measured()`` is the
block a bench writes about when, where and how it measured."""

import datetime
import json
import os
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def flatten(value, prefix=""):
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from flatten(inner, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list) and len(value) > 6:
        yield prefix, f"[{len(value)} values]"
    else:
        yield prefix, value


def measured(load_start: tuple, script: str, argv: list[str] | None, what: str, machine: str = "") -> dict:
    """When, on what machine and under what load ``script`` (run with ``argv``) measured ``what``."""
    return {
        "time": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": f"{os.uname().nodename}, {os.cpu_count()} CPU cores, "
        + (machine or f"Python {sys.version.split()[0]}"),
        "load_average_start": [round(x, 2) for x in load_start],
        "load_average_end": [round(x, 2) for x in os.getloadavg()],
        "command": f"python bench/{script} " + " ".join(argv if argv is not None else sys.argv[1:]),
        "what": what,
    }


def main() -> None:
    files = sorted(RESULTS.glob("*.json"))
    if not files:
        print("no results yet: run `make bench`")
        return
    for path in files:
        data = json.loads(path.read_text())
        print(f"\n{path.stem}")
        for key, value in flatten(data):
            shown = f"{value:.4g}" if isinstance(value, float) else str(value)
            print(f"  {key:<58} {shown}")


if __name__ == "__main__":
    main()
