"""`tfinspect request` and `request --validate`, without TensorFlow (tests/test_request_tf.py asks TensorFlow)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from conftest import ROOT, copy_fixture, fixture, run_cli
from helpers.proto_edits import with_bytes_alias

from inspector import protos

CORPUS = ROOT.parent / "shared" / "corpus" / "tfx"
ESTIMATOR = CORPUS / "estimator_training" / "export" / "chicago-taxi" / "1646034756"


def request_json(*args) -> dict:
    result = run_cli("request", *map(str, args), "--json")
    assert result.code == 0, result.err
    data = result.json()
    assert data["schema_version"] == 1
    return data


def validate(model, body, *args) -> tuple[int, dict]:
    result = run_cli("request", str(model), "--validate", str(body), "--json", *args)
    assert result.code in (0, 1), result.err
    return result.code, result.json()


def write(tmp_path: Path, body, name: str = "body.json") -> Path:
    path = tmp_path / name
    path.write_text(body if isinstance(body, str) else json.dumps(body))
    return path


# -- request -----------------------------------------------------------------------------------

def test_row_body_url_and_curl_for_a_keras_export():
    data = request_json(fixture("keras_export"), "--model-name", "taxi")
    assert data["url_path"] == "/v1/models/taxi:predict"
    assert data["body"] == {"instances": [[0.0, 0.0, 0.0, 0.0]]}
    assert data["curl"].endswith("http://localhost:8501/v1/models/taxi:predict")
    assert "-d @request.json" in data["curl"]
    assert [(i["alias"], i["dtype"], i["shape"]) for i in data["inputs"]] == [("features", "DT_FLOAT", [-1, 4])]


def test_version_tree_version_goes_into_the_url_and_names_default_to_the_tree():
    data = request_json(fixture("seed001", "mnist"), "--version", "1", "--signature", "predict_images")
    assert data["url_path"] == "/v1/models/mnist/versions/1:predict"
    assert data["body"]["signature_name"] == "predict_images"
    # The TensorInfo has no shape; the graph feeds it from a parsed dense feature of shape [784].
    assert len(data["body"]["instances"][0]) == 784


def test_scalar_and_fixed_inputs_get_the_columnar_format():
    data = request_json(fixture("tf2_module"), "--signature", "classify")
    assert data["format"] == "columnar"
    assert data["body"]["inputs"] == {"threshold": 0.0, "x": [[0.0, 0.0, 0.0]]}
    result = run_cli("request", fixture("tf2_module"), "--signature", "classify", "--format", "row")
    assert result.code == 2 and result.out == ""
    assert "threshold" in result.err and "--format columnar" in result.err


def test_classify_signature_gets_examples_with_the_parsed_features():
    data = request_json(ESTIMATOR, "--signature", "classification")
    assert data["url_path"].endswith(":classify")
    assert data["format"] == "examples"
    example = data["body"]["examples"][0]
    kinds = {f["key"]: f["dtype"] for f in data["features"]}
    assert set(example) == set(kinds) and len(kinds) == 17
    for key, values in example.items():
        expected = {"DT_FLOAT": float, "DT_INT64": int, "DT_STRING": str}[kinds[key]]
        assert [type(v) for v in values] == [expected], key


def test_predict_on_examples_sends_a_b64_serialized_example():
    data = request_json(CORPUS / "keras_serving")
    value = data["body"]["instances"][0]
    assert set(value) == {"b64"}
    example = protos.Example.FromString(base64.b64decode(value["b64"]))
    assert sorted(example.features.feature) == ["body_mass_g", "culmen_depth_mm", "culmen_length_mm",
                                                "flipper_length_mm"]
    assert list(example.features.feature["body_mass_g"].float_list.value) == [0.0]


def test_bytes_alias_gets_a_b64_object(bytes_alias_model):
    data = request_json(bytes_alias_model)
    assert data["body"] == {"instances": [{"image_bytes": {"b64": ""}, "payload": ""}]}


def test_vertex_target_is_rows_only_and_calls_the_endpoint_url():
    data = request_json(CORPUS / "keras_serving", "--target", "vertex")
    assert data["url"].startswith("https://REGION-aiplatform.googleapis.com/v1/projects/PROJECT/")
    assert "gcloud auth print-access-token" in data["curl"]
    assert any("_bytes" in note for note in data["notes"])
    result = run_cli("request", fixture("tf2_module"), "--signature", "classify", "--target", "vertex")
    assert result.code == 2 and "row format" in result.err


@pytest.mark.parametrize(("parts", "words"), [
    (("fault_rest_dtypes",), ["half", "DT_HALF"]),
    (("fault_sparse",), ["ids", "coo_sparse"]),
    (("seed003", "frozen_graph.pb"), ["model servers load SavedModels"]),
])
def test_signatures_the_rest_api_cannot_feed_are_refused(parts, words):
    result = run_cli("request", fixture(*parts))
    assert result.code == 2 and result.out == ""
    assert result.err.count("\n") == 1 and all(w in result.err for w in words), result.err


def test_a_model_without_a_serve_tag_set_names_its_tag_sets():
    result = run_cli("request", CORPUS / "transform_fn")
    assert result.code == 2 and "{transform}" in result.err
    result = run_cli("request", CORPUS / "transform_fn", "--tag-set", "transform", "--signature", "transform_signature")
    assert result.code == 2 and "coo_sparse" in result.err


def test_table_output_escapes_names_and_body_is_ascii(bytes_alias_model):
    result = run_cli("request", bytes_alias_model, "--model-name", "a\x1b[31mb")
    assert result.code == 0, result.err
    assert "\x1b" not in result.out and "/v1/models/a%1B%5B31mb:predict" in result.out


def test_table_output_prints_a_body_and_curl_line_that_can_be_copied():
    result = run_cli("request", fixture("keras_export"), "--model-name", "taxi")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    start = lines.index("body (save as request.json):") + 1
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("curl "))
    body = json.loads("\n".join(lines[start:end]))
    assert body == {"instances": [[0.0, 0.0, 0.0, 0.0]]}
    assert lines[end].endswith("http://localhost:8501/v1/models/taxi:predict")


# -- --validate ----------------------------------------------------------------------------------

def test_the_template_is_valid(tmp_path):
    body = write(tmp_path, request_json(fixture("keras_export"))["body"])
    code, data = validate(fixture("keras_export"), body)
    assert code == 0 and data["valid"] and data["problems"] == []
    assert data["tensors"] == [{"alias": "features", "dtype": "DT_FLOAT", "shape": [1, 4]}]


KERAS_CASES = [
    ({"instances": [[1, 2, 3, 4], [1, "a", 3, 4]]}, "$.instances[1][1]", "dtype"),
    ({"instances": [[1, 2, 3, 4], [1, 2, 3]]}, "$.instances[1]", "row-shape"),
    ({"instances": [[[1, 2], 2, 3, 4]]}, "$.instances[0][1]", "nesting"),
    ({"instances": [[1, [2], 3, 4]]}, "$.instances[0][1]", "nesting"),
    ({"instances": [[1, 2, 3]]}, "$.instances", "shape"),
    ({"instances": [{"features": [1, 2, 3, 4], "extra": [1]}]}, "$.instances[0].extra", "unknown-input"),
    ({"instances": [{"features": [1, 2, 3, 4]}, [1, 2, 3, 4]]}, "$.instances[1]", "mixed-rows"),
    ({"instances": [[16777217, 0, 0, 0]]}, "$.instances[0][0]", "precision"),
    ({"instances": [[True, 0, 0, 0]]}, "$.instances[0][0]", "dtype"),
    ({"instances": []}, "$.instances", "empty"),
    ({"instances": {"features": 1}}, "$.instances", "instances-type"),
    ({"instances": [[0, 0, 0, 0]], "inputs": {}}, "$", "format"),
    ({"rows": []}, "$", "format"),
    ([1, 2], "$", "not-object"),
    ({"signature_name": 3, "instances": [[0, 0, 0, 0]]}, "$.signature_name", "signature-name"),
    ({"signature_name": ["x"], "instances": [[0, 0, 0, 0]]}, "$.signature_name", "signature-name"),
    ({"signature_name": "nope", "instances": [[0, 0, 0, 0]]}, "$.signature_name", "signature"),
    ({"inputs": {"other": [[0, 0, 0, 0]]}}, "$.inputs", "missing-input"),
    ({"inputs": {"features": [[0, 0, 0, {"b64": "AA=="}]]}}, "$.inputs.features[0][3]", "dtype"),
]


@pytest.mark.parametrize(("body", "path", "code"), KERAS_CASES)
def test_each_rule_reports_its_json_path(tmp_path, body, path, code):
    status, data = validate(fixture("keras_export"), write(tmp_path, body))
    assert status == 1 and not data["valid"]
    assert (path, code) in [(p["path"], p["code"]) for p in data["problems"]], data["problems"]


def test_columnar_rules_for_two_inputs(tmp_path):
    model = fixture("fault_b64")
    status, data = validate(model, write(tmp_path, {"inputs": ["a"]}))
    assert status == 1 and data["problems"][0]["code"] == "mixed-rows"
    status, data = validate(model, write(tmp_path, {"instances": ["a", "b"]}))
    assert status == 1 and data["problems"][0]["code"] == "mixed-rows"
    status, data = validate(model, write(tmp_path, {"instances": [{"image": "a"}]}))
    assert ("$.instances[0]", "missing-input") in [(p["path"], p["code"]) for p in data["problems"]]
    # Accepted by the server, so only warnings: an unknown key, and batch sizes that differ.
    status, data = validate(model, write(tmp_path, {"inputs": {"image": ["a", "b"], "payload": ["c"], "x": 1}}))
    assert status == 0, data
    assert sorted(p["code"] for p in data["problems"]) == ["batch-size", "unknown-input"]
    assert all(p["severity"] == "warning" for p in data["problems"])


def test_b64_objects(tmp_path):
    model = fixture("fault_b64")
    ok = {"instances": [{"image": {"b64": base64.b64encode(b"\xff\x00").decode()}, "payload": "x"}]}
    assert validate(model, write(tmp_path, ok))[0] == 0
    bad = {"instances": [{"image": {"b64": "not base64!"}, "payload": "x"}]}
    status, data = validate(model, write(tmp_path, bad))
    assert status == 1 and data["problems"][0]["path"] == "$.instances[0].image.b64"
    extra = {"instances": [{"image": {"b64": "AA==", "x": 1}, "payload": "x"}]}
    status, data = validate(model, write(tmp_path, extra))
    assert status == 1 and data["problems"][0]["code"] == "b64"


def test_integer_ranges(tmp_path):
    model = fixture("fault_table_no_init")  # one DT_INT64 input, ids [-1]
    assert validate(model, write(tmp_path, {"instances": [2**63 - 1]}))[0] == 0
    status, data = validate(model, write(tmp_path, {"instances": [2**63]}))
    assert status == 1 and data["problems"][0]["code"] == "dtype"
    status, data = validate(model, write(tmp_path, {"instances": [1.0]}))
    assert status == 1 and data["problems"][0]["code"] == "dtype"


MNIST = ("seed001", "mnist")


def _mnist_example(**features):
    return {"examples": [features]}


@pytest.mark.parametrize(("body", "code"), [
    (_mnist_example(x=[0.5] * 784), None),
    (_mnist_example(y=[0.5]), "feature-missing"),
    (_mnist_example(x=[1] * 784), "feature-type"),
    (_mnist_example(x=[0.5] * 783), "feature-size"),
    (_mnist_example(x=[0.5, 1]), "feature"),
    (_mnist_example(x=[None]), "feature"),
    ({"examples": []}, "examples"),
    ({"examples": [[0.5]]}, "examples"),
])
def test_examples_against_the_parsed_features(tmp_path, body, code):
    status, data = validate(fixture(*MNIST), write(tmp_path, body))
    codes = [p["code"] for p in data["problems"]]
    assert codes == ([] if code is None else [code]), data["problems"]
    assert status == (0 if code is None else 1)


def test_examples_for_a_signature_that_takes_no_examples(tmp_path):
    status, data = validate(fixture("keras_export"), write(tmp_path, {"examples": [{"a": 1}]}))
    assert status == 1 and data["problems"][0]["code"] == "examples"


def test_vertex_rules(tmp_path):
    big = {"instances": [[0.0, 0.0, 0.0, 0.0]] * 100_000}
    status, data = validate(fixture("keras_export"), write(tmp_path, big), "--target", "vertex")
    assert status == 1 and "vertex-size" in [p["code"] for p in data["problems"]]
    assert validate(fixture("keras_export"), write(tmp_path, big))[0] == 0  # TF Serving has no such limit
    columnar = {"inputs": {"features": [[0.0, 0.0, 0.0, 0.0]]}}
    status, data = validate(fixture("keras_export"), write(tmp_path, columnar), "--target", "vertex")
    assert status == 1 and [p["code"] for p in data["problems"]] == ["vertex-format"]


def test_the_signature_a_body_names_must_be_the_one_asked_about(tmp_path):
    body = write(tmp_path, {"signature_name": "serve", "instances": [[0, 0, 0, 0]]})
    status, data = validate(fixture("keras_export"), body, "--signature", "serving_default")
    assert status == 1 and data["problems"][0]["code"] == "signature"
    assert validate(fixture("keras_export"), body, "--signature", "serve")[0] == 0


@pytest.mark.parametrize("content", ["{\"instances\": [", b"\xff\xfe{}", None])
def test_unreadable_bodies_exit_2(tmp_path, content):
    path = tmp_path / "body.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    result = run_cli("request", fixture("keras_export"), "--validate", path)
    assert result.code == 2 and result.out == ""
    assert result.err.count("\n") == 1 and str(path) in result.err and "Traceback" not in result.err


def test_table_report_names_paths(tmp_path):
    result = run_cli("request", fixture("keras_export"), "--validate", write(tmp_path, {"instances": [["a"]]}))
    assert result.code == 1
    assert "$.instances[0][0]" in result.out and "DT_FLOAT" in result.out


@pytest.fixture(scope="module")
def bytes_alias_model(tmp_path_factory) -> Path:
    return with_bytes_alias(tmp_path_factory.mktemp("bytes"))


def test_the_empty_tag_set_is_a_tag_set(tmp_path, tf):
    """--tag-set "" picks the MetaGraph saved without tags, as every other command does; TensorFlow loads it."""
    from tensorflow.core.protobuf import saved_model_pb2

    folder = copy_fixture(tmp_path, "seed003", "SavedModel")
    proto = saved_model_pb2.SavedModel.FromString((folder / "saved_model.pb").read_bytes())
    del proto.meta_graphs[0].meta_info_def.tags[:]
    (folder / "saved_model.pb").write_bytes(proto.SerializeToString())
    with tf.compat.v1.Session(graph=tf.Graph()) as session:
        tf.compat.v1.saved_model.loader.load(session, [], str(folder))
    assert run_cli("show", folder, "--tag-set", "").code == 0
    result = run_cli("request", folder, "--tag-set", "", "--json")
    assert result.code == 0, result.err
    assert result.json()["tag_set"] == []
    refused = run_cli("request", fixture("seed003", "SavedModel"), "--tag-set", "")
    assert refused.code == 2 and "no MetaGraph has the tag-set {}" in refused.err
