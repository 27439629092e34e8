"""`tfinspect variables`: what a graph defines, confirmed by TensorFlow."""

from __future__ import annotations

import pytest
from conftest import fixture, run_cli


def _facts(tf, variables):
    from tensorflow.core.framework import types_pb2

    return {
        v.op.name: (types_pb2.DataType.Name(v.dtype.base_dtype.as_datatype_enum), v.shape.as_list())
        for v in variables
    }


def _ours(data):
    return {v["name"]: (v["dtype"], v["shape"]) for v in data["variables"]}


@pytest.mark.parametrize("parts", [("seed002", "model.meta"), ("seed003", "model.meta"),
                                   ("seed004", "results", "model.ckpt-10.meta")], ids="/".join)
def test_meta_graph_variables_equal_tensorflows(tf, parts):
    path = fixture(*parts)
    data = run_cli("variables", path, "--json").json()
    with tf.Graph().as_default():
        tf.compat.v1.train.import_meta_graph(str(path))
        everything = _facts(tf, tf.compat.v1.global_variables())
        trainable = set(_facts(tf, tf.compat.v1.trainable_variables()))
    assert _ours(data) == everything
    assert {v["name"] for v in data["variables"] if v["trainable"]} == trainable
    assert data["totals"]["count"] == len(everything)
    assert data["constants"] is None
    only = run_cli("variables", path, "--trainable-only", "--json").json()
    assert {v["name"] for v in only["variables"]} == trainable


@pytest.mark.parametrize("parts", [("seed000", "exported_model"), ("seed001", "mnist")], ids="/".join)
def test_saved_model_variables_equal_tensorflows(tf, parts):
    path = fixture(*parts)
    data = run_cli("variables", path, "--json").json()
    load_path = path / "2" if parts[-1] == "mnist" else path  # the newest version, as tfinspect reads
    with tf.Graph().as_default() as graph, tf.compat.v1.Session(graph=graph) as sess:
        tf.compat.v1.saved_model.loader.load(sess, ["serve"], str(load_path))
        everything = _facts(tf, tf.compat.v1.global_variables())
        trainable = set(_facts(tf, tf.compat.v1.trainable_variables()))
        parameters = sum(v.shape.num_elements() for v in tf.compat.v1.global_variables())
        nbytes = sum(v.shape.num_elements() * v.dtype.size for v in tf.compat.v1.global_variables())
    assert _ours(data) == everything
    assert {v["name"] for v in data["variables"] if v["trainable"]} == trainable
    assert data["totals"] == {"count": len(everything), "elements": parameters, "bytes": nbytes,
                              "copies": {"count": 0, "elements": 0, "bytes": 0}}
    for v in data["variables"]:
        assert v["op_type"] == "VariableV2"
        assert v["snapshot"] == f"{v['name']}/read:0"
        assert v["initializer"] == f"{v['name']}/Assign"


def test_tf2_variables_have_tensorflows_paths(tf):
    path = fixture("tf2_module")
    data = run_cli("variables", path, "--json").json()
    loaded = tf.saved_model.load(str(path))
    restored_vars = {k: v for k, v in vars(loaded).items() if isinstance(v, tf.Variable)}
    assert {v["path"] for v in data["variables"]} == set(restored_vars)
    assert sorted(v["saved_name"] + ":0" for v in data["variables"]) == \
        sorted(v.name for v in restored_vars.values())
    for v in data["variables"]:
        restored = loaded
        for part in v["path"].split("/"):
            restored = getattr(restored, part)
        assert restored.shape.as_list() == v["shape"]
        assert v["trainable"] == restored.trainable
        assert v["op_type"] == "VarHandleOp"
    table = run_cli("variables", path)
    assert "2 variables" in table.out


def test_frozen_graph_has_no_variables_but_consts(tf):
    path = fixture("seed003", "frozen_graph.pb")
    data = run_cli("variables", path, "--json").json()
    graph_def = tf.compat.v1.GraphDef()
    graph_def.ParseFromString(path.read_bytes())
    with tf.Graph().as_default() as graph:
        tf.compat.v1.import_graph_def(graph_def, name="")
        values = {op.name: tf.make_ndarray(op.get_attr("value"))
                  for op in graph.get_operations() if op.type == "Const"}
        assert tf.compat.v1.global_variables() == []
    assert data["variables"] == [] and data["totals"]["count"] == 0
    constants = data["constants"]
    assert constants["count"] == len(values)
    assert constants["elements"] == sum(v.size for v in values.values())
    assert constants["bytes"] == sum(v.nbytes for v in values.values())
    assert {c["name"] for c in constants["largest"]} == set(values)
    table = run_cli("variables", path, "--consts")
    assert "No variables" in table.out and f"{len(values)} Const nodes" in table.out


def test_graphdef_pbtxt_with_variables_lists_them(tf):
    path = fixture("seed002", "graphdef.pbtxt")
    data = run_cli("variables", path, "--json").json()
    from google.protobuf import text_format

    graph_def = text_format.Parse(path.read_text(), tf.compat.v1.GraphDef())
    expected = {n.name for n in graph_def.node if n.op in ("VariableV2", "VarHandleOp")}
    assert {v["name"] for v in data["variables"]} == expected and expected
    assert data["constants"] is None


def test_local_variables_are_marked_as_tensorflow_lists_them(tf):
    """A TFMA eval graph's metric state is in local_variables: marked, as TensorFlow's loader lists it."""
    from conformance.artifacts import CORPUS

    path = CORPUS / "tfx" / "tfma_eval" / "1646034758"
    if not path.is_dir():
        pytest.skip("the corpus is not beside the clone")
    with tf.compat.v1.Session(graph=tf.Graph()) as session:
        tf.compat.v1.saved_model.loader.load(session, ["eval"], str(path))
        local = {v.op.name for v in tf.compat.v1.local_variables()}
        every = {v.op.name for v in tf.compat.v1.global_variables()} | local
    rows = run_cli("variables", path, "--json").json()["variables"]
    assert local and {r["name"] for r in rows if r["local"]} == local
    assert {r["name"] for r in rows if r["local"] is False} == every - local
    assert "local variable" in run_cli("variables", path).out
