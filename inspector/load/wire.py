"""A quick scan of a binary protobuf's top-level fields, without parsing it.

It tells which message a file holds (SavedModel, MetaGraphDef, GraphDef) from
field numbers and wire types, and whether the bytes are protobuf at all: a
length that runs past the end means a truncated file, an impossible wire type
or field number means it is not a protobuf message.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

VARINT, I64, LEN, SGROUP, EGROUP, I32 = 0, 1, 2, 3, 4, 5


class WireError(ValueError):
    def __init__(self, message: str, offset: int, truncated: bool):
        super().__init__(message)
        self.offset = offset
        self.truncated = truncated


@dataclass
class Scan:
    fields: Counter  # (field_number, wire_type) -> occurrences
    first_len_payload: dict[int, tuple[int, int]]  # field -> (start, end) of its first LEN value

    def has(self, number: int, wire_type: int) -> bool:
        return self.fields.get((number, wire_type), 0) > 0

    def count(self, number: int, wire_type: int) -> int:
        return self.fields.get((number, wire_type), 0)


def read_varint(data: bytes | memoryview, pos: int, end: int) -> tuple[int, int]:
    result = 0
    shift = 0
    while True:
        if pos >= end:
            raise WireError("a number runs past the end of the data", pos, truncated=True)
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise WireError("a varint is longer than ten bytes", pos, truncated=False)


def scan(data: bytes | memoryview, start: int = 0, end: int | None = None, limit: int = 1 << 62) -> Scan:
    """Walk the top-level fields of ``data[start:end]`` (at most ``limit`` of them)."""
    end = len(data) if end is None else end
    pos = start
    fields: Counter = Counter()
    first: dict[int, tuple[int, int]] = {}
    seen = 0
    while pos < end and seen < limit:
        key, pos = read_varint(data, pos, end)
        number, wire_type = key >> 3, key & 7
        if number == 0 or wire_type in (SGROUP, EGROUP) or wire_type > I32:
            raise WireError(f"field number {number} with wire type {wire_type} is not valid protobuf", pos, False)
        if wire_type == VARINT:
            _, pos = read_varint(data, pos, end)
        elif wire_type == I64:
            pos += 8
        elif wire_type == I32:
            pos += 4
        else:
            length, pos = read_varint(data, pos, end)
            if number not in first:
                first[number] = (pos, pos + length)
            pos += length
        if pos > end:
            raise WireError(f"field {number} runs {pos - end} bytes past the end", end, truncated=True)
        fields[(number, wire_type)] += 1
        seen += 1
    return Scan(fields, first)


def guess_message(data: bytes | memoryview) -> list[str]:
    """Which of 'SavedModel', 'MetaGraphDef', 'GraphDef' the bytes may hold, likeliest first.

    Decided from the top-level field numbers and wire types alone.  Raises
    WireError when the bytes are not a well-formed protobuf message.
    """
    top = scan(data)
    if top.has(1, VARINT):
        return ["SavedModel"]  # saved_model_schema_version
    if top.has(3, VARINT):
        return ["GraphDef"]  # the deprecated GraphDef.version
    if top.has(3, LEN) or top.has(6, LEN) or top.has(7, LEN):
        return ["MetaGraphDef"]  # saver_def, asset_file_def, object_graph_def
    if top.count(1, LEN) > 1:
        return ["GraphDef"]  # repeated node
    if top.count(4, LEN) > 1 or top.count(5, LEN) > 1:
        return ["MetaGraphDef"]  # collection_def / signature_def maps
    if top.count(2, LEN) > 1:
        return ["SavedModel"]  # repeated meta_graphs
    if top.has(1, LEN):
        # A single node, or a meta_info_def: a NodeDef's field 2 is its op
        # name, a MetaInfoDef's field 2 is an OpList (a nested message).
        start, stop = top.first_len_payload[1]
        inner = _safe_scan(data, start, stop)
        if inner is not None and 2 in inner.first_len_payload:
            op_start, op_stop = inner.first_len_payload[2]
            if _IDENTIFIER.fullmatch(bytes(data[op_start:op_stop])):
                return ["GraphDef", "MetaGraphDef"]
        return ["MetaGraphDef", "GraphDef"]
    return ["SavedModel", "MetaGraphDef", "GraphDef"]


_IDENTIFIER = re.compile(rb"[A-Za-z_>][A-Za-z0-9_>.]*")


def _safe_scan(data, start: int, stop: int) -> Scan | None:
    try:
        return scan(data, start, stop)
    except WireError:
        return None
