"""What every checkpoint reader lists, whatever the format: entries, header, findings.

:class:`CheckpointIndex` is the listing both readers share: the V2 tensor
bundle (:mod:`.bundle`) and the V1 tensor-slice file (:mod:`.slices`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from inspector.errors import InspectorError, NotFound, SelectionError

Progress = Callable[[int, int], None]


class TensorNotFound(SelectionError, KeyError):
    """The checkpoint has no tensor under the requested key."""

    def __str__(self) -> str:
        return self.one_line()


class UnsupportedDtype(InspectorError):
    """The tensor's dtype (resource, variant, ...) cannot be decoded from bytes."""


@dataclass(frozen=True)
class TensorEntry:
    """One tensor of the bundle, as described by the index."""

    key: str
    dtype: int
    dtype_name: str
    shape: tuple[int, ...]
    shard_id: int
    offset: int
    size: int  # bytes stored (for a partitioned tensor: the sum of its slices)
    crc32c: int  # masked, as stored in the index
    has_slices: bool
    shard_path: str | None  # None for a partitioned tensor (its slices hold the data)

    @property
    def num_elements(self) -> int:
        return math.prod(self.shape)


@dataclass(frozen=True)
class BundleHeader:
    num_shards: int
    big_endian: bool
    producer: int
    min_consumer: int


@dataclass(frozen=True)
class VerifyProblem:
    """A problem ``verify`` found; ``key`` is None when a whole shard is affected."""

    key: str | None
    shard_path: str
    problem: str
    expected: int | None = None  # unmasked crc32c from the index
    actual: int | None = None  # unmasked crc32c of the bytes on disk

    def one_line(self) -> str:
        what = f"tensor {self.key!r}" if self.key is not None else "shard"
        text = f"{self.shard_path}: {what}: {self.problem}"
        if self.expected is not None and self.actual is not None:
            text += f" (index says crc32c {self.expected:08x}, data has {self.actual:08x})"
        return text


class CheckpointIndex:
    """What every checkpoint reader lists: tensors by key, in stored order.

    Subclasses fill ``_entries`` and set ``prefix``, ``index_path`` (the file
    named in messages) and ``header``, and define ``shard_paths`` and
    ``missing_shards``.
    """

    prefix: str
    index_path: str
    header: BundleHeader
    format_version = 2  # the SaverDef format: 1 (tensor slices) or 2 (tensor bundle)
    shard_hint = "copy every .data-* file of the checkpoint along with its .index"
    _entries: dict[str, TensorEntry]

    def shard_paths(self) -> list[str]:
        raise NotImplementedError

    def missing_shards(self) -> list[str]:
        raise NotImplementedError

    def entries(self) -> list[TensorEntry]:
        """Every tensor in index order (the stored pieces of partitioned ones excluded)."""
        return list(self._entries.values())

    def keys(self) -> list[str]:
        return list(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __getitem__(self, key: str) -> TensorEntry:
        return self.entry(key)

    def entry(self, key: str) -> TensorEntry:
        try:
            return self._entries[key]
        except KeyError:
            raise TensorNotFound(
                self.index_path,
                f"no tensor named {key!r} in this checkpoint",
                "list the checkpoint to see its tensor names",
            ) from None

    def require_shards(self, why: str) -> None:
        """Raise NotFound naming the first missing data shard, saying ``why`` it is needed, and
        UnreadableInput for a shard that is not a regular file."""
        missing = self.missing_shards()
        if missing:
            number = self.shard_paths().index(missing[0]) + 1
            more = f" (and {len(missing) - 1} other shards)" if len(missing) > 1 else ""
            raise NotFound(
                missing[0],
                f"data shard {number} of {self.header.num_shards} is missing{more}; {why}",
                self.shard_hint,
            )
        from ..source.files import require_regular

        for path in self.shard_paths():
            require_regular(path)  # a FIFO or device would block or never end
