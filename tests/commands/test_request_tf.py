"""TensorFlow's answer to the bodies `tfinspect request` writes and the ones `--validate` rejects.

One child process (tests/helpers/serving_tf.py) loads each SavedModel once and answers
every job of this module: the templates for every signature of every SavedModel
in fixtures/ and the real-world corpus (serve tag-set), converted as TF Serving
converts JSON, and tensors made from rejected bodies.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys

import pytest
from conformance.artifacts import require_corpus, saved_models
from conftest import ROOT, fixture, run_cli
from helpers.proto_edits import with_bytes_alias

from inspector import protos
from inspector.analysis.requests import build_request, serving_meta_graph
from inspector.errors import SelectionError
from inspector.load import load

# Exports made to fail, and why TensorFlow refuses to run them whatever the request holds.
MODEL_FAULTS = {
    "saved_model:fixtures/fault_ckpt_mismatch": "Restoring from checkpoint failed",
    "saved_model:fixtures/fault_device_pin": "Restoring from checkpoint failed",
    "saved_model:fixtures/fault_py_func": "Could not find callback with key=pyfunc_0",
    "saved_model:fixtures/fault_table_no_init": "Table not initialized",
    "saved_model:fixtures/fault_unfed_placeholder": "You must feed a value for placeholder tensor 'b'",
    # TF 2.21's CPU wheel registers the op but has no kernel for it (see the corpus README).
    "saved_model:corpus/tfx/tft_tf2_saved_model": "No OpKernel was registered to support Op 'BoostedTreesBucketize'",
}
# Signatures request refuses (exit 2): TF Serving's JSON conversion cannot make their inputs.
UNSENDABLE = {"saved_model:fixtures/fault_rest_dtypes": "DT_HALF", "saved_model:fixtures/fault_sparse": "coo_sparse"}
NO_SERVE = {"saved_model:corpus/tfx/tfma_eval/1646034758", "saved_model:corpus/tfx/transform_fn"}

KERAS = str(fixture("keras_export"))
KERAS_SERVING = str(ROOT.parent / "shared" / "corpus" / "tfx" / "keras_serving")
B64 = str(fixture("fault_b64"))
MNIST = str(fixture("seed001", "mnist", "2"))
ZEROS = [0.0, 0.0, 0.0, 0.0]


def _example_b64(**floats) -> dict:
    example = protos.Example()
    for key, values in floats.items():
        example.features.feature[key].float_list.value.extend(values)
    return {"b64": base64.b64encode(example.SerializeToString()).decode()}


PARTIAL = {"instances": [_example_b64(body_mass_g=[1.0], culmen_depth_mm=[1.0], culmen_length_mm=[1.0])]}
GARBAGE = {"instances": [{"b64": base64.b64encode(b"\n\x05abc").decode()}]}

# (rejected body, model, signature, the --validate code, a TensorFlow job, what TensorFlow says)
REJECTED = [
    ({"instances": [["a", 0, 0, 0]]}, KERAS, "serving_default", "dtype",
     {"mode": "convert", "dtype": "float32", "values": [["a", 0.0, 0.0, 0.0]]}, "Expected float32, but got b'a'"),
    ({"instances": [1.5]}, str(fixture("fault_table_no_init")), "serving_default", "dtype",
     {"mode": "convert", "dtype": "int64", "values": [1.5]}, "Expected int64, but got 1.5"),
    ({"instances": [[0, [0], 0, 0]]}, KERAS, "serving_default", "nesting",
     {"mode": "convert", "dtype": "float32", "values": [[0, [0], 0, 0]]}, "inhomogeneous shape"),
    ({"instances": [ZEROS, [0, 0, 0]]}, KERAS, "serving_default", "row-shape",
     {"mode": "convert", "dtype": "float32", "values": [ZEROS, [0, 0, 0]]}, "inhomogeneous shape"),
    ({"instances": [[0, 0, 0]]}, KERAS, "serving_default", "shape",
     {"mode": "tensors", "model": KERAS, "signature": "serving_default",
      "tensors": {"features": ["float32", [[0, 0, 0]]]}}, "Cannot feed value of shape (1, 3)"),
    ({"instances": [{"image": "a"}]}, B64, "serving_default", "missing-input",
     {"mode": "tensors", "model": B64, "signature": "serving_default", "tensors": {"image": ["string", ["a"]]}},
     "You must feed a value for placeholder tensor 'payload'"),
    ({"instances": ["a"]}, B64, "serving_default", "mixed-rows",
     {"mode": "tensors", "model": B64, "signature": "serving_default", "tensors": {"image": ["string", ["a"]]}},
     "You must feed a value for placeholder tensor 'payload'"),
    ({"instances": [{"image": {"b64": "not base64!"}, "payload": ""}]}, B64, "serving_default", "b64",
     {"mode": "b64", "text": "not base64!"}, "Invalid character found in base64"),
    ({"examples": [{"y": [0.5]}]}, MNIST, "serving_default", "feature-missing",
     {"model": MNIST, "signature": "serving_default", "body": {"examples": [{"y": [0.5]}]}},
     "Feature: x (data type: float) is required but could not be found"),
    ({"examples": [{"x": [1] * 784}]}, MNIST, "serving_default", "feature-type",
     {"model": MNIST, "signature": "serving_default", "body": {"examples": [{"x": [1] * 784}]}},
     "Data types don't match"),
    ({"examples": [{"x": [0.5] * 783}]}, MNIST, "serving_default", "feature-size",
     {"model": MNIST, "signature": "serving_default", "body": {"examples": [{"x": [0.5] * 783}]}},
     "Number of float values != expected"),
    (PARTIAL, KERAS_SERVING, "serving_default", "feature-missing",
     {"model": KERAS_SERVING, "signature": "serving_default", "body": PARTIAL},
     "Feature: flipper_length_mm (data type: float) is required but could not be found"),
    (GARBAGE, KERAS_SERVING, "serving_default", "example-proto",
     {"model": KERAS_SERVING, "signature": "serving_default", "body": GARBAGE}, "Could not parse example input"),
]


def _templates(tmp_path) -> tuple[list[dict], dict[str, str]]:
    jobs, refused = [], {}
    models = [(a.id, a.path) for a in saved_models()] + [("bytes_alias", with_bytes_alias(tmp_path))]
    for ident, path in models:
        artifact = load(path)
        try:
            meta = serving_meta_graph(artifact, None)
        except SelectionError as exc:
            refused[ident] = str(exc)
            continue
        for key, signature in meta.signatures.items():
            if signature.internal:
                continue
            try:
                template = build_request(artifact, meta, signature)
            except SelectionError as exc:
                refused[ident] = str(exc)
                continue
            jobs.append({"id": ident, "model": str(path), "tags": list(meta.tags), "signature": key,
                         "body": template.body, "outputs": sorted(t.alias for t in signature.outputs)})
    return jobs, refused


@pytest.fixture(scope="module")
def answers(tmp_path_factory):
    require_corpus()
    tmp = tmp_path_factory.mktemp("serving")
    templates, refused = _templates(tmp)
    rejected = [{"tags": ["serve"], **job} for *_, job, _ in REJECTED]
    jobs = templates + rejected
    (tmp / "jobs.json").write_text(json.dumps(jobs))
    subprocess.run([sys.executable, str(ROOT / "tests" / "helpers" / "serving_tf.py"), str(tmp / "jobs.json"),
                    str(tmp / "results.json")], check=True, capture_output=True, cwd=ROOT, timeout=900)
    results = json.loads((tmp / "results.json").read_text())
    return templates, results[:len(templates)], refused, results[len(templates):]


def test_every_template_runs_in_tensorflow_as_tf_serving_converts_it(answers):
    templates, results, _, _ = answers
    ids = {job["id"] for job in templates}
    assert {a.id for a in saved_models()} - ids == set(UNSENDABLE) | NO_SERVE
    assert len(templates) >= 24
    for job, result in zip(templates, results):
        where = f"{job['id']} {job['signature']}"
        if job["id"] in MODEL_FAULTS:
            assert not result["ok"] and MODEL_FAULTS[job["id"]] in result["error"], (where, result)
            continue
        assert result["ok"], (where, result)
        assert sorted(result["outputs"]) == job["outputs"], where


def test_the_bodies_really_carry_data_of_the_right_kind(answers):
    templates, results, _, _ = answers
    by_key = {(j["id"], j["signature"]): r for j, r in zip(templates, results)}
    # The estimator's classify signature parsed the 17 features of the template's tf.Example.
    estimator = "saved_model:corpus/tfx/estimator_training/export/chicago-taxi/1646034756"
    assert by_key[(estimator, "classification")]["outputs"] == {"classes": [1, 2], "scores": [1, 2]}
    # A b64 object became bytes the graph measured (image_bytes -> empty).
    assert by_key[("bytes_alias", "serving_default")]["ok"]
    assert by_key[("saved_model:fixtures/keras_export", "serving_default")]["outputs"] == {"output_0": [1, 2]}


def test_templates_request_refuses_cannot_be_fed(answers):
    _, _, refused, _ = answers
    for ident, word in UNSENDABLE.items():
        assert word in refused[ident]
    for ident in NO_SERVE:
        assert "no MetaGraph has the tag-set {serve}" in refused[ident]


@pytest.mark.parametrize("index", range(len(REJECTED)), ids=[case[3] + "-" + str(i) for i, case in enumerate(REJECTED)])
def test_every_rejected_body_fails_in_tensorflow_for_the_same_reason(answers, tmp_path, index):
    body, model, signature, code, _, refusal = REJECTED[index]
    path = tmp_path / "body.json"
    path.write_text(json.dumps(body))
    result = run_cli("request", model, "--signature", signature, "--validate", path, "--json")
    assert result.code == 1, result.err
    assert code in [p["code"] for p in result.json()["problems"] if p["severity"] == "error"]
    answer = answers[3][index]
    assert not answer["ok"] and refusal in answer["error"], answer
