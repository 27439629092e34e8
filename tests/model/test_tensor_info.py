"""A SignatureDef's TensorInfo reported as the file holds it and as TensorFlow reads it.

The export is a copy of a real SavedModel whose proto is edited the way older
TF 1.x exports look: an input with a reference dtype (DT_FLOAT_REF) and an
output whose TensorInfo has no tensor_shape field at all.
"""

from __future__ import annotations

import subprocess

import pytest
from conftest import check_findings, copy_fixture, each_place, run_cli

REF_ALIAS, NO_SHAPE_ALIAS = "inputs", "ouputs"


@pytest.fixture(scope="module")
def edited(tmp_path_factory, tf):
    """(path, what TensorFlow's loader and saved_model_cli say about the edited signature)."""
    from tensorflow.core.protobuf import saved_model_pb2

    path = copy_fixture(tmp_path_factory.mktemp("tensor_info"), "seed003", "SavedModel")
    proto_file = path / "saved_model.pb"
    saved = saved_model_pb2.SavedModel.FromString(proto_file.read_bytes())
    signature = saved.meta_graphs[0].signature_def["serving_default"]
    signature.inputs[REF_ALIAS].dtype = tf.float32._as_ref.as_datatype_enum
    signature.outputs[NO_SHAPE_ALIAS].ClearField("tensor_shape")
    proto_file.write_bytes(saved.SerializeToString())

    with tf.compat.v1.Session(graph=tf.Graph()) as session:
        meta = tf.compat.v1.saved_model.loader.load(session, ["serve"], str(path))
    loaded = meta.signature_def["serving_default"]
    ref = loaded.inputs[REF_ALIAS]
    no_shape = loaded.outputs[NO_SHAPE_ALIAS]
    cli = subprocess.run(["saved_model_cli", "show", "--dir", str(path), "--tag_set", "serve",
                          "--signature_def", "serving_default"],
                         capture_output=True, text=True, check=True, timeout=300)
    return path, {
        "ref_dtype": tf.dtypes.as_dtype(ref.dtype),
        "no_shape_has_field": no_shape.HasField("tensor_shape"),
        "no_shape_shape": tf.TensorShape(no_shape.tensor_shape),
        "cli": cli.stdout,
    }


def _cli_block(text: str, alias: str) -> str:
    """The lines saved_model_cli prints for one alias (tensor_info, dtype, shape, name)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if f"['{alias}'] tensor_info:" in line)
    return "\n".join(lines[start:start + 4])


def test_tensorflow_sees_a_reference_dtype_and_a_scalar(edited):
    _, seen = edited
    assert seen["ref_dtype"]._is_ref_dtype and seen["ref_dtype"].name == "float32_ref"
    assert not seen["no_shape_has_field"]
    assert seen["no_shape_shape"].rank == 0
    assert "dtype: DT_FLOAT_REF" in _cli_block(seen["cli"], REF_ALIAS)
    assert "shape: ()" in _cli_block(seen["cli"], NO_SHAPE_ALIAS)


def test_signatures_json_reports_the_ref_dtype_and_the_shape_tensorflow_uses(edited):
    path, seen = edited
    result = run_cli("signatures", path, "--json")
    assert result.code == 0, result.err
    (sig,) = [s for s in result.json()["signatures"] if s["signature_key"] == "serving_default"]
    (ref,) = sig["inputs"]
    (no_shape,) = sig["outputs"]
    assert ref["dtype"] == "DT_FLOAT_REF"
    assert ref["shape_recorded"] is True
    assert no_shape["shape"] == list(seen["no_shape_shape"].as_list()) == []
    assert no_shape["shape_recorded"] is False


def test_show_agrees_in_text_and_json(edited):
    path, _ = edited
    shown = run_cli("show", path, "--json")
    assert shown.code == 0, shown.err
    (sig,) = [s for s in shown.json()["meta_graphs"][0]["signatures"] if s["signature_key"] == "serving_default"]
    assert sig["inputs"][0]["dtype"] == "DT_FLOAT_REF"
    assert (sig["outputs"][0]["shape"], sig["outputs"][0]["shape_recorded"]) == ([], False)
    text = run_cli("show", path)
    assert text.code == 0, text.err
    assert "DT_FLOAT_REF" in text.out
    assert "[] (not recorded)" in text.out
    table = run_cli("signatures", path)
    assert "DT_FLOAT_REF" in table.out and "[] (not recorded)" in table.out


def test_check_compares_base_dtypes_and_names_the_missing_shape(edited):
    path, _ = edited
    _, findings = check_findings(path)
    messages = [f["message"] for f in each_place(findings)]
    assert not [m for m in messages if "says DT_FLOAT_REF" in m], messages
    assert any(f"{NO_SHAPE_ALIAS} records no shape" in m for m in messages), messages
