"""``python -m core models``: list, build (``make weights``), write model cards for and push checkpoints."""

from __future__ import annotations

import importlib
import time

from core import checkpoints, modelcard
from core.cli import add_json_flag, emit
from core.errors import UserError
from core.training import training_device

# Each module holds RECIPES = {name: fn(directory) -> meta}: the fixed-seed recipe for a shipped model.
RECIPE_MODULES = ("core.translation.recipes", "core.video.recipes", "core.generation.recipes")


def recipes() -> dict:
    found = {}
    for name in RECIPE_MODULES:
        found.update(importlib.import_module(name).RECIPES)
    return found


def _list(args) -> int:
    if not args.json:
        print(f"{'name':<24} {'task':<34} {'size':>8}  metric")
    for row in checkpoints.list_models():
        metric = f"{row['metric']} = {row['value']:.4g}" if row["value"] is not None else ""
        line = f"{row['name']:<24} {row['task'][:34]:<34} {row['size_bytes'] / 2**20:>6.2f}MB  {metric}"
        emit(row, args.json, line)
    return 0


def _build(args) -> int:
    available = recipes()
    names = args.names or sorted(available)
    unknown = [n for n in names if n not in available]
    if unknown:
        raise UserError(f"no recipe for {', '.join(unknown)}; recipes: {', '.join(sorted(available))}")
    for name in names:
        start = time.perf_counter()
        with training_device(args.device):
            meta = available[name](checkpoints.ASSETS_DIR / name)
        seconds = time.perf_counter() - start
        summary = {"name": name, "seconds": seconds, "meta": meta}
        emit(summary, args.json, f"built {name} in {seconds:.0f}s: {meta.get('metrics', {})}")
    return 0


def _card(args) -> int:
    """Rewrite README.md of shipped checkpoints from their config.json (weights are not touched)."""
    documents = checkpoints.shipped_documents()
    names = args.names or list(documents)
    unknown = [n for n in names if n not in documents]
    if unknown:
        raise UserError(f"no shipped model {', '.join(unknown)}; shipped: {', '.join(documents)}")
    for name in names:
        path = modelcard.write_card(checkpoints.ASSETS_DIR / name, documents[name])
        emit({"name": name, "card": str(path)}, args.json, f"wrote {path}")
    return 0


def _push(args) -> int:
    url = checkpoints.push(checkpoints.resolve(args.model), args.repo_id)
    emit({"url": url}, args.json, url)
    return 0


def register(commands, train_commands) -> None:
    models = commands.add_parser("models", help="list, build or push checkpoints")
    sub = models.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = sub.add_parser("list", help="shipped checkpoints with size, task and headline metric")
    add_json_flag(listing)
    listing.set_defaults(func=_list)
    build = sub.add_parser("build", help="retrain shipped checkpoints from their fixed-seed recipes (make weights)")
    build.add_argument("names", nargs="*", help="models to build (default: all)")
    build.add_argument(
        "--device", default="cpu", help="torch device for the training steps, e.g. cuda (evaluation stays on the CPU)"
    )
    add_json_flag(build)
    build.set_defaults(func=_build)
    card = sub.add_parser("card", help="rewrite the README.md model cards of shipped checkpoints from config.json")
    card.add_argument("names", nargs="*", help="models (default: all shipped)")
    add_json_flag(card)
    card.set_defaults(func=_card)
    push = sub.add_parser(
        "push",
        help="upload a checkpoint and its model card to the Hugging Face Hub (needs RNNPLAY_ALLOW_NETWORK=1, HF_TOKEN)",
    )
    push.add_argument("model", help="shipped model name or checkpoint folder")
    push.add_argument("repo_id", help="owner/name on the Hub")
    add_json_flag(push)
    push.set_defaults(func=_push)
