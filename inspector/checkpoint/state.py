"""The ``checkpoint`` state file and turning a user's path into a bundle prefix.

TensorFlow's checkpoint managers keep a text-format ``CheckpointState`` named
``checkpoint`` beside the bundles: ``model_checkpoint_path`` (the newest),
``all_model_checkpoint_paths`` (those kept), and optionally their timestamps.
Relative paths are relative to the file's directory.  Savers of TF1 write
absolute paths, which break when the directory is moved; this module then
looks for the same file name beside the state file and says so in a warning.
"""

from __future__ import annotations

import dataclasses
import functools
import glob
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from google.protobuf import text_format

from inspector import protos
from inspector.checkpoint.bundle import BundleReader, split_prefix
from inspector.checkpoint.entries import CheckpointIndex
from inspector.checkpoint.slices import SliceReader, v1_files
from inspector.errors import CorruptArtifact, NotFound, SelectionError, UnreadableInput
from inspector.source import location
from inspector.source.files import STATE_FILE_LIMIT, check_size, open_regular

STATE_FILE = "checkpoint"
WARN_EACH = 5  # warnings of one kind shown one by one; more are counted


@dataclass(frozen=True)
class CheckpointRef:
    """One checkpoint named by the state file."""

    recorded: str  # the path as written in the state file
    prefix: str  # where the bundle actually is
    timestamp: float | None = None  # seconds since the epoch, when recorded


@dataclass
class CheckpointStateInfo:
    state_file: str
    current: CheckpointRef | None
    all: list[CheckpointRef] = field(default_factory=list)
    last_preserved_timestamp: float | None = None
    warnings: list[str] = field(default_factory=list)


def bundle_exists(prefix: str) -> bool:
    return location.isfile(f"{prefix}.index")


def checkpoint_exists(prefix: str) -> bool:
    """A V2 bundle (``prefix.index``) or a V1 checkpoint (the file or files ``prefix`` names)."""
    return bundle_exists(prefix) or bool(v1_files(prefix))


def open_checkpoint(prefix: str | Path) -> CheckpointIndex:
    """The reader for the checkpoint at ``prefix``: V2 when ``prefix.index`` exists
    (as TensorFlow prefers it), else V1 when ``prefix`` names V1 files."""
    text = os.fspath(prefix)
    if not bundle_exists(split_prefix(text)) and v1_files(text):
        return SliceReader(text)
    return BundleReader(text)


def _state_path(path: str | Path) -> str:
    text = os.fspath(path)
    return os.path.join(text, STATE_FILE) if location.isdir(text) else text


def read_checkpoint_state(path: str | Path) -> CheckpointStateInfo:
    """Parse the ``checkpoint`` file at ``path`` (or in directory ``path``) and
    locate the bundles it names.

    The current checkpoint must exist (``NotFound`` otherwise); older ones that
    are gone are left out of ``all`` with a warning.
    """
    state_file = _state_path(path)
    try:
        with open_regular(state_file) as f:
            status = location.handle_stat(f)
            check_size(state_file, status.st_size, STATE_FILE_LIMIT, "checkpoint state file")
            text = f.read(STATE_FILE_LIMIT).decode("utf-8")
    except FileNotFoundError:
        raise NotFound(
            state_file, "no checkpoint state file here", "pass a checkpoint prefix instead"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UnreadableInput(state_file, f"cannot be read as text: {exc}") from None
    # Loading a checkpoint directory reads the state file twice (to resolve the prefix,
    # then to describe it); for 100,000 paths, parsing and locating take seconds.
    key = (state_file, location.abspath(state_file), status.st_ino, status.st_mtime_ns, status.st_size)
    if key not in _LAST:
        _LAST.clear()
        _LAST[key] = _interpret(state_file, text)
    info = _LAST[key]
    return dataclasses.replace(info, all=list(info.all), warnings=list(info.warnings))


_LAST: dict[tuple, CheckpointStateInfo] = {}  # the last state file read, by path, inode, mtime and size


def _interpret(state_file: str, text: str) -> CheckpointStateInfo:
    state = protos.CheckpointState()
    try:
        text_format.Parse(text, state)
    except text_format.ParseError as exc:
        raise CorruptArtifact(
            state_file,
            f"is not a valid checkpoint state file: {exc}",
            "delete it and pass the checkpoint prefix directly",
        ) from None
    directory = os.path.dirname(location.abspath(state_file))
    info = CheckpointStateInfo(state_file=state_file, current=None)
    if state.last_preserved_timestamp:
        info.last_preserved_timestamp = state.last_preserved_timestamp
    stamps = list(state.all_model_checkpoint_timestamps)
    paths = list(state.all_model_checkpoint_paths)
    problems: dict[str, list[str]] = {}
    real = functools.lru_cache(maxsize=256)(location.realpath)  # state files repeat one directory
    for i, recorded in enumerate(paths):
        stamp = stamps[i] if len(stamps) == len(paths) else None
        ref = _locate(recorded, directory, state_file, problems, stamp, real)
        if ref is not None:
            info.all.append(ref)
    if state.model_checkpoint_path:
        recorded = state.model_checkpoint_path
        known = next((ref for ref in info.all if ref.recorded == recorded), None)
        info.current = known or _locate(recorded, directory, state_file, problems, None, real)
        if info.current is None:
            raise NotFound(
                state_file,
                f"names checkpoint {recorded!r} as the latest, but neither {recorded}.index nor a V1 "
                f"checkpoint file of that name exists there or in {directory}",
                "the checkpoint was deleted or not copied; pass an existing checkpoint prefix",
            )
    info.warnings = _summarise(state_file, problems)
    return info


def _summarise(state_file: str, problems: dict[str, list[str]]) -> list[str]:
    """The warnings, at most WARN_EACH of each kind: a state file may name 100,000 checkpoints."""
    warnings: list[str] = []
    for kind, messages in problems.items():
        if len(messages) <= WARN_EACH:
            warnings.extend(messages)
            continue
        warnings.extend(messages[: WARN_EACH - 1])
        warnings.append(f"{state_file}: names {len(messages) - WARN_EACH + 1:,} more checkpoints {kind}")
    return warnings


def _locate(
    recorded: str, directory: str, state_file: str, problems: dict[str, list[str]], stamp: float | None,
    real: Callable[[str], str],
) -> CheckpointRef | None:
    """Where the bundle named ``recorded`` is, or None (with a warning in ``problems``)."""

    def warn(kind: str, message: str) -> None:
        problems.setdefault(kind, []).append(f"{state_file}: {message}")

    if "\x00" in recorded:  # no file system accepts it (and os.path functions raise)
        warn("whose names hold a NUL character", f"names {recorded!r}, which is not a valid path (it holds NUL)")
        return None

    if not os.path.isabs(recorded):
        prefix = os.path.join(directory, recorded)
        if checkpoint_exists(prefix):
            return CheckpointRef(recorded, prefix, stamp)
    else:
        beside = os.path.join(directory, os.path.basename(recorded))
        elsewhere = real(os.path.dirname(recorded)) != real(directory)
        if elsewhere and checkpoint_exists(beside):
            # A copied or moved checkpoint: inspect the files in front of the user,
            # and say where TensorFlow would have looked.
            if checkpoint_exists(recorded):
                warn("in another directory that also exist beside it (TensorFlow would read the other copies)",
                     f"names {recorded!r} in another directory; using {beside!r} beside the "
                     "state file (TensorFlow would read the other copy)")
            else:
                warn("that do not exist where named but beside it (moved; TensorFlow would not find them)",
                     f"names {recorded!r}, which does not exist; using {beside!r} beside the "
                     "state file instead (the checkpoint was moved; TensorFlow would not find it)")
            return CheckpointRef(recorded, beside, stamp)
        if checkpoint_exists(recorded):
            return CheckpointRef(recorded, recorded, stamp)
    warn("whose .index file does not exist", f"names {recorded!r}, whose .index file does not exist (nor a V1 checkpoint file)")
    return None


def resolve_checkpoint(path: str | Path) -> str:
    """The bundle prefix for ``path``: a prefix (``model.ckpt-10``), its
    ``.index`` or ``.data-…`` file, a ``checkpoint`` state file, or a directory
    holding a ``checkpoint`` file, a single ``*.index`` file, or a SavedModel's
    ``variables/variables.index``."""
    text = os.fspath(path)
    if location.isdir(text):
        return _resolve_directory(text)
    if os.path.basename(text) == STATE_FILE and location.isfile(text):
        return _resolve_state(text)
    prefix = split_prefix(text)
    if bundle_exists(prefix):
        return prefix
    if v1_files(text):
        return text
    if location.exists(text):
        raise NotFound(
            text,
            "is not part of a TensorFlow checkpoint: no .index file beside it, and not a V1 checkpoint file",
            "pass a checkpoint prefix, its .index file, or the directory holding it",
        )
    nearby = location.glob_files(glob.escape(prefix) + "*.index")
    hint = "pass a checkpoint prefix such as 'model.ckpt-10', the name before '.index'"
    if nearby:
        hint = "did you mean " + ", ".join(repr(p[: -len(".index")]) for p in nearby[:3]) + "?"
    raise NotFound(text, f"no checkpoint here ({prefix}.index does not exist)", hint)


def _resolve_state(state_file: str) -> str:
    info = read_checkpoint_state(state_file)
    if info.current is None:
        raise NotFound(
            state_file,
            "names no current checkpoint (model_checkpoint_path is empty)",
            "pass a checkpoint prefix directly",
        )
    return info.current.prefix


def _resolve_directory(directory: str) -> str:
    if location.isfile(os.path.join(directory, STATE_FILE)):
        info = read_checkpoint_state(directory)
        if info.current is not None:
            return info.current.prefix
    indexes = location.glob_files(os.path.join(glob.escape(directory), "*.index"))
    if len(indexes) == 1:
        return indexes[0][: -len(".index")]
    if len(indexes) > 1:
        names = ", ".join(os.path.basename(p)[: -len(".index")] for p in indexes[:5])
        raise SelectionError(
            directory,
            f"holds {len(indexes)} checkpoints ({names}) and no checkpoint state file naming the latest",
            "pass one of them as directory/prefix",
        )
    saved_model_vars = os.path.join(directory, "variables", "variables")
    if bundle_exists(saved_model_vars):
        return saved_model_vars
    raise NotFound(
        directory,
        "holds no checkpoint: no 'checkpoint' state file and no *.index file",
        "pass the directory the checkpoint was saved to, or its prefix",
    )
