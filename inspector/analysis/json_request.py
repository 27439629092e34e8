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

import base64
import binascii
import math
import re
from dataclasses import dataclass, field

from ..model.metagraph import Signature
from ..tensors.shapes import format_shape
from .examples import ExampleFeature
from .requests import JSON_KINDS, VERTEX_LIMIT, body_size, takes_examples

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
UINT32 = (0, 2**32 - 1)
UINT64 = (0, 2**64 - 1)
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Problem:
    path: str  # JSON path into the body, e.g. $.instances[0].x[1]
    code: str  # stable short name of the rule
    message: str
    severity: str = "error"  # error: the server or the model refuses it; warning: accepted, likely wrong


@dataclass
class Tensor:
    """A tensor as the server builds it from JSON: dtype, shape and values in row-major order."""

    alias: str
    dtype: str
    shape: list[int]
    values: list = field(default_factory=list)  # bytes for DT_STRING


@dataclass
class Checked:
    format: str | None  # row | columnar | examples | None when the body is not recognised
    signature_key: str | None
    problems: list[Problem]
    tensors: dict[str, Tensor]
    examples: list[dict] = field(default_factory=list)  # feature name -> (kind, values), context merged

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def child(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if _IDENT.match(key) else f"{path}[{_quote(key)}]"


def _quote(key: str) -> str:
    import json

    return json.dumps(key)


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
        from .json_examples import check_examples

        check_examples(body, signature, parsed.get("inputs", []), result)
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
        from .json_examples import check_serialized

        for alias, wanted in parsed.items():
            if alias in result.tensors and wanted:
                check_serialized(result.tensors[alias], wanted, _value_paths(body, result, alias), result)
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
            shape, values, problem = _convert(value, inputs[alias].dtype, item_path)
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
        shape, values, problem = _convert(value[alias], tensor.dtype, paths[alias])
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

def _shape_of(value) -> list[int]:
    """The shape read along first elements, as the server reads it."""
    shape = []
    while isinstance(value, list):
        shape.append(len(value))
        if not value:
            break
        value = value[0]
    return shape


def _convert(value, dtype: str, path: str) -> tuple[list[int], list, Problem | None]:
    if dtype not in JSON_KINDS:
        return [], [], Problem(path, "unsupported-dtype", f"TF Serving cannot convert JSON to {dtype}")
    shape = _shape_of(value)
    values: list = []
    problem = _fill(value, 0, shape, dtype, path, values)
    return shape, values, problem


def _fill(value, level: int, shape: list[int], dtype: str, path: str, out: list) -> Problem | None:
    if not isinstance(value, list):
        if level != len(shape):
            return Problem(path, "nesting", f"a value at nesting level {level}, but this input's values sit at "
                           f"level {len(shape)} (shape {format_shape(shape)} read from the first elements)")
        return _leaf(value, dtype, path, out)
    if level >= len(shape):
        return Problem(path, "nesting", f"a list at nesting level {level}, deeper than the shape "
                       f"{format_shape(shape)} read from the first elements")
    if len(value) != shape[level]:
        return Problem(path, "nesting", f"a list of {len(value)} items where the first elements give "
                       f"{shape[level]} (ragged lists cannot make a tensor)")
    for i, item in enumerate(value):
        problem = _fill(item, level + 1, shape, dtype, child(path, i), out)
        if problem:
            return problem
    return None


def _leaf(value, dtype: str, path: str, out: list) -> Problem | None:
    if isinstance(value, dict):
        if dtype != "DT_STRING":
            return _type_problem(value, dtype, path)
        return decode_b64(value, path, out)
    kind = JSON_KINDS[dtype]
    if kind == "boolean":
        ok = isinstance(value, bool)
    elif kind == "string":
        ok = isinstance(value, str)
        value = value.encode() if ok else value
    elif kind == "number":
        ok = _is_number(value)
        if ok and not lossless(value, dtype):
            return Problem(path, "precision", f"{value!r} does not fit in {dtype} without loss of precision")
    else:
        ok = _is_integer(value) and _fits(value, dtype)
    if not ok:
        return _type_problem(value, dtype, path)
    out.append(value)
    return None


def _type_problem(value, dtype: str, path: str) -> Problem:
    want = {"number": "a number", "integer": "an integer", "boolean": "true or false",
            "string": 'a string or {"b64": ...}'}[JSON_KINDS[dtype]]
    if JSON_KINDS[dtype] == "integer":
        want += f" in the range of {dtype}"
    return Problem(path, "dtype", f"a JSON {json_kind(value)} where {dtype} needs {want}")


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_integer(value) -> bool:
    # A literal too large for uint64 is a double for the server's JSON reader.
    return isinstance(value, int) and not isinstance(value, bool) and INT64[0] <= value <= UINT64[1]


def _fits(value: int, dtype: str) -> bool:
    low, high = {"DT_INT64": INT64, "DT_UINT32": UINT32, "DT_UINT64": UINT64}.get(dtype, INT32)
    return low <= value <= high


def lossless(value, dtype: str) -> bool:
    if isinstance(value, float) and not math.isfinite(value):
        return True
    if _is_integer(value):
        return abs(value) <= 2 ** (24 if dtype == "DT_FLOAT" else 53) - 1
    if dtype == "DT_FLOAT":
        return abs(float(value)) <= 3.4028234663852886e38
    return True


def is_b64(value) -> bool:
    return isinstance(value, dict) and len(value) == 1 and isinstance(value.get("b64"), str)


def decode_b64(value: dict, path: str, out: list) -> Problem | None:
    if not is_b64(value):
        return Problem(path, "b64", 'an object where a string is expected: binary data is {"b64": "<base64>"}, '
                       "with that one key and a string value")
    text = value["b64"]
    try:
        out.append(base64.b64decode(text + "=" * (-len(text) % 4), validate=True))
    except (binascii.Error, ValueError):
        return Problem(child(path, "b64"), "b64", "not valid base64 (standard alphabet A-Z a-z 0-9 + /)")
    return None


def json_kind(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return {str: "string", list: "list", dict: "object"}.get(type(value), type(value).__name__)
