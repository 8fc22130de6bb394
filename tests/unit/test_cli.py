import json
import subprocess
import sys

from core.cli import ProgressLine, emit
from core.training import Progress
from tests.helpers.cli import run_cli, run_cli_process


def test_help_lists_subcommands():
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("models", "train"):
        assert command in result.stdout


def test_version_prints_the_project_version():
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("python -m core ") and result.stdout.strip()[-1].isdigit()


def test_models_list_json_names_every_shipped_model():
    result = run_cli("models", "list", "--json")
    assert result.returncode == 0
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) >= 5, "models list printed too little"
    for row in rows:
        assert {"name", "task", "size_bytes", "metric", "value"} <= set(row)
    assert {"folk-abc", "numbers-en-fr", "video-motion"} <= {row["name"] for row in rows}


def test_a_closed_pipe_ends_quietly():
    # `python -m core models list --json | head -1`: the reader leaves after one line.
    command = [sys.executable, "-m", "core", "models", "list", "--json"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        process.stdout.readline()
        process.stdout.close()
        stderr = process.stderr.read().decode()
        process.wait(timeout=120)
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr, stderr


def test_bad_input_is_one_line_and_exit_2():
    for args in (["no-such-command"], ["models", "build", "no-such-model"]):
        result = run_cli_process(*args)
        assert result.returncode == 2
        assert len(result.stderr.strip().splitlines()) == 1
        assert "Traceback" not in result.stderr


def test_emit_and_progress_line_print_text_or_json(capsys):
    emit({"a": 1}, True, "ignored")
    emit({"a": 1}, False, "a is 1")
    progress = Progress(epoch=2, epochs=5, step=3, steps=3, loss=0.25, elapsed=1.26, metrics={"valid_loss": 0.5})
    ProgressLine(as_json=False, name="tiny").on_epoch(progress)
    ProgressLine(as_json=True, epoch_word="round").on_epoch(progress)
    lines = capsys.readouterr().out.splitlines()
    assert json.loads(lines[0]) == {"a": 1} and lines[1] == "a is 1"
    assert lines[2] == "tiny epoch 2/5: loss 0.25 valid_loss 0.5 seconds 1.3"
    assert json.loads(lines[3]) == {"round": 2, "loss": 0.25, "valid_loss": 0.5, "seconds": 1.3}
