"""Where an artifact lives: a local path, or a URL read through fsspec.

Local paths stay ``pathlib.Path`` objects and keep every local guarantee of
``files.py`` (regular files only, opened without blocking, size caps).  A URL
(``gs://``, ``s3://``, ``https://``, ``memory://``, any protocol fsspec knows)
becomes a ``UrlPath``: the small part of the ``Path`` interface the loader and
the checkpoint readers use (``/``, ``name``, ``parent``, ``suffix``,
``exists``, ``is_dir``, ``is_file``, ``iterdir``, ``glob``, ``stat``,
``open``), implemented with fsspec calls.  ``file://`` URLs are turned into
local paths.  Reads of remote files fetch byte ranges (``RemoteFile``): a
tensor's value is one ranged read of its bytes, not a download of its shard.

Credentials are taken the way gcsfs and s3fs take them (environment,
application default credentials, ``~/.aws``); fsspec's own configuration
(``FSSPEC_GCS_TOKEN=anon``, ``FSSPEC_S3_ENDPOINT_URL=...``) applies too.
"""

from __future__ import annotations

import fnmatch
import logging
import os
import posixpath
import re
import stat
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from types import SimpleNamespace

from ..errors import InspectorError, UnreadableInput
from .remote import RemoteFile, _one_line, call, timeout

_URL = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<rest>.*)$", re.DOTALL)
# The extra of pyproject.toml that installs each protocol's fsspec implementation.
_EXTRAS = {"gs": ("gcsfs", "gcs"), "gcs": ("gcsfs", "gcs"), "s3": ("s3fs", "s3"), "s3a": ("s3fs", "s3"),
           "http": ("aiohttp", "remote"), "https": ("aiohttp", "remote")}


def is_url(path: object) -> bool:
    """Whether ``path`` is a URL (a ``UrlPath`` or text with a ``scheme://``)."""
    if isinstance(path, UrlPath):
        return True
    return isinstance(path, str) and _URL.match(path) is not None and not _windows_drive(path)


def _windows_drive(text: str) -> bool:
    return len(text) > 1 and text[1] == ":" and text[0].isalpha() and not text.startswith(("//", "\\\\"))


def as_path(path: str | os.PathLike) -> Path | UrlPath:
    """A ``UrlPath`` for a URL, a ``Path`` for anything else (``file://`` URLs included)."""
    if isinstance(path, (UrlPath, Path)):
        return path
    text = os.fspath(path)
    match = _URL.match(text) if isinstance(text, str) else None
    if match is None:
        return Path(text)
    scheme = match.group("scheme").lower()
    if scheme in ("file", "local"):
        return Path(match.group("rest") or "/")
    return UrlPath.from_url(scheme, text)


def _filesystem(scheme: str, url: str):
    try:
        import fsspec
    except ImportError:
        raise UnreadableInput(url, "reading URLs needs fsspec, which is not installed",
                              'pip install "tfinspect[remote]"') from None
    module, extra = _EXTRAS.get(scheme, (None, "remote"))
    try:
        cls = fsspec.get_filesystem_class(scheme)
    except ValueError:
        raise UnreadableInput(url, f"no file system is known for {scheme}:// URLs",
                              "use a local path, or gs://, s3://, https:// or another fsspec protocol") from None
    except ImportError:
        raise UnreadableInput(url, f"reading {scheme}:// URLs needs {module or 'an fsspec plugin'}, "
                              "which is not installed", f'pip install "tfinspect[{extra}]"') from None
    names = cls.protocol if isinstance(cls.protocol, (tuple, list)) else (cls.protocol,)
    _quiet_library_logs()
    options = {}
    for name in (*reversed(names), scheme):  # fsspec's configuration for the protocol, by any of its names
        options.update(fsspec.config.conf.get(name, {}))
    options.update(_timeouts(scheme, options))
    try:
        return cls(**options)
    except InspectorError:
        raise
    except Exception as exc:  # noqa: BLE001 - credentials or configuration the library refuses
        raise UnreadableInput(url, f"cannot set up {scheme}:// access: {_one_line(exc)}",
                              "check the credentials and settings of the storage library") from None


def _quiet_library_logs() -> None:
    """gcsfs logs each failed retry with a traceback; the one-line error says it all.

    A ``NullHandler`` stops Python's last-resort printing to stderr only; handlers an
    application configured (on the root logger) still receive the records."""
    for name in ("gcsfs", "s3fs", "fsspec", "aiobotocore", "botocore"):
        logger = logging.getLogger(name)
        if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
            logger.addHandler(logging.NullHandler())


def _timeouts(scheme: str, options: dict) -> dict:
    """Bounded waits, so an unreachable host fails within seconds instead of hanging."""
    if scheme in ("s3", "s3a"):
        config = dict(options.get("config_kwargs") or {})
        config.setdefault("connect_timeout", timeout())
        config.setdefault("read_timeout", timeout())
        config.setdefault("retries", {"max_attempts": 2})
        return {"config_kwargs": config}
    if scheme in ("gs", "gcs"):
        return {"requests_timeout": options.get("requests_timeout", timeout())}
    return {}


class UrlPath:
    """A file or directory at a URL; the subset of ``pathlib.Path`` tfinspect uses."""

    __slots__ = ("fs", "path", "scheme")

    def __init__(self, fs, scheme: str, path: str):
        self.fs, self.scheme, self.path = fs, scheme, path.rstrip("/") or path

    @classmethod
    def from_url(cls, scheme: str, url: str) -> UrlPath:
        fs = _filesystem(scheme, url)
        return cls(fs, scheme, fs._strip_protocol(url))

    # -- names ---------------------------------------------------------------
    def __str__(self) -> str:
        if "://" in self.path:  # file systems such as http keep the whole URL as the path
            return self.path
        return f"{self.scheme}://{self.path}"

    __fspath__ = __str__

    def __repr__(self) -> str:
        return f"UrlPath({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UrlPath) and str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))

    def __lt__(self, other: UrlPath) -> bool:
        return str(self) < str(other)

    def __truediv__(self, name: str) -> UrlPath:
        return UrlPath(self.fs, self.scheme, posixpath.join(self.path, os.fspath(name)))

    def _sibling(self, path: str) -> UrlPath:
        return UrlPath(self.fs, self.scheme, path)

    @property
    def name(self) -> str:
        return posixpath.basename(self.path)

    @property
    def parent(self) -> UrlPath:
        return self._sibling(posixpath.dirname(self.path) or self.path)

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.name).suffix

    @property
    def stem(self) -> str:
        return PurePosixPath(self.name).stem

    def with_name(self, name: str) -> UrlPath:
        return self.parent / name

    def with_suffix(self, suffix: str) -> UrlPath:
        return self.parent / PurePosixPath(self.name).with_suffix(suffix).name

    def resolve(self) -> UrlPath:
        return self

    absolute = resolve

    # -- questions -----------------------------------------------------------
    def _info(self) -> dict | None:
        listed = _LISTED.get((id(self.fs), self.path))
        if listed is not None:
            return listed
        root = _covering_tree(self)
        if root is not None:  # under a listed tree, and not in the listing: not there
            return None
        try:
            return call(self, "info", self.path)
        except FileNotFoundError:
            return None

    def list_tree(self) -> None:
        """List everything below this directory in one request, and answer later
        questions about it (exists, is_file, iterdir, size) from that listing."""
        if _covering_tree(self) is not None:
            return
        self._remember(call(self, "find", self.path, withdirs=True, detail=True))

    def remember_files(self, files: Iterable[tuple[str, int, str | None]]) -> None:
        """Take ``(name below this directory, size, change token)`` of every file in it as its listing.

        For a process that inspects part of a tree another process listed: questions
        about the files below are answered from these entries, with no request."""
        self._remember({posixpath.join(self.path, name): {"type": "file", "size": size, "token": token}
                        for name, size, token in files})

    def listed_files(self) -> list[tuple[str, int, str | None]]:
        """Every file below this directory, from one listing: ``(name below it, size, change token)``.

        The token is what the store says changes with the content (GCS's generation, S3's ETag,
        else a modification time); None when the store gives none."""
        self.list_tree()
        key, start = id(self.fs), self.path + "/"
        return sorted((name[len(start):], info["size"], info.get("token"))
                      for (fs_key, name), info in list(_LISTED.items())
                      if fs_key == key and name.startswith(start) and info["type"] == "file")

    def listed_dirs(self) -> list[str]:
        """Every folder below this directory (names below it), from the same listing."""
        self.list_tree()
        key, start = id(self.fs), self.path + "/"
        return sorted(name[len(start):] for (fs_key, name), info in list(_LISTED.items())
                      if fs_key == key and name.startswith(start) and info["type"] == "directory")

    def _remember(self, found: dict) -> None:
        key = id(self.fs)
        _LISTED[(key, self.path)] = {"name": self.path, "type": "directory", "size": 0}
        children: dict[str, list[str]] = {self.path: []}
        for name, info in sorted(found.items()):
            name = name.rstrip("/")
            if name == self.path:
                continue
            kind = "directory" if info.get("type") == "directory" else "file"
            _LISTED[(key, name)] = {"name": name, "type": kind, "size": int(info.get("size") or 0),
                                    "token": _change_token(info)}
            # a file's folders are directories even when the store keeps no object for them
            parent = posixpath.dirname(name)
            while parent != self.path and parent.startswith(self.path + "/") and (key, parent) not in _LISTED:
                _LISTED[(key, parent)] = {"name": parent, "type": "directory", "size": 0}
                parent = posixpath.dirname(parent)
        for (fs_key, name), _ in list(_LISTED.items()):
            if fs_key == key and name.startswith(self.path + "/"):
                children.setdefault(posixpath.dirname(name), []).append(name)
        _TREES[(key, self.path)] = children

    def exists(self) -> bool:
        return self._info() is not None

    def is_dir(self) -> bool:
        info = self._info()
        return info is not None and info.get("type") == "directory"

    def is_file(self) -> bool:
        info = self._info()
        return info is not None and info.get("type") == "file"

    def is_symlink(self) -> bool:
        return False

    def stat(self) -> SimpleNamespace:
        info = self._info()
        if info is None:
            raise FileNotFoundError(2, "no such file", str(self))
        mode = stat.S_IFDIR if info.get("type") == "directory" else stat.S_IFREG
        return SimpleNamespace(st_size=int(info.get("size") or 0), st_mode=mode, st_ino=0, st_mtime_ns=0)

    def iterdir(self) -> list[UrlPath]:
        """The directory's children, in one listing request (none when its tree was listed)."""
        root = _covering_tree(self)
        if root is not None:
            return [self._sibling(n) for n in sorted(_TREES[root].get(self.path, []))]
        names = call(self, "ls", self.path, detail=False)
        return [self._sibling(n.rstrip("/")) for n in names if n.rstrip("/") != self.path]

    def glob(self, pattern: str) -> list[UrlPath]:
        if "/" not in pattern and _covering_tree(self) is not None:  # answered by the listing
            return [child for child in self.iterdir() if fnmatch.fnmatchcase(child.name, pattern)]
        found = call(self, "glob", posixpath.join(self.path, pattern))
        return [self._sibling(p) for p in found]

    def tree_size(self) -> int:
        """Bytes of every file below this directory (or of this file)."""
        if not self.is_dir():
            return self.stat().st_size
        self.list_tree()
        key = id(self.fs)
        return sum(info["size"] for (fs_key, name), info in list(_LISTED.items())
                   if fs_key == key and name.startswith(self.path + "/") and info["type"] == "file")

    def rglob(self, pattern: str) -> list[UrlPath]:
        found = call(self, "find", self.path)
        return [self._sibling(p) for p in found if PurePosixPath(p).match(pattern)]

    # -- reading -------------------------------------------------------------
    def open(self, mode: str = "rb") -> RemoteFile:
        """The file for ranged reads; a directory or missing file raises as ``open`` does."""
        if mode != "rb":
            raise ValueError("URLs are opened for reading only")
        info = self._info()
        if info is None:
            raise FileNotFoundError(2, "no such file", str(self))
        if info.get("type") != "file":
            raise IsADirectoryError(21, "is a directory", str(self))
        return RemoteFile(self, int(info.get("size") or 0))


# What a listing says changes when an object is rewritten, in the order of preference.
_TOKEN_KEYS = ("token", "generation", "ETag", "etag", "md5Hash", "mtime", "LastModified", "updated", "created")


def _change_token(info: dict) -> str | None:
    for name in _TOKEN_KEYS:
        value = info.get(name)
        if value:
            return str(value).strip('"')
    return None


# What listed trees showed: (id(fs), path) -> info; (id(fs), tree root) -> folder -> children.
_LISTED: dict[tuple[int, str], dict] = {}
_TREES: dict[tuple[int, str], dict[str, list[str]]] = {}


def _covering_tree(location: UrlPath) -> tuple[int, str] | None:
    key = id(location.fs)
    path = location.path
    while True:
        if (key, path) in _TREES:
            return key, path
        parent = posixpath.dirname(path)
        if not parent or parent == path:
            return None
        path = parent


def forget_listings() -> None:
    """Drop what listings showed (for a long-lived process whose buckets change)."""
    _LISTED.clear()
    _TREES.clear()


# -- the same questions for text paths, local or remote (used by the checkpoint readers) -------
def exists(path: str | os.PathLike) -> bool:
    return as_path(path).exists()


def isfile(path: str | os.PathLike) -> bool:
    return as_path(path).is_file()


def isdir(path: str | os.PathLike) -> bool:
    return as_path(path).is_dir()


def glob_files(pattern: str) -> list[str]:
    """The names ``pattern`` matches, sorted (``glob.glob`` for local paths)."""
    if not is_url(pattern):
        import glob

        return sorted(glob.glob(pattern))
    location = as_path(pattern)
    return sorted(str(p) for p in location.parent.glob(location.name))


def abspath(path: str) -> str:
    return path if is_url(path) else os.path.abspath(path)


def realpath(path: str) -> str:
    return path if is_url(path) else os.path.realpath(path)


def handle_stat(handle) -> os.stat_result | SimpleNamespace:
    """``os.fstat`` of an open file; for a remote file, its size (no inode or time)."""
    if isinstance(handle, RemoteFile):
        return SimpleNamespace(st_size=handle.size, st_ino=0, st_mtime_ns=0, st_mode=stat.S_IFREG)
    return os.fstat(handle.fileno())


def handle_size(handle) -> int:
    """The size of an open file, local or remote."""
    if isinstance(handle, RemoteFile):
        return handle.size
    return os.fstat(handle.fileno()).st_size
