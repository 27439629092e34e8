"""Reading remote files by byte ranges, and one-line errors for what goes wrong.

``location.UrlPath`` opens a ``RemoteFile``; every byte fetched goes through
``fetch`` (one ``cat_file`` call of the file system per read), and every fsspec
call through ``call``, which turns library errors into one-line messages.  Also
here: a URL whose ``//`` was collapsed to ``/`` (``gs:/bucket/model``, what
pathlib leaves of a URL), which would otherwise be reported as a missing local
directory.
"""

from __future__ import annotations

import io
import os
import re
from typing import Any, Protocol

from ..errors import InspectorError, NotFound, UnreadableInput


class Located(Protocol):
    """What this module needs of ``location.UrlPath``: the URL's file system and its path there."""

    fs: Any
    path: str

_COLLAPSED = re.compile(r"^(?P<scheme>gs|s3|hdfs|http|https|az|abfs|abfss):/(?P<rest>[^/].*)$",
                        re.IGNORECASE | re.DOTALL)


def refuse_collapsed_url(text: str) -> None:
    """Raise a one-line error when ``text`` is a URL with one slash lost and no such local path exists."""
    match = _COLLAPSED.match(text)
    if match is None or os.path.lexists(text):
        return
    url = f"{match.group('scheme').lower()}://{match.group('rest')}"
    raise NotFound(text, "is no local path, and looks like a URL that lost a slash", f"write it as {url}")


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:300]


class RemoteFile(io.RawIOBase):
    """A remote file read by byte ranges: every ``read`` fetches exactly what it asks for."""

    def __init__(self, location: Located, size: int):
        super().__init__()
        self.location, self.size, self.position = location, size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self.position, 2: self.size}[whence]
        self.position = max(0, base + offset)
        return self.position

    def tell(self) -> int:
        return self.position

    def read(self, count: int = -1) -> bytes:
        end = self.size if count is None or count < 0 else min(self.size, self.position + count)
        if end <= self.position:
            return b""
        data = fetch(self.location, self.position, end)
        self.position += len(data)
        return data

    def readall(self) -> bytes:
        return self.read(-1)

    def readinto(self, buffer) -> int:
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)


def fetch(location: Located, start: int, end: int) -> bytes:
    """Bytes ``start`` to ``end`` (exclusive) of a remote file, in one request."""
    data = call(location, "cat_file", location.path, start=start, end=end)
    if len(data) > end - start:  # an HTTP server that ignores Range sends the whole file
        data = data[start:end]
    return data


def call(location: Located, name: str, *args, **kwargs):
    """Run the file system's method ``name``; ``FileNotFoundError`` and ``PermissionError``
    pass through (as for local files), anything else becomes a one-line ``UnreadableInput``.

    Questions about names (info, ls, find, glob) of an asynchronous file system (gcsfs,
    s3fs, http) are given ``timeout()`` seconds in all, retries included, so an unreachable
    service fails within that time; reading bytes relies on the library's read timeouts.
    """
    fs = location.fs
    try:
        if name != "cat_file" and getattr(fs, "async_impl", False) and hasattr(fs, f"_{name}"):
            from fsspec.asyn import sync

            return sync(fs.loop, getattr(fs, f"_{name}"), *args, timeout=timeout(), **kwargs)
        return getattr(fs, name)(*args, **kwargs)
    except (FileNotFoundError, PermissionError, InspectorError):
        raise
    except Exception as exc:  # noqa: BLE001 - every library error becomes one line
        raise remote_error(location, exc) from None


def timeout() -> float:
    """Seconds a remote question may take in all, and a request may wait for an answer."""
    try:
        return float(os.environ.get("TFINSPECT_REMOTE_TIMEOUT", "20"))
    except ValueError:
        return 20.0


def remote_error(location: Located, exc: BaseException) -> InspectorError:
    """A one-line error for a failed remote call."""
    text = _one_line(exc)
    lowered = text.lower()
    code = getattr(exc, "code", None) or getattr(exc, "status", None)
    if isinstance(exc, PermissionError) or code in (401, 403) or "forbidden" in lowered or "access denied" in lowered or "accessdenied" in lowered:
        return UnreadableInput(location, f"permission denied: {text}",
                               "check the credentials the storage library uses and their access to the bucket")
    if "nosuchbucket" in lowered or "bucket does not exist" in lowered:
        return NotFound(location, f"the bucket {bucket(location)!r} does not exist", "check the bucket name")
    if isinstance(exc, TimeoutError) or "timeout" in type(exc).__name__.lower():
        text = f"no answer within {timeout():g} s"
    if isinstance(exc, (TimeoutError, ConnectionError, OSError)) or _network_class(exc):
        return UnreadableInput(location, f"the storage service cannot be reached ({text})",
                               "check the network connection and the endpoint, then try again")
    return UnreadableInput(location, f"cannot be read: {text}")


def _network_class(exc: BaseException) -> bool:
    names = {cls.__name__ for cls in type(exc).__mro__}
    return bool(names & {"ClientConnectorError", "ClientError", "ServerTimeoutError", "EndpointConnectionError",
                         "ConnectTimeoutError", "ReadTimeoutError", "ConnectionClosedError", "TimeoutError"})


def bucket(location: Located) -> str:
    return location.path.lstrip("/").split("/", 1)[0]


def missing(location: Located) -> InspectorError:
    """Why a URL names nothing: its bucket does not exist, or the object is not there."""
    root = bucket(location)
    if location.scheme in ("gs", "gcs", "s3", "s3a") and root and root != location.path.strip("/"):
        try:
            call(location, "info", root)
            there = True
        except FileNotFoundError:
            there = False
        if not there:
            return NotFound(location, f"the bucket {root!r} does not exist (or is not visible to these credentials)",
                            "check the bucket name and the credentials")
    return NotFound(location, "no such file or directory", "check the URL")
