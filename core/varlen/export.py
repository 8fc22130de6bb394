"""The variable-length page's measurements as CSV files (the cost table, the unrolling sweep)."""

from __future__ import annotations

import csv
import io

from core.varlen import measured


def source_of(shipped: dict) -> str:
    """Where the shipped numbers come from, in one CSV cell: when, on what machine, with what command."""
    info = shipped.get("measured", {})
    return (
        f"stored measurement, {info.get('measured_at', '?')}, {measured.machine(shipped)}: {info.get('command', '?')}"
    )


def rows_csv(rows: list[dict], source: str) -> str:
    """``rows`` (dicts with the same kind of keys) as CSV, with a last column ``source`` saying where each was measured:
    a row's own ``source`` key, else ``source``.

    Columns follow the keys' first appearance; a row missing one leaves its cell empty.
    """
    columns = list(dict.fromkeys(key for row in rows for key in row if key != "source"))
    out = io.StringIO()
    writer = csv.DictWriter(out, [*columns, "source"], lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({"source": source, **row})
    return out.getvalue()
