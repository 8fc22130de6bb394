"""``python -m core translate`` and ``python -m core train translation``."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import torch

from core import checkpoints
from core.cli import ProgressLine, add_json_flag, emit
from core.errors import UserError
from core.recurrent import CELLS
from core.training import default_threads
from core.translation import data, inference, reading
from core.translation.inference import MAX_BEAM
from core.translation.model import ATTENTIONS
from core.translation.train import KINDS, TrainSettings, TranslationTraining, fit

MAX_INPUTS = 100_000


def _inputs(args) -> list[str]:
    if args.file and args.text:
        raise UserError("give either TEXT arguments or --file, not both")
    if args.file:
        text = data.decode_text(Path(args.file).read_bytes(), f"input file {args.file}")
        lines = [line for line in text.splitlines() if line.strip()]
    else:
        lines = args.text
    if not lines:
        raise UserError("nothing to translate: give TEXT arguments or --file with one input per line")
    if len(lines) > MAX_INPUTS:
        raise UserError(f"{len(lines):,} inputs; at most {MAX_INPUTS:,} per run")
    return lines


def run_translate(args) -> int:
    torch.set_num_threads(args.threads or default_threads())
    model = checkpoints.load(args.model)
    method = "sample" if args.sample else "beam" if args.beam > 1 else "greedy"
    texts = _inputs(args)
    prepared = [reading.prepare(model.config.task, text) for text in texts]
    results = inference.translate(
        model,
        [p.text for p in prepared],
        method=method,
        beam_size=args.beam,
        alpha=args.alpha,
        n_best=args.n_best,
        temperature=args.temperature,
        max_len=args.max_len,
        seed=args.seed,
    )
    for text, ready, r in zip(texts, prepared, results):
        judged = reading.verdict(model.config.task, ready.text, r.output)
        notes = list(ready.notes)
        if r.truncated:
            notes.append(f"input truncated to {model.config.max_source_len} tokens")
        if r.unknown:
            notes.append("unknown tokens: " + ", ".join(repr(r.source_tokens[i]) for i in r.unknown))
        if judged["reference_note"]:
            notes.append(judged["reference_note"])
        if judged["check"] not in (None, "ok"):
            notes.append(f"check: {judged['check']} (reference: {judged['reference']})")
        row = {
            "input": text,
            "output": r.output,
            **judged,
            "notes": notes,
            "source_tokens": r.source_tokens,
            "target_tokens": r.target_tokens,
            "attention": r.attention,
            "score": r.score,
            "finished": r.finished,
            "unknown_tokens": [r.source_tokens[i] for i in r.unknown],
            "truncated": r.truncated,
            "n_best": [{"output": c.output, "score": c.score} for c in r.n_best],
        }
        emit(row, args.json, r.output)
        for note in notes if not args.json else []:  # JSON carries the same facts in its fields
            print(f"warning: {text[:40]!r}: {note}", file=sys.stderr)
    return 0


def run_train(args) -> int:
    torch.set_num_threads(args.threads or default_threads())
    pairs = data.parse_pairs(Path(args.pairs).read_bytes()) if args.pairs else None
    run = TranslationTraining(
        trained_with="python -m core train translation " + " ".join(sys.argv[3:]),
        kind=args.kind,
        task="pairs" if pairs is not None else args.task,
        train_pairs=64 if args.dry_run else args.train_pairs,
        valid_pairs=16 if args.dry_run else 500,
        level=args.level,
        cell=args.cell,
        embed=args.embed,
        hidden=args.hidden,
        attention=args.attention,
        bidirectional=not args.unidirectional,
        delay=args.delay,
        settings=TrainSettings(
            epochs=1 if args.dry_run else args.epochs,
            steps_per_epoch=2 if args.dry_run else args.steps,
            batch_size=args.batch_size,
            lr=args.lr,
            lr_decay=args.lr_decay,
            seed=args.seed,
        ),
    )
    run = replace(run, description=f"trained with python -m core train translation ({args.kind}, {run.sizes()})")
    model, history = fit(run, pairs, ProgressLine(args.json))
    if args.out:
        checkpoints.save(model, args.out, model.meta)
    summary = {"saved": args.out, "seconds": history.seconds, "dry_run": args.dry_run, **model.meta["metrics"]}
    emit(summary, args.json, f"done in {history.seconds:.1f}s; saved to {args.out or '(not saved)'}")
    return 0


def register(commands, train_commands) -> None:
    p = commands.add_parser("translate", help="translate texts with a translation checkpoint")
    p.add_argument("text", nargs="*", help="inputs to translate (or use --file)")
    p.add_argument("--model", required=True, help="shipped model name (e.g. numbers-en-fr, dates-iso) or folder")
    p.add_argument("--file", help="UTF-8 file with one input per line")
    p.add_argument("--beam", type=int, default=1, help=f"beam width 1..{MAX_BEAM} (1 = greedy)")
    p.add_argument("--alpha", type=float, default=0.0, help="GNMT length penalty alpha for beam search (0..2)")
    p.add_argument("--n-best", type=int, default=1, help="hypotheses kept by beam search (<= --beam)")
    p.add_argument("--sample", action="store_true", help="sample instead of greedy/beam")
    p.add_argument("--temperature", type=float, default=1.0, help="sampling temperature (with --sample)")
    p.add_argument("--max-len", type=int, default=None, help="maximum output tokens (default: the model's)")
    p.add_argument("--seed", type=int, default=0, help="sampling seed")
    p.add_argument("--threads", type=int, default=0, help="torch threads (0 = all cores)")
    add_json_flag(p)
    p.set_defaults(func=run_translate)

    t = train_commands.add_parser("translation", help="train a translation model (numbers, dates or a pairs file)")
    t.add_argument("--task", default="numbers:en-fr", help="'numbers:SRC-TGT' (en, fr, de, es, it) or 'dates'")
    t.add_argument("--pairs", help="UTF-8 file of source<TAB>target lines (instead of --task)")
    t.add_argument("--level", choices=("word", "char"), default="word", help="tokenisation for --pairs")
    t.add_argument("--kind", choices=KINDS, default="encoder-decoder", help="model kind")
    t.add_argument("--attention", choices=ATTENTIONS, default="general", help="attention type")
    t.add_argument("--cell", choices=tuple(CELLS), default="gru", help="RNN cell")
    t.add_argument("--unidirectional", action="store_true", help="one-way encoder (default: bidirectional)")
    t.add_argument("--delay", type=int, default=0, help="plain seq2seq delay in steps")
    t.add_argument("--embed", type=int, default=64, help="embedding size")
    t.add_argument("--hidden", type=int, default=128, help="hidden size")
    t.add_argument("--epochs", type=int, default=10, help="epochs")
    t.add_argument("--steps", type=int, default=300, help="batches per epoch")
    t.add_argument("--batch-size", type=int, default=128, help="pairs per batch")
    t.add_argument("--lr", type=float, default=3e-3, help="Adam learning rate")
    t.add_argument("--lr-decay", type=float, default=0.8, help="learning rate factor per epoch")
    t.add_argument("--train-pairs", type=int, default=60_000, help="generated training pairs (tasks only)")
    t.add_argument("--seed", type=int, default=0, help="seed for data, initial weights and order")
    t.add_argument("--threads", type=int, default=0, help="torch threads (0 = all cores)")
    t.add_argument("--out", help="folder to save the checkpoint into")
    t.add_argument("--dry-run", action="store_true", help="2 steps on 64 pairs: checks the set-up quickly")
    add_json_flag(t)
    t.set_defaults(func=run_train)
