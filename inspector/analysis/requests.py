"""A ready-to-send REST request for a signature: URL path, JSON body, curl line.

The rules come from TF Serving's REST API (``tensorflow_serving/util/json_tensor.cc``
and ``model_servers/http_rest_api_handler.cc``):

* ``POST /v1/models/NAME[/versions/N]:predict|classify|regress``.
* predict, row format: ``{"instances": [...]}``, one entry per batch row; with
  one input an entry is the row's value, with several it is an object with one
  key per input alias.  Every input then needs a leading batch dimension.
* predict, columnar format: ``{"inputs": {alias: value, ...}}``, each value with
  the input's whole shape.
* classify / regress: ``{"examples": [{feature: value or [values], ...}]}``,
  which the server turns into ``tf.Example`` protos.
* A DT_STRING value may be ``{"b64": "..."}``, which the server base64-decodes.

Vertex AI (an assumption from its public documentation, not from its code):
only ``{"instances": [...]}`` on ``:predict``, a body of at most 1.5 MB, and
binary data as ``{"b64": ...}`` under aliases that end in ``_bytes``.
"""

from __future__ import annotations

import base64
import json
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from .. import protos
from ..errors import SelectionError
from ..load.versions import parse_version
from ..model.artifact import Artifact, ArtifactKind
from ..model.graph import parse_tensor_name
from ..model.graphwalk import PASS_THROUGH_OPS
from ..model.metagraph import MetaGraph, Signature, SignatureTensor
from ..tensors.shapes import Shape, shape_from_proto
from .examples import ExampleFeature, ExampleParser, example_inputs, features_of

DEFAULT_SIGNATURE = "serving_default"
SERVING_TAGS = "serve"
BYTES_SUFFIX = "_bytes"
VERTEX_LIMIT = 1_500_000  # bytes; "1.5 MB" in Vertex AI's quotas page, read as decimal megabytes
TF_SERVING_HOST = "http://localhost:8501"
VERTEX_URL = ("https://REGION-aiplatform.googleapis.com/v1/projects/PROJECT/locations/REGION/"
              "endpoints/ENDPOINT_ID:predict")
# What json_tensor.cc converts a JSON value into, per dtype.
JSON_KINDS = {
    "DT_FLOAT": "number", "DT_DOUBLE": "number",
    "DT_INT8": "integer", "DT_INT16": "integer", "DT_INT32": "integer", "DT_UINT8": "integer",
    "DT_INT64": "integer", "DT_UINT32": "integer", "DT_UINT64": "integer",
    "DT_BOOL": "boolean", "DT_STRING": "string",
}
METHODS = {"tensorflow/serving/classify": "classify", "tensorflow/serving/regress": "regress"}


class RequestError(SelectionError):
    """The signature cannot be called through the REST API as asked."""


@dataclass(frozen=True)
class RequestInput:
    alias: str
    tensor_name: str | None
    dtype: str
    shape: Shape  # as the signature declares it
    value_shape: list[int]  # the shape of the value written in the body
    value: str  # number | integer | boolean | string | b64 | tf.Example


@dataclass
class RequestTemplate:
    signature_key: str
    tag_set: list[str]
    method: str  # predict | classify | regress
    format: str  # row | columnar | examples
    target: str  # tf-serving | vertex
    model_name: str
    version: int | None
    url_path: str
    url: str
    body: dict
    curl: str
    inputs: list[RequestInput]
    features: list[ExampleFeature] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def serving_meta_graph(artifact: Artifact, tag_set: str | None) -> MetaGraph:
    """The MetaGraph a model server loads: the tag-set asked for, else ``serve``."""
    if artifact.kind is not ArtifactKind.SAVED_MODEL:
        if artifact.exports:
            raise SelectionError(artifact.path, f"is a training model_dir ({artifact.kind.label}), and model "
                                 f"servers load SavedModels; its newest export is {artifact.exports[-1]}",
                                 f"pass that export, or {artifact.exports[-1].parent} (the version tree)")
        raise SelectionError(artifact.path, f"is a {artifact.kind.label}, and model servers load SavedModels",
                             "export a SavedModel (tf.saved_model.save) and pass its directory")
    return artifact.select(SERVING_TAGS if tag_set is None else tag_set)[0]  # "" is the empty tag-set


def serving_signature(artifact: Artifact, meta: MetaGraph, key: str | None) -> Signature:
    wanted = key or DEFAULT_SIGNATURE
    signature = meta.signatures.get(wanted)
    if signature is None:
        keys = ", ".join(k for k in meta.signatures if k not in ("__saved_model_init_op",)) or "none"
        raise SelectionError(artifact.path, f"no signature with the key {wanted!r}",
                             f"choose one with --signature: {keys}")
    return signature


def model_name(artifact: Artifact, given: str | None) -> str:
    """The name the server knows the model by: given, else the folder above the version folders."""
    if given:
        return given
    root = Path(artifact.root)
    if artifact.version is not None or parse_version(root.name) is not None:
        root = root.parent
    return root.name or "model"


def url_path(name: str, version: int | None, method: str) -> str:
    path = f"/v1/models/{quote(name, safe='')}"
    if version is not None:
        path += f"/versions/{version}"
    return f"{path}:{method}"


def build_request(artifact: Artifact, meta: MetaGraph, signature: Signature, *, fmt: str | None = None,
                  target: str = "tf-serving", name: str | None = None, version: int | None = None) -> RequestTemplate:
    """A body with one batch row (zeros, empty strings, false) that the server accepts."""
    method = METHODS.get(signature.method_name, "predict")
    notes: list[str] = []
    _refuse_unsendable(artifact, signature)
    if method != "predict" and not takes_examples(signature):
        notes.append(f"TF Serving's {method} API needs one DT_STRING input named inputs (serialized "
                     f"tf.Example protos); this signature has none, so it is called with :predict")
        method = "predict"
    if target == "vertex" and method != "predict":
        notes.append(f"Vertex AI only predicts: the {method} signature is called with instances of "
                     f"serialized tf.Example protos instead of examples")
        method = "predict"
    if target == "vertex" and signature.key != DEFAULT_SIGNATURE:
        notes.append(f"Vertex AI runs the {DEFAULT_SIGNATURE} signature; export {signature.key} as "
                     f"{DEFAULT_SIGNATURE} to serve it there")
    parsers = example_inputs(meta, signature)
    features = [f for found in parsers.values() for f in features_of(found)]
    inputs = [_plan_input(meta, t, parsers.get(t.alias, [])) for t in signature.inputs]
    if method in ("classify", "regress"):
        body: dict = {"examples": [_example_json(features)]}
        chosen = "examples"
    else:
        chosen = _choose_format(artifact, signature, inputs, fmt, target)
        body = _predict_body(inputs, chosen, features)
    if target == "tf-serving" and signature.key != DEFAULT_SIGNATURE:
        body = {"signature_name": signature.key, **body}
    notes += _notes(inputs, features, target)
    name = model_name(artifact, name)
    path = url_path(name, version, method)
    url = VERTEX_URL if target == "vertex" else TF_SERVING_HOST + path
    return RequestTemplate(signature.key, list(meta.tags), method, chosen, target, name, version, path, url,
                           body, _curl(url, target), inputs, features, notes)


def takes_examples(signature: Signature) -> bool:
    """Whether TF Serving's classify/regress APIs can feed this signature: one DT_STRING ``inputs``."""
    return [(t.alias, t.dtype) for t in signature.inputs] == [("inputs", "DT_STRING")]


def _refuse_unsendable(artifact: Artifact, signature: Signature) -> None:
    if not signature.inputs:
        raise RequestError(artifact.path, f"signature {signature.key} has no inputs",
                           "a REST request needs at least one input (TF Serving: Failed to get input map)")
    for tensor in signature.inputs:
        if tensor.encoding != "name":
            raise RequestError(artifact.path, f"signature {signature.key} input {tensor.alias} is a "
                               f"{tensor.encoding} tensor, which the REST API cannot feed",
                               "export the signature with dense inputs")
        if tensor.dtype not in JSON_KINDS:
            raise RequestError(artifact.path, f"signature {signature.key} input {tensor.alias} is "
                               f"{tensor.dtype}, which TF Serving's JSON conversion does not accept",
                               "take DT_FLOAT (or another JSON dtype) and cast inside the model")


def _plan_input(meta: MetaGraph, tensor: SignatureTensor, parsers: list[ExampleParser]) -> RequestInput:
    shape = tensor.shape if tensor.shape is not None else _graph_shape(meta, tensor)
    value_shape = [1 if d < 0 else d for d in shape] if shape is not None else [1]
    if tensor.dtype != "DT_STRING":
        value = JSON_KINDS[tensor.dtype]
    elif parsers:
        value = "tf.Example"
    else:
        value = "b64" if tensor.alias.endswith(BYTES_SUFFIX) else "string"
    return RequestInput(tensor.alias, tensor.name, tensor.dtype, tensor.shape, value_shape, value)


def _graph_shape(meta: MetaGraph, tensor: SignatureTensor) -> Shape:
    """For a TensorInfo without a shape: the Placeholder's shape, or a parsed dense feature's."""
    node_name, index = parse_tensor_name(tensor.name or "")
    for _ in range(16):
        node = meta.graph.node(node_name)
        if node is None:
            return None
        if node.op in PASS_THROUGH_OPS:
            inputs = [r for r in meta.graph.inputs(node_name) if not r.control]
            if not inputs:
                return None
            node_name, index = inputs[0].node, inputs[0].index
            continue
        if node.op.startswith("Placeholder") and "shape" in node.attr:
            return shape_from_proto(node.attr["shape"].shape)
        if node.op == "ParseExampleV2" and "dense_shapes" in node.attr:
            first_dense = 3 * node.attr["num_sparse"].i
            dense = index - first_dense
            shapes = node.attr["dense_shapes"].list.shape
            return [-1] + shape_from_proto(shapes[dense]) if 0 <= dense < len(shapes) else None
        return None
    return None


def _choose_format(artifact: Artifact, signature: Signature, inputs: list[RequestInput], fmt: str | None,
                   target: str) -> str:
    batched = all(t.shape is None or (t.shape and t.shape[0] == -1) for t in inputs)
    if fmt is None:
        fmt = "row" if batched or target == "vertex" else "columnar"
    if fmt == "columnar" and target == "vertex":
        raise RequestError(artifact.path, "Vertex AI takes only the row format ({\"instances\": [...]})",
                           "drop --format columnar")
    if fmt == "row" and not batched:
        fixed = next(t for t in inputs if not (t.shape is None or (t.shape and t.shape[0] == -1)))
        raise RequestError(artifact.path, f"signature {signature.key} input {fixed.alias} has no leading batch "
                           "dimension of unknown size, so it cannot be sent in the row format",
                           "use --format columnar (TF Serving), or export with a None first dimension")
    return fmt


def _predict_body(inputs: list[RequestInput], fmt: str, features: list[ExampleFeature]) -> dict:
    if fmt == "columnar":
        return {"inputs": {t.alias: _filled(t.value_shape, _leaf(t, features)) for t in inputs}}
    rows = {t.alias: _filled(t.value_shape[1:], _leaf(t, features)) for t in inputs}
    if len(inputs) == 1:
        return {"instances": [rows[inputs[0].alias]]}
    return {"instances": [rows]}


def _filled(shape: list[int], leaf):
    if not shape:
        return leaf
    return [_filled(shape[1:], leaf) for _ in range(shape[0])]


def _leaf(tensor: RequestInput, features: list[ExampleFeature]):
    if tensor.value == "tf.Example":
        return {"b64": base64.b64encode(example_proto(features).SerializeToString(deterministic=True)).decode()}
    return {"number": 0.0, "integer": 0, "boolean": False, "string": "", "b64": {"b64": ""}}[tensor.value]


def _feature_values(feature: ExampleFeature) -> list:
    count = 1
    for d in feature.shape or []:
        count *= max(d, 1)
    zero = {"DT_FLOAT": 0.0, "DT_INT64": 0}.get(feature.dtype or "", "")
    return [zero] * count


def example_proto(features: list[ExampleFeature]) -> protos.Example:
    """A tf.Example with every parsed feature, each of the right type and size, all zero or empty."""
    example = protos.Example()
    for feature in features:
        if not feature.known:
            continue
        values = _feature_values(feature)
        slot = example.features.feature[feature.key]
        if feature.dtype == "DT_FLOAT":
            slot.float_list.value.extend(values)
        elif feature.dtype == "DT_INT64":
            slot.int64_list.value.extend(values)
        else:
            slot.bytes_list.value.extend(v.encode() for v in values)
    return example


def _example_json(features: list[ExampleFeature]) -> dict:
    return {f.key: _feature_values(f) for f in features if f.known}


def _notes(inputs: list[RequestInput], features: list[ExampleFeature], target: str) -> list[str]:
    notes = []
    for t in inputs:
        if t.shape is None:
            notes.append(f"input {t.alias} has no shape in the signature; the body uses "
                         f"{t.value_shape} (from the graph, or one value per row)")
        if target == "vertex" and t.value == "tf.Example" and not t.alias.endswith(BYTES_SUFFIX):
            notes.append(f"input {t.alias} takes binary data but its alias does not end in {BYTES_SUFFIX}: "
                         "Vertex AI may pass the base64 text through undecoded (see check TFI404)")
    unknown = [f.key for f in features if not f.known]
    if unknown:
        notes.append("features whose names the graph computes are left out: " + ", ".join(unknown))
    return notes


def _curl(url: str, target: str) -> str:
    auth = ' -H "Authorization: Bearer $(gcloud auth print-access-token)"' if target == "vertex" else ""
    return f"curl -X POST{auth} -H 'Content-Type: application/json' -d @request.json {shlex.quote(url)}"


def body_size(body: dict) -> int:
    return len(json.dumps(body, separators=(",", ":")).encode())

