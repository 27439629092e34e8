"""`tfinspect metadata` against the response TF Serving builds, made here from TensorFlow's own reading.

How the expected response is built (the GetModelMetadataResponse proto is not
in the TensorFlow wheel): a child process reads each SavedModel with
TensorFlow's parser (``loader_impl.parse_saved_model``), takes the MetaGraph
tagged ``serve`` as TF Serving's loader does, and copies every SignatureDef into
a ``SignatureDefMap`` message, declared here with the same field as TF Serving's
``get_model_metadata.proto`` (``map<string, SignatureDef> signature_def = 1``).
It prints that message with protobuf's JSON printer and the options of TF
Serving's ``ToJsonString`` (proto field names, fields at their default value
included), and builds ``model_spec`` as that function prints it.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conformance.artifacts import require_corpus, saved_models
from conftest import ROOT, fixture, run_cli

CHILD = r'''
import json, os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
from tensorflow.python.saved_model import loader_impl
from tensorflow.core.protobuf import meta_graph_pb2
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory

file = descriptor_pb2.FileDescriptorProto(name="test_signature_def_map.proto", package="test.serving",
                                          syntax="proto3", dependency=[meta_graph_pb2.DESCRIPTOR.name])
message = file.message_type.add(name="SignatureDefMap")
entry = message.nested_type.add(name="SignatureDefEntry")
entry.options.map_entry = True
entry.field.add(name="key", number=1, type=9, label=1)
entry.field.add(name="value", number=2, type=11, label=1, type_name=".tensorflow.SignatureDef")
message.field.add(name="signature_def", number=1, type=11, label=3,
                  type_name=".test.serving.SignatureDefMap.SignatureDefEntry")
descriptor_pool.Default().Add(file)
SignatureDefMap = message_factory.GetMessageClass(
    descriptor_pool.Default().FindMessageTypeByName("test.serving.SignatureDefMap"))

options = dict(always_print_fields_with_no_presence=True, preserving_proto_field_name=True)
answers = {}
for path, name, version in json.loads(sys.argv[1]):
    saved = loader_impl.parse_saved_model(path)
    metas = [m for m in saved.meta_graphs if set(m.meta_info_def.tags) == {"serve"}]
    if not metas:
        answers[path] = None
        continue
    signature_map = SignatureDefMap()
    for key, signature in metas[0].signature_def.items():
        signature_map.signature_def[key].CopyFrom(signature)
    answers[path] = {
        "model_spec": {"name": name, "signature_name": "", "version": str(version)},
        "metadata": {"signature_def": json_format.MessageToDict(signature_map, **options)},
    }
print(json.dumps(answers))
'''


@pytest.fixture(scope="module")
def expected():
    require_corpus()
    models = [(str(a.path), f"m{i}", 10 + i) for i, a in enumerate(saved_models())]
    proc = subprocess.run([sys.executable, "-c", CHILD, json.dumps(models)], capture_output=True, text=True,
                          cwd=ROOT, timeout=600, check=True)
    return models, json.loads(proc.stdout)


def test_metadata_equals_what_tf_serving_returns_field_by_field(expected):
    models, answers = expected
    compared = 0
    for path, name, version in models:
        result = run_cli("metadata", path, "--model-name", name, "--version", str(version), "--json")
        if answers[path] is None:  # no serve tag-set: TF Serving cannot load it
            assert result.code == 2 and "{serve}" in result.err and result.out == ""
            continue
        assert result.code == 0, result.err
        data = result.json()
        assert data["schema_version"] == 1 and data["url_path"] == f"/v1/models/{name}/versions/{version}/metadata"
        got, want = data["response"], answers[path]
        assert got["model_spec"] == want["model_spec"]
        got_map = got["metadata"]["signature_def"]["signature_def"]
        want_map = want["metadata"]["signature_def"]["signature_def"]
        assert sorted(got_map) == sorted(want_map), path
        for key in want_map:
            for part in ("inputs", "outputs", "method_name", "defaults"):
                assert got_map[key][part] == want_map[key][part], (path, key, part)
        assert got == want
        compared += 1
    assert compared >= 18


def test_default_valued_fields_are_printed():
    result = run_cli("metadata", fixture("tf2_module"), "--model-name", "m")
    assert result.code == 0, result.err
    assert "version 1 is assumed" in result.err  # tf2_module is no numbered version folder
    data = json.loads(result.out)
    assert data["model_spec"] == {"name": "m", "signature_name": "", "version": "1"}
    signatures = data["metadata"]["signature_def"]["signature_def"]
    assert "__saved_model_init_op" in signatures
    threshold = signatures["classify"]["inputs"]["threshold"]
    assert threshold["tensor_shape"] == {"dim": [], "unknown_rank": False}
    assert signatures["classify"]["defaults"] == {}
    assert signatures["serving_default"]["inputs"]["x"]["tensor_shape"]["dim"][0] == {"size": "-1", "name": ""}


def test_version_tree_reports_its_newest_version_and_name():
    result = run_cli("metadata", fixture("seed001", "mnist"))
    assert result.code == 0, result.err
    assert json.loads(result.out)["model_spec"] == {"name": "mnist", "signature_name": "", "version": "2"}
