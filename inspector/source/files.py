"""Open and read input files safely: regular files only, never blocking, with a size cap.

Every file the inspector reads goes through here.  A named pipe (FIFO), a
character device such as ``/dev/zero``, a socket or a directory where a file is
expected is refused with a one-line error before anything could block or read
forever; ``os.stat`` follows symbolic links, so a ``saved_model.pb`` that links
to ``/dev/urandom`` is refused too.  The file is then opened without blocking
(``O_NONBLOCK``) and checked again on the open descriptor, so a file swapped for
a FIFO between the two checks cannot hang the process either.  Reads are capped
at a size that fits the format.  A URL is read through ``location`` with the
same caps: its size is asked before any byte is fetched, and a directory where
a file is expected is refused the same way.
"""

from __future__ import annotations

import os
import stat
from typing import BinaryIO

from ..errors import NotAnArtifact, NotFound, UnreadableInput
from .location import as_path, handle_size, is_url

# Protocol buffers cannot hold a message of 2 GiB or more (sizes are 32-bit signed).  A
# graph file is read before we know whether it is binary or text; a text proto is held in
# memory with its parsed message (text_format does not stream), so the same cap applies.
PROTO_LIMIT = 2**31 - 1
# The `checkpoint` state file: a few lines per kept checkpoint.
STATE_FILE_LIMIT = 64 << 20
# fingerprint.pb: five integers and a version record.
FINGERPRINT_LIMIT = 1 << 20
# A tensor-bundle index (one small entry per tensor); TensorFlow writes far smaller ones.
INDEX_LIMIT = PROTO_LIMIT

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def file_kind(mode: int) -> str:
    """What a non-regular file is, in words."""
    return next((words for test, words in _KINDS if test(mode)), "not a regular file")


def open_regular(path: str | os.PathLike) -> BinaryIO:
    """``path`` opened for unbuffered binary reading, once it is known to be a regular file.

    A drop-in for ``open(path, "rb", buffering=0)``: a missing or unreadable file
    raises the same ``OSError``; a directory, FIFO, device or socket raises
    ``UnreadableInput`` instead of blocking or reading forever.  The caller closes it.
    A URL is opened for ranged reads (``location.RemoteFile``); its size is
    ``location.handle_size(handle)``.
    """
    if is_url(path):
        return as_path(path).open()
    _check(path, os.stat(path))
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        _check(path, os.fstat(fd))
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb", buffering=0)
    except BaseException:
        os.close(fd)
        raise


def require_regular(path: str | os.PathLike) -> None:
    """Raise ``UnreadableInput`` unless ``path`` is a regular file (it is not opened)."""
    try:
        if is_url(path):
            as_path(path).open().close()
            return
        _check(path, os.stat(path))
    except OSError as exc:
        raise _os_error(path, exc) from None


def read_regular(path: str | os.PathLike, limit: int, what: str = "file") -> bytes:
    """The whole content of the regular file ``path``, refused when it is over ``limit`` bytes.

    Every problem is an ``InspectorError`` with a one-line message.
    """
    try:
        with open_regular(path) as handle:
            check_size(path, handle_size(handle), limit, what)
            data = _read_up_to(handle, limit + 1)
    except OSError as exc:
        raise _os_error(path, exc) from None
    if len(data) > limit:  # it grew while being read
        raise _too_big(path, len(data), limit, what)
    return data


def _read_up_to(handle: BinaryIO, count: int) -> bytes:
    chunks = []
    left = count
    while left > 0:
        chunk = handle.read(min(left, 64 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _check(path: str | os.PathLike, status: os.stat_result) -> int:
    if not stat.S_ISREG(status.st_mode):
        kind = file_kind(status.st_mode)
        if kind == "a directory":
            raise UnreadableInput(path, "is a directory where a file was expected")
        raise UnreadableInput(path, f"is {kind}, not a regular file; tfinspect reads only regular files",
                              "pass the model's own file or directory")
    return status.st_size


def check_size(path: str | os.PathLike, size: int, limit: int, what: str) -> None:
    """Refuse a file of ``size`` bytes when no valid ``what`` can be that big."""
    if size > limit:
        raise _too_big(path, size, limit, what)


def _too_big(path: str | os.PathLike, size: int, limit: int, what: str) -> NotAnArtifact:
    return NotAnArtifact(path, f"is {size:,} bytes, more than any valid {what} can be ({limit:,} bytes at most)",
                         "check that this is the right file")


def _os_error(path: str | os.PathLike, exc: OSError) -> Exception:
    if is_url(path):
        return remote_os_error(path, exc)
    if isinstance(exc, FileNotFoundError):
        return NotFound(path, "no such file", "check the path")
    if isinstance(exc, PermissionError):
        return UnreadableInput(path, "permission denied while reading the file",
                               "make it readable (chmod +r) or run as a user who can read it")
    if isinstance(exc, IsADirectoryError):
        return UnreadableInput(path, "is a directory where a file was expected")
    return UnreadableInput(path, f"cannot read the file: {exc.strerror or exc}")


def remote_os_error(path: str | os.PathLike, exc: OSError) -> Exception:
    """The one-line error for a URL that is missing, forbidden or a directory."""
    from .remote import missing, remote_error

    location = as_path(path)
    if isinstance(exc, FileNotFoundError):
        return missing(location)
    if isinstance(exc, IsADirectoryError):
        return UnreadableInput(path, "is a directory where a file was expected")
    return remote_error(location, exc)
