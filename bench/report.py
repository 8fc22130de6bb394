"""Print every bench/results/*.json as one table (nested keys flattened with dots)."""

import json
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
