"""Bad input is normal input: one clear line naming the file, exit 2, nothing on stdout."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from conftest import assert_clean_failure, copy_fixture, fixture, run_cli
from google.protobuf.message import DecodeError


def test_missing_path(tmp_path):
    missing = tmp_path / "nope"
    assert_clean_failure(run_cli("show", missing), str(missing), "no such file")


def test_directory_without_a_model_names_candidate_files(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    assert_clean_failure(run_cli("show", tmp_path), str(tmp_path), "holds no TensorFlow model")
    shutil.copy(fixture("seed003", "frozen_graph.pb"), tmp_path / "frozen_graph.pb")
    assert_clean_failure(run_cli("show", tmp_path), "pass one of its files: frozen_graph.pb")


def test_empty_file(tmp_path):
    empty = tmp_path / "saved_model.pb"
    empty.write_bytes(b"")
    assert_clean_failure(run_cli("show", empty), str(empty), "empty")


def test_random_bytes(tmp_path):
    noise = tmp_path / "model.pb"
    noise.write_bytes(bytes(range(7, 256)) * 40)  # no valid wire types at the start
    assert_clean_failure(run_cli("show", noise), str(noise), "not a protobuf message")


@pytest.mark.parametrize("source", [
    ("seed003", "SavedModel", "saved_model.pb"),
    ("seed001", "mnist", "2", "saved_model.pb"),
    ("seed003", "model.meta"),
])
def test_truncated_proto(tmp_path, source):
    data = fixture(*source).read_bytes()
    cut = tmp_path / source[-1]
    cut.write_bytes(data[: len(data) * 2 // 3])
    assert_clean_failure(run_cli("show", cut), str(cut), "truncated")


def _frozen_graph_without_versions(tf, *, reverse: bool = False):
    """seed003's real frozen graph with its versions record cleared, as TF 1.x often wrote them."""
    graph_def = tf.compat.v1.GraphDef.FromString(fixture("seed003", "frozen_graph.pb").read_bytes())
    graph_def.ClearField("versions")
    if reverse:  # node order is free in a GraphDef; TensorFlow imports either order
        nodes = list(graph_def.node)[::-1]
        del graph_def.node[:]
        graph_def.node.extend(nodes)
    return graph_def


def _tf_imported_op_names(tf, data: bytes) -> list[str]:
    graph_def = tf.compat.v1.GraphDef.FromString(data)
    with tf.Graph().as_default() as graph:
        tf.compat.v1.import_graph_def(graph_def, name="")
    return [op.name for op in graph.get_operations()]


def test_frozen_graph_without_versions_loads_as_tensorflow_imports_it(tmp_path, tf):
    graph_def = _frozen_graph_without_versions(tf)
    assert not graph_def.HasField("versions")
    target = tmp_path / "frozen_graph.pb"
    target.write_bytes(graph_def.SerializeToString())
    imported = _tf_imported_op_names(tf, target.read_bytes())
    assert len(imported) == 7

    rows = run_cli("ops", target, "--json")
    assert rows.code == 0, rows.err
    assert [r["name"] for r in rows.json()["ops"]] == imported
    shown = run_cli("show", target, "--json")
    assert shown.code == 0, shown.err
    assert any("no versions record" in note for note in shown.json()["notes"])
    assert shown.json()["meta_graphs"][0]["producer"] is None


def test_frozen_graph_cut_inside_a_node_is_refused(tmp_path, tf):
    data = _frozen_graph_without_versions(tf).SerializeToString()
    cut = data[: len(data) - 5]  # inside the last node
    with pytest.raises(DecodeError):
        tf.compat.v1.GraphDef.FromString(cut)
    target = tmp_path / "frozen_graph.pb"
    target.write_bytes(cut)
    assert_clean_failure(run_cli("show", target), str(target), "truncated")


def test_frozen_graph_cut_between_nodes_leaving_dangling_inputs_is_refused(tmp_path, tf):
    # Outputs first: a cut after three nodes keeps y and Mul but loses what they read.
    graph_def = _frozen_graph_without_versions(tf, reverse=True)
    whole = graph_def.SerializeToString()
    assert len(_tf_imported_op_names(tf, whole)) == 7
    prefix = tf.compat.v1.GraphDef()
    prefix.node.extend(graph_def.node[:3])
    cut = whole[: len(prefix.SerializeToString())]
    assert [n.name for n in tf.compat.v1.GraphDef.FromString(cut).node] == ["y", "Mul", "x"]
    with pytest.raises(ValueError):
        _tf_imported_op_names(tf, cut)
    target = tmp_path / "frozen_graph.pb"
    target.write_bytes(cut)
    assert_clean_failure(run_cli("show", target), str(target), "no versions record",
                         "cut short after 3 nodes")


def test_text_proto_syntax_error_reports_line_and_column(tmp_path):
    source = fixture("seed002", "graphdef.pbtxt").read_text().splitlines()
    line_no = next(i for i, line in enumerate(source) if line.strip().startswith("op:"))
    source[line_no] = source[line_no].replace("op:", "op =", 1)
    broken = tmp_path / "graphdef.pbtxt"
    broken.write_text("\n".join(source) + "\n")
    column = source[line_no].index("op =") + 4  # text_format counts from 1, after the name
    line = assert_clean_failure(run_cli("show", broken), str(broken), "syntax error", f"line {line_no + 1}")
    assert f"column {column}" in line or "column" in line


def test_json_file(tmp_path):
    doc = tmp_path / "model.json"
    doc.write_text(json.dumps({"signature": "serving_default", "inputs": [1, 2]}))
    assert_clean_failure(run_cli("show", doc), str(doc), "JSON", "not a TensorFlow graph artifact")


@pytest.mark.parametrize("name, what", [("model.h5", "HDF5"), ("model.keras", "Keras v3 archive")])
def test_keras_files_are_named_and_refused(name, what):
    path = fixture("keras_files", name)
    line = assert_clean_failure(run_cli("show", path), str(path), what, "not a TensorFlow graph artifact")
    assert "model.export" in line


def test_permission_denied(tmp_path, monkeypatch, capsys):
    from inspector import cli

    target = copy_fixture(tmp_path, "seed003", "frozen_graph.pb")
    original = os.open

    def denied(path, *args, **kwargs):
        if Path(path) == target:
            raise PermissionError(13, "Permission denied", str(path))
        return original(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", denied)
    assert cli.main(["show", str(target)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert str(target) in captured.err and "permission denied" in captured.err


def test_checkpoint_index_alone_without_data_is_still_listed_as_checkpoint(tmp_path):
    folder = copy_fixture(tmp_path, "seed003")
    for shard in folder.glob("model.data-*"):
        shard.unlink()
    result = run_cli("show", folder / "model.index")
    assert result.code == 0, result.err
    assert "checkpoint" in result.out.lower()


def test_unknown_tag_set_lists_what_exists():
    line = assert_clean_failure(run_cli("show", fixture("seed003", "SavedModel"), "--tag-set", "serve,gpu"),
                                "tag-sets here: {serve}")
    assert "exact" in line


def test_unknown_version():
    assert_clean_failure(run_cli("show", fixture("seed001", "mnist"), "--version", "9"),
                         "has no version 9", "versions here: 1, 2")


def test_saved_model_without_meta_graphs_says_so(tmp_path, tf):
    from tensorflow.core.protobuf import saved_model_pb2

    model = copy_fixture(tmp_path, "seed003", "SavedModel")
    saved = saved_model_pb2.SavedModel.FromString((model / "saved_model.pb").read_bytes())
    del saved.meta_graphs[:]
    (model / "saved_model.pb").write_bytes(saved.SerializeToString())
    # TensorFlow reads the file but finds no MetaGraph for any tag-set.
    with tf.Graph().as_default() as graph, tf.compat.v1.Session(graph=graph) as session, \
            pytest.raises(RuntimeError, match="available tags '\\[\\]'"):
        tf.compat.v1.saved_model.loader.load(session, ["serve"], str(model))
    line = assert_clean_failure(run_cli("show", model), str(model / "saved_model.pb"),
                                "SavedModel with no MetaGraphs", "export it again")
    assert "not a SavedModel" not in line


def test_a_text_file_named_pb_is_called_text(tmp_path):
    path = tmp_path / "model.pb"
    path.write_text("hello world\nthis is a text file, not a graph\n")
    result = run_cli("show", path)
    assert result.code == 2 and result.out == "" and result.err.count("\n") == 1
    assert "looks like text, not a binary protobuf" in result.err and "wire type" not in result.err
