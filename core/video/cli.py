"""``python -m core video classify|make-dataset`` and ``python -m core train video``."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

from core import checkpoints
from core.cli import ProgressLine, add_json_flag, emit, print_json
from core.errors import UserError
from core.training import TrainConfig, default_threads, seed_everything
from core.video import export, shift, synth
from core.video.io import EXTENSIONS, read_clip
from core.video.model import TEMPORAL, VideoClassifier, VideoConfig, input_groups, predict
from core.video.motion_stream import FLOW_METHODS
from core.video.recipes import MOTION
from core.video.train import ClipSet, fit


def classify_file(model: VideoClassifier, source, frames: int | None = None) -> dict:
    """Decode, sample, classify: the page and the CLI share this."""
    clip = read_clip(source, frames or model.config.frames)
    result = predict(model, model.config.model_input(clip.frames))
    result.update(clip=clip, frames_read=clip.frames_read)
    return result


def _classify(args) -> int:
    import torch

    torch.set_num_threads(default_threads())
    model = checkpoints.load(args.model)
    if args.frames is not None and not 1 <= args.frames <= 256:
        raise UserError(f"--frames must be 1-256, not {args.frames}")
    failed, table = False, []
    for name in args.files:
        try:
            result = classify_file(model, Path(name), args.frames)
        except (UserError, FileNotFoundError, IsADirectoryError, PermissionError) as error:
            failed = True
            if args.json:
                print_json({"file": name, "error": str(error)})
            else:
                print(f"error: {name}: {error}", file=sys.stderr)
            continue
        clip = result["clip"]
        table += export.rows(name, result, clip.indices, clip.fps)
        keep = ("label", "confidence", "probs", "frames_read", "timeline")
        emit(
            {"file": name, **{k: result[k] for k in keep}, "notes": result["clip"].notes},
            args.json,
            f"{name}: {result['label']} ({result['confidence']:.1%}, {result['frames_read']} frames read)",
        )
    if args.csv:
        try:
            Path(args.csv).write_text(export.to_csv(model.config.labels, table))
        except OSError as error:
            raise UserError(f"--csv: cannot write {args.csv}: {error.strerror}") from None
    return 2 if failed else 0


def _make_dataset(args) -> int:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    ranges = synth.HELDOUT if args.ranges == "heldout" else synth.TRAIN
    if args.width:
        ranges = dataclasses.replace(ranges, width=(args.width, args.width))
    if args.seconds:
        ranges = dataclasses.replace(ranges, duration=(args.seconds, args.seconds))
    if args.max_noise is not None:
        ranges = dataclasses.replace(ranges, noise=(0.0, args.max_noise))
    labels = args.classes.split(",") if args.classes else synth.LABELS
    unknown = [name for name in labels if name not in synth.LABELS]
    if unknown:
        raise UserError(f"unknown class(es) {', '.join(unknown)}; classes: {', '.join(synth.LABELS)}")
    rows = []
    for k in range(args.per_class):
        for label in labels:
            seed = args.seed * 1_000_003 + k * len(synth.LABELS) + synth.LABELS.index(label)
            spec = synth.random_spec(label, seed, ranges)
            path = synth.write_clip(spec, out / f"{label}_{k:03d}", args.codec)
            rows.append(
                {
                    "file": path.name,
                    "label": label,
                    "seed": seed,
                    "width": spec.width,
                    "height": spec.height,
                    "fps": round(spec.fps, 2),
                    "frames": spec.frames,
                }
            )
            emit(rows[-1], args.json, f"{path.name}: {label}, {spec.width}x{spec.height}, {spec.frames} frames")
    (out / "labels.json").write_text(json.dumps(rows, indent=1) + "\n")
    if not args.json:
        print(f"wrote {len(rows)} clips and labels.json to {out}")
    return 0


def _make_shift_set(args) -> int:
    rows = shift.make_set(args.out, args.per_class, args.seed, workers=args.workers or default_threads())
    summary = {"out": args.out, "clips": len(rows), "seed": args.seed, "codecs": sorted({r["codec"] for r in rows})}
    emit(summary, args.json, f"wrote {len(rows)} clips and labels.json to {args.out} (seed {args.seed})")
    return 0


def _train(args) -> int:
    import torch

    torch.set_num_threads(args.threads or default_threads())
    per_class, epochs = (2, 1) if args.dry_run else (args.per_class, args.epochs)
    labels = synth.LABELS
    config = VideoConfig(
        labels=list(labels),
        image_size=args.image_size,
        frames=args.frames,
        temporal=args.temporal,
        hidden=args.hidden,
        channels=list(MOTION.channels),
        bidirectional=args.bidirectional,
        **input_groups(args.temporal, args.motion, args.flow),  # a baseline never gets the order
        flow_size=args.flow_size,
        flow_method=args.flow_method,
        mirror_labels=synth.relabelling(synth.MIRRORED, labels) if args.augment else [],
    )
    config.validate()
    start = time.perf_counter()
    side = config.input_size
    train = ClipSet(*synth.training_set(per_class, args.frames, side, args.seed))
    val = ClipSet(*synth.training_set(max(1, per_class // 5), args.frames, side, args.seed + 1)[:2])
    seed_everything(args.seed)
    model = VideoClassifier(config)
    history = fit(
        model,
        train,
        TrainConfig(epochs=epochs, lr=args.lr, lr_decay=0.85, seed=args.seed),
        val,
        state_weight=0.0 if args.temporal == "frame" else 1.0,
        callback=ProgressLine(args.json, "video"),
        mirror=config.mirror_labels or None,
        reverse=synth.relabelling(synth.REVERSED, labels) if args.augment else None,
        stream_workers=args.threads or default_threads(),
    )
    meta = {
        "task": "video classification: 8 order-only motion classes",
        "description": f"CNN + {args.temporal} trained by python -m core train video",
        "metrics": history.epochs[-1],
        "headline": "val_accuracy",
        "trained_with": "python -m core train video " + " ".join(sys.argv[3:]),
    }
    if args.out and not args.dry_run:
        checkpoints.save(model, args.out, meta)
    summary = {
        "seconds": round(time.perf_counter() - start, 1),
        "saved": None if args.dry_run else args.out,
        **history.epochs[-1],
    }
    emit(summary, args.json, "done: " + ", ".join(f"{k} {v}" for k, v in summary.items()))
    return 0


def register(commands, train_commands) -> None:
    video = commands.add_parser("video", help="classify clips, write the synthetic motion dataset")
    sub = video.add_subparsers(dest="action", metavar="ACTION", required=True)
    classify = sub.add_parser("classify", help=f"classify video files ({', '.join(EXTENSIONS)})")
    classify.add_argument("files", nargs="+", metavar="FILE", help="video files")
    classify.add_argument("--model", default="video-motion", help="shipped model name or checkpoint folder")
    classify.add_argument("--frames", type=int, default=None, help="frames to sample (default: the model's)")
    classify.add_argument(
        "--csv",
        metavar="FILE",
        help="also write each clip's per-frame class probabilities (frame index, time in seconds) to FILE",
    )
    add_json_flag(classify)
    classify.set_defaults(func=_classify)

    make = sub.add_parser("make-dataset", help="write labelled synthetic clips + labels.json")
    make.add_argument("out", help="output folder")
    make.add_argument("--per-class", type=int, default=2, help="clips per class")
    make.add_argument("--classes", default="", help=f"comma-separated subset of {','.join(synth.LABELS)}")
    make.add_argument("--codec", default="VP80", choices=list(synth.CODECS), help="VP80/VP90 .webm, mp4v, MJPG")
    make.add_argument("--ranges", default="heldout", choices=["heldout", "train"], help="parameter ranges")
    make.add_argument("--width", type=int, default=0, help="fix the frame width (pixels)")
    make.add_argument("--seconds", type=float, default=0.0, help="fix the duration")
    make.add_argument("--max-noise", type=float, default=None, help="cap camera noise (smaller files)")
    make.add_argument("--seed", type=int, default=100, help="seed (1, 2 and 9 are the shipped models' data)")
    add_json_flag(make)
    make.set_defaults(func=_make_dataset)

    make_shift = sub.add_parser(
        "make-shift-set", help="write the shift test set: other shapes, photo textures, shake, lighting, codecs"
    )
    make_shift.add_argument("--out", required=True, help="output folder")
    make_shift.add_argument("--per-class", type=int, default=shift.SHIFT_PER_CLASS, help="clips per class")
    make_shift.add_argument(
        "--seed", type=int, default=shift.SHIFT_SEED, help=f"{shift.SHIFT_SEED}: the test set, {shift.DEV_SEED}: dev"
    )
    make_shift.add_argument("--workers", type=int, default=0, help="processes (default: all cores)")
    add_json_flag(make_shift)
    make_shift.set_defaults(func=_make_shift_set)

    train = train_commands.add_parser("video", help="train a CNN+RNN on the synthetic motion classes")
    train.add_argument("--out", default="", help="folder to save the checkpoint in")
    train.add_argument("--temporal", default="gru", choices=TEMPORAL, help="how frames combine")
    train.add_argument("--bidirectional", action="store_true", help="bidirectional RNN")
    train.add_argument("--hidden", type=int, default=MOTION.hidden, help="RNN hidden size (the shipped recipe's)")
    train.add_argument(
        "--motion",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="the CNN also sees each frame's change from the previous one (gru/lstm only)",
    )
    train.add_argument(
        "--flow",
        action="store_true",
        help="the CNN reads the motion stream (flow and brightness change) instead of the frames (gru/lstm only)",
    )
    train.add_argument(
        "--augment",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="mirror and/or reverse clips at random, relabelled to the other class of their pair; "
        "the model then answers for each clip and its mirror image together",
    )
    train.add_argument("--frames", type=int, default=MOTION.frames, help="frames sampled per clip")
    train.add_argument("--image-size", type=int, default=MOTION.image_size, help="frame side after resizing")
    train.add_argument(
        "--flow-size",
        type=int,
        default=0,
        help="with --flow: compute the stream on frames of this side (a multiple of --image-size), then "
        "area-average it to --image-size; 0 = --image-size",
    )
    train.add_argument(
        "--flow-method",
        choices=FLOW_METHODS,
        default=MOTION.flow_method,
        help="with --flow: the optical flow of the stream (default: the shipped recipe's)",
    )
    train.add_argument("--per-class", type=int, default=100, help="training clips per class")
    train.add_argument("--epochs", type=int, default=8, help="epochs")
    train.add_argument("--lr", type=float, default=MOTION.lr, help="learning rate")
    train.add_argument("--seed", type=int, default=0, help="seed")
    train.add_argument("--threads", type=int, default=0, help="torch threads (default: all cores)")
    train.add_argument("--dry-run", action="store_true", help="2 clips per class, 1 epoch, nothing saved")
    add_json_flag(train)
    train.set_defaults(func=_train)
