"""`tfinspect io`: likely inputs and outputs, and TensorFlow running the suggestion."""

from __future__ import annotations

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
