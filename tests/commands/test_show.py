"""`tfinspect show` on every fixture kind, as tables and as JSON."""

from __future__ import annotations

import pytest
from conftest import copy_fixture, fixture, run_cli

ALL = ["seed003/SavedModel", "seed003/model.meta", "seed003/frozen_graph.pb", "seed003/model",
       "seed002/model.meta", "seed002/graphdef.pbtxt", "seed000/exported_model", "seed001/mnist",
       "seed004/results", "tf2_module", "keras_export", "ckpt_sharded", "ckpt_dtypes/ckpt"]


@pytest.mark.parametrize("name", ALL)
def test_show_every_kind(name):
    *folder, last = name.split("/")
    path = fixture(*folder) / last
    table = run_cli("show", path)
    assert table.code == 0, table.err
    assert str(path) in table.out
    data = run_cli("show", path, "--json").json()
    assert data["path"] == str(path)
    assert data["kind"] in {"saved_model", "meta_graph", "graph_def", "checkpoint"}
    for meta in data["meta_graphs"]:
        assert sum(meta["op_types"].values()) == meta["node_count"] + meta["function_node_count"]


def test_show_seed003_saved_model_has_the_misspelled_alias(tf):
    data = run_cli("show", fixture("seed003", "SavedModel"), "--json").json()
    (meta,) = data["meta_graphs"]
    assert meta["tag_set"] == ["serve"]
    assert meta["tensorflow_version"] == tf.__version__
    (sig,) = [s for s in meta["signatures"] if s["signature_key"] == "serving_default"]
    assert sig["method_name"] == "tensorflow/serving/predict"
    assert [t["alias"] for t in sig["outputs"]] == ["ouputs"]
    assert sig["inputs"] == [{"alias": "inputs", "tensor_name": "x:0", "dtype": "DT_FLOAT", "shape": None, "shape_recorded": True,
                              "encoding": "name"}]
    assert meta["variables"]["count"] == 2 and meta["variables"]["elements"] == 2


def test_show_variables_agree_with_tensorflow(tf):
    path = fixture("seed000", "exported_model")
    data = run_cli("show", path, "--json").json()
    with tf.Graph().as_default() as graph, tf.compat.v1.Session(graph=graph) as sess:
        tf.compat.v1.saved_model.loader.load(sess, ["serve"], str(path))
        variables = tf.compat.v1.global_variables()
        params = sum(int(v.shape.num_elements()) for v in variables)
    totals = data["meta_graphs"][0]["variables"]
    assert totals["count"] == len(variables)
    assert totals["elements"] == params
    assert totals["bytes"] == params * 4


def test_show_collections_of_seed002_are_tensorflows(tf):
    path = fixture("seed002", "model.meta")
    data = run_cli("show", path, "--json").json()
    with tf.Graph().as_default() as graph:
        tf.compat.v1.train.import_meta_graph(str(path))
        expected = set(graph.get_all_collection_keys())
    assert {c["key"] for c in data["meta_graphs"][0]["collections"]} == expected
    assert expected == {"train_op", "summaries", "variables", "trainable_variables"}


def test_show_version_tree_says_which_version():
    out = run_cli("show", fixture("seed001", "mnist")).out
    assert "versions 1, 2" in out and "showing 2" in out
    data = run_cli("show", fixture("seed001", "mnist"), "--version", "1", "--json").json()
    assert data["version"] == 1 and data["versions"] == [1, 2]


def test_show_tf2_export_lists_functions_and_fingerprint():
    data = run_cli("show", fixture("tf2_module"), "--json").json()
    meta = data["meta_graphs"][0]
    assert meta["function_count"] > 0 and meta["concrete_function_count"] > 0
    assert {s["signature_key"] for s in meta["signatures"]} >= {"serving_default", "classify"}
    init = [s for s in meta["signatures"] if s["signature_key"] == "__saved_model_init_op"]
    assert init and init[0]["internal"] is True
    assert data["fingerprint"]["saved_model_checksum"] > 0


def test_show_frozen_graph_has_no_variables_and_says_so():
    out = run_cli("show", fixture("seed003", "frozen_graph.pb"))
    assert "signatures: none" in out.out
    assert "frozen: yes" in out.out
    data = run_cli("show", fixture("seed003", "frozen_graph.pb"), "--json").json()
    meta = data["meta_graphs"][0]
    assert meta["variables"]["count"] == 0 and meta["constants"]["count"] >= 2


def test_names_from_the_artifact_are_not_rich_markup(tmp_path, tf):
    from tensorflow.core.protobuf import saved_model_pb2

    folder = copy_fixture(tmp_path, "seed003", "SavedModel")
    saved = saved_model_pb2.SavedModel.FromString((folder / "saved_model.pb").read_bytes())
    sig = saved.meta_graphs[0].signature_def["serving_default"]
    sig.outputs["[red]boom[/red]"].CopyFrom(sig.outputs["ouputs"])
    (folder / "saved_model.pb").write_bytes(saved.SerializeToString())
    result = run_cli("show", folder)
    assert result.code == 0, result.err
    assert "[red]boom[/red]" in result.out


def test_counts_take_the_right_number():
    shown = run_cli("show", fixture("seed003", "SavedModel")).out
    assert "in 1 shard" in shown and "shard(s)" not in shown
    assert "0 functions holding 0 more nodes" in shown
    listed = run_cli("ckpt", fixture("seed003", "SavedModel")).out
    assert "in 1 shard" in listed and "shard(s)" not in listed


def test_variables_of_a_graph_without_variables_says_what_it_is():
    frozen = run_cli("variables", fixture("seed003", "frozen_graph.pb")).out
    assert "the weights of a frozen graph live in Const nodes" in frozen
    saved = run_cli("variables", fixture("fault_py_func")).out
    assert "frozen graph" not in saved and "this graph has no variables" in saved


def test_a_python_argument_of_a_concrete_function_is_not_written_as_an_assignment():
    from conformance.artifacts import CORPUS

    path = CORPUS / "tfx" / "keras_serving"
    if not path.is_dir():
        pytest.skip("the corpus is not beside the clone")
    out = run_cli("signatures", path).out
    assert "training: the Python value True (default False)" in out
    assert "training: True = False" not in out
