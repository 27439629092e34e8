"""Checksum every tensor of a bundle shard, reading each byte once (``ckpt --verify``)."""

from __future__ import annotations

import google_crc32c

from inspector.checkpoint.entries import Progress, TensorEntry, VerifyProblem
from inspector.checkpoint.stored import CHUNK_SIZE, DT_STRING, decode_strings
from inspector.checkpoint.table import unmask_crc
from inspector.errors import InspectorError
from inspector.source import location
from inspector.source.files import open_regular


class Meter:
    """Counts bytes checked; calls ``progress`` every CHUNK_SIZE bytes and at the end."""

    def __init__(self, total: int, progress: Progress | None):
        self.total, self.done, self.reported, self.progress = total, 0, 0, progress

    def advance(self, count: int) -> None:
        self.done += count
        if self.progress is not None and self.done - self.reported >= CHUNK_SIZE:
            self.reported = self.done
            self.progress(self.done, self.total)

    def finish(self) -> None:
        if self.progress is not None:
            self.progress(self.total, self.total)


def verify_shard(
    path: str, items: list[tuple[str, TensorEntry]], big_endian: bool, meter: Meter
) -> list[VerifyProblem]:
    """Check the entries of one shard in offset order."""
    findings: list[VerifyProblem] = []
    try:
        f = open_regular(path)  # closed in the finally below
    except (OSError, InspectorError) as exc:
        problem = "is missing" if isinstance(exc, FileNotFoundError) else \
            f"cannot be read: {getattr(exc, 'problem', None) or exc}"
        findings.append(VerifyProblem(None, path, f"shard file {problem}; {len(items)} tensors not checked"))
        meter.advance(sum(e.size for _, e in items))
        return findings
    try:
        file_size = location.handle_size(f)
        for name, entry in items:
            end = entry.offset + entry.size
            if end > file_size:
                problem = f"shard too short: the tensor needs bytes up to {end}, the shard has {file_size}"
                findings.append(VerifyProblem(name, path, problem))
                meter.advance(entry.size)
                continue
            f.seek(entry.offset)
            if entry.dtype == DT_STRING:
                try:
                    _, actual = decode_strings(f.read(entry.size), entry.num_elements, big_endian)
                except ValueError as exc:
                    findings.append(VerifyProblem(name, path, str(exc)))
                    continue
                finally:
                    meter.advance(entry.size)
            else:
                actual, position = 0, entry.offset
                while position < end:
                    chunk = f.read(min(CHUNK_SIZE, end - position))
                    if not chunk:
                        raise OSError(f"the shard ended at byte {position} while being read")
                    actual = google_crc32c.extend(actual, chunk)
                    position += len(chunk)
                    meter.advance(len(chunk))
            expected = unmask_crc(entry.crc32c)
            if actual != expected:
                findings.append(VerifyProblem(name, path, "crc32c mismatch", expected, actual))
    except OSError as exc:
        findings.append(VerifyProblem(None, path, f"shard cannot be read: {exc.strerror or exc}"))
    finally:
        f.close()
    return findings
