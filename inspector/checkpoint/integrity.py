"""Is every byte a checkpoint's index promises there?  The shards, by size, and (when asked) by checksum.

A copy that is still running, or an upload that failed, leaves a data shard missing or
shorter than the index says, or the right length with a tail of zeros.  TensorFlow's
restore then fails (``NotFoundError``, ``OutOfRangeError: Read less bytes than
requested``, ``DataLossError: Checksum does not match``) while the index, and so every
listing, looks whole.

:func:`shard_damage` answers from each shard's size alone (a ``stat``, or the one
listing of a URL's tree): every shard the index names exists, and is at least as long
as the largest ``offset + size`` the index gives it.  :func:`checksum_damage` reads
every byte and compares each tensor's crc32c (``ckpt --verify``'s reader method).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from inspector.checkpoint.entries import CheckpointIndex, TensorEntry, VerifyProblem
from inspector.errors import InspectorError
from inspector.source import location


@dataclass(frozen=True)
class ShardDamage:
    """One data shard that cannot give TensorFlow the bytes its index promises."""

    shard_path: str
    number: int  # 1-based
    count: int  # shards in the bundle
    problem: str  # "missing", "short" or "unreadable"
    size: int | None  # bytes on disk (None when missing)
    needed: int  # bytes the index needs from it (the largest offset + size)
    tensors: int  # tensors whose bytes are not all there
    first_key: str | None  # the first of them, in offset order

    def one_line(self) -> str:
        name = os.path.basename(self.shard_path)
        tensors = f"{self.tensors} tensor{'s' if self.tensors != 1 else ''}"
        first = f" (first: {self.first_key!r})" if self.first_key else ""
        where = f"data shard {self.number} of {self.count} ({name})"
        if self.problem == "missing":
            return f"{where} is missing; the index puts {tensors} in it{first}"
        if self.problem == "unreadable":
            return f"{where} is not a regular file; the index puts {tensors} in it{first}"
        return (f"{where} is {self.size:,} bytes but the index needs {self.needed:,}: {tensors} "
                f"lie past its end{first}; the shard is cut short")


@dataclass(frozen=True)
class Integrity:
    """What a checkpoint lacks, as one fact every command reports the same way."""

    prefix: str
    index_error: str | None = None  # the .index cannot be read
    shards: tuple[ShardDamage, ...] = ()
    checksums: tuple[VerifyProblem, ...] | None = None  # None: not verified

    @property
    def ok(self) -> bool:
        return self.index_error is None and not self.shards and not self.checksums

    @property
    def verified(self) -> bool:
        return self.checksums is not None

    def problems(self) -> list[str]:
        """Every problem as one line, the shard or tensor named."""
        lines = [f"{self.prefix}.index cannot be read: {self.index_error}"] if self.index_error else []
        lines += [damage.one_line() for damage in self.shards]
        lines += [problem.one_line() for problem in self.checksums or ()]
        return lines

    def summary(self) -> str | None:
        """One line for a listing's warnings, or None when nothing is wrong."""
        problems = self.problems()
        if not problems:
            return None
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        return f"INCOMPLETE checkpoint: {problems[0]}{more}; TensorFlow cannot restore it"


def _stored(reader: CheckpointIndex) -> list[tuple[str, TensorEntry]]:
    """(name, entry) of everything with bytes in a shard: partitioned tensors' slices included."""
    stored = getattr(reader, "_stored_entries", None)
    if stored is not None:
        return stored()
    return [(e.key, e) for e in reader.entries() if e.shard_path is not None]


def shard_damage(reader: CheckpointIndex) -> tuple[ShardDamage, ...]:
    """The shards that are missing or shorter than the index needs, from their sizes alone."""
    paths = reader.shard_paths()
    count = len(paths)
    by_shard: dict[str, list[tuple[str, TensorEntry]]] = {path: [] for path in paths}
    for name, entry in _stored(reader):
        if entry.shard_path is not None:
            by_shard.setdefault(entry.shard_path, []).append((name, entry))
    if reader.format_version == 1:  # tables read whole when opened: only a missing file can remain
        missing = set(reader.missing_shards())
        return tuple(ShardDamage(p, i + 1, count, "missing", None, 0, len(by_shard.get(p, [])),
                                 by_shard[p][0][0] if by_shard.get(p) else None)
                     for i, p in enumerate(paths) if p in missing)
    found: list[ShardDamage] = []
    for number, path in enumerate(paths, start=1):
        items = sorted(by_shard.get(path, []), key=lambda item: (item[1].offset, item[0]))
        needed = max((e.offset + e.size for _, e in items), default=0)
        try:
            status = location.as_path(path).stat()
        except FileNotFoundError:
            first = items[0][0] if items else None
            found.append(ShardDamage(path, number, count, "missing", None, needed, len(items), first))
            continue
        except (OSError, InspectorError):
            continue  # a permission or network problem: reading the values says so
        import stat

        if not stat.S_ISREG(status.st_mode):
            first = items[0][0] if items else None
            found.append(ShardDamage(path, number, count, "unreadable", None, needed, len(items), first))
            continue
        size = status.st_size
        if size < needed:
            short = [name for name, e in items if e.offset + e.size > size]
            found.append(ShardDamage(path, number, count, "short", size, needed, len(short), short[0]))
    return tuple(found)


def checksum_damage(reader: CheckpointIndex) -> tuple[VerifyProblem, ...]:
    """Every tensor whose bytes do not match the crc32c its index gives (reads every byte)."""
    return tuple(reader.verify())


def integrity(prefix: str, reader_or_error: CheckpointIndex | InspectorError,
              verify: bool = False) -> Integrity:
    """The checkpoint's integrity; ``verify`` also reads and checksums every tensor."""
    if isinstance(reader_or_error, InspectorError):
        problem = getattr(reader_or_error, "problem", None) or str(reader_or_error)
        return Integrity(prefix, index_error=problem)
    reader = reader_or_error
    shards = shard_damage(reader)
    checksums = None
    if verify:
        damaged = {d.shard_path for d in shards}
        # a missing or short shard is already named; checksum what is there
        checksums = tuple(p for p in checksum_damage(reader)
                          if p.shard_path not in damaged)
    return Integrity(prefix, shards=shards, checksums=checksums)
