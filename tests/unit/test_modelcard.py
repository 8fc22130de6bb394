"""Model cards: built from config.json only, shipped with every checkpoint, zip and push."""

import io
import json
import zipfile

import pytest
import torch
from huggingface_hub import ModelCard

from core import checkpoints, modelcard
from core.generation.model import CharRNN, CharRNNConfig
from tests.helpers.cli import run_cli

META = {
    "task": "text generation",
    "description": "A toy char-RNN",
    "corpus": "toy-texts",
    "metrics": {"valid_loss": 1.2345, "valid_bits_per_char": 1.781, "train_loss": 1.1},
    "headline": "valid_loss",
    "data": {"train_texts": 4, "valid_texts": 1},
    "trained_with": "python -m core train generator --corpus toy.txt",
    "training": {"hidden": 16, "lr": 0.003},
}


def toy_model() -> CharRNN:
    torch.manual_seed(0)
    return CharRNN(CharRNNConfig(vocab=["", *"abc \n"], embed=4, hidden=8))


def test_card_of_a_toy_model_says_what_its_metadata_says(tmp_path):
    model = toy_model()
    checkpoints.save(model, tmp_path / "toy-rnn", META)
    text = (tmp_path / "toy-rnn" / "README.md").read_text()
    card = ModelCard(text)
    data = card.data.to_dict()
    assert data["library_name"] == "rnn-playground"
    assert data["pipeline_tag"] == "text-generation"
    assert "char-rnn" in data["tags"]
    assert data["metrics"] == ["train_loss", "valid_bits_per_char", "valid_loss"]
    assert data["model-index"][0]["results"][0]["metrics"][0] == {"type": "valid_loss", "value": 1.2345}
    assert "license" not in data  # the project declares none
    for section in ("## Task", "## Architecture", "## Training data and recipe", "## Held-out metrics"):
        assert section in card.text
    assert "## Intended use and limits" in card.text
    n_params = sum(p.numel() for p in model.parameters())
    assert f"{n_params:,} parameters" in card.text
    assert "| valid_loss | 1.2345 |" in card.text
    assert META["trained_with"] in card.text
    assert "| hidden | 8 |" in card.text  # from the config, not the recipe's 16
    assert card.text.startswith("\n# toy-rnn\n\nA toy char-RNN")


def test_card_of_a_fine_tuned_model_names_its_start():
    text = modelcard.card_text(
        "mine", {"model_type": "char-rnn", "config": {}, "meta": {"fine_tuned_from": "folk-abc"}}
    )
    assert "Fine-tuned from **folk-abc**" in text


def test_card_without_metadata_says_nothing_was_recorded():
    text = modelcard.card_text("bare", {"model_type": "char-rnn", "config": {}, "meta": {}})
    assert "No held-out metrics were recorded" in text
    assert "No training data or recipe was recorded" in text
    assert "metrics:" not in text.split("---")[1]


def test_shipped_cards_are_what_the_generator_writes_now():
    documents = checkpoints.shipped_documents()
    assert documents
    for name, document in documents.items():
        card = checkpoints.ASSETS_DIR / name / "README.md"
        assert card.is_file(), f"{name}: no model card; run `python -m core models card`"
        assert card.read_text() == modelcard.card_text(name, document), (
            f"{name}: README.md drifted from config.json; run `python -m core models card {name}`"
        )


def test_models_card_command_rewrites_a_card(monkeypatch, tmp_path):
    folder = tmp_path / "toy-rnn"
    checkpoints.save(toy_model(), folder, META)
    (folder / "README.md").write_text("stale")
    monkeypatch.setattr(checkpoints, "ASSETS_DIR", tmp_path)
    result = run_cli("models", "card", "toy-rnn")
    assert result.returncode == 0, result.stderr
    assert (folder / "README.md").read_text() == modelcard.card_text(
        "toy-rnn", json.loads((folder / "config.json").read_text())
    )
    assert run_cli("models", "card", "nope").returncode != 0


def test_downloaded_zip_carries_the_card_and_still_loads():
    data = checkpoints.to_zip(toy_model(), META, name="my-tunes")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert sorted(archive.namelist()) == ["README.md", "config.json", "model.safetensors"]
        assert "# my-tunes" in archive.read("README.md").decode()
    assert checkpoints.load_zip(data).meta["task"] == "text generation"


def test_push_uploads_weights_config_and_card_in_one_commit(monkeypatch, tmp_path):
    import huggingface_hub

    commits = []

    class FakeApi:
        def __init__(self, token):
            self.token = token

        def create_repo(self, repo_id, exist_ok):
            pass

        def create_commit(self, repo_id, operations, commit_message):
            commits.append((repo_id, {op.path_in_repo: op for op in operations}))

    monkeypatch.setattr(huggingface_hub, "HfApi", FakeApi)
    monkeypatch.setenv(checkpoints.NETWORK_ENV, "1")
    monkeypatch.setenv("HF_TOKEN", "test-token")
    folder = checkpoints.save(toy_model(), tmp_path / "toy-rnn", META)
    (folder / "README.md").unlink()  # an older folder without a card still gets one
    assert checkpoints.push(folder, "me/toy-rnn") == "https://huggingface.co/me/toy-rnn"
    repo, files = commits[0]
    assert repo == "me/toy-rnn" and sorted(files) == ["README.md", "config.json", "model.safetensors"]
    assert b"# toy-rnn" in files["README.md"].path_or_fileobj


@pytest.mark.parametrize("member", ["model.pkl", "notes.txt"])
def test_zip_with_other_files_than_the_card_is_still_refused(member):
    data = checkpoints.to_zip(toy_model(), META)
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w") as target:
        for name in source.namelist():
            target.writestr(name, source.read(name))
        target.writestr(member, b"x")
    with pytest.raises(checkpoints.UserError, match=member):
        checkpoints.load_zip(buffer.getvalue())
