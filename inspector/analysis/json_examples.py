"""Check the ``examples`` of a classify/regress body as TF Serving makes tf.Example protos of them.

From ``json_tensor.cc`` (semantics only): ``examples`` is a non-empty list of
objects (and ``context`` one object) mapping a feature name to a value or a list
of values.  Integers and booleans make an int64 list, decimals a float list,
strings and ``{"b64": ...}`` a bytes list; null, nested lists and other objects
are refused, and one feature holds one kind.  Then, as the model's parser will:
a dense feature without a default must be present, of the parsed type and with
as many values as its shape holds.
"""

from __future__ import annotations

from .. import protos
from ..model.metagraph import Signature
from ..tensors.shapes import format_shape, num_elements
from .examples import ExampleFeature
from .json_values import (
    INT64,
    UINT64,
    Checked,
    Problem,
    Tensor,
    child,
    decode_b64,
    is_b64,
    json_kind,
    lossless,
)
from .requests import takes_examples

_FEATURE_KIND = {"DT_FLOAT": "float", "DT_INT64": "int64", "DT_STRING": "bytes"}


def check_examples(body: dict, signature: Signature, features: list[ExampleFeature], result: Checked) -> None:
    if not takes_examples(signature):
        result.problems.append(Problem("$.examples", "examples", f"signature {signature.key} does not take "
                                       "tf.Example protos (TF Serving's classify/regress need one DT_STRING "
                                       "input named inputs); send 'instances' or 'inputs' to :predict"))
        return
    context: dict = {}
    if "context" in body:
        context = _example(body["context"], "$.context", result) or {}
    examples = body["examples"]
    if not isinstance(examples, list) or not examples:
        result.problems.append(Problem("$.examples", "examples", "'examples' must be a non-empty list"))
        return
    for i, item in enumerate(examples):
        parsed = _example(item, child("$.examples", i), result)
        if parsed is not None:
            merged = {**context, **parsed}
            result.examples.append(merged)
            _against_parser(merged, features, child("$.examples", i), result)


def _example(value, path: str, result: Checked) -> dict | None:
    if not isinstance(value, dict):
        result.problems.append(Problem(path, "examples", f"an example must be a JSON object, not a {json_kind(value)}"))
        return None
    parsed = {}
    for name, content in value.items():
        where = child(path, name)
        kinds, values = set(), []
        for j, item in enumerate(content if isinstance(content, list) else [content]):
            item_path = child(where, j) if isinstance(content, list) else where
            kind, converted, problem = _feature_value(item, item_path)
            if problem:
                result.problems.append(problem)
                parsed[name] = ("invalid", [])
                break
            kinds.add(kind)
            values.append(converted)
            if len(kinds) > 1:
                result.problems.append(Problem(item_path, "feature", f"feature {name!r} mixes {' and '.join(sorted(kinds))} "
                                               "values; a feature holds one kind"))
                parsed[name] = ("invalid", [])
                break
        else:
            parsed[name] = (kinds.pop() if kinds else None, values)
    return parsed


def _feature_value(item, path: str):
    if isinstance(item, bool):
        return "int64", int(item), None
    if is_b64(item):
        return _decoded(item, path)
    if isinstance(item, str):
        return "bytes", item.encode(), None
    if isinstance(item, float) or (isinstance(item, int) and item > UINT64[1]):
        if not lossless(float(item), "DT_FLOAT"):
            return None, None, Problem(path, "precision", f"{item!r} does not fit in a float feature")
        return "float", float(item), None
    if isinstance(item, int):
        if item > INT64[1]:
            return None, None, Problem(path, "feature", "an integer above int64's range (tf.Example holds int64)")
        return "int64", item, None
    return None, None, Problem(path, "feature", f"a JSON {json_kind(item)} cannot be a feature value")


def _decoded(item: dict, path: str):
    out: list = []
    problem = decode_b64(item, path, out)
    return ("bytes", out[0], None) if not problem else (None, None, problem)


def _against_parser(example: dict, features: list[ExampleFeature], path: str, result: Checked) -> None:
    for feature in features:
        if not feature.known:
            continue
        where = child(path, feature.key)
        want = _FEATURE_KIND.get(feature.dtype or "")
        kind, values = example.get(feature.key, (None, []))
        if kind == "invalid":
            continue
        if not values:
            if feature.kind == "dense" and not feature.has_default:
                result.problems.append(Problem(path, "feature-missing", f"the model requires the feature "
                                               f"{feature.key!r} ({want} list) and the example lacks it"))
            continue
        if want and kind != want:
            result.problems.append(Problem(where, "feature-type", f"feature {feature.key!r} holds {kind} values; "
                                           f"the model parses it as {feature.dtype} ({want} list)"))
            continue
        count = num_elements(feature.shape) if feature.kind == "dense" else None
        if count is not None and len(values) != count:
            result.problems.append(Problem(where, "feature-size", f"feature {feature.key!r} has {len(values)} "
                                           f"values; the model parses {count} (shape {format_shape(feature.shape)})"))



def check_serialized(tensor: Tensor, features: list[ExampleFeature], paths: list[str], result: Checked) -> None:
    """Serialized tf.Example protos a predict body sends to an input the graph parses."""
    for i, value in enumerate(tensor.values):
        path = paths[i] if i < len(paths) else child("$", tensor.alias)
        try:
            example = protos.Example.FromString(value)
        except Exception:  # noqa: BLE001 - protobuf raises DecodeError and others for garbage
            result.problems.append(Problem(path, "example-proto", f"input {tensor.alias} is parsed as a serialized "
                                           "tf.Example, and this value is not one"))
            continue
        found = {}
        for name, feature in example.features.feature.items():
            kind = feature.WhichOneof("kind")
            values = list(getattr(feature, kind).value) if kind else []
            found[name] = (kind.removesuffix("_list") if kind else None, values)
        _against_parser(found, features, path, result)
