"""The Python API in a real Jupyter kernel: one notebook, executed once with nbclient.

Each cell ends with an API object, so the kernel renders it with ``_repr_html_``;
the tests read the ``text/html`` the notebook saved, as Jupyter would show it.
"""

from __future__ import annotations

import os
import re

import nbformat
import pytest
from conftest import ROOT, fixture
from helpers.proto_edits import HOSTILE_ALIAS, HOSTILE_NODE, HOSTILE_SIGNATURE, with_hostile_names
from nbclient import NotebookClient

CELLS = {
    "where": "import inspector\ninspector.__file__",
    "show": "inspector.load('fixtures/seed003/SavedModel')",
    "keras": "inspector.load('fixtures/keras_export').meta_graph().signatures['serving_default']",
    "check": "inspector.check('fixtures/fault_unfed_placeholder', target='tf-serving')",
    "graph": "inspector.graph('fixtures/seed003/SavedModel', view='ops')",
    "hostile": "inspector.load({hostile!r})",
    "hostile_graph": "inspector.graph({hostile!r}, view='ops')",
}


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[str, dict]:
    """Every cell's rich output (``text/html``, ``text/plain``), by cell name."""
    hostile = str(with_hostile_names(tmp_path_factory.mktemp("notebook")))
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(code.format(hostile=hostile)) for code in CELLS.values()]
    client = NotebookClient(notebook, timeout=180, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT)}})
    # The kernel imports this checkout's package, whatever is installed.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    client.execute(env=env, cwd=str(ROOT))
    found = {}
    for name, cell in zip(CELLS, notebook.cells):
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert not errors, f"cell {name}: {errors}"
        results = [o for o in cell.outputs if o.output_type == "execute_result"]
        assert len(results) == 1, f"cell {name}: {cell.outputs}"
        found[name] = results[0].data
    return found


def test_the_kernel_runs_this_checkout(outputs):
    assert outputs["where"]["text/plain"].strip("'") == str(ROOT / "inspector" / "__init__.py")


def test_a_savedmodel_shows_its_overview_as_html_tables(outputs, tf):
    page = outputs["show"]["text/html"]
    assert outputs["show"]["text/plain"] == "<SavedModel 'fixtures/seed003/SavedModel': 1 MetaGraph {serve}, 1 signature>"
    loaded = tf.saved_model.load(str(fixture("seed003", "SavedModel")))
    signature = loaded.signatures["serving_default"]
    (argument,) = signature.structured_input_signature[1].values()
    assert list(loaded.signatures) == ["serving_default"]
    rows = _rows(page)
    # The signatures table: one row for the input, one for the output, with TensorFlow's dtype.
    dtype = _dtype_name(argument.dtype)
    assert ["serving_default", "tensorflow/serving/predict", "in", "inputs", "x:0", dtype, "<unknown rank>"] in rows
    assert ["", "", "out", "ouputs", "y:0", dtype, "<unknown rank>"] in rows
    assert "<caption" in page and "Files" in page and "saved_model.pb" in page


def test_a_keras_signature_shows_its_tensors(outputs, tf):
    page = outputs["keras"]["text/html"]
    signature = tf.saved_model.load(str(fixture("keras_export"))).signatures["serving_default"]
    rows = _rows(page)
    for name, spec in signature.structured_input_signature[1].items():
        assert any(row[:2] == ["input", name] and row[3] == _dtype_name(spec.dtype) for row in rows), rows
    for name, spec in signature.structured_outputs.items():
        assert any(row[:2] == ["output", name] and row[3] == _dtype_name(spec.dtype) for row in rows), rows
    assert outputs["keras"]["text/plain"].startswith("<Signature 'serving_default'")


def test_a_check_report_shows_its_findings(outputs):
    page = outputs["check"]["text/html"]
    text = _text(page)
    assert "TFI304" in text
    assert "signature serving_default needs placeholder b, which is not one of its inputs" in text
    assert "1 error, 0 warnings, 0 infos" in text
    assert outputs["check"]["text/plain"] == (
        "<CheckReport 'fixtures/fault_unfed_placeholder' target tf-serving: 1 error, 0 warnings, 0 infos>")


def page_data(shown: str) -> dict:
    """The graph data of the interactive page a notebook shows in an iframe."""
    import html
    import json

    found = re.fullmatch(r'<iframe srcdoc="([^"]*)"[^>]*></iframe>', shown.strip())
    assert found, shown[:200]
    page = html.unescape(found[1])
    data = re.search(r'<script type="application/json" id="data">(.*?)</script>', page, re.DOTALL)[1]
    return json.loads(data)


def test_a_graph_shows_the_interactive_page_inline(outputs):
    data = page_data(outputs["graph"]["text/html"])
    # seed003's graph computes y = m*x + b: its placeholder and its variables are there.
    assert {"x", "m", "b", "Mul"} <= set(data["names"]), data["names"]


def test_hostile_names_are_escaped_text_in_html(outputs):
    page = outputs["hostile"]["text/html"]
    assert "<script" not in page
    rows = _rows(page)
    visible_alias = HOSTILE_ALIAS.replace("\x1b", "\\x1b")
    assert [HOSTILE_SIGNATURE, "tensorflow/serving/predict", "in", visible_alias, f"{HOSTILE_NODE}:0"] == rows[
        next(i for i, r in enumerate(rows) if r and r[0] == HOSTILE_SIGNATURE)][:5]
    assert "\x1b" not in page
    # [red] stayed text: no colour span starts where the alias is.
    assert "[red]x\\x1b[2J" in page
    graph = outputs["hostile_graph"]["text/html"]
    assert "<script" not in graph  # the page's own scripts are inside the escaped srcdoc
    assert HOSTILE_NODE in page_data(graph)["names"]


def _dtype_name(dtype) -> str:
    """TensorFlow's own name of a dtype's DataType enum value, e.g. DT_FLOAT."""
    from tensorflow.core.framework import types_pb2

    return types_pb2.DataType.Name(dtype.as_datatype_enum)


def _text(page: str) -> str:
    """What a reader sees: the page without tags, entities decoded."""
    import html

    return html.unescape(re.sub(r"<[^>]+>", "", page))


def _rows(page: str) -> list[list[str]]:
    """The cells of every HTML table row on the page, as text."""
    import html

    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", page, flags=re.DOTALL):
        cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, flags=re.DOTALL)
        rows.append([html.unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in cells])
    return rows
