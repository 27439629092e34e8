"""Write sorted-string-table files (checkpoint indexes, V1 checkpoints) for tests.

``build_table`` makes a minimal table from (key, value) pairs; ``snappy_rewrite``
re-writes a real table file block by block with every block snappy-compressed,
the way TensorFlow 1.x table builders stored them (compressed contents, type
byte 1, masked crc32c of both).
"""

from __future__ import annotations

import struct

import cramjam
import google_crc32c

from inspector.checkpoint.table import BlockHandle, Table, mask_crc, read_varint

MAGIC = struct.pack("<Q", 0xDB4775248B80FB57)
NONE, SNAPPY = 0, 1


def varint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def block(entries: list[tuple[bytes, bytes]]) -> bytes:
    """Block contents with no shared key prefixes and one restart point."""
    body = b"".join(varint(0) + varint(len(k)) + varint(len(v)) + k + v for k, v in entries)
    return body + struct.pack("<II", 0, 1)


class _Writer:
    def __init__(self):
        self.out = bytearray()

    def append(self, raw: bytes, kind: int) -> bytes:
        """Store one block (compressing it if ``kind`` is SNAPPY); its encoded handle."""
        contents = bytes(cramjam.snappy.compress_raw(raw)) if kind == SNAPPY else raw
        offset = len(self.out)
        trailer_type = bytes([kind])
        crc = mask_crc(google_crc32c.value(contents + trailer_type))
        self.out.extend(contents + trailer_type + struct.pack("<I", crc))
        return varint(offset) + varint(len(contents))

    def finish(self, meta_handle: bytes, index_handle: bytes) -> bytes:
        return bytes(self.out) + (meta_handle + index_handle).ljust(40, b"\x00") + MAGIC


def build_table(items: list[tuple[bytes, bytes]], compression: int = NONE) -> bytes:
    """One data block, an empty metaindex block and an index block."""
    writer = _Writer()
    data = writer.append(block(items), compression)
    meta = writer.append(block([]), NONE)
    index = writer.append(block([(items[-1][0], data)]), NONE)
    return writer.finish(meta, index)


def snappy_rewrite(data: bytes) -> bytes:
    """The same table with its data, metaindex and index blocks all snappy-compressed."""
    table = Table("source", data)
    writer = _Writer()
    index = []
    for separator, encoded in table.block_entries(table.read_block(table.index_handle), 0):
        offset, pos = read_varint(encoded, 0, len(encoded))
        size, _ = read_varint(encoded, pos, len(encoded))
        index.append((separator, writer.append(table.read_block(BlockHandle(offset, size)), SNAPPY)))
    meta = writer.append(table.read_block(table.metaindex_handle), SNAPPY)
    return writer.finish(meta, writer.append(block(index), SNAPPY))


def block_handles(data: bytes) -> list[BlockHandle]:
    """Where every block of a table file is: the data blocks, then the metaindex and index."""
    table = Table("source", data)
    handles = []
    for _, encoded in table.block_entries(table.read_block(table.index_handle), 0):
        offset, pos = read_varint(encoded, 0, len(encoded))
        handles.append(BlockHandle(offset, read_varint(encoded, pos, len(encoded))[0]))
    return [*handles, table.metaindex_handle, table.index_handle]


def block_types(data: bytes) -> list[int]:
    """The compression-type byte of every block of a table file."""
    return [data[h.offset + h.size] for h in block_handles(data)]


def reseal(data: bytearray, handle: BlockHandle) -> None:
    """Recompute the masked crc32c of the block at ``handle`` after its bytes were edited."""
    end = handle.offset + handle.size + 1
    data[end : end + 4] = struct.pack("<I", mask_crc(google_crc32c.value(bytes(data[handle.offset : end]))))
