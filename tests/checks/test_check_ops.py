"""`tfinspect check` op rules (TFI5xx), confirmed with real TensorFlow."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import ROOT, check_findings, copy_fixture, each_place, fixture, run_cli
from tensorflow.core.protobuf import saved_model_pb2

import inspector
from inspector.checks.op_registry import CPP_ONLY_OPS, registered_ops

HEALTHY = [
    ("seed003", "SavedModel"),
    ("seed000", "exported_model"),
    ("seed001", "mnist", "1"),
    ("seed001", "mnist", "2"),
    ("tf2_module",),
    ("keras_export",),
]
EVERY_FIXTURE = HEALTHY + [
    ("seed002", "model.meta"), ("seed003", "frozen_graph.pb"), ("seed004", "results", "model.ckpt-10.meta"),
    ("fault_table_no_init",), ("fault_asset_vocab",), ("fault_py_func",), ("fault_device_pin",),
    ("fault_file_ops",), ("fault_ckpt_mismatch",),
]


def findings(path, *extra):
    return each_place(check_findings(path, "--select", "TFI5,security", *extra)[1])


def by_code(items, code):
    return [f for f in items if f["code"] == code]


@pytest.mark.parametrize("parts", HEALTHY, ids="/".join)
@pytest.mark.parametrize("target", ["tf-serving", "vertex", "python"])
def test_healthy_fixtures_have_no_op_findings(parts, target):
    # Nothing at all: no custom ops, no py_func, no file ops outside the saver, no pins;
    # TFI505 is silent without --tf-version.
    assert findings(fixture(*parts), "--target", target) == []


def test_registry_agrees_with_tensorflow(tf):
    from tensorflow.python.framework import op_def_registry

    known, version = registered_ops()
    assert version == tf.__version__
    assert all(op_def_registry.get(op) is not None for op in CPP_ONLY_OPS)
    checked = set()
    for parts in EVERY_FIXTURE:
        for meta in inspector.load(fixture(*parts)).meta_graphs:
            functions = set(meta.functions.names())
            checked |= {op for op in meta.op_histogram if op not in functions}
    assert len(checked) > 60
    disagree = {op for op in checked if (op_def_registry.get(op) is not None) != (op in known)}
    assert disagree == set()


def _custom_ops_export(tmp_path, tf):
    export = copy_fixture(tmp_path, "seed003", "SavedModel")
    model = saved_model_pb2.SavedModel.FromString((export / "saved_model.pb").read_bytes())
    for node in model.meta_graphs[0].graph_def.node:
        if node.name == "y":
            node.op = "MyCustomOp"
        elif node.name == "Mul":
            node.op = "Addons>Foo"
    (export / "saved_model.pb").write_bytes(model.SerializeToString())
    return export


def test_tfi501_unregistered_ops(tmp_path, tf):
    export = _custom_ops_export(tmp_path, tf)
    found = {f["location"]: f for f in by_code(findings(export), "TFI501")}
    assert set(found) == {"y", "Mul"}
    assert all(f["severity"] == "error" and f["tag_set"] == ["serve"] for f in found.values())
    assert "MyCustomOp" in found["y"]["message"] and "Addons>Foo" in found["Mul"]["message"]
    with pytest.raises(Exception, match="Op type not registered"):
        graph = tf.Graph()
        with graph.as_default(), tf.compat.v1.Session(graph=graph) as sess:
            tf.compat.v1.saved_model.loader.load(sess, ["serve"], str(export))


def test_tfi502_py_func(tf):
    export = fixture("fault_py_func")
    found = by_code(findings(export), "TFI502")
    assert [(f["location"], f["severity"]) for f in found] == [("PyFunc", "error")]
    # A fresh process loads the export but cannot run the signature.
    script = (
        "import tensorflow as tf\n"
        "g = tf.Graph()\n"
        "with g.as_default(), tf.compat.v1.Session(graph=g) as s:\n"
        f"    m = tf.compat.v1.saved_model.loader.load(s, ['serve'], {str(export)!r})\n"
        "    sig = m.signature_def['serving_default']\n"
        "    try:\n"
        "        s.run(sig.outputs['y'].name, {sig.inputs['x'].name: [1.0]})\n"
        "    except Exception as error:\n"
        "        print('FAILED', type(error).__name__, error)\n"
        "    else:\n"
        "        print('RAN')\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT,
                          timeout=300, check=False)
    assert "FAILED" in proc.stdout, proc.stdout + proc.stderr
    assert "pyfunc" in proc.stdout.lower()


def test_security_file_read_in_cond_branch():
    found = by_code(findings(fixture("fault_file_ops")), "TFI804")
    assert len(found) == 1
    assert found[0]["severity"] == "warning"
    assert "'/tmp/tfinspect-settings.txt'" in found[0]["message"]
    assert "run by signature serving_default" in found[0]["message"]
    location = found[0]["location"]
    assert location.startswith("cond_true_") and location.endswith(" -> cond/ReadFile")
    # The branch is really an If branch reached from the serving function.
    meta = inspector.load(fixture("fault_file_ops")).meta_graph("serve")
    branch = location.split(" -> ")[0]
    assert any(c.callee == branch and c.attr == "then_branch" for c in meta.functions.calls)


def test_security_rules_ignore_the_savers_ops():
    # seed003 (TF1 save/ scope) and tf2_module (TF2 saver functions) hold SaveV2 and RestoreV2.
    for parts in (("seed003", "SavedModel"), ("tf2_module",)):
        meta = inspector.load(fixture(*parts)).meta_graph("serve")
        assert {"SaveV2", "RestoreV2"} <= set(meta.op_histogram)
        assert [f for f in findings(fixture(*parts)) if f["code"].startswith("TFI8")] == []


def test_tfi504_device_pin(tf):
    found = by_code(findings(fixture("fault_device_pin")), "TFI504")
    assert len(found) == 1
    assert found[0]["severity"] == "warning" and "/device:GPU:0" in found[0]["message"]
    # On this CPU-only machine TensorFlow's loader cannot place the pinned variable.
    graph = tf.Graph()
    with pytest.raises(tf.errors.InvalidArgumentError, match="Cannot assign a device"), \
            graph.as_default(), tf.compat.v1.Session(graph=graph) as sess:
        tf.compat.v1.saved_model.loader.load(sess, ["serve"], str(fixture("fault_device_pin")))


def test_tfi508_producer_against_tf_version():
    export = fixture("seed003", "SavedModel")
    old = by_code(findings(export, "--tf-version", "2.4"), "TFI508")
    assert len(old) == 1 and "2474" in old[0]["message"] and old[0]["location"] == "versions.producer"
    assert "versions.producer" in old[0]["message"]
    assert by_code(findings(export, "--tf-version", "2.4"), "TFI505") == []  # a newer producer alone loads
    assert by_code(findings(export, "--tf-version", "2.21"), "TFI508") == []
    assert by_code(findings(export), "TFI508") == []


def test_tfi505_and_tfi508_report_the_severity_list_rules_gives():
    listed = {r["code"]: r["severity"] for r in run_cli("check", "--list-rules", "--json").json()["rules"]}
    export = fixture("seed003", "SavedModel")
    (producer,) = by_code(findings(export, "--tf-version", "2.4"), "TFI508")
    assert producer["severity"] == listed["TFI508"] == "warning"
    assert listed["TFI505"] == "error"


def test_tfi505_min_consumer_above_release(tmp_path, tf):
    export = copy_fixture(tmp_path, "seed003", "SavedModel")
    model = saved_model_pb2.SavedModel.FromString((export / "saved_model.pb").read_bytes())
    model.meta_graphs[0].graph_def.versions.min_consumer = 99999
    (export / "saved_model.pb").write_bytes(model.SerializeToString())
    found = by_code(findings(export, "--tf-version", "2.21"), "TFI505")
    assert len(found) == 1 and found[0]["severity"] == "error"
    assert found[0]["location"] == "versions.min_consumer" and "versions.min_consumer" in found[0]["message"]
    with pytest.raises(Exception, match="min consumer"):
        graph = tf.Graph()
        with graph.as_default(), tf.compat.v1.Session(graph=graph) as sess:
            tf.compat.v1.saved_model.loader.load(sess, ["serve"], str(export))


def test_stale_v1_savers_are_the_saver_not_file_access(tmp_path, tf):
    """An old .meta keeps every Saver made over its life (save/ .. save_4/), V1 ones writing with
    SaveSlices and reading with RestoreSlice: they are savers, not file access."""
    graph = tf.Graph()
    with graph.as_default():
        variable = tf.compat.v1.get_variable("w", shape=[2], initializer=tf.compat.v1.zeros_initializer())
        savers = [tf.compat.v1.train.Saver([variable], write_version=tf.compat.v1.train.SaverDef.V1)
                  for _ in range(5)]
        meta = tmp_path / "model.meta"
        savers[-1].export_meta_graph(str(meta))
    ops = {node.op for node in graph.as_graph_def().node}
    assert "SaveSlices" in ops  # TensorFlow 2.21 still writes V1 checkpoints with it
    scopes = {node.name.split("/")[0] for node in graph.as_graph_def().node if node.op == "SaveSlices"}
    assert scopes == {"save", "save_1", "save_2", "save_3", "save_4"}
    # TensorFlow 1.x restored V1 checkpoints with RestoreSlice (2.21 uses RestoreV2): write the .meta as it did.
    from tensorflow.core.protobuf import meta_graph_pb2

    proto = meta_graph_pb2.MetaGraphDef.FromString(meta.read_bytes())
    for node in proto.graph_def.node:
        if node.op == "RestoreV2":
            node.op = "RestoreSlice"
            node.attr["dt"].type = node.attr["dtypes"].list.type[0]
            del node.attr["dtypes"]
    meta.write_bytes(proto.SerializeToString())
    found = [f for f in findings(meta, "--target", "python") if f["code"].startswith("TFI8")]
    assert found == []
