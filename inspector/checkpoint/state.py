"""The ``checkpoint`` state file and turning a user's path into a bundle prefix.

TensorFlow's checkpoint managers keep a text-format ``CheckpointState`` named
``checkpoint`` beside the bundles: ``model_checkpoint_path`` (the newest),
``all_model_checkpoint_paths`` (those kept), and optionally their timestamps.
Relative paths are relative to the file's directory.  Savers of TF1 write
absolute paths, which break when the directory is moved; this module then
looks for the same file name beside the state file and says so in a warning.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass, field
from pathlib import Path

from google.protobuf import text_format

from inspector import protos
from inspector.checkpoint.bundle import split_prefix
from inspector.errors import CorruptArtifact, NotFound, SelectionError, UnreadableInput
from inspector.load.files import STATE_FILE_LIMIT, check_size, open_regular

STATE_FILE = "checkpoint"


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
    return os.path.isfile(f"{prefix}.index")


def _state_path(path: str | Path) -> str:
    text = os.fspath(path)
    return os.path.join(text, STATE_FILE) if os.path.isdir(text) else text


def read_checkpoint_state(path: str | Path) -> CheckpointStateInfo:
    """Parse the ``checkpoint`` file at ``path`` (or in directory ``path``) and
    locate the bundles it names.

    The current checkpoint must exist (``NotFound`` otherwise); older ones that
    are gone are left out of ``all`` with a warning.
    """
    state_file = _state_path(path)
    try:
        with open_regular(state_file) as f:
            check_size(state_file, os.fstat(f.fileno()).st_size, STATE_FILE_LIMIT, "checkpoint state file")
            text = f.read(STATE_FILE_LIMIT).decode("utf-8")
    except FileNotFoundError:
        raise NotFound(
            state_file, "no checkpoint state file here", "pass a checkpoint prefix instead"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UnreadableInput(state_file, f"cannot be read as text: {exc}") from None
    state = protos.CheckpointState()
    try:
        text_format.Parse(text, state)
    except text_format.ParseError as exc:
        raise CorruptArtifact(
            state_file,
            f"is not a valid checkpoint state file: {exc}",
            "delete it and pass the checkpoint prefix directly",
        ) from None
    directory = os.path.dirname(os.path.abspath(state_file))
    info = CheckpointStateInfo(state_file=state_file, current=None)
    if state.last_preserved_timestamp:
        info.last_preserved_timestamp = state.last_preserved_timestamp
    stamps = list(state.all_model_checkpoint_timestamps)
    paths = list(state.all_model_checkpoint_paths)
    for i, recorded in enumerate(paths):
        stamp = stamps[i] if len(stamps) == len(paths) else None
        ref = _locate(recorded, directory, state_file, info.warnings, stamp)
        if ref is not None:
            info.all.append(ref)
    if state.model_checkpoint_path:
        recorded = state.model_checkpoint_path
        known = next((ref for ref in info.all if ref.recorded == recorded), None)
        info.current = known or _locate(recorded, directory, state_file, info.warnings, None)
        if info.current is None:
            raise NotFound(
                state_file,
                f"names checkpoint {recorded!r} as the latest, but {recorded}.index does not exist "
                f"there or in {directory}",
                "the checkpoint was deleted or not copied; pass an existing checkpoint prefix",
            )
    return info


def _locate(
    recorded: str, directory: str, state_file: str, warnings: list[str], stamp: float | None
) -> CheckpointRef | None:
    """Where the bundle named ``recorded`` is, or None (with a warning)."""
    if not os.path.isabs(recorded):
        prefix = os.path.join(directory, recorded)
        if bundle_exists(prefix):
            return CheckpointRef(recorded, prefix, stamp)
    else:
        beside = os.path.join(directory, os.path.basename(recorded))
        elsewhere = os.path.realpath(os.path.dirname(recorded)) != os.path.realpath(directory)
        if elsewhere and bundle_exists(beside):
            # A copied or moved checkpoint: inspect the files in front of the user,
            # and say where TensorFlow would have looked.
            if bundle_exists(recorded):
                warnings.append(
                    f"{state_file}: names {recorded!r} in another directory; using {beside!r} beside the "
                    "state file (TensorFlow would read the other copy)"
                )
            else:
                warnings.append(
                    f"{state_file}: names {recorded!r}, which does not exist; using {beside!r} beside the "
                    "state file instead (the checkpoint was moved; TensorFlow would not find it)"
                )
            return CheckpointRef(recorded, beside, stamp)
        if bundle_exists(recorded):
            return CheckpointRef(recorded, recorded, stamp)
    warnings.append(f"{state_file}: names {recorded!r}, whose .index file does not exist")
    return None


def resolve_checkpoint(path: str | Path) -> str:
    """The bundle prefix for ``path``: a prefix (``model.ckpt-10``), its
    ``.index`` or ``.data-…`` file, a ``checkpoint`` state file, or a directory
    holding a ``checkpoint`` file, a single ``*.index`` file, or a SavedModel's
    ``variables/variables.index``."""
    text = os.fspath(path)
    if os.path.isdir(text):
        return _resolve_directory(text)
    if os.path.basename(text) == STATE_FILE and os.path.isfile(text):
        return _resolve_state(text)
    prefix = split_prefix(text)
    if bundle_exists(prefix):
        return prefix
    if os.path.exists(text):
        raise NotFound(
            text,
            "is not part of a TensorFlow V2 checkpoint: no .index file beside it",
            "pass a checkpoint prefix, its .index file, or the directory holding it",
        )
    nearby = sorted(glob.glob(glob.escape(prefix) + "*.index"))
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
    if os.path.isfile(os.path.join(directory, STATE_FILE)):
        info = read_checkpoint_state(directory)
        if info.current is not None:
            return info.current.prefix
    indexes = sorted(glob.glob(os.path.join(glob.escape(directory), "*.index")))
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
