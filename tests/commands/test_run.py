"""`tfinspect run`: the one command that executes a model, in a child process."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT, fixture, run_cli

from inspector.errors import InspectorError
from inspector.execute import launch

pytestmark = pytest.mark.slow  # TFINSPECT_SLOW=1 or CI: see tests/conftest.py

KERAS = fixture("keras_export")
ESTIMATOR = ROOT.parent / "shared" / "corpus" / "tfx" / "estimator_training" / "export" / "chicago-taxi" / "1646034756"
ROWS = [[0.5, -1.0, 2.0, 3.25], [1.0, 0.0, -0.5, 4.0]]
EXAMPLE = {"company": ["Taxi Affiliation Services"], "fare": [12.5], "trip_miles": [3.0], "trip_start_hour": [9],
           "payment_type": ["Cash"]}


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """What TensorFlow computes for the same inputs (tests/helpers/serving_tf.py, one child process)."""
    tmp = tmp_path_factory.mktemp("run")
    jobs = [
        {"model": str(KERAS), "tags": ["serve"], "signature": "serving_default", "body": {"instances": ROWS}},
        {"model": str(ESTIMATOR), "tags": ["serve"], "signature": "classification",
         "body": {"signature_name": "classification", "examples": [EXAMPLE]}},
    ]
    (tmp / "jobs.json").write_text(json.dumps(jobs))
    subprocess.run([sys.executable, str(ROOT / "tests" / "helpers" / "serving_tf.py"), str(tmp / "jobs.json"),
                    str(tmp / "out.json")], check=True, capture_output=True, cwd=ROOT, timeout=600)
    return json.loads((tmp / "out.json").read_text()), tmp


def _values(data: dict) -> dict:
    return {o["alias"]: o["values"] for o in data["outputs"]}


@pytest.mark.parametrize("target", ["python", "python-v1"])
def test_run_a_body_gives_tensorflows_outputs(reference, target):
    answers, tmp = reference
    body = tmp / "rows.json"
    body.write_text(json.dumps({"instances": ROWS}))
    result = run_cli("run", KERAS, "--input", body, "--target", target, "--json")
    assert result.code == 0, result.err
    data = result.json()
    assert data["schema_version"] == 1 and data["target"] == target
    assert [(o["alias"], o["dtype"], o["shape"]) for o in data["outputs"]] == [("output_0", "DT_FLOAT", [2, 2])]
    np.testing.assert_allclose(np.ravel(_values(data)["output_0"]), answers[0]["values"]["output_0"], rtol=1e-6)


def test_run_npy_inputs_and_print_a_table(reference, tmp_path):
    answers, _ = reference
    np.save(tmp_path / "rows.npy", np.array(ROWS, dtype=np.float32))
    result = run_cli("run", KERAS, "--inputs", f"features={tmp_path / 'rows.npy'}")
    assert result.code == 0, result.err
    first = f"{answers[0]['values']['output_0'][0]:.6g}"
    assert "output_0" in result.out and "DT_FLOAT" in result.out and first in result.out


def test_run_examples_on_a_classify_signature(reference, tmp_path):
    answers, _ = reference
    body = tmp_path / "examples.json"
    body.write_text(json.dumps({"signature_name": "classification", "examples": [EXAMPLE]}))
    result = run_cli("run", ESTIMATOR, "--input", body, "--target", "python-v1", "--json")
    assert result.code == 0, result.err
    values = _values(result.json())
    np.testing.assert_allclose(np.ravel(values["scores"]), answers[1]["values"]["scores"], rtol=1e-6)
    assert np.ravel(values["classes"]).tolist() == answers[1]["values"]["classes"]


def test_invalid_inputs_are_reported_and_nothing_runs(tmp_path):
    body = tmp_path / "bad.json"
    body.write_text(json.dumps({"instances": [[0, "a", 0, 0]]}))
    result = run_cli("run", KERAS, "--input", body)
    assert result.code == 2 and result.out == ""
    assert "$.instances[0][1]" in result.err and "the model was not run" in result.err
    np.save(tmp_path / "short.npy", np.zeros((2, 3), dtype=np.float32))
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    for spec, words in [(f"features={tmp_path / 'short.npy'}", "shape"),
                        (f"other={tmp_path / 'short.npy'}", "unknown-input"),
                        (f"features={tmp_path / 'objects.npy'}", "without pickle")]:
        result = run_cli("run", KERAS, "--inputs", spec)
        assert result.code == 2 and result.out == "" and words in result.err, result.err


def test_a_model_tensorflow_cannot_run_is_one_line_exit_2(tmp_path):
    model = ROOT.parent / "shared" / "corpus" / "tfx" / "tft_tf2_saved_model"
    result = run_cli("run", model, "--input", tmp_path / "missing.json")
    assert result.code == 2 and "no such request body file" in result.err
    body = tmp_path / "body.json"
    body.write_text(run_cli("request", model, "--body").out)
    result = run_cli("run", model, "--input", body)
    assert result.code == 2 and result.out == ""
    assert result.err.count("\n") == 1
    assert "No OpKernel was registered to support Op 'BoostedTreesBucketize'" in result.err


def test_a_fifo_in_the_model_is_refused_before_tensorflow_blocks_on_it(tmp_path):
    model = tmp_path / "model"
    shutil.copytree(KERAS, model)
    (shard,) = (model / "variables").glob("variables.data-*")
    shard.unlink()
    os.mkfifo(shard)
    body = tmp_path / "body.json"
    body.write_text(json.dumps({"instances": ROWS}))
    result = run_cli("run", model, "--input", body, "--timeout", "30")
    assert result.code == 2 and result.out == "" and result.err.count("\n") == 1
    assert "named pipe" in result.err and shard.name in result.err, result.err


def test_a_crashing_child_cannot_take_tfinspect_down(monkeypatch):
    monkeypatch.setattr(launch, "CHILD_MODULE", "tests.helpers.crashing_child")
    with pytest.raises(InspectorError, match="died of signal SIGABRT"):
        launch.execute(KERAS, ["serve"], "serving_default", "python", {}, timeout=60)


def test_tensorflow_is_imported_only_in_the_child(tmp_path):
    body = tmp_path / "rows.json"
    body.write_text(json.dumps({"instances": ROWS}))
    code = ("import sys, contextlib, io\nfrom inspector.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    status = main(['run', {str(KERAS)!r}, '--input', {str(body)!r}])\n"
            "print(status, 'tensorflow' in sys.modules, 'tensorflow.python' in sys.modules)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False)
    assert proc.stdout.split() == ["0", "False", "False"], proc.stderr[-500:]


def test_help_says_it_executes_model_code():
    assert "EXECUTES" in run_cli("--help").out
    text = run_cli("run", "--help").out
    assert "EXECUTES MODEL CODE" in " ".join(text.split())


KERAS_SERVING = ROOT.parent / "shared" / "corpus" / "tfx" / "keras_serving"


@pytest.mark.parametrize(("model", "signature", "target"), [
    (fixture("seed001", "mnist"), "predict_images", "python"),  # no shape in the TensorInfo
    (fixture("tf2_module"), "classify", "python"),  # columnar: a scalar input
    (KERAS_SERVING, "serving_default", "python-v1"),  # a b64 tf.Example
    (fixture("fault_asset_vocab"), "serving_default", "python"),  # strings through a vocabulary asset
])
def test_run_the_request_template(tmp_path, model, signature, target):
    template = run_cli("request", model, "--signature", signature, "--json").json()
    body = tmp_path / "body.json"
    body.write_text(json.dumps(template["body"]))
    result = run_cli("run", model, "--signature", signature, "--input", body, "--target", target, "--json")
    assert result.code == 0, result.err
    signatures = run_cli("signatures", model, "--signature", signature, "--json").json()["signatures"]
    assert sorted(o["alias"] for o in result.json()["outputs"]) == sorted(t["alias"] for t in signatures[0]["outputs"])


def test_the_python_target_reports_what_tf_saved_model_load_says(tmp_path):
    # TF 2.21's tf.saved_model.load cannot restore this Keras export's optimizer slots;
    # the Session loader (python-v1, above) runs it.
    body = tmp_path / "body.json"
    body.write_text(run_cli("request", KERAS_SERVING, "--body").out)
    result = run_cli("run", KERAS_SERVING, "--input", body)
    assert result.code == 2 and result.out == "" and result.err.count("\n") == 1
    assert "object has no attribute 'add_slot'" in result.err
    assert "TFI206" in result.err and "--target python-v1" in result.err


@pytest.mark.parametrize("target", ["python", "python-v1"])
def test_a_missing_shard_is_named_from_tensorflows_original_error(tmp_path, target):
    from helpers.uploads import damaged_copy

    model = damaged_copy(fixture("seed000", "exported_model"), "shard-deleted", tmp_path)
    body = tmp_path / "body.json"
    body.write_text(run_cli("request", model, "--body").out)
    result = run_cli("run", model, "--input", body, "--target", target)
    assert result.code == 2 and result.out == "" and result.err.count("\n") == 1
    # TensorFlow's own words name the file it did not find; tfinspect adds the rule that says so
    assert "variables.data-00000-of-00001" in result.err, result.err
    assert "TFI210" in result.err
