"""Print a protobuf message as pbtxt or JSON, with large tensor values elided from a copy.

Eliding keeps the output readable and bounded: a TensorProto that holds more
than ``MAX_VALUES`` values or ``MAX_BYTES`` bytes of values loses them (its
``tensor_content`` and typed ``*_val`` fields) in a copy of the message, and
instead carries a marker in ``tensor_content`` that says what was there.  The
message given is never modified.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from google.protobuf import json_format, text_format
from google.protobuf import message as pb_message
from google.protobuf.descriptor import FieldDescriptor

from .. import protos
from ..sanitize import pbtxt_safe
from ..tensors.shapes import dtype_name, item_size
from ..tensors.values import stored_count, summarise_tensor
from . import jsonout

MAX_VALUES = 16
MAX_BYTES = 1024
MARKER_PREFIX = "<elided by tfinspect: "

_TENSOR = protos.TensorProto.DESCRIPTOR
_TENSOR_NAME = _TENSOR.full_name
# The fields that hold a TensorProto's values (not the nested resource/variant messages).
_VALUE_FIELDS = tuple(f.name for f in _TENSOR.fields
                      if f.name == "tensor_content"
                      or (f.name.endswith("_val") and f.type != FieldDescriptor.TYPE_MESSAGE))


@dataclass
class Elision:
    tensors: int = 0
    values: int = 0
    bytes: int = 0
    markers: tuple[str, ...] = ()  # the marker texts put into tensor_content

    def comment(self) -> str:
        return (f"{self.values} tensor values elided; use --full to print them "
                f"({self.tensors} tensor{'s' * (self.tensors != 1)}, {self.bytes} bytes)")


def elide_large_tensors(message) -> tuple[object, Elision]:
    """``(message, Elision())`` when nothing is large; else an elided copy and what was taken out."""
    large = [t for t in _tensors(message) if _is_large(t)]
    if not large:
        return message, Elision()
    copy = type(message)()
    copy.CopyFrom(message)
    elision = Elision()
    markers = []
    for tensor in _tensors(copy):
        if not _is_large(tensor):
            continue
        values, nbytes = _value_size(tensor)
        marker = (f"{MARKER_PREFIX}{summarise_tensor(tensor)}; {values} values, {nbytes} bytes; "
                  f"use --full>")
        for name in _VALUE_FIELDS:
            tensor.ClearField(name)
        tensor.tensor_content = marker.encode("utf-8")
        elision.tensors += 1
        elision.values += values
        elision.bytes += nbytes
        markers.append(marker)
    elision.markers = tuple(markers)
    return copy, elision


def _value_size(tensor: protos.TensorProto) -> tuple[int, int]:
    """How many values the tensor stores, and how many bytes they take."""
    if tensor.tensor_content:
        return stored_count(tensor), len(tensor.tensor_content)
    if tensor.string_val:
        return len(tensor.string_val), sum(len(s) for s in tensor.string_val)
    values = stored_count(tensor)
    size = item_size(dtype_name(tensor.dtype))
    return values, values * size if size is not None else tensor.ByteSize()


def _is_large(tensor: protos.TensorProto) -> bool:
    if tensor.tensor_content.startswith(MARKER_PREFIX.encode()):
        return False
    values, nbytes = _value_size(tensor)
    return values > MAX_VALUES or nbytes > MAX_BYTES


def _tensors(message):
    """Every TensorProto inside ``message`` (attributes, function bodies, signature defaults...).

    Walks with an explicit stack, in document order, so nesting depth costs no recursion.
    """
    stack = [message]
    while stack:
        current = stack.pop()
        if current.DESCRIPTOR.full_name == _TENSOR_NAME:
            yield current
            continue
        children = []
        for field, value in current.ListFields():
            if field.type != FieldDescriptor.TYPE_MESSAGE or not _may_hold_tensor(field.message_type):
                continue
            if field.message_type.GetOptions().map_entry:
                if field.message_type.fields_by_name["value"].type == FieldDescriptor.TYPE_MESSAGE:
                    children.extend(value.values())
            elif isinstance(value, pb_message.Message):
                children.append(value)
            else:  # a repeated field
                children.extend(value)
        stack.extend(reversed(children))


_HOLDS_TENSOR: dict[str, bool] = {}


def _may_hold_tensor(descriptor) -> bool:
    """Whether messages of this type can contain a TensorProto at any depth (cached)."""
    name = descriptor.full_name
    if name not in _HOLDS_TENSOR:
        seen = {name}
        queue = [descriptor]
        found = False
        while queue and not found:
            current = queue.pop()
            if current.full_name == _TENSOR_NAME:
                found = True
            for field in current.fields:
                if field.type == FieldDescriptor.TYPE_MESSAGE and field.message_type.full_name not in seen:
                    seen.add(field.message_type.full_name)
                    queue.append(field.message_type)
        _HOLDS_TENSOR[name] = found
    return _HOLDS_TENSOR[name]


def to_pbtxt(message, elision: Elision) -> str:
    lines = []
    if elision.tensors:
        lines.append(f"# {elision.comment()}")
    lines.append(f"# proto-message: {message.DESCRIPTOR.full_name}")
    return "\n".join(lines) + "\n" + pbtxt_safe(text_format.MessageToString(message))


def to_json(message, elision: Elision) -> str:
    data = json_format.MessageToDict(message, preserving_proto_field_name=True)
    if elision.markers:
        readable = {base64.b64encode(m.encode("utf-8")).decode("ascii"): m for m in elision.markers}
        data = _replace_strings(data, readable)
    return jsonout.dumps(data)


def _replace_strings(data, table: dict[str, str]):
    if isinstance(data, dict):
        return {k: _replace_strings(v, table) for k, v in data.items()}
    if isinstance(data, list):
        return [_replace_strings(v, table) for v in data]
    if isinstance(data, str):
        return table.get(data, data)
    return data
