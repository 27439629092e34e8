"""`tfinspect check` request rules (TFI4xx), each fault confirmed by TensorFlow."""

from __future__ import annotations

import base64

import numpy as np
import pytest
from conftest import check_findings, each_place, fixture, run_cli

HEALTHY = [("seed003", "SavedModel"), ("seed000", "exported_model"), ("seed001", "mnist", "1"),
           ("seed001", "mnist", "2"), ("tf2_module",), ("keras_export",)]
TARGETS = ("tf-serving", "vertex", "python")


def findings(path, *args: str) -> list[dict]:
    return each_place(check_findings(path, "--select", "TFI4", *args)[1])


def only(items: list[dict], code: str) -> list[dict]:
    return [f for f in items if f["code"] == code]


def load_v1(tf, path):
    """(graph, session, MetaGraphDef) of a SavedModel loaded the TF1 way; the caller closes the session."""
    graph = tf.Graph()
    sess = tf.compat.v1.Session(graph=graph)
    with graph.as_default():
        meta = tf.compat.v1.saved_model.loader.load(sess, ["serve"], str(path))
    return graph, sess, meta


# -- healthy fixtures ---------------------------------------------------------------------------


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("parts", HEALTHY, ids="/".join)
def test_healthy_fixtures_have_no_request_errors(parts, target):
    found = findings(fixture(*parts), "--target", target)
    assert [f for f in found if f["severity"] == "error"] == []
    if target == "python":
        assert found == []  # request rules are about servers only
        return
    # The warnings here are true: these TF1 exports record no shapes (unknown rank), tf2_module's
    # classify takes a scalar threshold and returns a scalar step count, and seed001's
    # classification input is a serialized tf.Example (binary) under the alias "inputs".
    codes = {f["code"] for f in found}
    assert codes <= {"TFI402", "TFI404", "TFI405"}
    if parts[0] == "seed000" or parts == ("keras_export",):
        assert found == []


def test_healthy_warnings_are_true(tf):
    found = findings(fixture("tf2_module"))
    assert {(f["signature_key"], f["location"]) for f in only(found, "TFI402")} == \
        {("classify", "threshold"), ("classify", "steps")}
    serve = tf.saved_model.load(str(fixture("tf2_module"))).signatures["classify"]
    assert serve.structured_input_signature[1]["threshold"].shape.rank == 0
    assert serve.structured_outputs["steps"].shape.rank == 0


# -- TFI401 / TFI402 ---------------------------------------------------------------------------


def test_rest_dtype_and_fixed_batch(tf):
    path = fixture("fault_rest_dtypes")
    for target in ("tf-serving", "vertex"):
        found = findings(path, "--target", target)
        (dtype,) = only(found, "TFI401")
        assert dtype["severity"] == "error" and dtype["location"] == "half" and "DT_HALF" in dtype["message"]
        batch = {f["location"]: f for f in only(found, "TFI402")}
        assert set(batch) == {"fixed", "total"}
        assert batch["fixed"]["severity"] == "warning" and "[4, 2]" in batch["fixed"]["message"]
    assert findings(path, "--target", "python") == []

    serve = tf.saved_model.load(str(path)).signatures["serving_default"]
    inputs = serve.structured_input_signature[1]
    assert inputs["half"].dtype == tf.float16
    assert inputs["fixed"].shape.as_list() == [4, 2]
    # One row, as a row-format request with one instance would feed it, does not fit the fixed batch.
    with pytest.raises(tf.errors.InvalidArgumentError, match="requested shape has 8"):
        serve(half=tf.ones([1, 2], tf.float16), fixed=tf.ones([1, 2]))


def test_unknown_rank_is_reported_as_such():
    (issue,) = [f for f in findings(fixture("seed003", "SavedModel")) if f["location"] == "inputs"]
    assert issue["code"] == "TFI402" and "unknown rank" in issue["message"]


# -- TFI403 / TFI404 ---------------------------------------------------------------------------


def test_base64_decoded_twice(tf):
    path = fixture("fault_b64")
    (issue,) = only(findings(path), "TFI403")
    assert issue["severity"] == "warning" and issue["signature_key"] == "serving_default"
    assert "payload" in issue["message"] and issue["location"] == "DecodeBase64"
    _graph, sess, meta = load_v1(tf, path)
    with sess:
        sig = meta.signature_def["serving_default"]
        raw = bytes([0xFF, 0x00, 0x10, 0x80])
        # What the server feeds after decoding {"b64": ...}: the raw bytes, which DecodeBase64 rejects.
        server_fed = base64.b64decode(base64.b64encode(raw))
        with pytest.raises(tf.errors.InvalidArgumentError, match="Invalid character found in base64"):
            sess.run(sig.outputs["length"].name, {sig.inputs["payload"].name: [server_fed]})


def test_binary_alias_without_bytes_suffix_on_vertex(tf):
    path = fixture("fault_b64")
    found = only(findings(path, "--target", "vertex"), "TFI404")
    by_alias = {f["location"]: f for f in found}
    assert set(by_alias) == {"image", "payload"}
    assert by_alias["image"]["severity"] == "warning" and "image_bytes" in by_alias["image"]["hint"]
    assert only(findings(path), "TFI404") == []  # vertex only
    graph, sess, meta = load_v1(tf, path)
    with sess:
        name = meta.signature_def["serving_default"].inputs["image"].name
        ops = {c.type for c in graph.get_tensor_by_name(name).consumers()}
    assert "DecodePaddedRaw" in ops and "DecodePaddedRaw" in by_alias["image"]["message"]


# -- TFI405 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["1", "2"])
def test_tf_example_features_are_listed(tf, version):
    path = fixture("seed001", "mnist", version)
    (issue,) = only(findings(path), "TFI405")
    assert issue["severity"] == "info" and issue["signature_key"] == "serving_default"
    assert "x (DT_FLOAT [784])" in issue["message"]
    assert only(findings(path, "--target", "python"), "TFI405") == []
    graph, sess, meta = load_v1(tf, path)
    with sess:
        sig = meta.signature_def["serving_default"]
        parse = [op for op in graph.get_tensor_by_name(sig.inputs["inputs"].name).consumers()
                 if op.type.startswith("ParseExample")]
        (op,) = parse
        assert issue["location"] == op.name
        dense_keys = sess.run(op.inputs[3])
        assert [k.decode() for k in dense_keys] == ["x"]
        assert [tf.TensorShape(s).as_list() for s in op.get_attr("dense_shapes")] == [[784]]
        # A tf.Example with exactly that feature is what the signature accepts.
        example = tf.train.Example(features=tf.train.Features(feature={
            "x": tf.train.Feature(float_list=tf.train.FloatList(value=np.zeros(784)))}))
        scores = sess.run(sig.outputs["scores"].name, {sig.inputs["inputs"].name: [example.SerializeToString()]})
    assert scores.shape == (1, 10)


@pytest.mark.parametrize("code", ["TFI401", "TFI402", "TFI403", "TFI404", "TFI405"])
def test_every_rule_is_explained(code):
    result = run_cli("check", "--explain", code)
    assert result.code == 0, result.err
    assert code in result.out and len(result.out.splitlines()) > 4
