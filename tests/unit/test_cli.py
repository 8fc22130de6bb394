import json
import subprocess
import sys


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "core", *args], capture_output=True, text=True, timeout=120)


def test_help_lists_subcommands():
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("models", "train"):
        assert command in result.stdout


def test_models_list_json():
    result = run_cli("models", "list", "--json")
    assert result.returncode == 0
    for line in result.stdout.splitlines():
        row = json.loads(line)
        assert {"name", "task", "size_bytes", "metric", "value"} <= set(row)


def test_bad_input_is_one_line_and_exit_2():
    for args in (["no-such-command"], ["models", "build", "no-such-model"]):
        result = run_cli(*args)
        assert result.returncode == 2
        assert len(result.stderr.strip().splitlines()) == 1
        assert "Traceback" not in result.stderr
