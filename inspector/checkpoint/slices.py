"""Read V1 checkpoints ("tensor slices"), the format ``tf.train.Saver`` wrote before V2.

A V1 checkpoint is one sorted string table file (``model.ckpt``), or several
(``model.ckpt-00000-of-00002`` ..., named by the pattern
``model.ckpt-?????-of-00002``), with no ``.index``.  Each file is a table whose
values are ``SavedTensorSlices`` messages:

* under the empty key, ``meta``: every tensor saved in this file (name, shape,
  dtype, and the slices stored);
* under an ordered-code key (0, tensor name, rank, start and length per
  dimension, see :func:`.table.decode_slice_key`), ``data``: one slice, its
  values in the TensorProto's typed field (``float_val``, ``int64_val``...).

The format has no per-tensor checksum; every table block still has one, and a
block may be snappy-compressed.  Names, values and metadata share the file:
opening checks the metadata's block and walks the others' entry headers in
place (a compressed block is read whole); a block's checksum is checked when
its values are read, and values are decoded on demand.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from google.protobuf.message import DecodeError

from inspector import protos
from inspector.checkpoint.entries import (
    BundleHeader,
    CheckpointIndex,
    Progress,
    TensorEntry,
    UnsupportedDtype,
    VerifyProblem,
)
from inspector.checkpoint.slice_keys import decode_slice_key
from inspector.checkpoint.stored import normalise_extents, numpy_dtype
from inspector.checkpoint.table import BlockHandle, Table, is_table_file
from inspector.errors import CorruptArtifact, InspectorError, NotFound, UnreadableInput
from inspector.source import location

if TYPE_CHECKING:
    import numpy as np

_SHARD = re.compile(r"-(\d{5})-of-(\d{5})$")
_SUPPORTED_VERSION = 1  # TensorFlow's TF_CHECKPOINT_VERSION
Extents = tuple[tuple[int, int], ...]


def v1_files(pattern: str | os.PathLike) -> list[str]:
    """The table files of the V1 checkpoint ``pattern`` names: itself, if it is such a
    file, or the files its glob pattern (``model.ckpt-?????-of-00002``) matches."""
    text = os.fspath(pattern)
    if any(ch in text for ch in "*?["):
        found = location.glob_files(text)
    else:
        found = [text]
    return [path for path in found if is_table_file(path)]


def v1_base(pattern: str) -> str:
    """``model.ckpt`` for ``model.ckpt-?????-of-00002`` (where the .meta is), else as is."""
    return re.sub(r"-[?\d]{5}-of-\d{5}$", "", pattern)


@dataclass(frozen=True)
class _Stored:
    """Where one stored slice is: file, block and key."""

    file_index: int
    block: BlockHandle
    key: bytes


class SliceReader(CheckpointIndex):
    """A V1 checkpoint opened for listing and reading, like :class:`.BundleReader`."""

    format_version = 1
    shard_hint = "copy every file of the V1 checkpoint (model.ckpt-NNNNN-of-NNNNN) together"

    def __init__(self, pattern: str | os.PathLike):
        self.prefix = os.fspath(pattern)
        self.files = v1_files(self.prefix)
        if not self.files:
            raise NotFound(self.prefix, "no V1 checkpoint file here",
                           "pass the checkpoint file (model.ckpt) or its directory")
        self.index_path = self.files[0]
        self._entries: dict[str, TensorEntry] = {}
        self._slices: dict[str, list[Extents]] = {}  # tensor -> the slices its metadata lists
        self._stored: dict[tuple[str, Extents], _Stored] = {}
        self._tables = [Table(path) for path in self.files]
        self._expected = self._expected_files()
        self.header = BundleHeader(num_shards=len(self._expected), big_endian=False, producer=0, min_consumer=0)
        sizes: dict[str, int] = {}
        for number, table in enumerate(self._tables):
            self._load(number, table, sizes)
        for name, entry in self._entries.items():
            # a tensor's slices may be spread over the files of a sharded checkpoint
            self._entries[name] = replace(entry, size=sizes.get(name, 0), has_slices=len(self._slices[name]) > 1)

    # -- opening ----------------------------------------------------------------
    def _expected_files(self) -> list[str]:
        """Every file a sharded checkpoint's names promise (the found ones otherwise)."""
        match = _SHARD.search(self.files[0])
        if match is None:
            return list(self.files)
        stem, count = self.files[0][: match.start()], int(match.group(2))
        return [f"{stem}-{i:05d}-of-{count:05d}" for i in range(count)]

    def _load(self, number: int, table: Table, sizes: dict[str, int]) -> None:
        path = self.files[number]
        saw_meta = False
        for handle in table.data_handles():
            # Only keys and sizes are needed here: big blocks (one per large tensor) are
            # not read; the metadata's block is checksummed before it is parsed.
            entries = table.block_entries(table.read_block(handle), handle.offset) if not saw_meta \
                else table.entries_in_place(handle)
            for key, value in entries:
                if key == b"":
                    self._load_meta(number, bytes(value))
                    saw_meta = True
                    continue
                try:
                    name, extents = decode_slice_key(key)
                except ValueError as exc:
                    raise CorruptArtifact(path, str(exc), "the checkpoint file is damaged") from None
                self._stored[(name, extents)] = _Stored(number, handle, key)
                sizes[name] = sizes.get(name, 0) + len(value)
        if not saw_meta:
            raise CorruptArtifact(
                path, "is a sorted string table without the SavedTensorSlices metadata of a V1 checkpoint",
                "if it is a V2 checkpoint's index, name it PREFIX.index beside its .data-* files",
            )

    def _load_meta(self, number: int, value: bytes) -> None:
        path = self.files[number]
        saved = _parse(value, path, "the metadata entry")
        if not saved.HasField("meta"):
            raise CorruptArtifact(path, "the first entry holds no SavedTensorSliceMeta: not a V1 checkpoint",
                                  "if it is a V2 checkpoint's index, name it PREFIX.index beside its .data-* files")
        versions = saved.meta.versions
        if versions.min_consumer > _SUPPORTED_VERSION:
            raise UnreadableInput(path, f"the checkpoint needs a reader of version {versions.min_consumer}; "
                                  f"this one reads version {_SUPPORTED_VERSION}")
        for tensor in saved.meta.tensor:
            shape = tuple(d.size for d in tensor.shape.dim)
            if tensor.shape.unknown_rank or min(shape, default=0) < 0:
                raise CorruptArtifact(path, f"tensor {tensor.name!r} has an invalid shape {list(shape)}")
            slices = [tuple((e.start, e.length if e.HasField("length") else -1) for e in s.extent)
                      for s in tensor.slice]
            self._slices.setdefault(tensor.name, []).extend(slices)
            if tensor.name not in self._entries:
                self._entries[tensor.name] = TensorEntry(
                    key=tensor.name, dtype=tensor.type, dtype_name=protos.dtype_name(tensor.type), shape=shape,
                    shard_id=number, offset=0, size=0, crc32c=0, has_slices=False, shard_path=path,
                )

    # -- listing --------------------------------------------------------------------
    def shard_paths(self) -> list[str]:
        return list(self._expected)

    def missing_shards(self) -> list[str]:
        return [path for path in self._expected if path not in self.files]

    def stored_bytes(self) -> int:
        return sum(entry.size for entry in self._entries.values())

    def object_graph(self):
        """V1 checkpoints predate object-based (TF2) checkpoints: always None."""

    # -- values ---------------------------------------------------------------------
    def read(self, key: str) -> np.ndarray:
        """The value of tensor ``key``, assembled from its slices."""
        entry = self.entry(key)
        try:
            dtype = numpy_dtype(entry.dtype)
        except KeyError:
            raise UnsupportedDtype(self.index_path, f"tensor {key!r} has dtype {entry.dtype_name}, whose "
                                   "values this reader cannot decode") from None
        if entry.num_elements > entry.size:  # every stored value takes at least one byte
            raise CorruptArtifact(entry.shard_path, f"tensor {key!r} claims shape {list(entry.shape)}, but its "
                                  f"slices hold only {entry.size} bytes", "the checkpoint file is damaged")
        import numpy as np

        out = np.empty(entry.shape, dtype=dtype)
        for spec in self._slices[key]:
            extents = normalise_extents(spec, entry.shape)
            piece = self._read_slice(entry, spec, extents)
            out[tuple(slice(s, s + n) for s, n in extents)] = piece if piece.ndim else piece[()]
        return out

    def _read_slice(self, entry: TensorEntry, spec: Extents, extents: Extents) -> np.ndarray:
        from inspector.tensors.values import decode, stored_count  # TensorProto decoding, one implementation

        stored = self._stored.get((entry.key, spec)) or next(
            (where for (name, raw), where in self._stored.items()
             if name == entry.key and normalise_extents(raw, entry.shape) == extents), None)
        if stored is None:
            raise CorruptArtifact(self.index_path, f"tensor {entry.key!r} has no stored slice {list(extents)}",
                                  "the checkpoint is incomplete; re-save it")
        path, table = self.files[stored.file_index], self._tables[stored.file_index]
        block = table.read_block(stored.block)
        value = next((v for k, v in table.block_entries(block, stored.block.offset) if k == stored.key), b"")
        tensor = _parse(value, path, f"the slice of {entry.key!r}").data.data
        tensor.dtype = entry.dtype
        tensor.tensor_shape.Clear()
        for _, length in extents:
            tensor.tensor_shape.dim.add(size=length)
        count = math.prod(n for _, n in extents)
        values = decode(tensor) if stored_count(tensor) == count else None
        if values is None:
            raise CorruptArtifact(path, f"tensor {entry.key!r} slice {list(extents)} stores "
                                  f"{stored_count(tensor)} values where its shape needs {count}",
                                  "the checkpoint file is damaged")
        return values

    def verify(self, progress: Progress | None = None) -> list[VerifyProblem]:
        """Decode every tensor (V1 files have no per-tensor checksum; each block's is checked)."""
        findings = []
        for entry in self._entries.values():
            try:
                self.read(entry.key)
            except UnsupportedDtype:
                continue
            except InspectorError as exc:
                findings.append(VerifyProblem(entry.key, exc.path or entry.shard_path or "", exc.problem))
        total = self.stored_bytes()
        if progress is not None:
            progress(total, total)
        return findings


def _parse(value: bytes, path: str, what: str):
    message = protos.SavedTensorSlices()
    try:
        message.ParseFromString(value)
    except DecodeError:
        raise CorruptArtifact(path, f"{what} is not a valid SavedTensorSlices message",
                              "the checkpoint file is damaged") from None
    return message
