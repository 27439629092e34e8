"""One-line summaries of node attributes (AttrValue), short whatever the value's size."""

from __future__ import annotations

from .. import protos
from ..tensors.shapes import format_shape, shape_from_proto
from ..tensors.values import summarise_tensor

MAX_LIST_ITEMS = 8
MAX_TEXT = 80

_LIST_FIELDS = ("s", "i", "f", "b", "type", "shape", "tensor", "func")


def summarise_attr(value: protos.AttrValue) -> str:
    """``DT_FLOAT``, ``[?, 3]``, ``DT_FLOAT [2] = [1, 2]``, ``'SAME'``, ``[1, 2, 2, 1]``..."""
    kind = value.WhichOneof("value")
    if kind is None:
        return "<unset>"
    if kind == "list":
        return _summarise_list(value.list)
    if kind == "placeholder":
        return f"<placeholder {value.placeholder}>"
    return _summarise_item(kind, getattr(value, kind))


def _summarise_list(items: protos.AttrValue.ListValue) -> str:
    for field in _LIST_FIELDS:
        values = getattr(items, field)
        if len(values):
            shown = [_summarise_item(field, v) for v in values[:MAX_LIST_ITEMS]]
            more = len(values) - len(shown)
            tail = f", ... ({more} more)" if more > 0 else ""
            return f"[{', '.join(shown)}{tail}]"
    return "[]"


def _summarise_item(kind: str, item) -> str:
    if kind == "s":
        return short_bytes(item)
    if kind == "i":
        return str(item)
    if kind == "f":
        return f"{item:.6g}"
    if kind == "b":
        return "true" if item else "false"
    if kind == "type":
        return protos.dtype_name(item)
    if kind == "shape":
        return format_shape(shape_from_proto(item))
    if kind == "tensor":
        return summarise_tensor(item)
    if kind == "func":
        return f"func {item.name}" + (f" ({len(item.attr)} attrs)" if len(item.attr) else "")
    return f"<{kind}>"


def short_bytes(data: bytes, limit: int = MAX_TEXT) -> str:
    """A quoted, escaped preview of bytes: printable text stays readable, the rest is escaped."""
    text = data[:limit].decode("utf-8", "backslashreplace")
    text = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)
    more = f"... ({len(data)} bytes)" if len(data) > limit else ""
    return f"'{text}'{more}"
