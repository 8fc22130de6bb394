import io
import json
import zipfile

import pytest
import torch

from core import checkpoints
from core.errors import UserError
from tests.unit.toy_models import BoundedConfig, ToyConfig, ToyDecoder, ToyLinear


def test_save_load_roundtrip(tmp_path):
    torch.manual_seed(0)
    model = ToyDecoder(ToyConfig(hidden=8))
    checkpoints.save(model, tmp_path / "toy", meta={"task": "test", "metrics": {"acc": 1.0}})
    assert sorted(p.name for p in (tmp_path / "toy").iterdir()) == ["README.md", "config.json", "model.safetensors"]
    loaded = checkpoints.load(str(tmp_path / "toy"))
    assert not loaded.training
    assert loaded.meta["task"] == "test"
    assert loaded.config == model.config
    for (name, a), (_, b) in zip(model.state_dict().items(), loaded.state_dict().items()):
        assert torch.equal(a, b), name


def test_zip_roundtrip():
    model = ToyLinear(BoundedConfig(width=3))
    loaded = checkpoints.load_zip(checkpoints.to_zip(model, {"task": "t"}))
    assert torch.equal(loaded.linear.weight, model.linear.weight)


def make_zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda f: {"config.json": f["config.json"]}, "no model.safetensors"),
        (lambda f: {**f, "model.pkl": b"\x80\x04K\x01."}, "pickles are never loaded"),
        (lambda f: {**f, "config.json": b"{not json"}, "not valid JSON"),
        (lambda f: {**f, "model.safetensors": b"garbage"}, "not a valid safetensors"),
    ],
)
def test_bad_checkpoint_zips_get_clear_errors(mutate, message):
    files = unzip(checkpoints.to_zip(ToyLinear(BoundedConfig(width=3))))
    with pytest.raises(UserError, match=message):
        checkpoints.load_zip(make_zip(mutate(files)))


def test_wrong_shapes_unknown_fields_and_absurd_sizes_are_rejected():
    files = unzip(checkpoints.to_zip(ToyLinear(BoundedConfig(width=3))))
    config = json.loads(files["config.json"])
    config["config"]["width"] = 5
    with pytest.raises(UserError, match="do not match"):
        checkpoints.load_zip(make_zip({**files, "config.json": json.dumps(config).encode()}))
    config["config"] = {"width": 3, "depth": 2}
    with pytest.raises(UserError, match="unknown field"):
        checkpoints.load_zip(make_zip({**files, "config.json": json.dumps(config).encode()}))
    config["config"] = {"width": 10_000}
    with pytest.raises(UserError, match="width must be"):
        checkpoints.load_zip(make_zip({**files, "config.json": json.dumps(config).encode()}))
    config["config"] = {"width": "3"}
    with pytest.raises(UserError, match="should be int"):
        checkpoints.load_zip(make_zip({**files, "config.json": json.dumps(config).encode()}))


def test_parameter_count_is_checked_before_allocation():
    with pytest.raises(UserError, match="parameters"):
        checkpoints.build_model("toy-attention-decoder", {"vocab": 100_000, "hidden": 4096})


def test_unknown_names_fail_offline_with_the_shipped_list(monkeypatch):
    monkeypatch.delenv("RNNPLAY_ALLOW_NETWORK", raising=False)
    with pytest.raises(UserError, match="no model 'someone/model'.*RNNPLAY_ALLOW_NETWORK"):
        checkpoints.load("someone/model")
    with pytest.raises(UserError, match="no model"):
        checkpoints.load("../../etc")


def test_push_needs_network_and_token(tmp_path, monkeypatch):
    monkeypatch.delenv("RNNPLAY_ALLOW_NETWORK", raising=False)
    with pytest.raises(UserError, match="network"):
        checkpoints.push(tmp_path, "me/model")
    monkeypatch.setenv("RNNPLAY_ALLOW_NETWORK", "1")
    monkeypatch.delenv("HF_TOKEN", raising=False)
    with pytest.raises(UserError, match="token"):
        checkpoints.push(tmp_path, "me/model")


def test_every_shipped_checkpoint_loads():
    for row in checkpoints.list_models():
        model = checkpoints.load(row["name"])
        assert not model.training
        assert row["size_bytes"] < 10 * 2**20
