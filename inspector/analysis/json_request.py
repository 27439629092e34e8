"""Check a REST request body the way TF Serving turns it into tensors, and convert it.

The rules follow TF Serving's ``tensorflow_serving/util/json_tensor.cc`` (read
for its semantics; none of its code is copied):

* The body is a JSON object.  ``signature_name``, when present, is a string and
  picks the signature.  A predict body has exactly one of ``instances`` (row
  format) and ``inputs`` (columnar); a classify/regress body has ``examples``.
* Row format: ``instances`` is a non-empty list.  Its first entry decides: an
  object (other than ``{"b64": ...}``) means every entry is an object whose keys
  are exactly the signature's input aliases; anything else means every entry is
  a value of the only input (a signature with several inputs must use objects).
  Each input's value must have the same shape in every entry; the entries are
  stacked along a new first (batch) dimension, so every input gets the same
  batch size.
* Columnar: ``inputs`` is an object with one key per input alias (extra keys are
  ignored by the server), or, for a single input, the value itself.
* A value's shape is read along its first elements ([[1, 2], [3, 4]] is 2x2);
  every list at one level must have that length and every leaf must sit at the
  innermost level.
* Leaves per dtype: DT_FLOAT/DT_DOUBLE take numbers that fit without loss
  (integers up to 2^24-1 / 2^53-1); DT_INT8/16/32 and DT_UINT8 take integers
  that fit in int32; DT_INT64, DT_UINT32, DT_UINT64 integers in their range;
  DT_BOOL true/false; DT_STRING strings or ``{"b64": "..."}`` objects holding
  valid base64.  Any other dtype cannot be converted.
* ``examples``: see ``json_examples``.

Beyond the server's conversion this also checks what the model will refuse when
it runs: a tensor whose rank or fixed dimensions differ from the signature's
TensorInfo, and tf.Example features missing or of the wrong type or size for the
graph's parser.  Warnings are things the server accepts that are likely wrong.
"""

from __future__ import annotations

from ..model.metagraph import Signature
from ..tensors.shapes import format_shape
from . import json_examples
from .examples import ExampleFeature
from .json_values import Checked, Problem, Tensor, child, convert, is_b64, json_kind
from .requests import VERTEX_LIMIT, body_size, takes_examples


def check_body(body, signatures: dict[str, Signature], default_key: str, *, target: str = "tf-serving",
               features: dict[str, dict[str, list[ExampleFeature]]] | None = None,
               size: int | None = None) -> Checked:
    """Every problem of ``body`` (parsed JSON) for these signatures; ``default_key`` when it names none.

    ``features``: per signature key and input alias, the tf.Example features the
    graph parses from that input; the serialized examples a body sends there are
    checked against them.  ``size`` is the body's length in bytes as sent
    (default: its compact JSON).
    """
    result = Checked(None, None, [], {})
    if not isinstance(body, dict):
        result.problems.append(Problem("$", "not-object", f"the body is a JSON {json_kind(body)}, not an object"))
        return result
    key = default_key
    if "signature_name" in body:
        if not isinstance(body["signature_name"], str):
            result.problems.append(Problem("$.signature_name", "signature-name", "signature_name must be a string"))
            return result
        key = body["signature_name"]
    signature = signatures.get(key)
    if signature is None:
        result.problems.append(Problem("$.signature_name" if "signature_name" in body else "$", "signature",
                                       f"the model has no signature {key!r}"))
        return result
    result.signature_key = key
    parsed = (features or {}).get(key, {})
    if target == "vertex":
        _vertex(body, size, result)
    if "examples" in body and "instances" not in body and "inputs" not in body:
        result.format = "examples"
        json_examples.check_examples(body, signature, parsed.get("inputs", []), result)
        return result
    has_rows, has_columns = "instances" in body, "inputs" in body
    if has_rows and has_columns:
        result.problems.append(Problem("$", "format", "the body has both 'instances' and 'inputs'; use one"))
        return result
    if not has_rows and not has_columns:
        result.problems.append(Problem("$", "format", "the body has no 'instances' (row format) or 'inputs' "
                                       "(columnar) key" + (" or 'examples'" if takes_examples(signature) else "")))
        return result
    inputs = {t.alias: t for t in signature.inputs}
    if not inputs:
        result.problems.append(Problem("$", "signature", f"signature {key} has no inputs to feed"))
        return result
    if has_rows:
        result.format = "row"
        _rows(body["instances"], inputs, result)
    else:
        result.format = "columnar"
        _columns(body["inputs"], inputs, result)
    if not result.errors:
        _against_signature(inputs, result)
    if not result.errors:
        for alias, wanted in parsed.items():
            if alias in result.tensors and wanted:
                json_examples.check_serialized(result.tensors[alias], wanted, _value_paths(body, result, alias), result)
    if result.errors:
        result.tensors = {}  # half-converted tensors would mislead
    return result


def _value_paths(body: dict, result: Checked, alias: str) -> list[str]:
    """The JSON path of each value of a rank-1 input, in the order of the tensor's values."""
    tensor = result.tensors[alias]
    count = tensor.shape[0] if len(tensor.shape) == 1 else 0
    if result.format == "row":
        rows = body["instances"]
        return [child(child("$.instances", i), alias) if _is_row_object(rows[i]) else child("$.instances", i)
                for i in range(count)]
    value = body["inputs"]
    base = child("$.inputs", alias) if isinstance(value, dict) and not is_b64(value) else "$.inputs"
    return [child(base, i) for i in range(count)]


def _vertex(body: dict, size: int | None, result: Checked) -> None:
    size = body_size(body) if size is None else size
    if size > VERTEX_LIMIT:
        result.problems.append(Problem("$", "vertex-size", f"the body is {size} bytes; Vertex AI takes at most "
                                       f"{VERTEX_LIMIT} bytes (1.5 MB) per online prediction request"))
    for other in ("inputs", "examples"):
        if other in body:
            result.problems.append(Problem(f"$.{other}", "vertex-format",
                                           f"Vertex AI takes only 'instances', not '{other}'"))


# -- predict: rows and columns ---------------------------------------------------------

def _rows(rows, inputs: dict, result: Checked) -> None:
    path = "$.instances"
    if not isinstance(rows, list):
        result.problems.append(Problem(path, "instances-type", f"'instances' must be a list, not a {json_kind(rows)}"))
        return
    if not rows:
        result.problems.append(Problem(path, "empty", "'instances' is empty"))
        return
    objects = _is_row_object(rows[0])
    if not objects and len(inputs) > 1:
        result.problems.append(Problem(child(path, 0), "mixed-rows", "instances are plain values, but the "
                                       f"signature has {len(inputs)} inputs: each instance must be an object "
                                       f"with the keys {', '.join(sorted(inputs))}"))
        return
    first: dict[str, list[int]] = {}
    collected: dict[str, list] = {alias: [] for alias in inputs}
    only = next(iter(inputs))
    for i, row in enumerate(rows):
        where = child(path, i)
        if objects != _is_row_object(row):
            what = "an object" if objects else "a value or list"
            result.problems.append(Problem(where, "mixed-rows", f"expected {what} like instance 0, got a {json_kind(row)}"))
            continue
        items = row.items() if objects else [(only, row)]
        for alias, value in items:
            item_path = child(where, alias) if objects else where
            if alias not in inputs:
                result.problems.append(Problem(item_path, "unknown-input", f"signature has no input {alias!r}"))
                continue
            shape, values, problem = convert(value, inputs[alias].dtype, item_path)
            if problem:
                result.problems.append(problem)
                continue
            if alias in first and first[alias] != shape:
                result.problems.append(Problem(item_path, "row-shape", f"{alias} has shape {format_shape(shape)} "
                                               f"here but {format_shape(first[alias])} in the first instance"))
                continue
            first.setdefault(alias, shape)
            collected[alias].extend(values)
        if objects:
            missing = sorted(set(inputs) - set(row))
            if missing:
                result.problems.append(Problem(where, "missing-input", f"instance lacks input(s) {', '.join(missing)}; "
                                               "every instance needs every input"))
    for alias, shape in first.items():
        result.tensors[alias] = Tensor(alias, inputs[alias].dtype, [len(rows), *shape], collected[alias])


def _is_row_object(value) -> bool:
    return isinstance(value, dict) and not is_b64(value)


def _columns(value, inputs: dict, result: Checked) -> None:
    path = "$.inputs"
    if not isinstance(value, dict) or is_b64(value):
        if len(inputs) > 1:
            result.problems.append(Problem(path, "mixed-rows", f"'inputs' is a plain value, but the signature has "
                                           f"{len(inputs)} inputs: make it an object with the keys "
                                           f"{', '.join(sorted(inputs))}"))
            return
        value = {next(iter(inputs)): value}
        paths = {next(iter(inputs)): path}
    else:
        paths = {alias: child(path, alias) for alias in value}
        for alias in value:
            if alias not in inputs:
                result.problems.append(Problem(paths[alias], "unknown-input", f"signature has no input {alias!r}; "
                                               "TF Serving ignores it", "warning"))
    for alias, tensor in inputs.items():
        if alias not in value:
            result.problems.append(Problem(path, "missing-input", f"'inputs' lacks the input {alias!r}"))
            continue
        shape, values, problem = convert(value[alias], tensor.dtype, paths[alias])
        if problem:
            result.problems.append(problem)
        else:
            result.tensors[alias] = Tensor(alias, tensor.dtype, shape, values)
    batches = {alias: t.shape[0] for alias, t in result.tensors.items() if t.shape}
    if len(set(batches.values())) > 1:
        sizes = ", ".join(f"{alias} {n}" for alias, n in sorted(batches.items()))
        result.problems.append(Problem(path, "batch-size", f"the inputs' first dimensions differ ({sizes}); the server "
                                       "accepts this, but a model that combines rows across inputs fails", "warning"))


def _against_signature(inputs: dict, result: Checked) -> None:
    for alias, tensor in result.tensors.items():
        declared = inputs[alias].shape
        if declared is None:
            continue
        where = "$.instances" if result.format == "row" else child("$.inputs", alias)
        if len(declared) != len(tensor.shape) or any(d >= 0 and d != g for d, g in zip(declared, tensor.shape)):
            result.problems.append(Problem(where, "shape", f"input {alias} gets shape {format_shape(tensor.shape)}, "
                                           f"but the signature declares {format_shape(declared)}"))


# -- values -------------------------------------------------------------------------------

