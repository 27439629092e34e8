"""`tfinspect check` variable, table and asset rules (TFI2xx), confirmed with real TensorFlow."""

from __future__ import annotations

import shutil

import pytest
from conftest import check_findings, copy_fixture, each_place, fixture

HEALTHY = [
    ("seed003", "SavedModel"),
    ("seed000", "exported_model"),
    ("seed001", "mnist", "1"),
    ("seed001", "mnist", "2"),
    ("tf2_module",),
    ("keras_export",),
    ("fault_asset_vocab",),
]


def findings(path, *extra):
    return each_place(check_findings(path, "--select", "TFI2", *extra)[1])


def by_code(items, code):
    return [f for f in items if f["code"] == code]


def tf1_load(tf, path):
    """Load a SavedModel with the TF1 loader in a fresh graph; return (session, meta_graph_def)."""
    graph = tf.Graph()
    sess = tf.compat.v1.Session(graph=graph)
    with graph.as_default():
        meta = tf.compat.v1.saved_model.loader.load(sess, ["serve"], str(path))
    return sess, meta


@pytest.mark.parametrize("parts", HEALTHY, ids="/".join)
@pytest.mark.parametrize("target", ["tf-serving", "vertex", "python", "python-v1"])
def test_healthy_fixtures_have_no_variable_findings(parts, target):
    # No TFI2xx finding of any severity on healthy exports: each of them loads.  The one
    # exception is a warning about size, not loading: Keras's export stores its weights
    # twice (TFI207, tested with TensorFlow in test_check_false_alarms.py).
    found = findings(fixture(*parts), "--target", target)
    expected = [("TFI207", "warning")] if parts == ("keras_export",) else []
    assert [(f["code"], f["severity"]) for f in found] == expected


def test_tfi201_missing_variables_folder(tmp_path, tf):
    export = copy_fixture(tmp_path, "seed003", "SavedModel")
    shutil.rmtree(export / "variables")
    found = by_code(findings(export), "TFI201")
    assert len(found) == 1
    assert found[0]["severity"] == "error" and found[0]["tag_set"] == ["serve"]
    assert found[0]["location"] == "variables/variables.index"
    assert "2 variables" in found[0]["message"]
    with pytest.raises(Exception) as error:
        tf1_load(tf, export)
    assert "variables" in str(error.value)


def test_tfi202_variables_from_another_model(tf):
    export = fixture("fault_ckpt_mismatch")
    found = {f["location"]: f for f in by_code(findings(export), "TFI202")}
    assert set(found) == {"m", "b"}
    assert all(f["severity"] == "error" and f["tag_set"] == ["serve"] for f in found.values())
    assert "not in variables/variables" in found["m"]["message"]
    assert "[]" in found["b"]["message"] and "[2]" in found["b"]["message"]
    reader = tf.train.load_checkpoint(str(export / "variables" / "variables"))
    assert not reader.has_tensor("m") and reader.get_variable_to_shape_map()["b"] == [2]
    with pytest.raises((tf.errors.NotFoundError, tf.errors.InvalidArgumentError)) as error:
        tf1_load(tf, export)
    assert "not found in checkpoint" in str(error.value) or "shape" in str(error.value)


def test_tfi202_quiet_when_checkpoint_matches():
    assert by_code(findings(fixture("seed003", "SavedModel")), "TFI202") == []


def test_tfi203_table_without_init_op(tf):
    export = fixture("fault_table_no_init")
    found = by_code(findings(export), "TFI203")
    assert len(found) == 1
    assert found[0]["severity"] == "error"
    assert found[0]["location"] == "index_to_string/hash_table"
    assert "LookupTableImportV2" in found[0]["message"]
    assert found[0]["signature_key"] == "serving_default" and found[0]["stage"] == "run"
    # tf.saved_model.load runs tables_initializer() when there is no init op: not an error there.
    assert by_code(findings(export, "--target", "python"), "TFI203") == []
    sess, meta = tf1_load(tf, export)
    signature = meta.signature_def["serving_default"]
    with pytest.raises(tf.errors.FailedPreconditionError, match="Table not initialized"):
        sess.run(signature.outputs["words"].name, {signature.inputs["ids"].name: [1]})


def test_tfi203_quiet_when_main_op_initialises_tables(tf):
    # seed001 exports with main_op=tables_initializer(): the lookup works after loading.
    export = fixture("seed001", "mnist", "2")
    assert by_code(findings(export), "TFI203") == []
    sess, meta = tf1_load(tf, fixture("fault_asset_vocab"))
    signature = meta.signature_def["serving_default"]
    assert list(sess.run(signature.outputs["ids"].name, {signature.inputs["words"].name: [b"bird"]})) == [2]


def test_tfi204_missing_asset(tmp_path, tf):
    export = copy_fixture(tmp_path, "fault_asset_vocab")
    (export / "assets" / "vocab.txt").unlink()
    found = by_code(findings(export), "TFI204")
    assert len(found) == 1
    assert found[0]["severity"] == "error" and found[0]["location"] == "vocab.txt"
    with pytest.raises(tf.errors.NotFoundError, match="vocab.txt"):
        tf1_load(tf, export)


def test_tfi205_absolute_path_in_function_branch():
    # TensorFlow fails the signature that runs the reader (NotFoundError: the conformance
    # suite asks it), so it is an error of that signature.
    found = by_code(findings(fixture("fault_file_ops")), "TFI205")
    assert len(found) == 1
    assert found[0]["severity"] == "error" and found[0]["signature_key"] == "serving_default"
    assert found[0]["stage"] == "run"
    location = found[0]["location"]
    assert location.startswith("cond_true_") and location.endswith("/ReadFile/filename")
    assert "/tmp/tfinspect-settings.txt" in found[0]["message"]


def test_tfi205_is_a_warning_where_the_file_exists(tmp_path, tf):
    """TensorFlow runs a signature whose constant path names a file that exists: a portability warning."""
    from tensorflow.core.protobuf import saved_model_pb2

    export = copy_fixture(tmp_path, "fault_file_ops")
    settings = tmp_path / "settings.txt"
    settings.write_text("7")
    proto = saved_model_pb2.SavedModel.FromString((export / "saved_model.pb").read_bytes())
    edited = 0
    for function in proto.meta_graphs[0].graph_def.library.function:
        for node in function.node_def:
            if node.op == "Const" and node.name.endswith("ReadFile/filename"):
                node.attr["value"].tensor.string_val[:] = [str(settings).encode()]
                edited += 1
    assert edited == 1
    (export / "saved_model.pb").write_bytes(proto.SerializeToString())
    sess, meta = tf1_load(tf, export)
    signature = meta.signature_def["serving_default"]
    feeds = {t.name: 1.0 for t in signature.inputs.values()}
    sess.run([t.name for t in signature.outputs.values()], feeds)  # TensorFlow runs it
    found = by_code(findings(export), "TFI205")
    assert [(f["severity"], f["signature_key"]) for f in found] == [("warning", None)]
    assert str(settings) in found[0]["message"]


def test_tfi205_ignores_asset_tensors():
    # The asset's Const holds the export machine's absolute path, but the loader feeds
    # it the path inside assets/, so it is not reported.
    assert by_code(findings(fixture("fault_asset_vocab")), "TFI205") == []
