"""`tfinspect dump`: the protobuf as TensorFlow reads it, whole or one part, large tensors elided."""

from __future__ import annotations

import json

import numpy as np
from conftest import assert_clean_failure, fixture, run_cli
from google.protobuf import json_format, text_format
from helpers.proto_edits import BIG_CONST, BIG_CONST_SIZE, frozen_graph_with_big_const


def parse_text(tf_class, text: str):
    message = tf_class()
    text_format.Parse(text, message)
    return message


def node_of(graph_def, name: str):
    (node,) = [n for n in graph_def.node if n.name == name]
    return node


def test_whole_text_graph_def_round_trips(tf):
    path = fixture("seed002", "graphdef.pbtxt")
    expected = parse_text(tf.compat.v1.GraphDef, path.read_text())
    for extra in ((), ("--full",)):
        result = run_cli("dump", path, *extra)
        assert result.code == 0, result.err
        assert "elided" not in result.out  # small tensors only
        assert result.out.startswith("# proto-message: tensorflow.GraphDef\n")
        assert parse_text(tf.compat.v1.GraphDef, result.out) == expected


def test_whole_saved_model_and_meta_graph_round_trip(tf):
    from tensorflow.core.protobuf import saved_model_pb2

    folder = fixture("seed003", "SavedModel")
    expected = saved_model_pb2.SavedModel.FromString((folder / "saved_model.pb").read_bytes())
    out = run_cli("dump", folder, "--full").out
    assert out.startswith("# proto-message: tensorflow.SavedModel\n")
    assert parse_text(saved_model_pb2.SavedModel, out) == expected
    # with --tag-set, the MetaGraphDef of that tag-set
    out = run_cli("dump", folder, "--tag-set", "serve", "--full").out
    assert parse_text(tf.compat.v1.MetaGraphDef, out) == expected.meta_graphs[0]
    meta_path = fixture("seed003", "model.meta")
    out = run_cli("dump", meta_path, "--full").out
    assert parse_text(tf.compat.v1.MetaGraphDef, out) == tf.compat.v1.MetaGraphDef.FromString(
        meta_path.read_bytes())


def test_graph_of_a_meta_is_tensorflows(tf):
    path = fixture("seed002", "model.meta")
    ours = parse_text(tf.compat.v1.GraphDef, run_cli("dump", path, "--graph").out)
    with tf.Graph().as_default() as graph:
        tf.compat.v1.train.import_meta_graph(str(path))
    theirs = graph.as_graph_def()
    assert [(n.name, n.op) for n in ours.node] == [(n.name, n.op) for n in theirs.node]
    assert [list(n.input) for n in ours.node] == [list(n.input) for n in theirs.node]


def test_node_signature_collection_and_function_select_the_right_message(tf):
    from tensorflow.core.protobuf import meta_graph_pb2, saved_model_pb2

    path = fixture("seed002", "model.meta")
    meta = tf.compat.v1.MetaGraphDef.FromString(path.read_bytes())
    out = run_cli("dump", path, "--node", "model_variables/slope").out
    node = parse_text(tf.compat.v1.NodeDef, out)
    assert node == node_of(meta.graph_def, "model_variables/slope")
    with tf.Graph().as_default() as graph:
        tf.compat.v1.train.import_meta_graph(str(path))
    imported = graph.get_operation_by_name("model_variables/slope").node_def
    del node.attr["_output_shapes"]  # TensorFlow drops it on import
    assert node == imported

    out = run_cli("dump", path, "--collection", "variables").out
    assert parse_text(meta_graph_pb2.CollectionDef, out) == meta.collection_def["variables"]

    folder = fixture("seed001", "mnist", "2")
    with tf.Graph().as_default() as graph, tf.compat.v1.Session(graph=graph) as sess:
        loaded = tf.compat.v1.saved_model.loader.load(sess, ["serve"], str(folder))
    for key in ("predict_images", "serving_default"):
        out = run_cli("dump", folder, "--signature", key).out
        assert parse_text(meta_graph_pb2.SignatureDef, out) == loaded.signature_def[key]
    out = run_cli("dump", folder, "--collection", "table_initializer").out
    assert parse_text(meta_graph_pb2.CollectionDef, out) == loaded.collection_def["table_initializer"]

    tf2 = fixture("tf2_module")
    saved = saved_model_pb2.SavedModel.FromString((tf2 / "saved_model.pb").read_bytes())
    library = {f.signature.name: f for f in saved.meta_graphs[0].graph_def.library.function}
    name = next(n for n, f in library.items() if any(node.op == "While" for node in f.node_def))
    out = run_cli("dump", tf2, "--function", name, "--full").out
    assert out.startswith("# proto-message: tensorflow.FunctionDef\n")
    function = parse_text(type(library[name]), out)
    assert function == library[name]
    out = run_cli("dump", tf2, "--function", name, "--node", "while").out
    assert parse_text(tf.compat.v1.NodeDef, out) == next(n for n in library[name].node_def if n.name == "while")


def test_json_is_protobufs_json_mapping(tf):
    path = fixture("seed002", "model.meta")
    meta = tf.compat.v1.MetaGraphDef.FromString(path.read_bytes())
    result = run_cli("dump", path, "--node", "inputs/Placeholder", "--json")
    data = json.loads(result.out)
    assert data["name"] == "inputs/Placeholder" and data["attr"]["dtype"]["type"] == "DT_DOUBLE"
    parsed = json_format.ParseDict(data, tf.compat.v1.NodeDef())
    assert parsed == node_of(meta.graph_def, "inputs/Placeholder")
    whole = json_format.Parse(run_cli("dump", path, "--json").out, tf.compat.v1.MetaGraphDef())
    assert whole == meta


def test_a_large_const_is_elided_and_full_restores_it(tmp_path, tf):
    path, graph_def = frozen_graph_with_big_const(tmp_path, tf)
    big = node_of(graph_def, BIG_CONST)

    result = run_cli("dump", path)
    assert result.code == 0, result.err
    first = result.out.splitlines()[0]
    assert first.startswith(f"# {BIG_CONST_SIZE} tensor values elided; use --full")
    assert len(result.out) < 10_000
    elided = parse_text(tf.compat.v1.GraphDef, result.out)
    tensor = node_of(elided, BIG_CONST).attr["value"].tensor
    assert tensor.tensor_content.startswith(b"<elided by tfinspect: DT_FLOAT [10000] = [0, 0.142857")
    assert [d.size for d in tensor.tensor_shape.dim] == [BIG_CONST_SIZE]
    # everything else is untouched
    assert [n for n in elided.node if n.name != BIG_CONST] == [n for n in graph_def.node if n.name != BIG_CONST]

    full = run_cli("dump", path, "--full")
    assert "elided" not in full.out
    assert parse_text(tf.compat.v1.GraphDef, full.out) == graph_def
    node = parse_text(tf.compat.v1.NodeDef, run_cli("dump", path, "--node", BIG_CONST, "--full").out)
    assert node == big
    values = np.frombuffer(node.attr["value"].tensor.tensor_content, dtype=np.float32)
    assert values.shape == (BIG_CONST_SIZE,) and values[-1] == np.float32(BIG_CONST_SIZE - 1) / 7

    as_json = run_cli("dump", path, "--node", BIG_CONST, "--json")
    content = json.loads(as_json.out)["attr"]["value"]["tensor"]["tensor_content"]
    assert content.startswith("<elided by tfinspect:")
    assert "tensor values elided" in as_json.err
    full_json = run_cli("dump", path, "--node", BIG_CONST, "--json", "--full")
    assert json_format.Parse(full_json.out, tf.compat.v1.NodeDef()) == big and full_json.err == ""


def test_long_typed_value_lists_are_elided(tmp_path, tf):
    graph_def = tf.compat.v1.GraphDef.FromString(fixture("seed003", "frozen_graph.pb").read_bytes())
    tensor = node_of(graph_def, "m").attr["value"].tensor
    tensor.tensor_shape.dim.add().size = 40
    tensor.float_val[:] = [float(i) for i in range(40)]
    path = tmp_path / "typed.pb"
    path.write_bytes(graph_def.SerializeToString())
    out = run_cli("dump", path, "--node", "m").out
    assert out.startswith("# 40 tensor values elided")
    assert "float_val" not in out
    assert parse_text(tf.compat.v1.NodeDef, run_cli("dump", path, "--node", "m", "--full").out) == \
        node_of(graph_def, "m")


def test_unknown_names_list_some_that_exist():
    meta = fixture("seed002", "model.meta")
    line = assert_clean_failure(run_cli("dump", meta, "--node", "model_variables/slop"), "no node")
    assert "model_variables/slope" in line
    saved = fixture("seed001", "mnist")
    line = assert_clean_failure(run_cli("dump", saved, "--signature", "predict_image"), "no signature")
    assert "predict_images" in line and "serving_default" in line
    assert_clean_failure(run_cli("dump", meta, "--collection", "losses"), "no collection", "variables")
    line = assert_clean_failure(run_cli("dump", fixture("tf2_module"), "--function", "nope"), "no function")
    assert "__inference_" in line
    assert_clean_failure(run_cli("dump", fixture("seed003", "frozen_graph.pb"), "--signature", "x"),
                         "GraphDef has no signatures")
    assert_clean_failure(run_cli("dump", meta, "--graph", "--collection", "variables"), "choose one of")


def test_a_checkpoint_without_a_graph():
    assert_clean_failure(run_cli("dump", fixture("ckpt_sharded")), "has no graph", ".meta")
    out = run_cli("dump", fixture("seed004", "results"), "--collection", "hyperparameters").out
    assert "hyperparameters/learning_rate:0" in out
