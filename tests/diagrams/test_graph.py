"""`tfinspect graph`: DOT structure checked by laying it out with the real `dot` binary."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import ROOT, copy_fixture, fixture, run_cli

from inspector import protos

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot is not installed")


class Drawing:
    """Nodes and edges of DOT text as Graphviz itself reads them (``dot -Tjson``)."""

    def __init__(self, source: str):
        done = subprocess.run(["dot", "-Tjson"], input=source.encode(), capture_output=True, check=True)
        data = json.loads(done.stdout)
        objects = data.get("objects", [])
        self.clusters = {o["name"]: o for o in objects if "nodes" in o or o["name"].startswith("cluster")}
        by_id = {o["_gvid"]: o for o in objects if o not in self.clusters.values()}
        # Drawn graph nodes carry their full TensorFlow name as tooltip; legend entries have none.
        for o in by_id.values():
            if "tooltip" in o:  # undo DOT's escapes: \\ for a backslash, \n for a line break
                o["tooltip"] = re.sub(r"\\(.)", lambda m: "\n" if m[1] == "n" else m[1], o["tooltip"])
        self.nodes = {o["tooltip"]: o for o in by_id.values() if "tooltip" in o}
        self.edges = []
        for edge in data.get("edges", []):
            tail, head = by_id[edge["tail"]], by_id[edge["head"]]
            if "tooltip" in tail and "tooltip" in head:
                self.edges.append((tail["tooltip"], head["tooltip"], edge))

    def pairs(self, control: bool | None = None) -> set[tuple[str, str]]:
        return {(t, h) for t, h, e in self.edges
                if control is None or (e.get("style") == "dashed") == control}


def draw(*args: str) -> tuple[Drawing, str]:
    """The drawing the options ask for, as Graphviz reads its DOT."""
    result = run_cli("graph", *args, "-o", "-")
    assert result.code == 0, result.err
    return Drawing(result.out), result.out


def draw_all(*args: str) -> tuple[Drawing, str]:
    """Every node of the graph (--all), as these tests compare it with TensorFlow's."""
    return draw(*args, "--all")


def tf_edges(graph) -> tuple[set, set]:
    data = {(t.op.name, op.name) for op in graph.get_operations() for t in op.inputs}
    control = {(c.name, op.name) for op in graph.get_operations() for c in op.control_inputs}
    return data, control


def test_seed003_frozen_graph_matches_tensorflow(tf):
    graph_def = tf.compat.v1.GraphDef.FromString(fixture("seed003", "frozen_graph.pb").read_bytes())
    graph = tf.Graph()
    with graph.as_default():
        tf.compat.v1.import_graph_def(graph_def, name="")
    data, _ = tf_edges(graph)
    drawing, _ = draw_all(str(fixture("seed003", "frozen_graph.pb")))
    assert set(drawing.nodes) == {op.name for op in graph.get_operations()}
    assert drawing.pairs(control=False) == data
    mul = graph.get_operation_by_name("y").inputs[0].op.name
    assert {("m/read", mul), ("x", mul), (mul, "y"), ("b/read", "y")} <= drawing.pairs()
    assert "Placeholder" in drawing.nodes["x"]["label"]
    assert drawing.nodes["x"]["shape"] == "invhouse"
    assert drawing.nodes["m"]["shape"] != drawing.nodes["x"]["shape"]


def test_signature_keeps_what_serving_runs_and_drops_the_saver(tf):
    saved = fixture("seed003", "SavedModel")
    drawing, _ = draw_all(str(saved), "--signature", "serving_default")
    with tf.Graph().as_default() as graph, tf.compat.v1.Session() as sess:
        meta = tf.compat.v1.saved_model.loader.load(sess, ["serve"], str(saved))
        sig = meta.signature_def["serving_default"]
        outputs = [graph.get_tensor_by_name(t.name).op.name for t in sig.outputs.values()]
        needed = tf.compat.v1.graph_util.extract_sub_graph(graph.as_graph_def(), outputs)
    assert set(drawing.nodes) == {n.name for n in needed.node}
    assert not [n for n in drawing.nodes if n.startswith("save/")]
    full, _ = draw_all(str(saved))
    assert any(n.startswith("save/") for n in full.nodes)
    assert drawing.nodes["y"]["shape"] == "house" and drawing.nodes["x"]["shape"] == "invhouse"


def test_scopes_are_clusters_and_control_edges_dashed(tf):
    meta = fixture("seed002", "model.meta")
    drawing, _ = draw_all(str(meta))
    labels = {c.get("label") for c in drawing.clusters.values()}
    assert {"inputs", "model_variables"} <= labels
    inputs = next(c for c in drawing.clusters.values() if c.get("label") == "inputs")
    members = {o["tooltip"] for o in drawing.nodes.values() if o["_gvid"] in inputs["nodes"]}
    assert members == {"inputs/Placeholder", "inputs/Placeholder_1"}
    with tf.Graph().as_default() as graph:
        tf.compat.v1.train.import_meta_graph(str(meta))
    data, control = tf_edges(graph)
    assert control, "seed002 should have control dependencies"
    assert drawing.pairs(control=True) == control
    assert drawing.pairs(control=False) == data
    assert all(e.get("constraint") == "false" for t, h, e in drawing.edges if e.get("style") == "dashed")
    hidden, _ = draw_all(str(meta), "--control", "hide")
    assert not hidden.pairs(control=True) and hidden.pairs(control=False) == data


def test_edge_labels_show_dtype_and_shape(tf):
    meta = fixture("seed002", "model.meta")
    drawing, _ = draw_all(str(meta))
    labels = {(t, h): e.get("label") for t, h, e in drawing.edges}
    with tf.Graph().as_default() as graph:
        tf.compat.v1.train.import_meta_graph(str(meta))
    tensor = graph.get_tensor_by_name("inputs/Placeholder:0")
    dims = ",".join("?" if d is None else str(d) for d in tensor.shape.as_list())
    for consumer in tensor.consumers():
        assert labels[("inputs/Placeholder", consumer.name)] == f"{tensor.dtype.name}[{dims}]"
    restore = graph.get_operation_by_name("save/RestoreV2")
    assert len(restore.outputs) > 1
    for consumer in restore.outputs[1].consumers():
        assert labels[("save/RestoreV2", consumer.name)].startswith(":1 ")
    plain, _ = draw_all(str(fixture("seed002", "model.meta")), "--edge-labels", "none")
    assert not [e for _t, _h, e in plain.edges if e.get("label")]


def test_depth_collapses_scopes():
    for path in (fixture("seed002", "model.meta"), fixture("seed000", "exported_model")):
        full, _ = draw_all(str(path))
        shallow, _ = draw_all(str(path), "--depth", "1")
        assert len(shallow.nodes) < len(full.nodes)
        assert "training" in shallow.nodes or "train" in shallow.nodes
    shallow, _ = draw_all(str(fixture("seed002", "model.meta")), "--depth", "1")
    training = shallow.nodes["training"]
    assert "nodes" in training["label"]
    crossing = [e.get("label") for t, h, e in shallow.edges if (t, h) == ("model_variables", "training")]
    assert crossing and crossing[0].endswith("tensors")


def test_function_body(tf):
    from tensorflow.core.protobuf import saved_model_pb2

    saved = saved_model_pb2.SavedModel.FromString(fixture("tf2_module", "saved_model.pb").read_bytes())
    library = saved.meta_graphs[0].graph_def.library
    fdef = next(f for f in library.function if f.signature.name.startswith("while_body"))
    drawing, _ = draw_all(str(fixture("tf2_module")), "--function", fdef.signature.name, "--view", "ops")
    names = set(drawing.nodes)
    assert {n.name for n in fdef.node_def} <= names
    args = {a.name for a in fdef.signature.input_arg}
    assert args <= names
    assert all(drawing.nodes[a]["shape"] == "invhouse" for a in args)
    assert sum(1 for n in names if n.endswith(":ret")) == len(fdef.ret)


def test_calls_name_their_callee_and_expand():
    drawing, _ = draw_all(str(fixture("tf2_module")), "--signature", "serving_default", "--view", "ops")
    call = drawing.nodes["StatefulPartitionedCall_1"]
    assert "__inference_signature_wrapper_serve" in call["label"]
    expanded, _ = draw_all(str(fixture("tf2_module")), "--signature", "serving_default", "--expand-calls")
    assert len(expanded.nodes) > len(drawing.nodes)
    assert any(n.startswith("StatefulPartitionedCall_1/__inference_signature_wrapper_serve")
               for n in expanded.nodes)


def test_output_is_deterministic(tmp_path):
    outputs = []
    for seed in ("1", "2"):
        target = tmp_path / f"g{seed}.dot"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-m", "inspector", "graph", str(fixture("seed000", "exported_model")),
                        "-o", str(target), "--depth", "2"], check=True, cwd=ROOT, env=env)
        outputs.append(target.read_bytes())
    assert outputs[0] == outputs[1] and outputs[0].startswith(b"digraph")


@pytest.mark.parametrize("path", [("seed003", "SavedModel"), ("seed002", "model.meta")])
def test_svg_and_png_rendered_with_dot(tmp_path, path):
    svg = tmp_path / "g.svg"
    assert run_cli("graph", str(fixture(*path)), "-o", str(svg)).code == 0
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg")
    png = tmp_path / "g.png"
    assert run_cli("graph", str(fixture(*path)), "-o", str(png)).code == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.png", "g.svg"]  # no temp files left


HOSTILE = {"m": 'a"b', "b": "c\\d", "Mul": "{e}", "x": "<script>alert(1)</script>",
           "y": "line\nbreak", "m/read": "x]; evil -> y ["}
# How the diagram shows them: a newline inside a name is data, drawn as the two characters \n.
SHOWN = {**HOSTILE, "y": "line\\nbreak"}


def test_hostile_names_are_escaped(tmp_path):
    source = fixture("seed003", "frozen_graph.pb")
    graph = protos.GraphDef.FromString(source.read_bytes())
    for node in graph.node:
        node.name = HOSTILE.get(node.name, node.name)
        renamed = []
        for text in node.input:
            control = text.startswith("^")
            name = HOSTILE.get(text.lstrip("^"), text.lstrip("^"))
            renamed.append(("^" if control else "") + name)
        del node.input[:]
        node.input.extend(renamed)
    hostile = tmp_path / "hostile.pb"
    hostile.write_bytes(graph.SerializeToString())
    drawing, _ = draw_all(str(hostile))
    assert set(SHOWN.values()) <= set(drawing.nodes)
    assert (HOSTILE["x"], HOSTILE["Mul"]) in drawing.pairs()
    svg = tmp_path / "hostile.svg"
    result = run_cli("graph", str(hostile), "--all", "-o", str(svg))
    assert result.code == 0, result.err
    root = ET.parse(svg).getroot()
    assert not [el for el in root.iter() if el.tag.split("}")[-1].lower() == "script"]
    raw = svg.read_text()
    assert "<script" not in raw and "&lt;script&gt;alert(1)&lt;/script&gt;" in raw
    texts = {el.text for el in root.iter() if el.text}
    assert 'a"b' in texts and "{e}" in texts and "c\\d" in texts
    # The scope-less label of `<script>alert(1)</script>` is its part after the last `/`;
    # the tooltip keeps the whole name.
    assert "script>" in texts
    tooltips = {v for el in root.iter() for k, v in el.attrib.items() if k.endswith("title")}
    assert set(SHOWN.values()) <= tooltips


def test_missing_dot_binary(tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    env = {**os.environ, "PATH": str(empty)}
    target = tmp_path / "g.svg"
    cmd = [sys.executable, "-m", "inspector", "graph", str(fixture("seed003", "frozen_graph.pb"))]
    done = subprocess.run([*cmd, "-o", str(target)], check=False, capture_output=True, text=True,
                          cwd=ROOT, env=env)
    assert done.returncode == 2 and not done.stdout and not target.exists()
    assert len(done.stderr.strip().splitlines()) == 1
    assert "apt-get install graphviz" in done.stderr and "brew install graphviz" in done.stderr
    assert ".dot" in done.stderr
    dot = tmp_path / "g.dot"
    done = subprocess.run([*cmd, "-o", str(dot)], check=False, capture_output=True, text=True,
                          cwd=ROOT, env=env)
    assert done.returncode == 0 and dot.read_text().startswith("digraph")


def test_max_nodes_collapses_automatically():
    result = run_cli("graph", str(fixture("seed002", "model.meta")), "--all", "-o", "-", "--max-nodes", "30")
    assert result.code == 0
    assert "note" in result.err and "--depth" in result.err and len(result.err.splitlines()) == 1
    assert len(Drawing(result.out).nodes) <= 30
    refused = run_cli("graph", str(fixture("seed002", "model.meta")), "--all", "-o", "-", "--max-nodes", "3")
    assert refused.code == 2 and not refused.out
    assert "--signature" in refused.err and "--scope" in refused.err and "Traceback" not in refused.err


def test_fold_consts(tf):
    meta = fixture("seed002", "model.meta")
    full, _ = draw_all(str(meta))
    folded, _ = draw_all(str(meta), "--fold-consts")
    with tf.Graph().as_default() as graph:
        tf.compat.v1.train.import_meta_graph(str(meta))
    single = [op for op in graph.get_operations() if op.type == "Const"
              and sum(len(t.consumers()) for t in op.outputs) == 1
              and op.outputs[0].shape.num_elements() <= 16]
    shared = [op for op in graph.get_operations() if op.type == "Const"
              and sum(len(t.consumers()) for t in op.outputs) > 1]
    assert single and shared
    for op in single:
        consumer = op.outputs[0].consumers()[0]
        assert op.name not in folded.nodes
        assert op.name.rpartition("/")[2] + " = " in folded.nodes[consumer.name]["label"]
    assert all(op.name in folded.nodes for op in shared)
    assert len(folded.nodes) == len(full.nodes) - len(single)


def test_selection_options():
    scoped, _ = draw_all(str(fixture("seed002", "model.meta")), "--scope", "model_variables")
    assert scoped.nodes and all(n.startswith("model_variables/") for n in scoped.nodes)
    near, _ = draw_all(str(fixture("seed003", "frozen_graph.pb")), "--around", "Mul", "--hops", "1")
    assert set(near.nodes) == {"Mul", "m/read", "x", "y"}
    sub, _ = draw_all(str(fixture("seed003", "SavedModel")), "--outputs", "y:0", "--inputs", "x")
    assert "y" in sub.nodes and not [n for n in sub.nodes if n.startswith("save/")]


@pytest.mark.parametrize("args", [
    ("-o", "out.txt"),
    ("--signature", "nope", "-o", "-"),
    ("--function", "nope", "-o", "-"),
    ("--around", "nope", "-o", "-"),
])
def test_bad_requests_exit_2(tmp_path, args):
    saved = copy_fixture(tmp_path, "seed003", "SavedModel")
    fixed = [str(tmp_path / a) if a == "out.txt" else a for a in args]
    result = run_cli("graph", str(saved), *fixed)
    assert result.code == 2 and not result.out and len(result.err.strip().splitlines()) == 1
    assert not (tmp_path / "out.txt").exists()


def test_timeout_leaves_no_partial_file(tmp_path):
    target = tmp_path / "g.svg"
    result = run_cli("graph", str(fixture("seed000", "exported_model")), "-o", str(target),
                     "--timeout", "0.001")
    assert result.code == 2 and "did not finish" in result.err
    assert list(tmp_path.iterdir()) == []


def test_docs_image_exists():
    image = Path(ROOT, "docs", "pages", "images", "seed002.png")
    assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and image.stat().st_size < 150_000


def _renamed_frozen_graph(tmp_path: Path, old: str, new: str) -> Path:
    from helpers.proto_edits import rename_node

    graph = protos.GraphDef.FromString(fixture("seed003", "frozen_graph.pb").read_bytes())
    rename_node(graph, old, new)
    target = tmp_path / "edited.pb"
    target.write_bytes(graph.SerializeToString())
    return target


def test_scopes_thousands_of_levels_deep_draw_without_recursion(tmp_path):
    deep = "/".join(f"s{i}" for i in range(3000)) + "/x"
    drawing, _ = draw_all(str(_renamed_frozen_graph(tmp_path, "x", deep)))
    mul = next(n for n in drawing.nodes if drawing.nodes[n]["label"].endswith("Mul"))
    assert [t for t, h in drawing.pairs() if h == mul and t.startswith(deep[:2000] + "… (+")]
    nested = [c for c in drawing.clusters.values() if re.fullmatch(r"s\d+", c.get("label", ""))]
    assert len(nested) == 64  # deeper scopes share the 64th-level cluster


def test_control_characters_never_reach_dot(tmp_path):
    hostile = "x\x00nul\x1b[31m\x7f\r"
    drawing, source = draw_all(str(_renamed_frozen_graph(tmp_path, "x", hostile)))
    assert not [c for c in source if ord(c) < 32 and c not in "\t\n" or 0x7f <= ord(c) <= 0x9f]
    assert "x\\x00nul\\x1b[31m\\x7f\\r" in drawing.nodes


def test_spline_router_failure_retries_with_a_safer_router(tmp_path):
    # A real TF1 Estimator export on which dot's default spline router fails
    # ("triangulation failed ... lost edge"), as does splines=polyline.
    from conformance.artifacts import CORPUS, corpus_available, require_corpus

    require_corpus()
    if not corpus_available():
        pytest.skip(f"the real-world corpus is not at {CORPUS}")
    export = next((CORPUS / "tfx" / "estimator_training" / "export" / "chicago-taxi").iterdir())
    source = run_cli("graph", str(export), "--all", "--control", "dashed", "-o", "-").out
    default = subprocess.run(["dot", "-Tsvg"], input=source.encode(), capture_output=True, check=False)
    assert default.returncode != 0 and b"lost" in default.stderr
    target = tmp_path / "estimator.svg"
    result = run_cli("graph", str(export), "--all", "--control", "dashed", "-o", str(target))
    assert result.code == 0, result.err
    assert "splines=line" in result.err and "lost" in result.err and len(result.err.splitlines()) == 1
    root = ET.parse(target).getroot()
    drawn = {el.text for el in root.iter() if el.tag.endswith("title")}
    assert len([t for t in drawn if t and "->" in t]) > 1000  # every edge is still drawn


def test_big_drawings_say_what_they_changed(tmp_path):
    # seed003 plus 1,200 constants that `y` waits for: one rank far wider than a PNG may be.
    graph = protos.GraphDef.FromString(fixture("seed003", "frozen_graph.pb").read_bytes())
    const = next(n for n in graph.node if n.op == "Const")
    y = next(n for n in graph.node if n.name == "y")
    for i in range(1200):
        node = graph.node.add()
        node.CopyFrom(const)
        node.name = f"wide/c{i}"
        y.input.append(f"^wide/c{i}")
    wide = tmp_path / "wide.pb"
    wide.write_bytes(graph.SerializeToString())
    auto = run_cli("graph", str(wide), "--all", "-o", "-")
    assert auto.code == 0 and "control dependencies are hidden" in auto.err and "--control dashed" in auto.err
    assert not Drawing(auto.out).pairs(control=True)
    png = tmp_path / "wide.png"
    shown = run_cli("graph", str(wide), "--all", "--control", "dashed", "-o", str(png))
    assert shown.code == 0, shown.err
    assert "too large" in shown.err and "--depth 1" in shown.err and len(shown.err.splitlines()) == 1
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    source = run_cli("graph", str(wide), "--all", "--control", "dashed", "-o", "-").out
    full = subprocess.run(["dot", "-Tpng"], input=source.encode(), capture_output=True, check=False)
    assert b"Scaling by" in full.stderr  # what the note spared the user


def test_timeout_message_lists_every_option(tmp_path):
    result = run_cli("graph", str(fixture("seed000", "exported_model")), "-o", str(tmp_path / "g.svg"),
                     "--timeout", "0.001")
    assert result.code == 2 and len(result.err.splitlines()) == 1
    for option in ("--control hide", "--depth", "--max-nodes", "--view layers", "--fold-consts",
                   "--signature", "--scope", "--around", "--function", "--timeout", ".dot"):
        assert option in result.err, option


def test_an_output_folder_that_does_not_exist_is_one_line_before_any_work(tmp_path):
    result = run_cli("graph", fixture("keras_export"), "-o", tmp_path / "missing" / "model.svg")
    assert result.code == 2 and result.out == ""
    assert result.err.count("\n") == 1, result.err
    assert "missing" in result.err and "does not exist" in result.err
