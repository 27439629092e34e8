"""inspector.load: every artifact kind, detection by content, and what TensorFlow says."""

from __future__ import annotations

import shutil

import pytest
from conftest import copy_fixture, fixture

import inspector
from inspector import ArtifactKind

SAVED_MODELS = ["seed003/SavedModel", "seed000/exported_model", "seed001/mnist/1", "seed001/mnist/2",
                "tf2_module", "keras_export"]
META_GRAPHS = ["seed003/model.meta", "seed002/model.meta", "seed004/results/model.ckpt-10.meta"]


@pytest.mark.parametrize("name", SAVED_MODELS)
def test_saved_model_directory_and_its_pb_file_load_alike(name):
    from_dir = inspector.load(fixture(name))
    from_file = inspector.load(fixture(name, "saved_model.pb"))
    assert from_dir.kind is from_file.kind is ArtifactKind.SAVED_MODEL
    assert [mg.tags for mg in from_dir.meta_graphs] == [mg.tags for mg in from_file.meta_graphs]
    assert from_dir.checkpoint_prefix == fixture(name, "variables") / "variables"


@pytest.mark.parametrize("name", SAVED_MODELS)
def test_signatures_match_tensorflow_loader(tf, name):
    path = str(fixture(name))
    with tf.Graph().as_default() as graph, tf.compat.v1.Session(graph=graph) as sess:
        loaded = tf.compat.v1.saved_model.loader.load(sess, ["serve"], path)
    ours = inspector.load(path).meta_graph("serve").signatures
    assert sorted(ours) == sorted(loaded.signature_def)
    for key, expected in loaded.signature_def.items():
        sig = ours[key]
        assert sig.method_name == expected.method_name
        for mine, theirs in ((sig.inputs, expected.inputs), (sig.outputs, expected.outputs)):
            assert [t.alias for t in mine] == sorted(theirs)
            for tensor in mine:
                info = theirs[tensor.alias]
                assert tensor.name == info.name
                assert tensor.dtype == _dtype_name(info.dtype)
                expected_shape = None if info.tensor_shape.unknown_rank else [d.size for d in info.tensor_shape.dim]
                assert tensor.shape == expected_shape


def _dtype_name(enum_value: int) -> str:
    from tensorflow.core.framework import types_pb2

    return types_pb2.DataType.Name(enum_value)


@pytest.mark.parametrize("name", META_GRAPHS)
def test_meta_graph_ops_match_import_meta_graph(tf, name):
    path = fixture(name)
    artifact = inspector.load(path)
    assert artifact.kind is ArtifactKind.META_GRAPH
    with tf.Graph().as_default() as graph:
        tf.compat.v1.train.import_meta_graph(str(path))
        expected = [op.name for op in graph.get_operations()]
    assert list(artifact.meta_graphs[0].graph.nodes) == expected


def test_meta_graph_next_to_its_checkpoint_knows_the_prefix():
    artifact = inspector.load(fixture("seed003", "model.meta"))
    assert artifact.checkpoint_prefix == fixture("seed003") / "model"
    roles = {f.role for f in artifact.files}
    assert "checkpoint index" in roles and "data shard 1 of 1" in roles


def test_frozen_graph_ops_match_import_graph_def(tf):
    path = fixture("seed003", "frozen_graph.pb")
    artifact = inspector.load(path)
    assert artifact.kind is ArtifactKind.GRAPH_DEF
    graph_def = tf.compat.v1.GraphDef()
    graph_def.ParseFromString(path.read_bytes())
    with tf.Graph().as_default() as graph:
        tf.import_graph_def(graph_def, name="")
        expected = {op.name: op.type for op in graph.get_operations()}
    assert {n: node.op for n, node in artifact.meta_graphs[0].graph.nodes.items()} == expected
    assert "m" in expected and expected["m"] == "Const"  # the variable was folded


def test_text_graph_def_is_read():
    artifact = inspector.load(fixture("seed002", "graphdef.pbtxt"))
    assert artifact.kind is ArtifactKind.GRAPH_DEF and artifact.encoding == "text"
    graph = artifact.meta_graphs[0].graph
    assert graph.node("inputs/Placeholder").op == "Placeholder"
    assert graph.node("model_variables/slope").op == "VariableV2"


@pytest.mark.parametrize("given", [
    "seed003/model", "seed003/model.index", "seed003/model.data-00000-of-00001",
    "seed004/results", "seed004/results/model.ckpt-5", "ckpt_sharded", "ckpt_sharded/ckpt",
])
def test_checkpoint_forms(given):
    *folder, name = given.split("/")
    path = fixture(*folder) / name  # a prefix is not a file of its own
    artifact = inspector.load(path)
    assert artifact.kind is ArtifactKind.CHECKPOINT
    assert artifact.checkpoint_prefix is not None
    assert any(f.role == "checkpoint index" for f in artifact.files)


def test_checkpoint_directory_uses_the_current_checkpoint_and_its_meta():
    artifact = inspector.load(fixture("seed004", "results"))
    assert artifact.checkpoint_prefix.name == "model.ckpt-10"
    assert artifact.meta_graphs and artifact.graph_file.name == "model.ckpt-10.meta"


def test_sharded_checkpoint_lists_every_shard():
    artifact = inspector.load(fixture("ckpt_sharded"))
    shards = [f for f in artifact.files if f.role.startswith("data shard")]
    assert len(shards) == len(list(fixture("ckpt_sharded").glob("*.data-*"))) > 1


def test_version_tree_inspects_the_newest_unless_told():
    newest = inspector.load(fixture("seed001", "mnist"))
    assert newest.versions == [1, 2] and newest.version == 2
    assert newest.root == fixture("seed001", "mnist", "2")
    older = inspector.load(fixture("seed001", "mnist"), version=1)
    assert older.version == 1 and older.root == fixture("seed001", "mnist", "1")
    with pytest.raises(inspector.InspectorError, match="no version 7.*versions here: 1, 2"):
        inspector.load(fixture("seed001", "mnist"), version=7)


def test_every_tag_set_is_kept_and_selected_exactly():
    artifact = inspector.load(fixture("seed000", "exported_model"))
    assert artifact.tag_sets == [frozenset({"serve"})]
    assert artifact.meta_graph("serve") is artifact.meta_graphs[0]
    with pytest.raises(inspector.InspectorError, match="tag-set"):
        artifact.select("serve,gpu")


# -- detection by content --------------------------------------------------------------
def test_frozen_graph_renamed_saved_model_pb_is_recognised(tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    shutil.copy(fixture("seed003", "frozen_graph.pb"), folder / "saved_model.pb")
    artifact = inspector.load(folder)
    assert artifact.kind is ArtifactKind.GRAPH_DEF
    assert any("actually holds a GraphDef" in note for note in artifact.notes)


def test_saved_model_proto_named_graph_pb_is_recognised(tmp_path):
    target = tmp_path / "graph.pb"
    shutil.copy(fixture("seed003", "SavedModel", "saved_model.pb"), target)
    artifact = inspector.load(target)
    assert artifact.kind is ArtifactKind.SAVED_MODEL
    assert any("named graph.pb" in note for note in artifact.notes)


def test_meta_graph_named_pb_is_recognised(tmp_path):
    target = tmp_path / "model.pb"
    shutil.copy(fixture("seed002", "model.meta"), target)
    assert inspector.load(target).kind is ArtifactKind.META_GRAPH


def test_text_proto_named_pb_is_recognised(tmp_path):
    target = tmp_path / "graph.pb"
    shutil.copy(fixture("seed002", "graphdef.pbtxt"), target)
    artifact = inspector.load(target)
    assert artifact.kind is ArtifactKind.GRAPH_DEF and artifact.encoding == "text"
    assert any("text proto despite its .pb name" in note for note in artifact.notes)


def test_saved_model_as_text_proto(tmp_path, tf):
    from google.protobuf import text_format

    folder = copy_fixture(tmp_path, "seed003", "SavedModel")
    binary = folder / "saved_model.pb"
    from tensorflow.core.protobuf import saved_model_pb2

    proto = saved_model_pb2.SavedModel.FromString(binary.read_bytes())
    (folder / "saved_model.pbtxt").write_text(text_format.MessageToString(proto))
    binary.unlink()
    artifact = inspector.load(folder)
    assert artifact.kind is ArtifactKind.SAVED_MODEL and artifact.encoding == "text"
    assert list(artifact.meta_graph().signatures) == ["serving_default"]
