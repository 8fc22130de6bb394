"""Fine-tuning folk-abc on 20 "uploaded" tunes for 60 s on 2 threads: does their held-out loss drop below the
shipped model's?

The 20 tunes are tunes the shipped model never trained on: the most common source collection among
folk-abc's own held-out tunes (the same split as its recipe). They are written out as one ABC file
and go through the page's path (``finetune.uploaded_tunes`` -> ``finetune.fine_tune``), which holds out
one tune in five. Writes bench/results/finetune.json.

    python bench/bench_finetune.py [--seconds 60] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core import checkpoints  # noqa: E402
from core.generation import corpora, finetune  # noqa: E402
from core.generation.recipes import FINETUNE  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "finetune.json"
N_TUNES = 20


def unseen_tunes(n: int) -> tuple[str, list[corpora.Tune]]:
    """``n`` tunes of one collection from folk-abc's held-out split (its recipe: 5 %, seed 0)."""
    _, held_out = corpora.split_by_item(corpora.folk_tunes(), 0.05, 0)
    source = Counter(t.source for t in held_out).most_common(1)[0][0]
    return source, [t for t in held_out if t.source == source][:n]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="training time limit per run")
    parser.add_argument("--threads", type=int, default=2, help="torch threads")
    args = parser.parse_args()
    source, tunes = unseen_tunes(N_TUNES)
    upload = "\n".join(t.text for t in tunes).encode()
    corpus = finetune.uploaded_tunes(upload, "20 tunes")
    shipped = checkpoints.load("folk-abc")
    # validation every 10 steps; the time limit ends the run
    cfg = replace(FINETUNE, rounds=1000, steps_per_round=10, max_seconds=args.seconds, threads=args.threads)
    runs = []
    for freeze in (False, True):
        began = time.perf_counter()
        result = finetune.fine_tune(shipped, corpus, cfg, freeze=freeze, start_name="folk-abc")
        history = result.meta["history"]
        runs.append(
            {
                "freeze_lower": freeze,
                "shipped_heldout_loss": round(history[0]["valid_loss"], 4),
                "finetuned_heldout_loss": result.meta["metrics"]["valid_loss"],
                "lower": result.meta["metrics"]["valid_loss"] < history[0]["valid_loss"],
                "rounds": len(history) - 1,
                "steps": (len(history) - 1) * cfg.steps_per_round,
                "kept_round": result.meta["training"]["kept_round"],
                "train_seconds": result.meta["training"]["seconds"],
                "wall_seconds": round(time.perf_counter() - began, 1),
                "curve": [{"round": e["epoch"], "valid_loss": round(e["valid_loss"], 4)} for e in history],
            }
        )
        print(json.dumps({k: v for k, v in runs[-1].items() if k != "curve"}))
    RESULTS.write_text(
        json.dumps(
            {
                "measured": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
                "command": "python bench/bench_finetune.py " + " ".join(sys.argv[1:]),
                "machine": "2 CPU cores shared with other work (timings are noisy)",
                "data": {
                    "tunes": len(tunes),
                    "source": source,
                    "train_tunes": len(corpus.train),
                    "heldout_tunes": len(corpus.valid),
                    "train_chars": corpus.train_chars,
                    "heldout_chars": sum(len(t) for t in corpus.valid),
                    "note": "held out from folk-abc's own training (its recipe's 5 % split); never trained on",
                },
                "settings": {k: getattr(cfg, k) for k in ("batch", "bptt", "lr", "max_seconds", "threads")},
                "runs": runs,
            },
            indent=1,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
