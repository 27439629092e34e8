"""StructuredValue, the proto a SavedObjectGraph uses for function signatures, as readable text.

A StructuredValue nests tuples, lists, dicts and named tuples of TensorSpecs,
TypeSpecs and Python values (None, bool, int, float, str).  ``to_text`` spells
them the way Python users know them, e.g.
``TensorSpec(shape=(None, 3), dtype=tf.float32, name='x')``.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import protos
from ..tensors.shapes import Shape, dtype_name, shape_from_proto, short_dtype
from ..tensors.values import summarise_tensor


@dataclass(frozen=True)
class TensorSpecInfo:
    """A TensorSpec's facts: name (may be None), dtype (``DT_FLOAT``), shape (-1 unknown)."""

    name: str | None
    dtype: str
    shape: Shape


def kind(value: protos.StructuredValue) -> str | None:
    return value.WhichOneof("kind")


def tensor_spec(value: protos.StructuredValue) -> TensorSpecInfo | None:
    """The TensorSpec a value holds directly, else None."""
    which = kind(value)
    if which not in ("tensor_spec_value", "bounded_tensor_spec_value"):
        return None
    spec = getattr(value, which)
    return TensorSpecInfo(spec.name or None, dtype_name(spec.dtype), shape_from_proto(spec.shape))


def shape_text(shape: Shape) -> str:
    """Python's spelling: ``(None, 3)``, ``()``, ``(5,)``, ``<unknown>``."""
    if shape is None:
        return "<unknown>"
    dims = ["None" if d < 0 else str(d) for d in shape]
    if len(dims) == 1:
        return f"({dims[0]},)"
    return "(" + ", ".join(dims) + ")"


def dtype_text(dtype: str) -> str:
    return "tf." + short_dtype(dtype)


def items(value: protos.StructuredValue) -> list[tuple[str | None, protos.StructuredValue]]:
    """The members of a tuple/list (key None), dict or named tuple (keyed)."""
    which = kind(value)
    if which in ("tuple_value", "list_value"):
        return [(None, v) for v in getattr(value, which).values]
    if which == "dict_value":
        fields = value.dict_value.fields
        return [(k, fields[k]) for k in sorted(fields)]
    if which == "named_tuple_value":
        return [(pair.key, pair.value) for pair in value.named_tuple_value.values]
    return []


def field(value: protos.StructuredValue, key: str) -> protos.StructuredValue | None:
    """A member of a dict or named tuple by key."""
    for name, member in items(value):
        if name == key:
            return member
    return None


def to_text(value: protos.StructuredValue | None) -> str:
    if value is None:
        return "None"
    which = kind(value)
    if which is None or which == "none_value":
        return "None"
    if which == "bool_value":
        return str(value.bool_value)
    if which == "int64_value":
        return str(value.int64_value)
    if which == "float64_value":
        return repr(value.float64_value)
    if which == "string_value":
        return repr(value.string_value)
    if which == "tensor_shape_value":
        return f"TensorShape({shape_text(shape_from_proto(value.tensor_shape_value))})"
    if which == "tensor_dtype_value":
        return dtype_text(dtype_name(value.tensor_dtype_value))
    if which == "tensor_spec_value":
        spec = value.tensor_spec_value
        return _spec_text("TensorSpec", spec)
    if which == "bounded_tensor_spec_value":
        spec = value.bounded_tensor_spec_value
        extra = f", minimum={_tensor_text(spec.minimum)}, maximum={_tensor_text(spec.maximum)}"
        return _spec_text("BoundedTensorSpec", spec, extra)
    if which == "type_spec_value":
        spec = value.type_spec_value
        name = spec.type_spec_class_name or _type_spec_class(spec.type_spec_class)
        return f"{name}{to_text(spec.type_state)}" if kind(spec.type_state) == "tuple_value" \
            else f"{name}({to_text(spec.type_state)})"
    if which in ("tuple_value", "list_value"):
        members = [to_text(v) for _, v in items(value)]
        if which == "list_value":
            return "[" + ", ".join(members) + "]"
        return "(" + members[0] + ",)" if len(members) == 1 else "(" + ", ".join(members) + ")"
    if which == "dict_value":
        return "{" + ", ".join(f"{k!r}: {to_text(v)}" for k, v in items(value)) + "}"
    if which == "named_tuple_value":
        inner = ", ".join(f"{k}={to_text(v)}" for k, v in items(value))
        return f"{value.named_tuple_value.name}({inner})"
    if which == "tensor_value":
        return _tensor_text(value.tensor_value)
    if which == "numpy_value":
        return f"numpy {_tensor_text(value.numpy_value)}"
    return f"<{which}>"


def _spec_text(cls: str, spec, extra: str = "") -> str:
    shape = shape_text(shape_from_proto(spec.shape))
    name = repr(spec.name) if spec.name else "None"
    return f"{cls}(shape={shape}, dtype={dtype_text(dtype_name(spec.dtype))}, name={name}{extra})"


def _tensor_text(tensor: protos.TensorProto) -> str:
    return summarise_tensor(tensor)


def _type_spec_class(number: int) -> str:
    enum = protos.StructuredValue.DESCRIPTOR.fields_by_name["type_spec_value"].message_type
    value = enum.enum_types_by_name["TypeSpecClass"].values_by_number.get(number)
    if value is None:
        return f"TypeSpec#{number}"
    return "".join(part.capitalize() for part in value.name.split("_"))
