"""Dtypes, shapes and tensor values in TensorFlow's own vocabulary."""

from __future__ import annotations

from .. import protos

# Bytes per element for the dtypes whose size is fixed.
_ITEM_SIZE = {
    "DT_FLOAT": 4, "DT_DOUBLE": 8, "DT_HALF": 2, "DT_BFLOAT16": 2,
    "DT_INT8": 1, "DT_INT16": 2, "DT_INT32": 4, "DT_INT64": 8,
    "DT_UINT8": 1, "DT_UINT16": 2, "DT_UINT32": 4, "DT_UINT64": 8,
    "DT_BOOL": 1, "DT_COMPLEX64": 8, "DT_COMPLEX128": 16,
    "DT_QINT8": 1, "DT_QUINT8": 1, "DT_QINT16": 2, "DT_QUINT16": 2, "DT_QINT32": 4,
    "DT_FLOAT8_E5M2": 1, "DT_FLOAT8_E4M3FN": 1, "DT_INT4": 1, "DT_UINT4": 1,
}

Shape = list[int] | None
"""A shape as a list of dimension sizes, -1 for an unknown size; None for unknown rank."""


def dtype_name(dtype: int) -> str:
    """``DT_FLOAT`` for a DataType enum value, exactly as the file holds it.

    A reference dtype (enum value + 100, written by TF1 graphs for variables)
    keeps its ``_REF`` suffix, as ``saved_model_cli show`` prints it; compare
    dtypes with :func:`base_dtype` when the difference does not matter.
    """
    return protos.dtype_name(dtype)


def base_dtype(dtype: str) -> str:
    """``DT_FLOAT`` for ``DT_FLOAT_REF``: the dtype of the values a reference points to."""
    return dtype.removesuffix("_REF")


def item_size(dtype: str) -> int | None:
    """Bytes per element of a dtype name, None when variable (strings, resources)."""
    return _ITEM_SIZE.get(base_dtype(dtype))


def shape_from_proto(shape: protos.TensorShapeProto) -> Shape:
    if shape.unknown_rank:
        return None
    return [int(d.size) for d in shape.dim]


def num_elements(shape: Shape) -> int | None:
    """Element count, or None when the rank or a dimension is unknown."""
    if shape is None or any(d < 0 for d in shape):
        return None
    count = 1
    for d in shape:
        count *= d
    return count


def format_shape(shape: Shape) -> str:
    """``[?, 9]`` style: ``?`` for an unknown dimension, ``<unknown rank>``."""
    if shape is None:
        return "<unknown rank>"
    return "[" + ", ".join("?" if d < 0 else str(d) for d in shape) + "]"


def short_dtype(dtype: str) -> str:
    """``float32`` for ``DT_FLOAT`` (``float32_ref`` for ``DT_FLOAT_REF``): the name Python users know."""
    base = base_dtype(dtype)
    short = _SHORT.get(base, base[3:].lower() if base.startswith("DT_") else base)
    return short + ("_ref" if base != dtype else "")


_SHORT = {"DT_FLOAT": "float32", "DT_DOUBLE": "float64", "DT_HALF": "float16"}
