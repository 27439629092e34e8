"""Turn a path into an Artifact.  Detection is by content, not by file name."""

from __future__ import annotations

import os
import re
from pathlib import Path

from google.protobuf import message as pb_message

from .. import protos
from ..errors import InspectorError, NotFound, SelectionError, UnreadableInput
from ..model.artifact import Artifact, ArtifactFile, ArtifactKind
from ..model.metagraph import MetaGraph
from .files import FINGERPRINT_LIMIT, read_regular
from .protofile import EXPECTED, ParsedFile, parse_file, read_bytes

SAVED_MODEL_PB = "saved_model.pb"
SAVED_MODEL_PBTXT = "saved_model.pbtxt"
STATE_NAMES_SHOWN = 10  # checkpoints of a state file named in the note (the newest are last)
_DATA_SHARD = re.compile(r"^(?P<prefix>.+)\.data-(?P<shard>\d{5})-of-(?P<count>\d{5})$")


def load(path: str | os.PathLike, *, version: int | None = None) -> Artifact:
    """Read whatever TensorFlow artifact ``path`` names.

    Accepts a SavedModel directory or its ``saved_model.pb``/``.pbtxt``, a
    SavedModel version tree (the newest version unless ``version`` is given),
    a ``.meta`` file, a frozen GraphDef, or a checkpoint (prefix, ``.index``,
    data shard, or a directory with a ``checkpoint`` state file).
    Raises InspectorError (a one-line message) for anything it cannot read.
    """
    given = Path(path)
    try:
        exists = given.exists()
        is_dir = given.is_dir()
    except PermissionError:
        raise UnreadableInput(given, "permission denied while looking at the path") from None
    if not exists:
        if Path(f"{given}.index").exists():  # a FIFO or device is refused when read
            return _load_checkpoint(given, given)
        raise NotFound(given, "no such file or directory", "check the path")
    if is_dir:
        return _load_directory(given, version)
    return _load_file(given)


# -- directories ----------------------------------------------------------------------
def _list_dir(path: Path) -> list[Path]:
    try:
        return sorted(path.iterdir())
    except PermissionError:
        raise UnreadableInput(path, "permission denied while listing the directory",
                              "make it readable (chmod +rx) or run as a user who can read it") from None


def _load_directory(path: Path, version: int | None) -> Artifact:
    entries = _list_dir(path)
    names = {p.name for p in entries}
    if SAVED_MODEL_PB in names or SAVED_MODEL_PBTXT in names:
        if version is not None:
            raise SelectionError(path, "is a SavedModel, not a version tree", "drop --version")
        return _load_saved_model_dir(path, path)
    versions = _version_dirs(entries)
    if versions:
        return _load_version_tree(path, versions, version)
    if "checkpoint" in names or any(n.endswith(".index") for n in names):
        from ..checkpoint.state import resolve_checkpoint

        return _load_checkpoint(path, resolve_checkpoint(path))
    candidates = [p.name for p in entries if p.suffix in (".pb", ".pbtxt", ".meta")]
    hint = f"pass one of its files: {', '.join(candidates[:5])}" if candidates else EXPECTED
    raise NotFound(path, "directory holds no TensorFlow model (no saved_model.pb, "
                   "no checkpoint, no numbered SavedModel versions)", hint)


def _version_dirs(entries: list[Path]) -> dict[int, Path]:
    found = {}
    for entry in entries:
        has_model = (entry / SAVED_MODEL_PB).exists() or (entry / SAVED_MODEL_PBTXT).exists()
        if entry.name.isdigit() and entry.is_dir() and has_model:
            found[int(entry.name)] = entry
    return found


def _load_version_tree(path: Path, versions: dict[int, Path], version: int | None) -> Artifact:
    ordered = sorted(versions)
    chosen = ordered[-1] if version is None else version
    if chosen not in versions:
        raise SelectionError(path, f"has no version {chosen}",
                             f"versions here: {', '.join(map(str, ordered))}")
    artifact = _load_saved_model_dir(versions[chosen], path)
    artifact.versions = ordered
    artifact.version = chosen
    which = "the newest" if version is None else "as asked"
    artifact.notes.insert(0, f"version tree with versions {', '.join(map(str, ordered))}; "
                             f"showing {chosen} ({which}; TF Serving serves the newest by default)")
    return artifact


def _load_saved_model_dir(directory: Path, given: Path) -> Artifact:
    binary, text = directory / SAVED_MODEL_PB, directory / SAVED_MODEL_PBTXT
    graph_file = binary if binary.exists() else text
    parsed = parse_file(graph_file)
    artifact = _artifact_from(parsed, given, directory)
    if binary.exists() and text.exists():
        artifact.notes.append("both saved_model.pb and saved_model.pbtxt exist; "
                              "TensorFlow reads saved_model.pb")
    if artifact.kind is ArtifactKind.SAVED_MODEL:
        _add_saved_model_files(artifact, directory)
    return artifact


def _add_saved_model_files(artifact: Artifact, directory: Path) -> None:
    variables = directory / "variables"
    index = variables / "variables.index"
    if index.is_file():
        artifact.checkpoint_prefix = variables / "variables"
        artifact.files.extend(_checkpoint_files(artifact.checkpoint_prefix))
    for sub in ("assets", "assets.extra"):
        folder = directory / sub
        if folder.is_dir():
            for item in sorted(folder.rglob("*")):
                if item.is_file():
                    artifact.files.append(ArtifactFile(item, sub, _size(item)))
    fingerprint = directory / "fingerprint.pb"
    if fingerprint.is_file():
        artifact.files.append(ArtifactFile(fingerprint, "fingerprint", _size(fingerprint)))
        try:
            artifact.fingerprint = protos.FingerprintDef.FromString(
                read_regular(fingerprint, FINGERPRINT_LIMIT, "fingerprint.pb"))
        except (pb_message.DecodeError, InspectorError) as exc:
            artifact.warnings.append(f"fingerprint.pb cannot be read: {exc}")


# -- single files ---------------------------------------------------------------------
def _load_file(path: Path) -> Artifact:
    shard = _DATA_SHARD.match(path.name)
    if shard:
        return _load_checkpoint(path, path.with_name(shard.group("prefix")))
    data = read_bytes(path)
    from .sniff import TABLE_MAGIC

    if data.endswith(TABLE_MAGIC) and path.name.endswith(".index"):
        return _load_checkpoint(path, path.with_name(path.name[: -len(".index")]))
    parsed = parse_file(path, data)
    if parsed.message_type == "CheckpointState":
        from ..checkpoint.state import resolve_checkpoint

        return _load_checkpoint(path, resolve_checkpoint(path.parent))
    directory = path.parent
    artifact = _artifact_from(parsed, path, directory)
    if artifact.kind is ArtifactKind.SAVED_MODEL:
        if path.name != SAVED_MODEL_PB and path.name != SAVED_MODEL_PBTXT:
            artifact.notes.append(
                f"the file is named {path.name}; TensorFlow loads a SavedModel only from "
                f"a directory holding saved_model.pb (rename it before serving)")
        _add_saved_model_files(artifact, directory)
    elif artifact.kind is ArtifactKind.META_GRAPH and path.suffix == ".meta":
        prefix = path.with_suffix("")
        if Path(f"{prefix}.index").is_file():
            artifact.checkpoint_prefix = prefix
            artifact.files.extend(_checkpoint_files(prefix))
    return artifact


def _artifact_from(parsed: ParsedFile, given: Path, root: Path) -> Artifact:
    kind = {
        "SavedModel": ArtifactKind.SAVED_MODEL,
        "MetaGraphDef": ArtifactKind.META_GRAPH,
        "GraphDef": ArtifactKind.GRAPH_DEF,
    }[parsed.message_type]
    artifact = Artifact(kind=kind, path=given, root=root, encoding=parsed.encoding,
                        graph_file=parsed.path)
    artifact.files.append(ArtifactFile(parsed.path, f"{parsed.message_type} ({parsed.encoding})", parsed.size))
    message = parsed.message
    if kind is ArtifactKind.SAVED_MODEL:
        artifact.saved_model_schema_version = message.saved_model_schema_version
        artifact.meta_graphs = [MetaGraph(mg.graph_def, mg) for mg in message.meta_graphs]
    elif kind is ArtifactKind.META_GRAPH:
        artifact.meta_graphs = [MetaGraph(message.graph_def, message)]
    else:
        artifact.meta_graphs = [MetaGraph(message)]
        _check_graph_complete(artifact, parsed)
    _note_misleading_name(artifact, parsed.path)
    return artifact


def _check_graph_complete(artifact: Artifact, parsed: ParsedFile) -> None:
    """Refuse a binary GraphDef that lacks the versions record TensorFlow writes last.

    Fields are serialised in field-number order, so ``versions`` (field 4) comes
    after every node: a file cut between two nodes still parses, but has no
    versions.  Dangling inputs are reported when there are any.
    """
    graph = parsed.message
    if parsed.encoding != "binary" or graph.HasField("versions") or graph.version:
        return
    from ..errors import CorruptArtifact

    dangling = artifact.meta_graphs[0].graph.dangling
    extra = f" and {len(dangling)} input(s) name missing nodes" if dangling else ""
    raise CorruptArtifact(
        parsed.path,
        f"GraphDef has no versions record, which TensorFlow writes after the last node{extra}: "
        f"the file is most likely truncated after {len(graph.node)} nodes",
        "copy or export it again; for a GraphDef built by hand, set versions.producer",
    )


_EXPECTED_BY_NAME = {
    SAVED_MODEL_PB: ArtifactKind.SAVED_MODEL,
    SAVED_MODEL_PBTXT: ArtifactKind.SAVED_MODEL,
}


def _note_misleading_name(artifact: Artifact, path: Path) -> None:
    expected = _EXPECTED_BY_NAME.get(path.name)
    if path.suffix == ".meta":
        expected = ArtifactKind.META_GRAPH
    if expected is not None and expected is not artifact.kind:
        artifact.notes.append(f"{path.name} actually holds a {artifact.kind.label}, not a {expected.label}")
    if artifact.encoding == "text" and path.suffix == ".pb":
        artifact.notes.append(f"{path.name} is a text proto despite its .pb name")
    if artifact.encoding == "binary" and path.suffix == ".pbtxt":
        artifact.notes.append(f"{path.name} is a binary proto despite its .pbtxt name")


# -- checkpoints ----------------------------------------------------------------------
def _checkpoint_files(prefix: Path) -> list[ArtifactFile]:
    files = []
    index = Path(f"{prefix}.index")
    if index.is_file():
        files.append(ArtifactFile(index, "checkpoint index", _size(index)))
    for shard in sorted(prefix.parent.glob(f"{prefix.name}.data-*")):
        match = _DATA_SHARD.match(shard.name)
        if match and match.group("prefix") == prefix.name:
            label = f"data shard {int(match.group('shard')) + 1} of {int(match.group('count'))}"
            files.append(ArtifactFile(shard, label, _size(shard)))
    return files


def _load_checkpoint(given: Path, prefix) -> Artifact:
    prefix = Path(prefix)
    if not Path(f"{prefix}.index").exists():
        raise NotFound(given, f"checkpoint prefix {prefix} has no .index file",
                       "pass the prefix that the .index and .data files share")
    root = prefix.parent
    artifact = Artifact(kind=ArtifactKind.CHECKPOINT, path=given, root=root, checkpoint_prefix=prefix)
    state = root / "checkpoint"
    if state.is_file():
        artifact.files.append(ArtifactFile(state, "checkpoint state", _size(state)))
        _describe_state(artifact, state)
    artifact.files.extend(_checkpoint_files(prefix))
    meta = Path(f"{prefix}.meta")
    if meta.is_file():
        parsed = parse_file(meta)
        if parsed.message_type == "MetaGraphDef":
            artifact.meta_graphs = [MetaGraph(parsed.message.graph_def, parsed.message)]
            artifact.graph_file = meta
            artifact.encoding = parsed.encoding
            artifact.files.append(ArtifactFile(meta, f"MetaGraphDef ({parsed.encoding})", parsed.size))
    return artifact


def _describe_state(artifact: Artifact, state: Path) -> None:
    """What the ``checkpoint`` state file says, and where it is out of date."""
    from ..checkpoint.state import read_checkpoint_state

    try:
        info = read_checkpoint_state(state)
    except InspectorError as exc:
        artifact.warnings.append(str(exc))
        return
    artifact.warnings.extend(info.warnings)
    if info.all:
        current = info.current.prefix if info.current else None
        names = [Path(ref.prefix).name + (" (current)" if ref.prefix == current else "")
                 for ref in info.all[-STATE_NAMES_SHOWN:]]
        more = len(info.all) - len(names)
        listed = (f"{len(info.all):,} checkpoints, the last {len(names)}: " if more else "") + ", ".join(names)
        artifact.notes.append(f"the checkpoint state file lists {listed}")


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
