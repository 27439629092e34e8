"""The byte formats of a tensor bundle: the ``.index`` table, slice keys, stored values.

The index is a LevelDB-style sorted string table as written by TensorFlow's
table builder:

* the file ends with a 48-byte footer: two block handles (metaindex, index),
  each a pair of varint64s (offset, size), zero padding up to 40 bytes, then
  the 8-byte little-endian magic number ``0xdb4775248b80fb57``;
* every block is followed by a 5-byte trailer: one compression-type byte
  (0 none, 1 snappy) and the masked crc32c (little-endian) of the stored,
  possibly compressed, block contents plus that byte;
* a block holds entries ``varint32 shared, varint32 non_shared,
  varint32 value_length, key suffix, value``, where the key shares its first
  ``shared`` bytes with the previous key, then an array of little-endian
  uint32 restart offsets and their uint32 count;
* the index block maps a separator key to the handle of each data block.

Stored values (in the ``.data-*`` shards):

* fixed-size dtypes: the raw element bytes in the header's byte order; the
  entry's crc32c covers exactly those bytes;
* DT_STRING: one varint64 length per element, a 4-byte masked crc32c of the
  lengths, then the element bytes back to back; the entry's crc32c covers each
  length as a uint32 (uint64 if it does not fit) in the writer's byte order,
  then the 4 checksum bytes, then the element bytes.

Index files are small, so they are read whole and parsed from memory; a table
file of 16 MiB or more (a V1 checkpoint holds its values) is memory-mapped.
"""

from __future__ import annotations

import mmap
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cramjam
import google_crc32c

from inspector.errors import CorruptArtifact, NotFound, UnreadableInput
from inspector.source import location
from inspector.source.files import INDEX_LIMIT, check_size, open_regular

TABLE_MAGIC = 0xDB4775248B80FB57
FOOTER_SIZE = 48  # 2 * (10 + 10) bytes of handles and padding + 8-byte magic
BLOCK_TRAILER_SIZE = 5
MAP_FROM = 16 << 20  # bytes from which a table file is memory-mapped instead of read
NO_COMPRESSION = 0
SNAPPY_COMPRESSION = 1
_SNAPPY_MAX_RATIO = 24  # a 3-byte snappy copy element yields at most 64 bytes

_MASK_DELTA = 0xA282EAD8
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")

_HINT_CORRUPT = "the index is corrupt; restore it from a backup or re-save the checkpoint"


def mask_crc(crc: int) -> int:
    """The masked form TensorFlow stores a crc32c in."""
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + _MASK_DELTA) & 0xFFFFFFFF


def unmask_crc(masked: int) -> int:
    """Undo :func:`mask_crc`."""
    rot = (masked - _MASK_DELTA) & 0xFFFFFFFF
    return ((rot >> 17) | (rot << 15)) & 0xFFFFFFFF


class VarintError(ValueError):
    """A varint runs past the end of its buffer or is too long."""


def read_varint(data: bytes, pos: int, limit: int, max_bytes: int = 10) -> tuple[int, int]:
    """Decode a little-endian base-128 varint at ``pos``; return (value, next pos)."""
    result = 0
    shift = 0
    end = min(limit, pos + max_bytes)
    while pos < end:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7
    raise VarintError("truncated or overlong varint")


@dataclass(frozen=True)
class BlockHandle:
    offset: int
    size: int


class Table:
    """An opened table file: ``items()`` yields every (key, value) in key order."""

    def __init__(self, path: str | Path, data: bytes | mmap.mmap | None = None):
        self.path = str(path)
        self.data = self._read_file() if data is None else data
        self.metaindex_handle, self.index_handle = self._read_footer()

    def _read_file(self) -> bytes:
        """The whole file, once its last 8 bytes show it is a table."""
        try:
            with open_regular(self.path) as f:
                size = location.handle_size(f)
                check_size(self.path, size, INDEX_LIMIT, "tensor-bundle index")
                if size >= FOOTER_SIZE:  # do not read a big file that is something else
                    f.seek(size - 8)
                    self._check_magic(f.read(8))
                    f.seek(0)
                if size >= MAP_FROM and not location.is_url(self.path):  # a V1 checkpoint holds its values: map it, read blocks on demand
                    return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
                return f.read()
        except FileNotFoundError:
            raise NotFound(self.path, "file does not exist", "check the checkpoint path") from None
        except IsADirectoryError:
            raise UnreadableInput(self.path, "is a directory, not a table file") from None
        except OSError as exc:
            raise UnreadableInput(self.path, f"cannot be read: {exc.strerror or exc}") from None

    def _check_magic(self, last8: bytes) -> None:
        (magic,) = _U64.unpack(last8)
        if magic != TABLE_MAGIC:
            raise self._corrupt(
                f"bad magic number 0x{magic:016x}: not a tensor-bundle index "
                "(or the end of the file was cut off or overwritten)",
                "pass the checkpoint prefix or its .index file; if this is one, it is damaged",
            )

    # -- footer and blocks -------------------------------------------------
    def _corrupt(self, problem: str, hint: str = _HINT_CORRUPT) -> CorruptArtifact:
        return CorruptArtifact(self.path, problem, hint)

    def _read_footer(self) -> tuple[BlockHandle, BlockHandle]:
        size = len(self.data)
        if size < FOOTER_SIZE:
            raise self._corrupt(
                f"file is {size} bytes, shorter than the {FOOTER_SIZE}-byte table footer: "
                "a truncated or empty tensor-bundle index",
                "the checkpoint was not written completely; re-save it or use an earlier one",
            )
        footer = self.data[size - FOOTER_SIZE :]
        self._check_magic(footer[-8:])
        pos = 0
        handles = []
        try:
            for _ in range(2):
                offset, pos = read_varint(footer, pos, FOOTER_SIZE - 8)
                length, pos = read_varint(footer, pos, FOOTER_SIZE - 8)
                handles.append(BlockHandle(offset, length))
        except VarintError:
            raise self._corrupt("the table footer holds a malformed block handle") from None
        return handles[0], handles[1]

    def read_block(self, handle: BlockHandle) -> bytes:
        """The verified, uncompressed contents of the block at ``handle``."""
        end = handle.offset + handle.size + BLOCK_TRAILER_SIZE
        if end > len(self.data) - FOOTER_SIZE:
            raise self._truncated(handle)
        contents = self.data[handle.offset : handle.offset + handle.size + 1]
        (stored,) = _U32.unpack_from(self.data, handle.offset + handle.size + 1)
        if google_crc32c.value(contents) != unmask_crc(stored):
            raise self._corrupt(
                f"block at offset {handle.offset} ({handle.size} bytes) fails its checksum: "
                "the index is corrupt"
            )
        kind = contents[-1]
        if kind == SNAPPY_COMPRESSION:
            return self._decompress(contents[:-1], handle)
        if kind != NO_COMPRESSION:
            raise self._corrupt(f"block at offset {handle.offset} has unknown compression type {kind}")
        return contents[:-1]

    def _decompress(self, compressed: bytes, handle: BlockHandle) -> bytes:
        """A snappy-compressed block (TensorFlow's table builder compresses a block
        when that saves at least an eighth; TF 1.x savers did so by default)."""
        try:
            claimed = cramjam.snappy.decompress_raw_len(compressed)
            if claimed > _SNAPPY_MAX_RATIO * len(compressed) + 64:
                raise cramjam.DecompressionError(f"claims {claimed} bytes, more than snappy can expand to")
            return bytes(cramjam.snappy.decompress_raw(compressed))
        except cramjam.DecompressionError as exc:
            raise self._corrupt(
                f"block at offset {handle.offset} ({handle.size} bytes) is snappy-compressed "
                f"but does not decompress ({exc})"
            ) from None

    def _truncated(self, handle: BlockHandle) -> CorruptArtifact:
        return self._corrupt(
            f"block at offset {handle.offset} ({handle.size} bytes plus trailer) runs past "
            f"the end of the {len(self.data)}-byte file: the index is truncated",
            "the checkpoint was not written completely; re-save it or use an earlier one",
        )

    def entries_in_place(self, handle: BlockHandle) -> Iterator[tuple[bytes, memoryview | bytes]]:
        """The entries of one block without copying or checksumming an uncompressed
        block (its values are memoryviews; :meth:`read_block` verifies it when its
        values are read); a compressed block is verified and decompressed first."""
        end = handle.offset + handle.size
        if end + BLOCK_TRAILER_SIZE > len(self.data) - FOOTER_SIZE:
            raise self._truncated(handle)
        if self.data[end] != NO_COMPRESSION:
            yield from self.block_entries(self.read_block(handle), handle.offset)
            return
        yield from self.block_entries(memoryview(self.data)[handle.offset : end], handle.offset)

    # -- entries -------------------------------------------------------------
    def block_entries(self, block: bytes | memoryview, offset: int) -> Iterator[tuple[bytes, bytes]]:
        """The (key, value) pairs of one block; ``offset`` is used in messages."""
        size = len(block)
        if size < 4:
            raise self._corrupt(f"block at offset {offset} is too small to hold a restart count")
        (num_restarts,) = _U32.unpack_from(block, size - 4)
        if num_restarts > (size - 4) // 4:
            raise self._corrupt(
                f"block at offset {offset} claims {num_restarts} restart points, more than its size allows"
            )
        limit = size - 4 * (1 + num_restarts)
        key = b""
        pos = 0
        try:
            while pos < limit:
                if pos + 3 <= limit and block[pos] | block[pos + 1] | block[pos + 2] < 0x80:
                    shared, non_shared, value_len = block[pos], block[pos + 1], block[pos + 2]
                    pos += 3  # the common case: three one-byte varints
                else:
                    shared, pos = read_varint(block, pos, limit, 5)
                    non_shared, pos = read_varint(block, pos, limit, 5)
                    value_len, pos = read_varint(block, pos, limit, 5)
                if shared > len(key) or pos + non_shared + value_len > limit:
                    raise VarintError
                key = key[:shared] + block[pos : pos + non_shared]
                pos += non_shared
                yield key, block[pos : pos + value_len]
                pos += value_len
        except VarintError:
            raise self._corrupt(f"bad entry at byte {pos} of the block at offset {offset}") from None

    def data_handles(self) -> Iterator[BlockHandle]:
        """Where each data block is, in key order (from the index block)."""
        index = self.read_block(self.index_handle)
        for _separator, handle_bytes in self.block_entries(index, self.index_handle.offset):
            try:
                offset, pos = read_varint(handle_bytes, 0, len(handle_bytes))
                length, _ = read_varint(handle_bytes, pos, len(handle_bytes))
            except VarintError:
                raise self._corrupt("the index block holds a malformed block handle") from None
            yield BlockHandle(offset, length)

    def items(self) -> Iterator[tuple[bytes, bytes]]:
        """Every (key, value) of the table, in key order."""
        for handle in self.data_handles():
            yield from self.block_entries(self.read_block(handle), handle.offset)


def is_table_file(path: str | Path) -> bool:
    """Whether ``path`` is a regular file that ends with the table magic number."""
    try:
        if not location.isfile(path):  # never open a FIFO or device
            return False
        with open_regular(path) as f:
            size = location.handle_size(f)
            if size < FOOTER_SIZE:
                return False
            f.seek(size - 8)
            return _U64.unpack(f.read(8))[0] == TABLE_MAGIC
    except OSError:
        return False


def read_table(path: str | Path) -> list[tuple[bytes, bytes]]:
    """All (key, value) pairs of the table file at ``path``, in key order."""
    return list(Table(path).items())
