"""Models on disk as Hugging Face-style folders: ``config.json`` + ``model.safetensors`` + a ``README.md`` card.

``config.json`` holds ``{"model_type", "config", "meta"}``: the registered model class, the
fields of its ``@dataclass`` config, and free-form facts about how it was trained (task,
metrics, the command that made it). Loading validates the config against the class's known
fields, sizes the model on the meta device before allocating anything, and reads weights with
safetensors only: nothing is ever unpickled. The model card (``core.modelcard``) is written from
``config.json`` on every save and travels in every zip; loading ignores it.
"""

from __future__ import annotations

import dataclasses
import importlib
import io
import json
import os
import re
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import torch
from huggingface_hub import load_torch_model, save_torch_model
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors_bytes

from core import modelcard
from core.errors import UserError

ASSETS_DIR = Path(__file__).resolve().parent.parent / "assets" / "models"
CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"
MAX_PARAMETERS = 30_000_000  # far above any model here; stops absurd configs before allocation
MAX_ZIP_BYTES = 200 * 2**20  # uncompressed, guards against zip bombs
NETWORK_ENV = "RNNPLAY_ALLOW_NETWORK"
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")

# Modules that register model classes; imported on the first lookup of an unknown model_type.
MODEL_MODULES = ("core.translation.model", "core.translation.plain", "core.video.model", "core.generation.model")

_REGISTRY: dict[str, type[torch.nn.Module]] = {}


def register(model_type: str):
    """Class decorator: makes a model loadable by ``model_type``.

    The class needs ``config_class`` (a dataclass) and ``__init__(self, config)``; an optional
    ``config.validate()`` raises ``UserError`` for values the model cannot take.
    """

    def wrap(cls):
        cls.model_type = model_type
        _REGISTRY[model_type] = cls
        return cls

    return wrap


def network_allowed() -> bool:
    return os.environ.get(NETWORK_ENV, "") == "1"


def model_class(model_type: str) -> type[torch.nn.Module]:
    if model_type not in _REGISTRY:
        for module in MODEL_MODULES:
            importlib.import_module(module)
    if model_type not in _REGISTRY:
        known = ", ".join(sorted(_REGISTRY)) or "none"
        raise UserError(f"unknown model_type {model_type!r} in config.json; known types: {known}")
    return _REGISTRY[model_type]


def config_from_dict(config_class: type, values: Any):
    """Build a config dataclass from JSON, rejecting unknown fields and wrongly typed values."""
    if not isinstance(values, dict):
        raise UserError("config.json: 'config' must be an object")
    fields = {f.name: f for f in dataclasses.fields(config_class)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise UserError(f"config.json: unknown field(s) {', '.join(unknown)} for {config_class.__name__}")
    defaults = config_class()
    for name, value in values.items():
        expected = type(getattr(defaults, name))
        ok = isinstance(value, expected) or (expected is float and isinstance(value, int))
        if expected is int and isinstance(value, bool):
            ok = False
        if not ok:
            raise UserError(f"config.json: field {name!r} should be {expected.__name__}, got {type(value).__name__}")
    config = config_class(**values)
    if hasattr(config, "validate"):
        config.validate()
    return config


def build_model(model_type: str, config_values: Any) -> torch.nn.Module:
    cls = model_class(model_type)
    config = config_from_dict(cls.config_class, config_values)
    with torch.device("meta"):
        n_params = sum(p.numel() for p in cls(config).parameters())
    if n_params > MAX_PARAMETERS:
        raise UserError(f"config describes {n_params:,} parameters; the limit is {MAX_PARAMETERS:,}")
    return cls(config)


def save(model: torch.nn.Module, directory: str | Path, meta: dict | None = None, name: str | None = None) -> Path:
    """Write ``config.json`` + ``model.safetensors`` + the ``README.md`` card (titled ``name``, default the
    folder's name) into ``directory`` (created if needed)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    document = {
        "model_type": model.model_type,
        "config": dataclasses.asdict(model.config),
        "meta": meta if meta is not None else getattr(model, "meta", {}),
    }
    (directory / CONFIG_NAME).write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n")
    save_torch_model(model, directory)
    modelcard.write_card(directory, document, name)
    return directory


def _read_document(text: str | bytes, where: str) -> dict:
    try:
        document = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise UserError(f"{where}: config.json is not valid JSON ({error})") from None
    if not isinstance(document, dict) or "model_type" not in document or "config" not in document:
        raise UserError(f"{where}: config.json needs 'model_type' and 'config'")
    return document


def _finish(model: torch.nn.Module, meta: Any) -> torch.nn.Module:
    model.meta = meta if isinstance(meta, dict) else {}
    return model.eval()


def _load_state(model: torch.nn.Module, state: dict[str, torch.Tensor], where: str) -> None:
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as error:
        first = str(error).strip().splitlines()
        detail = " ".join(line.strip() for line in first[1:3]) or first[0]
        raise UserError(f"{where}: weights do not match the config: {detail}") from None


def load_folder(directory: str | Path) -> torch.nn.Module:
    directory = Path(directory)
    config_path, weights_path = directory / CONFIG_NAME, directory / WEIGHTS_NAME
    for path in (config_path, weights_path):
        if not path.is_file():
            raise UserError(f"{directory.name}: {path.name} is missing")
    document = _read_document(config_path.read_bytes(), directory.name)
    model = build_model(document["model_type"], document["config"])
    try:
        load_torch_model(model, directory, strict=True, safe=True, weights_only=True)
    except (RuntimeError, SafetensorError, ValueError) as error:
        raise UserError(f"{directory.name}: weights do not match the config ({str(error).splitlines()[0]})") from None
    return _finish(model, document.get("meta"))


def resolve(name_or_path: str) -> Path:
    """Find a checkpoint folder: shipped under assets/models, a local folder, then the Hub (opt-in)."""
    if _NAME_RE.match(name_or_path) and (ASSETS_DIR / name_or_path / CONFIG_NAME).is_file():
        return ASSETS_DIR / name_or_path
    local = Path(name_or_path).expanduser()
    if (local / CONFIG_NAME).is_file():
        return local
    if "/" in name_or_path and network_allowed():
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(repo_id=name_or_path, allow_patterns=[CONFIG_NAME, WEIGHTS_NAME]))
    shipped = ", ".join(m["name"] for m in list_models()) or "none"
    hint = f"; set {NETWORK_ENV}=1 to fetch owner/name from the Hugging Face Hub" if "/" in name_or_path else ""
    raise UserError(f"no model {name_or_path!r}: shipped models are {shipped}{hint}")


def load(name_or_path: str) -> torch.nn.Module:
    """Load a model in eval mode; ``model.meta`` holds the facts from config.json."""
    return load_folder(resolve(name_or_path))


def load_zip(data: bytes) -> torch.nn.Module:
    """Load an uploaded checkpoint zip that holds config.json and model.safetensors (and optionally the card)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise UserError("the checkpoint is not a zip file") from None
    with archive:
        members = {Path(info.filename).name: info for info in archive.infolist() if not info.is_dir()}
        extra = sorted(set(members) - {CONFIG_NAME, WEIGHTS_NAME, modelcard.CARD_NAME})  # the card is not read
        if extra:
            raise UserError(
                f"the checkpoint zip holds {', '.join(extra)}; only {CONFIG_NAME} and {WEIGHTS_NAME} are accepted"
                " (pickles are never loaded)"
            )
        for name in (CONFIG_NAME, WEIGHTS_NAME):
            if name not in members:
                raise UserError(f"the checkpoint zip has no {name}")
        if sum(info.file_size for info in members.values()) > MAX_ZIP_BYTES:
            raise UserError(f"the checkpoint unpacks to more than {MAX_ZIP_BYTES // 2**20} MB")
        document = _read_document(archive.read(members[CONFIG_NAME]), "checkpoint")
        model = build_model(document["model_type"], document["config"])
        try:
            state = load_safetensors_bytes(archive.read(members[WEIGHTS_NAME]))
        except (SafetensorError, ValueError) as error:
            raise UserError(f"checkpoint: {WEIGHTS_NAME} is not a valid safetensors file ({error})") from None
    _load_state(model, state, "checkpoint")
    return _finish(model, document.get("meta"))


def to_zip(model: torch.nn.Module, meta: dict | None = None, name: str = "your-model") -> bytes:
    """The checkpoint as zip bytes (for a download button), its model card titled ``name`` included."""
    with tempfile.TemporaryDirectory(prefix="rnnplay-") as tmp:
        save(model, tmp, meta, name)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for member in (CONFIG_NAME, WEIGHTS_NAME, modelcard.CARD_NAME):
                archive.write(Path(tmp) / member, member)
    return buffer.getvalue()


def push(directory: str | Path, repo_id: str, token: str | None = None) -> str:
    """Upload a checkpoint folder and its model card (written from its config.json) to the Hub in one commit;
    needs network access allowed and a token."""
    if not network_allowed():
        raise UserError(f"pushing needs network access: set {NETWORK_ENV}=1")
    token = token or os.environ.get("HF_TOKEN")
    if not token:
        raise UserError("pushing needs a Hugging Face token: set HF_TOKEN")
    from huggingface_hub import CommitOperationAdd, HfApi

    directory = Path(directory)
    card = modelcard.card_text(directory.name, _read_document(directory.joinpath(CONFIG_NAME).read_bytes(), "push"))
    files = [CommitOperationAdd(name, str(directory / name)) for name in (CONFIG_NAME, WEIGHTS_NAME)]
    api = HfApi(token=token)
    api.create_repo(repo_id, exist_ok=True)
    api.create_commit(
        repo_id, [*files, CommitOperationAdd(modelcard.CARD_NAME, card.encode())], commit_message="Upload checkpoint"
    )
    return f"https://huggingface.co/{repo_id}"


def shipped_documents() -> dict[str, dict]:
    """The config.json of every shipped checkpoint, by name, in name order (no weights are read)."""
    return {
        directory.name: json.loads((directory / CONFIG_NAME).read_text())
        for directory in sorted(ASSETS_DIR.glob("*/"))
        if (directory / CONFIG_NAME).is_file()
    }


def list_models() -> list[dict]:
    """Shipped checkpoints with task, size and headline metric (read from config.json only)."""
    rows = []
    for name, document in shipped_documents().items():
        directory = ASSETS_DIR / name
        meta = document.get("meta", {})
        size = sum(f.stat().st_size for f in directory.iterdir() if f.is_file() and f.name != modelcard.CARD_NAME)
        headline = meta.get("headline")
        rows.append(
            {
                "name": name,
                "model_type": document["model_type"],
                "task": meta.get("task", ""),
                "size_bytes": size,
                "metric": headline,
                "value": meta.get("metrics", {}).get(headline) if headline else None,
            }
        )
    return rows
