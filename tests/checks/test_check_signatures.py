"""`tfinspect check` signature rules (TFI3xx), each fault confirmed by TensorFlow."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import check_findings, copy_fixture, each_place, fixture, run_cli

HEALTHY = [("seed003", "SavedModel"), ("seed000", "exported_model"), ("seed001", "mnist", "1"),
           ("seed001", "mnist", "2"), ("tf2_module",), ("keras_export",)]
TARGETS = ("tf-serving", "vertex", "python")
INTERNAL = ("__saved_model_init_op", "__saved_model_train_op")


def findings(path, *args: str) -> list[dict]:
    return each_place(check_findings(path, "--select", "TFI3", *args)[1])


def only(items: list[dict], code: str) -> list[dict]:
    return [f for f in items if f["code"] == code]


def edit_saved_model(tmp_path: Path, tf, parts: tuple[str, ...], change) -> Path:
    """A copy of a real SavedModel whose first MetaGraph was changed by ``change(meta_graph_def)``."""
    from tensorflow.core.protobuf import saved_model_pb2

    path = copy_fixture(tmp_path, *parts)
    graph_file = path / "saved_model.pb"
    saved = saved_model_pb2.SavedModel.FromString(graph_file.read_bytes())
    change(saved.meta_graphs[0])
    graph_file.write_bytes(saved.SerializeToString())
    return path


def run_in_session(tf, path: Path, fetch: str, feed: dict):
    with tf.Graph().as_default() as graph, tf.compat.v1.Session(graph=graph) as sess:
        tf.compat.v1.saved_model.loader.load(sess, ["serve"], str(path))
        return sess.run(fetch, feed_dict=feed)


# -- healthy fixtures ---------------------------------------------------------------------------


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("parts", HEALTHY, ids="/".join)
def test_healthy_fixtures_have_no_signature_errors(parts, target):
    found = findings(fixture(*parts), "--target", target)
    assert [f for f in found if f["severity"] == "error"] == []
    # The only TFI3 warning on a healthy fixture is true: Keras names its output output_0.
    expected = {("TFI308", s, "output_0") for s in ("serve", "serving_default")} \
        if parts == ("keras_export",) and target != "python" else set()
    assert {(f["code"], f["signature_key"], f["location"]) for f in found} == expected


def test_keras_output_alias_really_is_generated(tf):
    loaded = tf.saved_model.load(str(fixture("keras_export")))
    assert set(loaded.signatures["serving_default"].structured_outputs) == {"output_0"}


@pytest.mark.parametrize("parts", HEALTHY, ids="/".join)
def test_tensorflow_finds_every_healthy_signature_valid(tf, parts):
    is_valid = tf.compat.v1.saved_model.signature_def_utils.is_valid_signature
    with tf.Graph().as_default() as graph, tf.compat.v1.Session(graph=graph) as sess:
        meta = tf.compat.v1.saved_model.loader.load(sess, ["serve"], str(fixture(*parts)))
    checked = [key for key in meta.signature_def if key not in INTERNAL]
    assert checked
    assert all(is_valid(meta.signature_def[key]) for key in checked)


# -- TFI301 ------------------------------------------------------------------------------------


def test_no_serving_default_is_a_warning_for_servers_only(tf):
    # The model loads and its one signature runs when named: not a load failure.
    path = fixture("fault_no_serving_default")
    (issue,) = only(findings(path), "TFI301")
    assert issue["severity"] == "warning" and issue["tag_set"] == ["serve"]
    assert issue["location"] == "serving_default" and "predict" in issue["message"]
    assert only(findings(path, "--target", "vertex"), "TFI301")
    assert only(findings(path, "--target", "python"), "TFI301") == []
    loaded = tf.saved_model.load(str(path))
    assert list(loaded.signatures) == ["predict"]
    assert loaded.signatures["predict"](**{k: tf.ones([1, *[d or 1 for d in s.shape[1:]]], s.dtype) for k, s in
                                          loaded.signatures["predict"].structured_input_signature[1].items()})
    with pytest.raises(KeyError):
        loaded.signatures["serving_default"]


# -- TFI302 ------------------------------------------------------------------------------------


def _rename_output(name: str):
    def change(meta):
        meta.signature_def["serving_default"].outputs["ouputs"].name = name
    return change


@pytest.mark.parametrize("name, problem", [("nope:0", "no node nope"), ("y:3", "no output 3")])
def test_tensor_info_naming_a_missing_tensor(tmp_path, tf, name, problem):
    path = edit_saved_model(tmp_path, tf, ("seed003", "SavedModel"), _rename_output(name))
    for target in TARGETS:
        (issue,) = only(findings(path, "--target", target), "TFI302")
        assert issue["severity"] == "error" and issue["signature_key"] == "serving_default"
        assert issue["location"] == name and problem in issue["message"]
    with pytest.raises((KeyError, ValueError), match="refers to a Tensor which does not exist"):
        run_in_session(tf, path, name, {"x:0": 1.0})


def test_healthy_output_index_is_not_reported(tmp_path, tf):
    """y:0 exists; only its index beyond the op's one output is wrong."""
    path = edit_saved_model(tmp_path, tf, ("seed003", "SavedModel"), _rename_output("y:0"))
    assert only(findings(path), "TFI302") == []
    assert run_in_session(tf, path, "y:0", {"x:0": 6.0}) == 4.0


# -- TFI303 ------------------------------------------------------------------------------------


def test_tensor_info_with_the_wrong_dtype(tmp_path, tf):
    def change(meta):
        meta.signature_def["serving_default"].inputs["inputs"].dtype = tf.int32.as_datatype_enum

    path = edit_saved_model(tmp_path, tf, ("seed003", "SavedModel"), change)
    (issue,) = only(findings(path, "--target", "python"), "TFI303")
    assert issue["severity"] == "error" and issue["location"] == "x:0"
    assert "DT_INT32" in issue["message"] and "DT_FLOAT" in issue["message"]
    # A client that sends what the signature says (int32) fails.
    serve = tf.saved_model.load(str(path)).signatures["serving_default"]
    with pytest.raises(tf.errors.InvalidArgumentError, match="expected to be a float tensor but is a int32"):
        serve(inputs=tf.constant(6, tf.int32))


def test_tensor_info_with_an_incompatible_shape(tmp_path, tf):
    def change(meta):
        shape = meta.signature_def["serving_default"].inputs["input"].tensor_shape
        shape.Clear()
        shape.dim.add(size=5)
        shape.dim.add(size=5)

    path = edit_saved_model(tmp_path, tf, ("seed000", "exported_model"), change)
    (issue,) = only(findings(path), "TFI303")
    assert issue["severity"] == "error" and issue["location"] == "input/Placeholder:0"
    assert "[5, 5]" in issue["message"] and "[?, 9]" in issue["message"]
    with pytest.raises(ValueError, match="Cannot feed value of shape"):
        run_in_session(tf, path, "output/add:0", {"input/Placeholder:0": np.ones((5, 5), np.float32)})


# -- TFI304 ------------------------------------------------------------------------------------


def test_unfed_placeholder(tf):
    path = fixture("fault_unfed_placeholder")
    for target in TARGETS:
        (issue,) = only(findings(path, "--target", target), "TFI304")
        assert issue["severity"] == "error" and issue["signature_key"] == "serving_default"
        assert issue["location"] == "b" and issue["tag_set"] == ["serve"]
    with tf.Graph().as_default() as graph, tf.compat.v1.Session(graph=graph) as sess:
        meta = tf.compat.v1.saved_model.loader.load(sess, ["serve"], str(path))
        sig = meta.signature_def["serving_default"]
        feed = {sig.inputs["a"].name: np.ones((1, 2), np.float32)}
        with pytest.raises(tf.errors.InvalidArgumentError, match="must feed a value for placeholder tensor 'b'"):
            sess.run(sig.outputs["y"].name, feed_dict=feed)


# -- TFI305 ------------------------------------------------------------------------------------


def test_sparse_signature_input(tf):
    path = fixture("fault_sparse")
    (issue,) = only(findings(path), "TFI305")
    assert issue["severity"] == "warning" and issue["location"] == "ids" and "coo_sparse" in issue["message"]
    assert only(findings(path, "--target", "python"), "TFI305") == []
    with tf.Graph().as_default() as graph, tf.compat.v1.Session(graph=graph) as sess:
        meta = tf.compat.v1.saved_model.loader.load(sess, ["serve"], str(path))
    assert meta.signature_def["serving_default"].inputs["ids"].WhichOneof("encoding") == "coo_sparse"


# -- TFI306 / TFI307 ---------------------------------------------------------------------------


def test_invalid_classify_signature(tf):
    path = fixture("fault_classify_invalid")
    (issue,) = only(findings(path), "TFI306")
    # It runs through Predict; only the Classify API rejects it: a warning naming that API.
    assert issue["severity"] == "warning" and issue["signature_key"] == "serving_default"
    assert "DT_FLOAT" in issue["message"] and "DT_STRING" in issue["message"]
    assert "Classify API" in issue["message"]
    assert only(findings(path, "--target", "python"), "TFI306") == []
    with tf.Graph().as_default() as graph, tf.compat.v1.Session(graph=graph) as sess:
        meta = tf.compat.v1.saved_model.loader.load(sess, ["serve"], str(path))
        sig = meta.signature_def["serving_default"]
        feed = {info.name: [[1.0] * max(info.tensor_shape.dim[-1].size, 1)] for info in sig.inputs.values()}
        assert sess.run([info.name for info in sig.outputs.values()], feed)
    assert sig.method_name == "tensorflow/serving/classify"
    assert not tf.compat.v1.saved_model.signature_def_utils.is_valid_signature(sig)


def test_unknown_method_name_is_a_warning(tmp_path, tf):
    def change(meta):
        meta.signature_def["serving_default"].method_name = "tensorflow/serving/predicts"

    path = edit_saved_model(tmp_path, tf, ("seed003", "SavedModel"), change)
    (issue,) = only(findings(path), "TFI306")
    assert issue["severity"] == "warning" and "tensorflow/serving/predicts" in issue["message"]


def test_signature_without_inputs(tmp_path, tf):
    def change(meta):
        meta.signature_def["serving_default"].inputs.clear()

    path = edit_saved_model(tmp_path, tf, ("seed003", "SavedModel"), change)
    found = findings(path)
    (issue,) = only(found, "TFI307")
    assert issue["severity"] == "warning" and issue["signature_key"] == "serving_default"
    assert only(found, "TFI306") == []  # reported once, by TFI307
    with tf.Graph().as_default() as graph, tf.compat.v1.Session(graph=graph) as sess:
        meta = tf.compat.v1.saved_model.loader.load(sess, ["serve"], str(path))
    assert not tf.compat.v1.saved_model.signature_def_utils.is_valid_signature(meta.signature_def["serving_default"])


# -- TFI308 ------------------------------------------------------------------------------------


def test_generated_alias(tmp_path, tf):
    def change(meta):
        sig = meta.signature_def["serving_default"]
        sig.inputs["input_1"].CopyFrom(sig.inputs["inputs"])
        del sig.inputs["inputs"]

    path = edit_saved_model(tmp_path, tf, ("seed003", "SavedModel"), change)
    (issue,) = only(findings(path), "TFI308")
    assert issue["severity"] == "warning" and issue["location"] == "input_1"
    assert "Input(name=" in issue["hint"]


@pytest.mark.parametrize("code", ["TFI301", "TFI302", "TFI303", "TFI304", "TFI305", "TFI306", "TFI307", "TFI308"])
def test_every_rule_is_explained(code):
    result = run_cli("check", "--explain", code)
    assert result.code == 0, result.err
    assert code in result.out and len(result.out.splitlines()) > 4
