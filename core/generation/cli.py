"""``python -m core generate`` and ``python -m core train generator``."""

from __future__ import annotations

import math
import sys
from pathlib import Path

from core import checkpoints
from core.cli import add_json_flag, print_json
from core.errors import UserError
from core.training import Callback, Progress


def _generate(args) -> int:
    from core.generation import generate, music

    if args.beam and args.greedy:
        raise UserError("choose one of --beam and --greedy")
    method = "beam" if args.beam else "greedy" if args.greedy else "sample"
    settings = generate.Settings(
        method=method,
        length=args.length,
        n=args.n,
        temperature=args.temperature,
        top_k=args.top_k,
        top_p=args.top_p,
        beam=args.beam or 4,
        alpha=args.alpha,
        seed=args.seed,
    ).checked()
    model = checkpoints.load(args.model)
    conditioned = "meter" in model.config.style_fields
    style = None
    if conditioned:
        values = dict(zip(model.config.style_fields, model.config.style_values))
        for field, value in (("meter", args.meter), ("key", args.key), ("type", args.type)):
            if value is not None and value not in values[field]:
                raise UserError(
                    f"--{field} {value!r} is not one the model knows; choose from {', '.join(values[field])}"
                )
        style = {"meter": args.meter or "6/8", "key": args.key or "D", "type": args.type or "other"}
    elif args.meter or args.key or args.type:
        raise UserError(f"{args.model} is not conditioned on a style: --meter/--key/--type apply to folk-abc")
    prime = generate.prepare_prime(model, args.prime)
    for notice in [*prime.notices, *settings.notices]:
        print(f"note: {notice}", file=sys.stderr)
    if method == "greedy" and settings.n > 1:
        print("note: greedy decoding is deterministic: the samples are identical", file=sys.stderr)
    samples = generate.generate(model, prime, settings, style)
    for i, sample in enumerate(samples):
        row = {
            "text": prime.text + sample.text,
            "log_prob": sample.log_prob,
            "nats_per_char": -sample.log_prob / max(len(sample.ids), 1),
            "finished": sample.finished,
            "method": method,
        }
        if conditioned:
            abc = music.assemble_abc(prime.text + sample.text, style["meter"], style["key"])
            check = music.check_tune(abc, style["meter"], style["key"])
            row.update(
                abc=abc,
                parses=check.parses,
                error=check.error,
                error_line=check.line,
                full_bar_fraction=check.full_bars / check.bars if check.bars else None,
                key_found=check.key_found,
                key_ok=check.key_ok,
            )
        if args.json:
            print_json({"sample": i, **row})
        else:
            header = f"--- sample {i + 1}: {row['nats_per_char']:.3f} nats/char"
            if conditioned:
                header += ", parses" if row["parses"] else f", does not parse ({row['error']})"
            print(header)
            print(row.get("abc", row["text"]))
    return 0


class _Progress(Callback):
    def __init__(self, as_json: bool):
        self.as_json = as_json

    def on_epoch(self, progress: Progress) -> None:
        valid = progress.metrics.get("valid_loss", float("nan"))
        row = {"round": progress.epoch, "train_loss": progress.loss, "valid_loss": valid, "seconds": progress.elapsed}
        if self.as_json:
            print_json(row)
        else:
            print(
                f"round {progress.epoch}/{progress.epochs}: train {progress.loss:.3f}, valid {valid:.3f} nats/char "
                f"({valid / math.log(2):.2f} bits/char), {progress.elapsed:.0f}s",
                flush=True,
            )


def _train(args) -> int:
    from core.generation import corpora
    from core.generation.train import GeneratorTraining, folk_corpus, prose_corpus, text_corpus, train_char_rnn

    if args.transpose and args.corpus != "folk":
        raise UserError("--transpose moves ABC tunes to other keys: only with --corpus folk")
    if args.corpus == "folk":
        corpus = folk_corpus(transpositions=args.transpose)
    elif args.corpus == "prose":
        corpus = prose_corpus()
    else:
        path = Path(args.corpus)
        if not path.is_file():
            raise UserError(f"--corpus must be 'folk', 'prose' or a text file; {args.corpus!r} is neither")
        decoded = corpora.decode_upload(path.read_bytes())
        corpus = text_corpus(decoded.text, path.name)
        corpus.notices = [*decoded.notices, *corpus.notices]
    for notice in corpus.notices:
        print(f"note: {notice}", file=sys.stderr)
    cfg = GeneratorTraining(
        cell=args.cell,
        hidden=args.hidden,
        layers=args.layers,
        dropout=args.dropout,
        batch=args.batch,
        bptt=args.bptt,
        lr=args.lr,
        rounds=args.rounds,
        steps_per_round=args.steps,
        average_every=args.average_every,
        seed=args.seed,
        threads=args.threads,
        sample_chars=120,
    )
    if args.dry_run:  # smoke path: a tiny model, two steps, nothing saved
        cfg.hidden, cfg.batch, cfg.bptt, cfg.rounds, cfg.steps_per_round, cfg.eval_chars = 16, 4, 16, 1, 2, 2000
        cfg.sample_chars = 20
    result = train_char_rnn(corpus, cfg, _Progress(args.json))
    meta = {**result.meta, "trained_with": "python -m core train generator " + " ".join(sys.argv[3:])}
    out = None
    if not args.dry_run:
        out = checkpoints.save(result.model, args.out, meta)
    summary = {"saved": str(out) if out else None, "dry_run": args.dry_run, **meta["metrics"]}
    print_json(summary) if args.json else print(f"done: {summary}")
    return 0


def register(commands, train_commands) -> None:
    p = commands.add_parser("generate", help="generate text or folk tunes with a char-RNN (folk-abc, python-prose)")
    p.add_argument("--model", required=True, help="shipped model name (folk-abc, python-prose) or checkpoint folder")
    p.add_argument("--prime", default="", help="text the model continues (default: start a new text)")
    p.add_argument("--length", type=int, default=400, help="characters to generate (capped at 5000)")
    p.add_argument("--n", type=int, default=1, help="number of samples (n-best list for --beam)")
    p.add_argument("--seed", type=int, default=0, help="sampling seed")
    p.add_argument("--temperature", type=float, default=1.0, help="sampling temperature (> 0)")
    p.add_argument("--top-k", type=int, default=0, help="keep the k most likely characters (0 = all)")
    p.add_argument("--top-p", type=float, default=1.0, help="nucleus sampling mass in (0, 1]")
    p.add_argument("--greedy", action="store_true", help="greedy decoding instead of sampling")
    p.add_argument("--beam", type=int, default=0, help="beam search with this width instead of sampling")
    p.add_argument("--alpha", type=float, default=0.0, help="beam search length-penalty exponent")
    p.add_argument("--meter", help="folk-abc: meter of the tune, e.g. 6/8")
    p.add_argument("--key", help="folk-abc: key as in ABC, e.g. D, Em, Ador")
    p.add_argument("--type", help="folk-abc: tune type, e.g. jig, reel, song")
    add_json_flag(p)
    p.set_defaults(func=_generate)

    t = train_commands.add_parser("generator", help="train a char-RNN language model (folk tunes, prose, a text file)")
    t.add_argument("--corpus", default="prose", help="'folk', 'prose' or a path to a text file")
    t.add_argument(
        "--transpose", type=int, default=0, help="folk: copies of each training tune moved to other keys (0 = none)"
    )
    t.add_argument("--cell", choices=["gru", "lstm"], default="gru", help="recurrent cell")
    t.add_argument("--hidden", type=int, default=256, help="hidden units")
    t.add_argument("--layers", type=int, default=1, help="stacked layers")
    t.add_argument("--dropout", type=float, default=0.0, help="dropout on the RNN output")
    t.add_argument("--batch-size", dest="batch", type=int, default=32, help="parallel streams per step")
    t.add_argument("--bptt", type=int, default=128, help="characters per truncated-BPTT chunk")
    t.add_argument("--lr", type=float, default=3e-3, help="Adam learning rate")
    t.add_argument("--rounds", type=int, default=5, help="rounds (epochs) of --steps steps, validation after each")
    t.add_argument("--steps", type=int, default=100, help="steps per round")
    t.add_argument(
        "--average-every", type=int, default=0, help="steps between snapshots of a running weight average (0 = none)"
    )
    t.add_argument("--seed", type=int, default=0, help="random seed")
    t.add_argument("--threads", type=int, default=0, help="torch threads (0 = torch's default)")
    t.add_argument("--out", default="generator-checkpoint", help="folder to save the checkpoint in")
    t.add_argument("--dry-run", action="store_true", help="2 steps of a tiny model, nothing saved (smoke test)")
    add_json_flag(t)
    t.set_defaults(func=_train)
