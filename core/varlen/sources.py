"""Real sequences from the app's own datasets, for real length distributions.

The generators live in their packages (``core.translation.data``, ``core.generation.corpora``);
this module only picks texts out of them, cached per process.
"""

from __future__ import annotations

import functools

from core.errors import UserError

SAMPLE = 2000  # translation examples drawn once per dataset: enough for a stable length distribution
TASKS = {"numbers": "numbers:en-fr", "dates": "dates"}  # page name -> core.translation.data task


@functools.cache
def texts(name: str) -> tuple[str, ...]:
    """Source sides of translation pairs (numbers in English words, human-written dates) or folk-tune ABC."""
    if name in TASKS:
        from core.translation import data

        return tuple(source for source, _ in data.task_pairs(TASKS[name], SAMPLE, seed=0, split="train"))
    if name == "folk tunes":
        from core.generation import corpora

        return tuple(tune.abc for tune in corpora.folk_tunes())
    raise UserError(f"unknown dataset {name!r}; choose one of {', '.join([*TASKS, 'folk tunes'])}")


def char_vocab(items: tuple[str, ...] | list[str]) -> dict[str, int]:
    """Character -> id for a char model over ``items`` (ids from 1; 0 stays free for padding)."""
    return {ch: i for i, ch in enumerate(sorted(set("".join(items))), start=1)}
