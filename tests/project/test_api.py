"""The Python API: reprs, rich output equal to the command line's, check and graph options."""

from __future__ import annotations

import html
import io
import subprocess
import sys

import pytest
from conftest import ROOT, fixture, run_cli
from rich.console import Console
from rich.table import Table
from rich.text import Text

import inspector
from inspector import protos
from inspector.report.notebook import to_html

SEED = "fixtures/seed003/SavedModel"
UNFED = "fixtures/fault_unfed_placeholder"


def rich_text(obj) -> str:
    """What ``rich.print(obj)`` shows, with the console the CLI uses when piped (200 columns)."""
    console = Console(file=io.StringIO(), width=200, highlight=False, soft_wrap=False, color_system=None)
    console.print(obj)
    return console.file.getvalue()


# -- repr ------------------------------------------------------------------------------
def test_artifact_reprs_name_kind_path_tag_sets_and_signature_counts():
    assert repr(inspector.load(SEED)) == "<SavedModel 'fixtures/seed003/SavedModel': 1 MetaGraph {serve}, 1 signature>"
    assert repr(inspector.load("fixtures/ckpt_sharded")) == "<Checkpoint 'fixtures/ckpt_sharded': prefix 'ckpt', no graph>"
    frozen = protos.GraphDef.FromString(fixture("seed003", "frozen_graph.pb").read_bytes())
    assert repr(inspector.load("fixtures/seed003/frozen_graph.pb")) == (
        f"<GraphDef 'fixtures/seed003/frozen_graph.pb': {len(frozen.node)} nodes>")


def test_meta_graph_signature_and_tensor_reprs_use_dtype_names():
    saved = protos.SavedModel.FromString(fixture("seed003", "SavedModel", "saved_model.pb").read_bytes())
    meta = inspector.load(SEED).meta_graph()
    nodes = len(saved.meta_graphs[0].graph_def.node)
    assert repr(meta) == f"<MetaGraph {{serve}}: 1 signature, {nodes} nodes, 0 functions>"
    signature = meta.signatures["serving_default"]
    assert saved.meta_graphs[0].signature_def["serving_default"].inputs["inputs"].dtype == 1  # the file holds the enum number: DT_FLOAT in types.proto
    assert repr(signature) == ("<Signature 'serving_default' tensorflow/serving/predict: "
                               "'inputs' DT_FLOAT <unknown rank> -> 'ouputs' DT_FLOAT <unknown rank>>")
    assert repr(signature.inputs[0]) == "<SignatureTensor 'inputs' 'x:0' DT_FLOAT <unknown rank>>"


def test_reprs_show_control_characters_escaped(tmp_path):
    from helpers.proto_edits import with_hostile_names

    meta = inspector.load(with_hostile_names(tmp_path)).meta_graph()
    text = repr(next(iter(meta.signatures.values())))
    assert "\x1b" not in text and "'[red]x\\x1b[2J'" in text


# -- rich: the same text as the command line ---------------------------------------------
@pytest.mark.parametrize("path", [SEED, "fixtures/keras_export", "fixtures/seed002/model.meta", "fixtures/ckpt_v1"])
def test_rich_print_of_an_artifact_is_what_show_prints(path):
    result = run_cli("show", path)
    assert result.code == 0, result.err
    assert rich_text(inspector.load(path)) == result.out


def test_rich_print_of_a_check_report_is_what_check_prints():
    result = run_cli("check", UNFED, "--target", "python")
    report = inspector.check(UNFED, target="python")
    assert rich_text(report) == result.out
    assert result.code == 1 and not report.ok and report.count("error") == 1


def test_rich_print_of_a_signature_is_its_block_in_signatures():
    result = run_cli("signatures", SEED)
    signature = inspector.load(SEED).meta_graph().signatures["serving_default"]
    # A signature's block names its tag-set in the command; the object alone has none.
    assert rich_text(signature) == result.out.replace("{serve}", "{}").removesuffix("\n")


def test_rich_print_of_a_finding_is_its_lines_in_check():
    (finding,) = inspector.check(UNFED)
    out = run_cli("check", UNFED).out
    assert rich_text(finding) in out
    assert repr(finding) == ("<Finding TFI304 error at '{serve}/serving_default': "
                             "'signature serving_default needs placeholder b, which is not one of its inputs'>")


# -- check options -----------------------------------------------------------------------
def test_check_select_ignore_and_findings_match_the_json_of_the_command():
    wanted = run_cli("check", "fixtures/fault_py_func", "--target", "python", "--select", "TFI3,TFI4",
                     "--ignore", "TFI304", "--json").json()["findings"]
    report = inspector.check("fixtures/fault_py_func", target="python", select=["TFI3", "TFI4"], ignore="TFI304")
    assert [(f.code, f.message) for f in report] == [(f["code"], f["message"]) for f in wanted]
    assert all(f.code.startswith(("TFI3", "TFI4")) and f.code != "TFI304" for f in report)


@pytest.mark.parametrize("kwargs, text", [({"select": "NOPE"}, "no rule code starts with 'NOPE'"),
                                          ({"target": "tpu"}, "no target 'tpu'")])
def test_check_refuses_unknown_codes_and_targets(kwargs, text):
    with pytest.raises(inspector.InspectorError, match=text):
        inspector.check(SEED, **kwargs)


# -- graph -------------------------------------------------------------------------------
def test_graph_source_notes_and_files_are_what_the_command_writes(tmp_path):
    result = run_cli("graph", "fixtures/keras_export", "-o", "-", "--depth", "2")
    drawing = inspector.graph("fixtures/keras_export", depth=2)
    assert drawing.source == result.out
    assert [f"tfinspect: note: {n}" for n in drawing.notes] == result.err.splitlines()
    assert drawing.view == "layers"
    cli_svg = tmp_path / "cli.svg"
    assert run_cli("graph", SEED, "-o", cli_svg, "--view", "ops").code == 0
    saved = inspector.graph(SEED, view="ops").save(tmp_path / "api.svg")
    assert saved.read_bytes() == cli_svg.read_bytes()
    assert inspector.graph(SEED, view="ops").svg() == cli_svg.read_text()


def test_graph_refuses_what_the_command_refuses(tmp_path):
    drawing = inspector.graph(SEED, view="ops")
    with pytest.raises(inspector.InspectorError, match="unknown output format '.txt'"):
        drawing.save(tmp_path / "graph.txt")
    assert not (tmp_path / "graph.txt").exists()
    with pytest.raises(inspector.InspectorError, match="is a checkpoint and has no graph"):
        inspector.graph("fixtures/ckpt_sharded")
    with pytest.raises(inspector.InspectorError, match="depth must be at least 1"):
        inspector.graph(SEED, depth=0)


# -- HTML --------------------------------------------------------------------------------
def test_html_tables_escape_and_sanitise_every_string():
    grid = Table("name", "dtype", title="T<1>")
    grid.add_row(Text("[bold]<img src=x onerror=alert(1)>\x1b]0;t\x07"), "DT_FLOAT")
    page = to_html(grid)
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "[bold]" in page and "\x1b" not in page and "\\x1b]0;t" in page
    assert "<caption" in page and "T&lt;1&gt;" in page
    assert "<td" in page and ">DT_FLOAT<" in page


def test_the_api_never_starts_tensorflow():
    program = (
        "import sys, inspector\n"
        f"inspector.load({SEED!r})._repr_html_()\n"
        f"inspector.check({UNFED!r})._repr_html_()\n"
        f"inspector.graph({SEED!r}).source\n"
        "assert 'tensorflow.python' not in sys.modules\n"
        "print('ok')\n"
    )
    proc = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, cwd=ROOT, timeout=120,
                          check=False)
    assert proc.returncode == 0 and proc.stdout == "ok\n", proc.stderr


def test_without_graphviz_a_notebook_still_shows_the_interactive_page(monkeypatch, tmp_path):
    from inspector.report import diagram

    monkeypatch.setattr(diagram.shutil, "which", lambda name: None)
    drawing = inspector.graph(SEED, view="ops")
    assert drawing.source.startswith("digraph tfinspect {")  # DOT needs no Graphviz
    shown = drawing._repr_html_()
    assert "<iframe srcdoc=" in shown
    page = tmp_path / "seed.html"
    drawing.save(page)  # the same page the command writes, without Graphviz
    assert html.escape(page.read_text(), quote=True) in shown
    with pytest.raises(inspector.InspectorError, match="program was not found"):
        drawing.svg()
