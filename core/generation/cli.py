"""``python -m core generate`` and ``python -m core train generator``."""

from __future__ import annotations

import sys
from pathlib import Path

from core import checkpoints
from core.cli import ProgressLine, add_json_flag, emit
from core.errors import UserError
from core.generation.model import RANGES


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
        no_repeat_ngram=args.no_repeat,
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
    if (args.midi or args.wav) and not (conditioned and settings.n == 1):
        raise UserError("--midi/--wav write one tune: use them with a folk-tune model (folk-abc) and --n 1")
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
            tune = music.render(
                music.assemble_abc(prime.text + sample.text, style["meter"], style["key"]), style["meter"], style["key"]
            )
            check = tune.check
            row.update(
                abc=tune.abc,
                repairs=tune.repairs,
                parses=check.parses,
                plays=check.plays,
                seconds=round(tune.seconds, 2) if check.plays else None,
                error=check.error,
                error_line=check.line,
                full_bar_fraction=check.full_bars / check.bars if check.bars else None,
                key_found=check.key_found,
                key_ok=check.key_ok,
            )
            row["written"] = _write_audio(tune, args.midi, args.wav)
        header = f"--- sample {i + 1}: {row['nats_per_char']:.3f} nats/char"
        if conditioned:
            header += f", plays ({row['seconds']:.0f} s)" if row["plays"] else f", does not play ({row['error']})"
        emit({"sample": i, **row}, args.json, header + "\n" + row.get("abc", row["text"]))
    return 0


def _write_audio(tune, midi: str | None, wav: str | None) -> list[str]:
    """Write the tune's MIDI and WAV (one render: the same notes) where asked; a tune that does not play fails."""
    if not (midi or wav):
        return []
    if not tune.check.plays:
        raise UserError(f"the tune does not play, so no MIDI/WAV was written ({tune.check.error}); try another --seed")
    written = []
    for path, data in ((midi, tune.midi), (wav, tune.wav)):
        if path:
            Path(path).write_bytes(data)
            written.append(path)
    return written


def _train(args) -> int:
    from core.generation.train import GeneratorTraining, folk_corpus, prose_corpus, train_char_rnn, uploaded_corpus

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
        corpus = uploaded_corpus(path.read_bytes(), path.name)
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
    result = train_char_rnn(corpus, cfg, ProgressLine(args.json, epoch_word="round"))
    meta = {**result.meta, "trained_with": "python -m core train generator " + " ".join(sys.argv[3:])}
    out = None
    if not args.dry_run:
        out = checkpoints.save(result.model, args.out, meta)
    summary = {"saved": str(out) if out else None, "dry_run": args.dry_run, **meta["metrics"]}
    emit(summary, args.json, f"done: {summary}")
    return 0


def _within(name: str) -> str:
    low, high = RANGES[name]
    return f"({low}..{high})"


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
    p.add_argument(
        "--no-repeat", type=int, default=0, help="never repeat a run of this many characters (0 = off; stops loops)"
    )
    p.add_argument("--meter", help="folk-abc: meter of the tune, e.g. 6/8")
    p.add_argument("--key", help="folk-abc: key as in ABC, e.g. D, Em, Ador")
    p.add_argument("--type", help="folk-abc: tune type, e.g. jig, reel, song")
    p.add_argument("--midi", metavar="FILE", help="folk-abc, one tune: write it as a MIDI file (repeats played)")
    p.add_argument("--wav", metavar="FILE", help="folk-abc, one tune: write its audio as a WAV file (same notes)")
    add_json_flag(p)
    p.set_defaults(func=_generate)

    t = train_commands.add_parser("generator", help="train a char-RNN language model (folk tunes, prose, a text file)")
    t.add_argument("--corpus", default="prose", help="'folk', 'prose' or a path to a text file")
    t.add_argument(
        "--transpose", type=int, default=0, help="folk: copies of each training tune moved to other keys (0 = none)"
    )
    t.add_argument("--cell", choices=["gru", "lstm"], default="gru", help="recurrent cell")
    t.add_argument("--hidden", type=int, default=256, help=f"hidden units {_within('hidden')}")
    t.add_argument("--layers", type=int, default=1, help=f"stacked layers {_within('layers')}")
    t.add_argument("--dropout", type=float, default=0.0, help="dropout on the RNN output")
    t.add_argument(
        "--batch-size", dest="batch", type=int, default=32, help=f"parallel streams per step {_within('batch')}"
    )
    t.add_argument("--bptt", type=int, default=128, help=f"characters per truncated-BPTT chunk {_within('bptt')}")
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
