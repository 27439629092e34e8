"""Read TensorFlow tensor bundles (V2 checkpoints) without TensorFlow.

A bundle is ``{prefix}.index`` (a sorted string table, see :mod:`.table`) plus
data shards ``{prefix}.data-{i:05d}-of-{n:05d}``.  The index maps the empty key
to a ``BundleHeaderProto`` and every tensor name to a ``BundleEntryProto``
saying where its bytes are (shard, offset, size) and their masked crc32c.  A
partitioned tensor's entry has ``slices`` and no data; each slice is stored
under an ordered-code key.  Opening and listing read only the index; values
are read on demand from the shards.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
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
from inspector.checkpoint.stored import (
    DT_STRING,
    checked_strings,
    decode_value,
    normalise_extents,
    numpy_dtype,
)
from inspector.checkpoint.table import Table
from inspector.checkpoint.verify import Meter, verify_shard
from inspector.errors import (
    CorruptArtifact,
    NotFound,
    UnreadableInput,
)
from inspector.source import location
from inspector.source.files import open_regular

if TYPE_CHECKING:
    import numpy as np

HEADER_KEY = b""
OBJECT_GRAPH_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH"
_DATA_SUFFIX = re.compile(r"\.data-\d{5}-of-\d{5}$")
_SUPPORTED_VERSION = 1  # the bundle format version this reader understands

def split_prefix(path: str | Path) -> str:
    """The bundle prefix for a prefix, an ``.index`` path or a ``.data-…`` path."""
    text = os.fspath(path)
    if text.endswith(".index"):
        return text[: -len(".index")]
    return _DATA_SUFFIX.sub("", text)


def data_path(prefix: str, shard_id: int, num_shards: int) -> str:
    return f"{prefix}.data-{shard_id:05d}-of-{num_shards:05d}"


class BundleReader(CheckpointIndex):
    """A tensor bundle opened for listing, reading and verification.

    Opening reads and parses the ``.index`` file only.
    """

    def __init__(self, prefix: str | Path):
        self.prefix = split_prefix(prefix)
        self.index_path = f"{self.prefix}.index"
        if not location.exists(self.index_path):
            raise NotFound(
                self.index_path,
                "no tensor-bundle index here",
                "pass a checkpoint prefix such as 'model.ckpt-10' (the name before "
                "'.index'), its .index file, or a directory holding a 'checkpoint' file",
            )
        self._entries: dict[str, TensorEntry] = {}
        # name of a partitioned tensor -> (start, length) per dimension -> stored slice
        self._slices: dict[str, dict[tuple[tuple[int, int], ...], TensorEntry]] = {}
        self._slice_specs: dict[str, list[tuple[tuple[int, int], ...]]] = {}
        self._load()

    # -- loading the index -------------------------------------------------
    def _load(self) -> None:
        items = Table(self.index_path).items()
        first = next(items, None)
        if first is None or first[0] != HEADER_KEY:
            raise CorruptArtifact(
                self.index_path,
                "the index has no header entry (empty key) first: not a tensor bundle",
                "pass a TensorFlow V2 checkpoint (.index plus .data-* files)",
            )
        header = protos.BundleHeaderProto()
        self._parse(header, first[1], "the header")
        self.header = BundleHeader(
            num_shards=header.num_shards,
            big_endian=header.endianness == protos.BundleHeaderProto.BIG,
            producer=header.version.producer,
            min_consumer=header.version.min_consumer,
        )
        if header.version.min_consumer > _SUPPORTED_VERSION:
            raise UnreadableInput(
                self.index_path,
                f"the bundle needs a reader of format version {header.version.min_consumer}; "
                f"this one reads version {_SUPPORTED_VERSION}",
                "the checkpoint was written by a newer TensorFlow; upgrade tfinspect",
            )
        if header.num_shards < 1:
            raise CorruptArtifact(
                self.index_path, f"the header says the bundle has {header.num_shards} data shards"
            )
        self._shard_paths: dict[int, str] = {}
        self._dtype_names: dict[int, str] = {}
        for raw_key, value in items:
            key = raw_key.decode("utf-8", "surrogateescape")
            proto = protos.BundleEntryProto()
            self._parse(proto, value, f"the entry for {key!r}")
            entry = self._make_entry(key, proto)
            if raw_key[:1] == b"\x00":  # one stored slice of a partitioned tensor
                try:
                    name, extents = decode_slice_key(raw_key)
                except ValueError as exc:
                    raise CorruptArtifact(self.index_path, str(exc)) from None
                self._slices.setdefault(name, {})[extents] = entry
            else:
                self._entries[key] = entry
                if proto.slices:
                    self._slice_specs[key] = [
                        tuple((e.start, e.length if e.HasField("length") else -1) for e in s.extent)
                        for s in proto.slices
                    ]
        for name, parts in self._slices.items():  # a partitioned tensor's bytes are its slices'
            if name in self._entries:
                self._entries[name] = replace(self._entries[name], size=sum(p.size for p in parts.values()))

    def _parse(self, message, data: bytes, what: str) -> None:
        try:
            message.ParseFromString(data)
        except DecodeError:
            raise CorruptArtifact(
                self.index_path,
                f"{what} is not a valid {type(message).__name__}",
                "the index is corrupt; restore it from a backup or re-save the checkpoint",
            ) from None

    def _make_entry(self, key: str, proto) -> TensorEntry:
        dims = tuple([d.size for d in proto.shape.dim])
        if proto.shape.unknown_rank or min(dims, default=0) < 0:
            raise CorruptArtifact(self.index_path, f"tensor {key!r} has an invalid shape {dims}")
        shard_id, dtype = proto.shard_id, proto.dtype
        if shard_id >= self.header.num_shards:
            raise CorruptArtifact(
                self.index_path,
                f"tensor {key!r} is in shard {shard_id}, but the bundle has {self.header.num_shards}",
            )
        if dtype not in self._dtype_names:
            self._dtype_names[dtype] = protos.dtype_name(dtype)
        has_slices = len(proto.slices) > 0
        return TensorEntry(
            key=key,
            dtype=dtype,
            dtype_name=self._dtype_names[dtype],
            shape=dims,
            shard_id=shard_id,
            offset=proto.offset,
            size=proto.size,
            crc32c=proto.crc32c,
            has_slices=has_slices,
            shard_path=None if has_slices else self._shard_path(shard_id),
        )

    def _shard_path(self, shard_id: int) -> str:
        path = self._shard_paths.get(shard_id)
        if path is None:
            path = self._shard_paths[shard_id] = data_path(self.prefix, shard_id, self.header.num_shards)
        return path

    def stored_bytes(self) -> int:
        """Bytes of tensor data in the shards, slices of partitioned tensors included."""
        return sum(entry.size for _, entry in self._stored_entries())

    def shard_paths(self) -> list[str]:
        return [data_path(self.prefix, i, self.header.num_shards) for i in range(self.header.num_shards)]

    def missing_shards(self) -> list[str]:
        """The data shard files the header promises that are not there (listing works
        without them; values and verification do not)."""
        return [path for path in self.shard_paths() if not location.exists(path)]

    # -- reading values ----------------------------------------------------
    def read(self, key: str) -> np.ndarray:
        """The value of tensor ``key``, checked against its crc32c."""
        entry = self.entry(key)
        if entry.has_slices:
            return self._read_partitioned(entry)
        return self._read_entry(entry, entry.key)

    def _read_entry(self, entry: TensorEntry, name: str) -> np.ndarray:
        dtype = self._dtype_for(entry, name)
        data = self._read_bytes(entry, name)
        return decode_value(entry, data, dtype, self.header.big_endian, self._corrupt_data(entry, name))

    def _dtype_for(self, entry: TensorEntry, name: str) -> np.dtype | None:
        try:
            return numpy_dtype(entry.dtype)
        except KeyError:
            raise UnsupportedDtype(
                self.index_path,
                f"tensor {name!r} has dtype {entry.dtype_name}, whose stored bytes cannot "
                "be decoded without TensorFlow's runtime",
                "its dtype and shape are still listed; only the value is unavailable",
            ) from None

    def _corrupt_data(self, entry: TensorEntry, name: str) -> Callable[[str], CorruptArtifact]:
        def make(problem: str) -> CorruptArtifact:
            return CorruptArtifact(
                entry.shard_path,
                f"tensor {name!r} (offset {entry.offset}, {entry.size} bytes): {problem}",
                "the data shard is damaged; restore it or use another checkpoint",
            )

        return make

    def _read_bytes(self, entry: TensorEntry, name: str) -> bytearray:
        path = entry.shard_path
        assert path is not None
        try:
            with open_regular(path) as f:
                file_size = location.handle_size(f)
                # never allocate more than the shard holds: the index may claim any size
                data = bytearray(max(0, min(entry.size, file_size - entry.offset)))
                f.seek(entry.offset)
                got = f.readinto(data) or 0
                while 0 < got < entry.size and (more := f.readinto(memoryview(data)[got:])):
                    got += more
        except FileNotFoundError:
            raise NotFound(
                path,
                f"data shard {entry.shard_id + 1} of {self.header.num_shards} is missing "
                f"(it holds tensor {name!r})",
                "copy every .data-* file of the checkpoint along with its .index",
            ) from None
        except OSError as exc:
            raise UnreadableInput(path, f"cannot be read: {exc.strerror or exc}") from None
        if got != entry.size:
            raise CorruptArtifact(
                path,
                f"shard is {file_size} bytes, too short for tensor {name!r} at offset "
                f"{entry.offset} with {entry.size} bytes: the shard is truncated",
                "the checkpoint was not copied or written completely",
            )
        return data

    def _read_partitioned(self, entry: TensorEntry) -> np.ndarray:
        import numpy as np

        dtype = self._dtype_for(entry, entry.key)
        out = np.empty(entry.shape, dtype=dtype)
        stored = {
            normalise_extents(raw, entry.shape): part for raw, part in self._slices.get(entry.key, {}).items()
        }
        for spec in self._slice_specs[entry.key]:
            extents = normalise_extents(spec, entry.shape)
            part = stored.get(extents)
            if part is None:
                raise CorruptArtifact(
                    self.index_path,
                    f"partitioned tensor {entry.key!r} has no stored slice {list(extents)}",
                    "the index is incomplete; re-save the checkpoint",
                )
            out[tuple(slice(s, s + n) for s, n in extents)] = self._read_entry(part, entry.key)
        return out

    # -- verification --------------------------------------------------------
    def _stored_entries(self) -> list[tuple[str, TensorEntry]]:
        """(display name, entry) of everything that has bytes in a shard."""
        found = [(e.key, e) for e in self._entries.values() if not e.has_slices]
        for name, parts in self._slices.items():
            for extents, part in parts.items():
                found.append((f"{name}{list(extents)}", part))
        return found

    def verify(self, progress: Progress | None = None) -> list[VerifyProblem]:
        """Recompute every tensor's crc32c; return what does not match (never raises
        for damaged data)."""
        by_shard: dict[str, list[tuple[str, TensorEntry]]] = {}
        for name, entry in self._stored_entries():
            by_shard.setdefault(entry.shard_path or "", []).append((name, entry))
        meter = Meter(sum(e.size for items in by_shard.values() for _, e in items), progress)
        findings: list[VerifyProblem] = []
        for path in sorted(by_shard):
            items = sorted(by_shard[path], key=lambda item: item[1].offset)
            findings.extend(verify_shard(path, items, self.header.big_endian, meter))
        meter.finish()
        return findings

    # -- TF2 object-based checkpoints -----------------------------------------
    def object_graph(self):
        """The ``TrackableObjectGraph`` of a TF2 checkpoint, or None for a TF1 one."""
        if OBJECT_GRAPH_KEY not in self._entries:
            return None
        if getattr(self, "_object_graph_bytes", None) is None:  # read once: it may be a remote ranged read
            entry = self.entry(OBJECT_GRAPH_KEY)
            if entry.dtype == DT_STRING and not entry.has_slices:  # as always: read without numpy
                values = checked_strings(entry, self._read_bytes(entry, entry.key), self.header.big_endian,
                                          self._corrupt_data(entry, entry.key))
            else:
                values = list(self.read(OBJECT_GRAPH_KEY).reshape(-1))
            self._object_graph_bytes = bytes(values[0]) if len(values) else b""
        graph = protos.TrackableObjectGraph()
        try:
            if not self._object_graph_bytes:
                raise IndexError
            graph.ParseFromString(self._object_graph_bytes)
        except (DecodeError, IndexError):
            raise CorruptArtifact(
                self.index_path,
                f"{OBJECT_GRAPH_KEY} does not hold a valid TrackableObjectGraph",
            ) from None
        return graph
