"""`tfinspect io`: likely inputs and outputs, and TensorFlow running the suggestion."""

from __future__ import annotations

import pytest
from conftest import copy_fixture, fixture, run_cli


def _graph_def(tf, path):
    graph_def = tf.compat.v1.GraphDef()
    graph_def.ParseFromString(path.read_bytes())
    return graph_def


def test_frozen_graph_io_and_tensorflow_runs_the_suggestion(tf):
    path = fixture("seed003", "frozen_graph.pb")
    data = run_cli("io", path, "--json").json()
    assert [t["name"] for t in data["inputs"]] == ["x"]
    assert [t["name"] for t in data["outputs"]] == ["y"]
    assert data["inputs"][0]["dtype"] == "DT_FLOAT" and data["inputs"][0]["optional"] is False
    assert data["suggestion"] == {"inputs": ["x:0"], "outputs": ["y:0"]}
    with tf.Graph().as_default() as graph, tf.compat.v1.Session(graph=graph) as sess:
        tf.compat.v1.import_graph_def(_graph_def(tf, path), name="")
        consts = {op.name: tf.make_ndarray(op.get_attr("value"))
                  for op in graph.get_operations() if op.type == "Const"}
        got = sess.run(data["suggestion"]["outputs"][0], {data["suggestion"]["inputs"][0]: 6.0})
    assert got == consts["m"] * 6.0 + consts["b"]
    assert data["elements"] == sum(v.size for v in consts.values())
    table = run_cli("io", path)
    assert "--inputs x:0 --outputs y:0" in table.out


def test_seed002_meta_inputs_and_no_training_machinery(tf):
    path = fixture("seed002", "model.meta")
    data = run_cli("io", path, "--json").json()
    with tf.Graph().as_default() as graph:
        tf.compat.v1.train.import_meta_graph(str(path))
        placeholders = [op.name for op in graph.get_operations()
                        if op.type == "Placeholder" and op.name.startswith("inputs/")]
        train_ops = {op.name for op in tf.compat.v1.get_collection("train_op")}
        summaries = {t.op.name for t in tf.compat.v1.get_collection("summaries")}
        for name in data["suggestion"]["outputs"]:  # every suggested tensor exists
            graph.get_tensor_by_name(name)
    assert sorted(t["name"] for t in data["inputs"]) == sorted(placeholders)
    assert len(placeholders) == 2
    outputs = {t["name"] for t in data["outputs"]}
    assert outputs, "a loss or prediction is expected"
    assert not outputs & (train_ops | summaries)
    assert not any(n.startswith(("training/", "save/")) or n == "init" for n in outputs)
    assert data["elements"] == 2


def test_tf2_module_inputs_include_the_signature_placeholders(tf):
    path = fixture("tf2_module")
    data = run_cli("io", path, "--tag-set", "serve", "--json").json()
    with tf.Graph().as_default() as graph, tf.compat.v1.Session(graph=graph) as sess:
        meta = tf.compat.v1.saved_model.loader.load(sess, ["serve"], str(path))
        wanted = {info.name for key, sig in meta.signature_def.items() for info in sig.inputs.values()}
        saver_filename = meta.saver_def.filename_tensor_name
    tensors = {t["tensor_name"] for t in data["inputs"]}
    assert wanted <= tensors
    assert saver_filename not in tensors
    assert "serving_default" in data["signature_keys"]


def test_placeholder_with_default_is_optional(tf, tmp_path):
    path = copy_fixture(tmp_path, "seed003", "frozen_graph.pb")
    graph_def = _graph_def(tf, path)
    default = graph_def.node.add()
    default.name = "x_default"
    default.op = "Const"
    default.attr["dtype"].type = tf.float32.as_datatype_enum
    default.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(2.0, tf.float32))
    (x,) = [n for n in graph_def.node if n.name == "x"]
    x.op = "PlaceholderWithDefault"
    x.input.append("x_default")
    x.attr["shape"].shape.unknown_rank = True
    path.write_bytes(graph_def.SerializeToString())
    with tf.Graph().as_default() as graph, tf.compat.v1.Session(graph=graph) as sess:
        tf.compat.v1.import_graph_def(graph_def, name="")
        sess.run("y:0")  # TensorFlow runs it with no feed: the input really is optional
    data = run_cli("io", path, "--json").json()
    (only,) = data["inputs"]
    assert only["name"] == "x" and only["optional"] is True
    assert "2" in only["default"]
    assert [t["name"] for t in data["outputs"]] == ["y"]


def test_io_on_a_checkpoint_without_graph_is_bad_input():
    bad = run_cli("io", fixture("ckpt_sharded"))
    assert bad.code == 2 and bad.out == "" and "Traceback" not in bad.err


def test_cond_pivots_are_not_outputs(tmp_path, tf):
    """tf.cond's pivots (cond/switch_t, cond/switch_f) are read through control edges inside the branches."""
    graph = tf.Graph()
    tf.compat.v1.disable_control_flow_v2()  # TF1's Switch/Merge cond, as frozen TF1 graphs hold it
    try:
        with graph.as_default():
            x = tf.compat.v1.placeholder(tf.float32, [None, 3], name="x")
            flag = tf.compat.v1.placeholder_with_default(True, [], name="flag")
            y = tf.compat.v1.cond(flag, lambda: tf.constant(2.0) * x, lambda: tf.constant(3.0) * x)
            tf.identity(y, name="y")
    finally:
        tf.compat.v1.enable_control_flow_v2()
    path = tmp_path / "frozen.pb"
    path.write_bytes(graph.as_graph_def().SerializeToString())
    nodes = {n.name: n for n in graph.as_graph_def().node}
    pivots = [name for name in nodes if name.endswith(("switch_t", "switch_f"))]
    assert pivots  # TensorFlow made them, and reads them only through control edges
    assert all(inp == f"^{p}" for n in nodes.values() for inp in n.input for p in pivots if p in inp)
    view = run_cli("io", path, "--json").json()
    assert [o["name"] for o in view["outputs"]] == ["y"]
    checked = run_cli("check", path, "--json").json()["findings"]
    assert not any(p in (place["location"] or "") for f in checked for place in f["places"] for p in pivots)


def test_captured_resource_placeholders_are_not_inputs():
    from conformance.artifacts import CORPUS

    path = CORPUS / "tfx" / "keras_serving"
    if not path.is_dir():
        pytest.skip("the corpus is not beside the clone")
    view = run_cli("io", path, "--json").json()
    assert [i["name"] for i in view["inputs"]] == ["serving_default_examples"]
    assert all(i["dtype"] != "DT_RESOURCE" for i in view["inputs"])
