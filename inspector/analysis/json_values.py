"""JSON values as TF Serving converts them to tensors: the problems found, the tensors built.

The leaf rules per dtype (which numbers fit without loss, base64 strings) and the shape of
nested lists follow ``tensorflow_serving/util/json_tensor.cc``; ``json_request`` applies them
to a whole body and ``json_examples`` to tf.Example inputs.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from dataclasses import dataclass, field

from ..tensors.shapes import format_shape
from .requests import JSON_KINDS

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


def _shape_of(value) -> list[int]:
    """The shape read along first elements, as the server reads it."""
    shape = []
    while isinstance(value, list):
        shape.append(len(value))
        if not value:
            break
        value = value[0]
    return shape


def convert(value, dtype: str, path: str) -> tuple[list[int], list, Problem | None]:
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
