"""False alarms that check raised on real exports, each gone, with TensorFlow showing the export is fine."""

from __future__ import annotations

import pytest
from conftest import check_findings, fixture

import inspector
from tests.conformance.artifacts import CORPUS, require_corpus

ESTIMATOR = CORPUS / "tfx" / "estimator_training" / "export" / "chicago-taxi" / "1646034756"
KERAS = CORPUS / "tfx" / "keras_serving"


def _corpus(path):
    require_corpus()  # under CI=true a missing corpus fails
    if not path.is_dir():
        pytest.skip("corpus missing (the conformance suite fails under CI=true)")
    return path


def _codes(path, *args) -> list[tuple[str, str]]:
    return [(f["code"], f["severity"]) for f in check_findings(path, *args)[1]]


def test_tf2_traced_saver_functions_are_the_saver():
    path = _corpus(ESTIMATOR)
    meta = inspector.load(str(path)).meta_graph("serve")
    saver_functions = [n for n in meta.functions.names() if n.startswith("__inference__traced_")]
    assert saver_functions  # the export really holds them, with SaveV2 / RestoreV2 inside
    assert {"SaveV2", "RestoreV2"} <= {n.op for f in saver_functions for n in meta.functions[f].node_def}
    assert [c for c, _ in _codes(path) if c.startswith("TFI8")] == []


def test_a_second_tf1_saver_is_the_saver(tmp_path, tf):
    """A user's Saver makes save/; the builder then adds its own save_1/ and names it in the SaverDef."""
    v1 = tf.compat.v1
    export = tmp_path / "two_savers"
    with tf.Graph().as_default() as graph, v1.Session(graph=graph) as sess:
        x = v1.placeholder(tf.float32, [None, 2], name="x")
        w = v1.get_variable("w", [2, 1], initializer=v1.ones_initializer())
        y = tf.identity(tf.matmul(x, w), name="y")
        v1.train.Saver()
        sess.run(v1.global_variables_initializer())
        builder = v1.saved_model.Builder(str(export))
        builder.add_meta_graph_and_variables(
            sess, ["serve"], signature_def_map={"serving_default": v1.saved_model.predict_signature_def(
                {"x": x}, {"y": y})})
        builder.save()
    meta = inspector.load(str(export)).meta_graph("serve")
    assert meta.saver_def.restore_op_name.startswith("save_1/")
    assert any(n.startswith("save/") and meta.graph.node(n).op == "SaveV2" for n in meta.graph.nodes)
    assert [c for c, _ in _codes(export) if c.startswith("TFI8")] == []
    with tf.Graph().as_default() as graph, v1.Session(graph=graph) as sess:
        v1.saved_model.loader.load(sess, ["serve"], str(export))
        assert sess.run("y:0", {"x:0": [[1.0, 2.0]]}).tolist() == [[3.0]]


def test_no_tfi402_on_the_example_input_of_classify_and_regress():
    path = _corpus(ESTIMATOR)
    found = [f for f in check_findings(path)[1] if f["code"] == "TFI402"]
    meta = inspector.load(str(path)).meta_graph("serve")
    example_inputs = {(s.key, "inputs") for s in meta.signatures.values()
                      if s.method_name in ("tensorflow/serving/classify", "tensorflow/serving/regress")}
    assert example_inputs  # the export has classify and regress signatures
    assert not {(f["signature_key"], f["location"]) for f in found} & example_inputs


def test_no_tfi202_on_keras_optimizer_slot_keys():
    path = _corpus(KERAS)
    model = inspector.load(str(path)).meta_graph("serve").proto
    slots = sum(len(n.slot_variables) for n in model.object_graph_def.nodes)
    assert slots == 12
    assert [c for c, _ in _codes(path, "--target", "python-v1") if c == "TFI202"] == []
    # The conformance suite shows the TF1 loader restores it and runs its signature.


def test_no_tfi202_on_a_tf2_object_graph_without_variables():
    """tf.Transform's TF2 export has VarHandleOps outside its object graph; TF restores only the object graph."""
    path = _corpus(CORPUS / "tfx" / "tft_tf2_saved_model")
    assert [c for c, _ in _codes(path, "--target", "python-v1") if c == "TFI202"] == []


@pytest.mark.parametrize("target", ["tf-serving", "python-v1"])
def test_tfi203_quiet_for_tables_initialised_through_functions(target):
    """The TF2 tf.Transform export initialises its tables in functions the init op calls."""
    path = _corpus(CORPUS / "tfx" / "tft_tf2_saved_model")
    assert [c for c, _ in _codes(path, "--target", target) if c == "TFI203"] == []


def test_tfi207_keras_weights_stored_twice(tf):
    path = fixture("keras_export")
    (finding,) = [f for f in check_findings(path)[1] if f["code"] == "TFI207"]
    assert finding["severity"] == "warning" and "4 weights twice" in finding["message"]
    reader = tf.train.load_checkpoint(str(path / "variables" / "variables"))
    keys = [k for k in reader.get_variable_to_shape_map() if k.startswith("_all_variables/")]
    assert len(keys) == 4
    twins = {k: [o for o in reader.get_variable_to_shape_map() if o.startswith("variables/")
                 and reader.get_tensor(o).shape == reader.get_tensor(k).shape
                 and (reader.get_tensor(o) == reader.get_tensor(k)).all()] for k in keys}
    assert all(len(v) == 1 for v in twins.values())
    wasted = sum(reader.get_tensor(k).nbytes for k in keys)
    assert f"({wasted} bytes)" in finding["message"]
