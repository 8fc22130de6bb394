"""docs/results.md is generated (core.results) and the README carries no measured figure of its own."""

import ast
import re
from pathlib import Path

from core import checkpoints, results

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
NUMBER = re.compile(r"(?<![\w.\-/])\d[\d,.]*")  # a figure: "99.90", "4,074", "1.0"; not "seq2seq" or "H200"


def readme_prose(text: str) -> str:
    """The README as a reader reads it, minus code (commands, paths) and link targets."""
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    text = re.sub(r"`[^`\n]*`", "", text)
    text = re.sub(r"\]\([^)]*\)", "]", text)
    text = re.sub(r"<[^>]*>", "", text)  # HTML tags (image sizes) are markup, not prose
    return re.sub(r"<!--.*?-->", "", text, flags=re.S)


def test_results_doc_is_what_the_generator_writes_now():
    assert results.DOC.read_text() == results.render(), "docs/results.md drifted from its sources: run `make results`"


def test_results_doc_shows_the_checkpoint_figures_with_their_source():
    doc = results.render()
    for name, document in checkpoints.shipped_documents().items():
        assert results.trained_by(document["meta"], name) in doc, f"{name}: no command that built it"
        metrics = document["meta"]["metrics"]
        if "test_exact" in metrics:
            assert f"`{name}` | {results.pct(metrics['test_exact'], 2)} |" in doc
    sweep = checkpoints.shipped_documents()["dates-iso-plain"]["meta"]["delay_sweep"]
    for delay in sweep:  # every bucket of the delay sweep, the shortest one included
        for bucket in delay["by_length"]:
            assert results.pct(bucket["exact"], 1) in doc


def test_a_missing_results_file_says_how_to_measure_it(monkeypatch, tmp_path):
    monkeypatch.setattr(results, "ROOT", tmp_path)
    doc = results.render()
    assert "Not measured yet: run `python bench/bench_translation.py" in doc
    assert "Not measured yet: run `python -m core varlen" in doc


def test_readme_carries_no_measured_figure():
    figures = NUMBER.findall(readme_prose(README.read_text()))
    assert not figures, f"README.md states figures {figures}: measured ones belong in docs/results.md (make results)"


def test_readme_links_the_results_and_keeps_the_two_commands():
    text = README.read_text()
    assert "docs/results.md" in text
    assert "make run" in text and "make test" in text
    assert len(text.splitlines()) < 120


def test_the_generator_types_no_figure():
    """Numbers in core/results.py are format widths and unit scales; a figure typed there fails."""
    tree = ast.parse(Path(results.__file__).read_text())
    docstrings = {id(node.body[0].value) for node in ast.walk(tree) if _has_docstring(node)}
    format_specs = {
        id(part)
        for node in ast.walk(tree)
        if isinstance(node, ast.FormattedValue) and node.format_spec
        for part in ast.walk(node.format_spec)
    }
    for node in ast.walk(tree):
        if not isinstance(node, ast.Constant) or id(node) in docstrings | format_specs:
            continue
        if isinstance(node.value, bool):
            continue
        if isinstance(node.value, int | float):
            assert node.value in {0, 1, 2, 3, 4, 100, 1000}, f"line {node.lineno}: number {node.value} typed by hand"
        elif isinstance(node.value, str):
            assert not NUMBER.search(node.value), f"line {node.lineno}: {node.value!r} types a number by hand"


def _has_docstring(node) -> bool:
    body = getattr(node, "body", None)
    return (
        isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef)
        and bool(body)
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    )


def test_the_larger_machine_estimate_is_scaled_from_the_measured_run():
    """load_protocol.capacity scales the run's CPU per person; the doc shows what it stored."""
    from bench.load_protocol import capacity

    run = {"sessions": 30, "replicas": 1, "server_cpu": {"percent_of_one_core": 15.0, "ms_per_action": 50}}
    assert capacity(run) == {"busy_share": 0.5, "people_per_replica": 100, "cores": 16, "people": 1600}
    assert capacity({**run, "server_cpu": {"percent_of_one_core": 30.0}})["people_per_replica"] == 50
    stored = results.read("bench/results/load.json")
    if stored.get("capacity"):
        text = " ".join(results.more_cores())
        assert f"one replica serves about {stored['capacity']['people_per_replica']:,} people" in text
