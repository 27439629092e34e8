"""Facts that had several implementations, which disagreed, now have one; these tests fail if a copy comes back."""

from __future__ import annotations

import ast
import io

from conftest import ROOT, fixture, run_cli
from rich.console import Console

import inspector


def _calls_of(function: str) -> list[str]:
    """Where the package calls ``function`` (module path and line)."""
    found = []
    for path in sorted((ROOT / "inspector").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
                if name == function:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_the_features_of_an_example_input_are_found_in_one_place():
    """request, request --validate and check ask analysis.examples.example_inputs; nobody walks the parsers again."""
    callers = _calls_of("example_parsers")
    assert [c.split(":")[0] for c in callers] == ["inspector/analysis/examples.py"]


def _plain(renderable) -> list[str]:
    console = Console(file=io.StringIO(), width=200, color_system=None)
    console.print(renderable)
    return [line.rstrip() for line in console.file.getvalue().splitlines()]


def test_a_meta_graph_is_headed_the_same_in_show_and_in_a_notebook():
    path = fixture("seed003", "SavedModel")
    [meta] = inspector.load(path).meta_graphs
    notebook = _plain(meta)
    shown = run_cli("show", path).out.splitlines()
    start = next(i for i, line in enumerate(shown) if line.startswith("MetaGraph {"))
    assert notebook[:3] == [line.rstrip() for line in shown[start:start + 3]]
    assert notebook[1].startswith("  written by TensorFlow ")
