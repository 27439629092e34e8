"""Decode TensorProto values with numpy, never with TensorFlow.

A TensorProto stores its value either packed in ``tensor_content`` or in the
typed repeated field for its dtype; when a typed field holds fewer values than
the shape has elements, TensorFlow repeats the last one.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from .. import protos
from .shapes import dtype_name, num_elements, shape_from_proto

if TYPE_CHECKING:
    import numpy as np


@functools.cache
def numpy_types() -> dict[str, object]:
    """The numpy type of each TensorFlow dtype name whose values numpy holds, one element per
    value as in TensorFlow's memory.  Built on first use, so numpy loads only when values are read."""
    import ml_dtypes

    types = dict(plain_numpy_types())
    types.update({k: getattr(ml_dtypes, v) for k, v in _NARROW.items() if hasattr(ml_dtypes, v)})
    return types


_NARROW = {
    "DT_BFLOAT16": "bfloat16", "DT_FLOAT8_E5M2": "float8_e5m2", "DT_FLOAT8_E4M3FN": "float8_e4m3fn",
    "DT_FLOAT8_E4M3FNUZ": "float8_e4m3fnuz", "DT_FLOAT8_E5M2FNUZ": "float8_e5m2fnuz",
    "DT_FLOAT8_E4M3B11FNUZ": "float8_e4m3b11fnuz", "DT_INT4": "int4", "DT_UINT4": "uint4",
}


@functools.cache
def plain_numpy_types() -> dict[str, object]:
    """The dtypes numpy holds by itself (ml_dtypes, a second's import, only for the narrow ones)."""
    import numpy as np

    # fmt: off
    types: dict[str, object] = {
        "DT_FLOAT": np.float32, "DT_DOUBLE": np.float64, "DT_HALF": np.float16, "DT_BOOL": np.bool_,
        "DT_INT8": np.int8, "DT_INT16": np.int16, "DT_INT32": np.int32, "DT_INT64": np.int64,
        "DT_UINT8": np.uint8, "DT_UINT16": np.uint16, "DT_UINT32": np.uint32, "DT_UINT64": np.uint64,
        "DT_COMPLEX64": np.complex64, "DT_COMPLEX128": np.complex128, "DT_STRING": object,
        # quantized types hold their plain integer counterparts
        "DT_QINT8": np.int8, "DT_QUINT8": np.uint8, "DT_QINT16": np.int16, "DT_QUINT16": np.uint16,
        "DT_QINT32": np.int32,
    }
    # fmt: on
    return dict(types)


_TYPED_FIELD = {
    "DT_FLOAT": "float_val", "DT_DOUBLE": "double_val", "DT_HALF": "half_val",
    "DT_BFLOAT16": "half_val", "DT_INT8": "int_val", "DT_INT16": "int_val", "DT_INT32": "int_val",
    "DT_UINT8": "int_val", "DT_UINT16": "int_val", "DT_QINT8": "int_val", "DT_QUINT8": "int_val",
    "DT_QINT16": "int_val", "DT_QUINT16": "int_val", "DT_QINT32": "int_val",
    "DT_INT64": "int64_val", "DT_UINT32": "uint32_val", "DT_UINT64": "uint64_val",
    "DT_BOOL": "bool_val", "DT_STRING": "string_val", "DT_COMPLEX64": "scomplex_val",
    "DT_COMPLEX128": "dcomplex_val",
}


def numpy_dtype(dtype: str):
    """The numpy type a TensorProto of this dtype decodes to, None when this module cannot decode it."""
    if dtype not in _TYPED_FIELD or dtype == "DT_STRING":
        return None
    if dtype in _NARROW:
        return numpy_types().get(dtype)
    return plain_numpy_types().get(dtype)


def stored_count(tensor: protos.TensorProto) -> int:
    """How many values the proto actually stores (before TensorFlow's fill rule)."""
    dtype = dtype_name(tensor.dtype)
    np_type = numpy_dtype(dtype)
    if tensor.tensor_content:
        if np_type is None:
            return 0
        import numpy as np

        return len(tensor.tensor_content) // np.dtype(np_type).itemsize
    field = _TYPED_FIELD.get(dtype)
    if field is None:
        return 0
    values = len(getattr(tensor, field))
    return values // 2 if dtype.startswith("DT_COMPLEX") else values


# Elements a value stored once may be repeated into (TensorFlow's splat constants); beyond
# this, and beyond what the proto holds, a value is not materialised.
MAX_EXPANDED = 1 << 24


def decode(tensor: protos.TensorProto, limit: int | None = None) -> np.ndarray | None:
    """The tensor's value as an array (object array of bytes for strings).

    Returns None for dtypes numpy cannot hold (resources, variants).  With
    ``limit``, at most that many elements are materialised (flat).
    """
    import numpy as np

    dtype = dtype_name(tensor.dtype)
    shape = shape_from_proto(tensor.tensor_shape) or []
    count = num_elements(shape)
    if count is None:
        return None
    wanted = count if limit is None else min(count, limit)
    if wanted > MAX_EXPANDED and wanted > stored_count(tensor):
        return None  # a splat too big to materialise (or a shape that lies)
    if dtype == "DT_STRING":
        values = list(tensor.string_val[:wanted])
        flat = np.array(values + [values[-1] if values else b""] * (wanted - len(values)), dtype=object)
        return flat.reshape(shape) if wanted == count else flat
    np_type = numpy_dtype(dtype)
    if np_type is None:
        return None
    if tensor.tensor_content:
        if len(tensor.tensor_content) % np.dtype(np_type).itemsize:
            return None  # not a whole number of elements: a damaged proto
        flat = np.frombuffer(tensor.tensor_content, dtype=np_type)[:wanted]
    else:
        raw = getattr(tensor, _TYPED_FIELD[dtype])  # numpy converts the repeated field quickly; a list is slow
        if dtype in ("DT_HALF", "DT_BFLOAT16"):
            flat = np.array(raw, dtype=np.uint16).view(np_type)
        elif dtype.startswith("DT_COMPLEX"):
            pairs = np.array(raw, dtype=np.float64).reshape(-1, 2)
            flat = (pairs[:, 0] + 1j * pairs[:, 1]).astype(np_type)
        else:
            flat = np.array(raw, dtype=np_type)
        if len(flat) == 0:
            flat = np.zeros(wanted, dtype=np_type)
        elif len(flat) < wanted:
            flat = np.concatenate([flat, np.full(wanted - len(flat), flat[-1], dtype=np_type)])
        flat = flat[:wanted]
    if len(flat) < wanted:
        return None  # the proto holds fewer bytes than its shape says
    return flat.reshape(shape) if wanted == count else flat


def summarise_tensor(tensor: protos.TensorProto, max_values: int = 6) -> str:
    """``DT_FLOAT [2, 3] = [0.1, 0.2, 0.3, ...]``: short whatever the tensor's size."""
    from .shapes import format_shape

    dtype = dtype_name(tensor.dtype)
    shape = shape_from_proto(tensor.tensor_shape)
    head = f"{dtype} {format_shape(shape)}"
    values = decode(tensor, limit=max_values + 1)
    if values is None:
        return head
    flat = values.reshape(-1)
    shown = [_short_value(v) for v in flat[:max_values]]
    more = num_elements(shape) or 0
    tail = ", ..." if more > max_values else ""
    if shape == []:
        return f"{head} = {shown[0]}" if shown else head
    return f"{head} = [{', '.join(shown)}{tail}]"


def _short_value(value) -> str:
    import numpy as np

    if isinstance(value, bytes):
        text = value[:40].decode("utf-8", "backslashreplace")
        return repr(text + ("..." if len(value) > 40 else ""))
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    return str(value.item() if hasattr(value, "item") else value)
