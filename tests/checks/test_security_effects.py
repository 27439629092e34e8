"""The catalogue of effects against TensorFlow's registry, effects that depend on an attribute or input,
graphs nested in strings (bounded), and what the graph's own loader is allowed to do."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT, assert_clean_failure, check_findings, fixture, run_cli
from tensorflow.core.protobuf import saved_model_pb2

from inspector.model.effects import CATALOGUE, MAX_DEPTH


def _security(path) -> list[dict]:
    return check_findings(path, "--select", "security")[1]


def _frozen(tmp_path, graph, name="graph.pb"):
    path = tmp_path / name
    path.write_bytes(graph.as_graph_def().SerializeToString())
    return path


def test_the_catalogue_is_current_for_the_installed_tensorflow():
    """Every op of the registry is classified, and the committed file is what the generator writes."""
    proc = subprocess.run([sys.executable, "-m", "inspector.model.generate_effects", "--check"], cwd=ROOT,
                          capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_every_registered_op_is_in_exactly_one_list(tf):
    from tensorflow.core.framework import op_def_pb2
    from tensorflow.python.client import pywrap_tf_session

    registry = op_def_pb2.OpList.FromString(pywrap_tf_session.TF_GetBuffer(pywrap_tf_session.TF_GetAllOpList()))
    from inspector.registry import reader

    installed = {op.name for op in registry.op}
    shipped = {state.name for state in reader.newest_ops()}
    names = installed | shipped  # every op the installed TensorFlow or a shipped registry knows
    assert len(shipped - installed) > 0 and "SimpleMLLoadModelFromPathWithHandle" in shipped - installed
    data = json.loads(CATALOGUE.read_text(encoding="utf-8"))
    lists = [set(data["ops"]), set(data["reviewed_no_effect"]), set(data["no_effect"])]
    assert set.union(*lists) == names
    assert sum(len(s) for s in lists) == len(names)
    # The ops the proof-of-concept exports run are classified with the effect TensorFlow showed.
    for op, effect in {"ReadFile": "read", "WriteFile": "write", "MatchingFiles": "list", "SaveV2": "write",
                       "ImmutableConst": "read", "TextLineDataset": "read", "DatasetToTFRecord": "write",
                       "CreateSummaryFileWriter": "write", "DataServiceDatasetV4": "network",
                       "SimpleMLLoadModelFromPathWithHandle": "read"}.items():
        assert effect in data["ops"][op]["effects"], op


def test_print_to_standard_error_is_no_file_access(tmp_path, tf):
    v1 = tf.compat.v1
    with tf.Graph().as_default() as graph:
        x = v1.placeholder(tf.string, [], name="x")
        tf.print(x, output_stream="file:///tmp/out.log", name="to_file")
        tf.print(x, name="to_stderr")
    found = _security(_frozen(tmp_path, graph))
    assert [(f["code"], f["location"]) for f in found] == [("TFI801", "to_file")]


def test_an_empty_cache_file_name_caches_in_memory(tmp_path, tf):
    with tf.Graph().as_default() as graph:
        tf.data.Dataset.range(3).cache("")
        tf.data.Dataset.range(3).cache("cache_dir/c")
    found = _security(_frozen(tmp_path, graph))
    assert len(found) == 1 and found[0]["code"] == "TFI801" and "'cache_dir/c'" in found[0]["message"]


def test_a_remote_path_is_network(tmp_path, tf):
    with tf.Graph().as_default() as graph:
        tf.io.read_file("gs://bucket/secret", name="remote")
    found = _security(_frozen(tmp_path, graph))
    assert [f["code"] for f in found] == ["TFI802"]
    assert "reads files" in found[0]["message"] and "'gs://bucket/secret'" in found[0]["message"]


def test_a_fed_path_says_the_caller_chooses_it(tmp_path, tf):
    v1 = tf.compat.v1
    with tf.Graph().as_default() as graph:
        path = v1.placeholder(tf.string, [], name="path")
        tf.io.read_file(path, name="read")
    found = _security(_frozen(tmp_path, graph))
    assert "by the caller (placeholder path)" in found[0]["message"]


def test_descriptor_source_file_is_a_read(tmp_path, tf):
    with tf.Graph().as_default() as graph:
        data = tf.constant([b""])
        tf.io.decode_proto(data, "tensorflow.Example", ["features"], [tf.string], name="builtin")
        tf.io.decode_proto(data, "x.Y", ["a"], [tf.string], descriptor_source="protos.desc", name="from_file")
    found = _security(_frozen(tmp_path, graph))
    assert [(f["code"], f["location"]) for f in found] == [("TFI804", "from_file")]


def _nested(tf, depth: int):
    """A GraphDef whose WriteFile sits in a string constant `depth` graphs deep."""
    with tf.Graph().as_default() as inner:
        tf.io.write_file("deep.txt", tf.constant(b"x"), name="write")
    graph_def = inner.as_graph_def()
    for level in range(depth):
        with tf.Graph().as_default() as outer:
            tf.constant(graph_def.SerializeToString(), name=f"level{level}")
        graph_def = outer.as_graph_def()
    return graph_def


@pytest.mark.parametrize("depth", [1, MAX_DEPTH])
def test_a_write_nested_in_string_constants_is_found(tmp_path, tf, depth):
    path = tmp_path / "nested.pb"
    path.write_bytes(_nested(tf, depth).SerializeToString())
    found = _security(path)
    assert [f["code"] for f in found] == ["TFI801"]
    assert found[0]["location"].count("(string constant value: a serialized GraphDef)") == depth
    assert found[0]["location"].endswith(" -> write")


def test_nesting_past_the_bound_is_a_hidden_graph(tmp_path, tf):
    path = tmp_path / "deep.pb"
    path.write_bytes(_nested(tf, MAX_DEPTH + 1).SerializeToString())
    assert [f["code"] for f in _security(path)] == ["TFI803"]


def test_strings_that_only_start_like_a_graph_are_data(tmp_path, tf):
    with tf.Graph().as_default() as graph:
        tf.constant([b"\x0a\xff\xff\xff\xff\x0f", b"\x0a\x03abc", b"\x12" + b"\x00" * 100], name="junk")
    code, found = check_findings(_frozen(tmp_path, graph), "--select", "security")
    assert (code, found) == (0, [])


def test_a_dataset_graph_given_at_run_time_is_hidden(tmp_path, tf):
    v1 = tf.compat.v1
    with tf.Graph().as_default() as graph:
        serialized = v1.placeholder(tf.string, [], name="graph_def")
        tf.raw_ops.DatasetFromGraph(graph_def=serialized, name="from_graph")
    found = _security(_frozen(tmp_path, graph))
    assert [(f["code"], f["location"]) for f in found] == [("TFI803", "from_graph")]
    assert "by the caller (placeholder graph_def)" in found[0]["message"]


def test_a_custom_op_has_unknown_effects(tmp_path, tf):
    with tf.Graph().as_default() as graph:
        tf.constant(1.0, name="x")
    graph_def = graph.as_graph_def()
    graph_def.node.add(name="custom", op="Vendor>Exfiltrate", input=["x"])
    path = tmp_path / "custom.pb"
    path.write_bytes(graph_def.SerializeToString())
    found = _security(path)
    assert [(f["code"], f["location"]) for f in found] == [("TFI806", "custom")]


def test_an_asset_that_leaves_assets_is_reported(tmp_path):
    """tf2_vocab_table reads its vocabulary asset (no finding); renamed to ../../secret.txt it reads outside."""
    assert _security(fixture("tf2_vocab_table")) == []
    copy = tmp_path / "vocab"
    shutil.copytree(fixture("tf2_vocab_table"), copy)
    model = saved_model_pb2.SavedModel.FromString((copy / "saved_model.pb").read_bytes())
    for asset in model.meta_graphs[0].asset_file_def:
        asset.filename = "../../secret.txt"
    (copy / "saved_model.pb").write_bytes(model.SerializeToString())
    found = _security(copy)
    assert [f["code"] for f in found] == ["TFI804"]
    assert "InitializeTableFromTextFileV2" in found[0]["message"] and "the loader runs it" in found[0]["message"]


def test_a_saver_op_with_a_path_of_its_own_is_reported(tmp_path, tf):
    """TF1's save/ scope is the saver only when its path is the one the SavedModel API feeds."""
    v1 = tf.compat.v1
    with tf.Graph().as_default() as graph:
        v1.Variable(1.0, name="v")
        v1.train.Saver()
        with graph.name_scope("save/"):  # the Saver's own scope, re-entered
            tf.raw_ops.SaveV2(prefix="/tmp/planted", tensor_names=["v"], shape_and_slices=[""],
                              tensors=[tf.constant(1.0)], name="Planted")
    found = _security(_frozen(tmp_path, graph))
    assert [(f["code"], f["location"]) for f in found] == [("TFI801", "save/Planted")]


def test_a_read_alone_fails_check_without_strict():
    """A security finding exits 1 whatever its severity: TFI804 is a warning, yet the default check fails."""
    result = run_cli("check", str(fixture("unsafe", "read_cond")), "--json")
    codes = {(f["code"], f["severity"]) for f in result.json()["findings"]}
    assert ("TFI804", "warning") in codes
    assert not any(severity == "error" for _, severity in codes)
    assert result.code == 1
    ignored = run_cli("check", str(fixture("unsafe", "read_cond")), "--ignore", "security", "--json")
    assert ignored.code == 0  # the serving doctor's findings on it are warnings and infos only
    assert not any(f["code"].startswith("TFI8") for f in ignored.json()["findings"])


def test_the_retired_code_points_to_the_family():
    assert_clean_failure(run_cli("check", str(fixture("fault_file_ops")), "--select", "TFI503"),
                         "TFI503", "--select security")
