"""Values as a tensor bundle stores them: numpy dtypes of stored bytes, strings, checksums, decoding."""

from __future__ import annotations

import functools
import struct
from collections.abc import Callable
from typing import TYPE_CHECKING

import google_crc32c

from inspector import protos
from inspector.checkpoint.entries import TensorEntry
from inspector.checkpoint.table import read_varint, unmask_crc
from inspector.errors import CorruptArtifact

if TYPE_CHECKING:
    import numpy as np


CHUNK_SIZE = 4 << 20  # bytes read and checksummed at a time
DT_STRING = protos.DataType.Value("DT_STRING")
@functools.cache
def _numpy_dtypes() -> dict[int, np.dtype]:
    """Built on first use: numpy (and ml_dtypes) load only when values are read."""
    import numpy as np

    from inspector.tensors.values import numpy_types

    names = set(protos.DataType.keys())
    return {protos.DataType.Value(name): np.dtype(t) for name, t in numpy_types().items() if name in names}


def numpy_dtype(dtype: int) -> np.dtype:
    """The numpy dtype a TensorFlow dtype decodes to; KeyError for resource,
    variant and unknown dtypes."""
    return _numpy_dtypes()[dtype]


def normalise_extents(
    extents: tuple[tuple[int, int], ...], shape: tuple[int, ...]
) -> tuple[tuple[int, int], ...]:
    """(start, length) per dimension with "whole dimension" (-1) spelled out."""
    return tuple(
        (0, dim) if length < 0 else (start, length)
        for (start, length), dim in zip(extents, shape, strict=False)
    )


def crc_of(buf: bytes | bytearray | memoryview, crc: int = 0) -> int:
    """crc32c of ``buf`` (google_crc32c takes only ``bytes``: copy in chunks)."""
    if isinstance(buf, bytes):
        return google_crc32c.extend(crc, buf)
    view = memoryview(buf)
    for start in range(0, len(view), CHUNK_SIZE):
        crc = google_crc32c.extend(crc, bytes(view[start : start + CHUNK_SIZE]))
    return crc


def decode_strings(data: bytes | bytearray, count: int, big_endian: bool) -> tuple[list[bytes], int]:
    """The elements of a stored DT_STRING tensor and the crc32c TensorFlow
    computes over them; ValueError if the stored layout is inconsistent."""
    if count == 0 and len(data) == 0:
        return [], 0
    lengths = []
    pos = 0
    for _ in range(count):
        length, pos = read_varint(data, pos, len(data))
        lengths.append(length)
    order = ">" if big_endian else "<"
    if all(n <= 0xFFFFFFFF for n in lengths):
        packed = struct.pack(f"{order}{len(lengths)}I", *lengths)
    else:
        packed = b"".join(struct.pack(f"{order}I" if n <= 0xFFFFFFFF else f"{order}Q", n) for n in lengths)
    crc = google_crc32c.value(packed)
    if pos + 4 > len(data):
        raise ValueError("the string lengths run past the end of the entry")
    stored = bytes(data[pos : pos + 4])
    if unmask_crc(int.from_bytes(stored, "big" if big_endian else "little")) != crc:
        raise ValueError("the checksum of the string lengths does not match")
    crc = google_crc32c.extend(crc, stored)
    pos += 4
    total = sum(lengths)
    if pos + total > len(data):
        raise ValueError(f"the strings need {pos + total} bytes but the entry has {len(data)}")
    body = bytes(data[pos : pos + total])
    crc = google_crc32c.extend(crc, body)
    values = []
    start = 0
    for length in lengths:
        values.append(body[start : start + length])
        start += length
    return values, crc


def to_native(flat: np.ndarray) -> np.ndarray:
    """Reverse the bytes of each element (each half, for complex numbers)."""
    import numpy as np

    unit = flat.dtype.itemsize // (2 if flat.dtype.kind == "c" else 1)
    if unit == 1:
        return flat
    raw = flat.view(np.uint8).reshape(-1, unit)[:, ::-1].copy()
    return raw.reshape(-1).view(flat.dtype)


def checked_strings(entry: TensorEntry, data: bytearray, big_endian: bool,
                     corrupt: Callable[[str], CorruptArtifact]) -> list[bytes]:
    """The elements of a DT_STRING tensor, checked against its crc32c (no numpy needed)."""
    try:
        values, actual = decode_strings(data, entry.num_elements, big_endian)
    except ValueError as exc:
        raise corrupt(str(exc)) from None
    check_crc(entry, actual, corrupt)
    return values


def check_crc(entry: TensorEntry, actual: int, corrupt: Callable[[str], CorruptArtifact]) -> None:
    expected = unmask_crc(entry.crc32c)
    if actual != expected:
        raise corrupt(f"crc32c mismatch: the index says {expected:08x}, the bytes give {actual:08x}")


def decode_value(
    entry: TensorEntry,
    data: bytearray,
    dtype: np.dtype,
    big_endian: bool,
    corrupt: Callable[[str], CorruptArtifact],
) -> np.ndarray:
    import numpy as np

    if entry.dtype == DT_STRING:
        values = checked_strings(entry, data, big_endian, corrupt)
        flat = np.empty(len(values), dtype=object)
        flat[:] = values
        return flat.reshape(entry.shape)
    needed = entry.num_elements * dtype.itemsize
    if len(data) != needed:
        raise corrupt(
            f"the index gives {len(data)} bytes, but {entry.dtype_name} of shape "
            f"{list(entry.shape)} needs {needed}"
        )
    actual = crc_of(data)
    flat = np.frombuffer(data, dtype=dtype)
    if big_endian:
        flat = to_native(flat)
    check_crc(entry, actual, corrupt)
    return flat.reshape(entry.shape)


