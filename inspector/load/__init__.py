"""Turn a path into an Artifact.  Detection is by content, not by file name."""

from __future__ import annotations

import glob
import os
import re
from pathlib import Path

from google.protobuf import message as pb_message

from .. import protos
from ..errors import InspectorError, NotFound, PartialSavedModel, SelectionError, UnreadableInput
from ..model.artifact import Artifact, ArtifactFile, ArtifactKind
from ..model.layout import SAVED_MODEL_PB, SAVED_MODEL_PBTXT, parts_without_graph
from ..model.metagraph import MetaGraph
from ..source.files import FINGERPRINT_LIMIT, read_regular, remote_os_error
from ..source.location import as_path, is_url
from ..source.remote import missing, refuse_collapsed_url
from . import versions as version_tree
from .protofile import EXPECTED, ParsedFile, parse_file, read_bytes

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
    if not is_url(path):
        refuse_collapsed_url(os.fspath(path))
    given = as_path(path)
    try:
        exists = given.exists()
        is_dir = exists and given.is_dir()
    except PermissionError:
        if is_url(given):
            raise remote_os_error(given, PermissionError()) from None
        raise UnreadableInput(given, "permission denied while looking at the path") from None
    if not exists:
        if as_path(f"{given}.index").exists() or _v1_files(given):  # a prefix, or a V1 file pattern
            return _load_checkpoint(given, given)
        if is_url(given):
            raise missing(given)
        raise NotFound(given, "no such file or directory", "check the path")
    if is_dir:
        if is_url(given):
            given.list_tree()  # one listing answers the questions about the files below
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
    tree = version_tree.scan(entries)
    if tree.models:
        return _load_version_tree(path, tree, version)
    if "checkpoint" in names or any(n.endswith(".index") for n in names):
        from ..checkpoint.state import resolve_checkpoint

        return _load_checkpoint(path, resolve_checkpoint(path))
    if tree.numbered:
        folders = ", ".join(repr(f.name) for f in tree.folders.values())
        raise NotFound(path, f"is a version tree whose version folders ({folders}) hold no saved_model.pb",
                       "copy the export again, saved_model.pb included, or pass the right directory")
    _refuse_partial_saved_model(path, names)
    candidates = [p.name for p in entries if p.suffix in (".pb", ".pbtxt", ".meta")]
    candidates += [p.name for p in entries[:200] if p.suffix not in (".pb", ".pbtxt", ".meta") and _v1_files(p)]
    hint = f"pass one of its files: {', '.join(candidates[:5])}" if candidates else EXPECTED
    raise NotFound(path, "directory holds no TensorFlow model (no saved_model.pb, "
                   "no checkpoint, no numbered SavedModel versions)", hint)


def _refuse_partial_saved_model(path: Path, names: set[str]) -> None:
    found = parts_without_graph(names)
    if found:
        raise PartialSavedModel(path, found, f"holds {', '.join(found)} but no saved_model.pb: part of a "
                                "SavedModel whose graph file is missing, which TensorFlow cannot load "
                                "(\"SavedModel file does not exist\")",
                                "copy the whole export directory again, saved_model.pb included")


def _load_version_tree(path: Path, tree: version_tree.VersionTree, version: int | None) -> Artifact:
    ordered = sorted(tree.models)
    chosen = ordered[-1] if version is None else version
    if chosen not in tree.models:
        problem = f"has no version {chosen}"
        if chosen in tree.folders:
            problem = f"version folder {tree.folders[chosen].name!r} holds no saved_model.pb"
        raise SelectionError(path, problem, f"versions here: {', '.join(map(str, ordered))}")
    artifact = _load_saved_model_dir(tree.models[chosen], path)
    artifact.versions = ordered
    artifact.version = chosen
    which = "the newest" if version is None else "as asked"
    summary = (f"version tree with versions {', '.join(map(str, ordered))}; "
               f"showing {chosen} ({which}; TF Serving serves the newest by default)")
    artifact.notes[:0] = [summary, *tree.notes]
    artifact.warnings[:0] = tree.warnings
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
    if not path.name.endswith(".index") and _v1_files(path):
        return _load_checkpoint(path, path)  # a table file without .index: a V1 checkpoint (or says why not)
    data = read_bytes(path)
    from .sniff import TABLE_MAGIC

    if data.endswith(TABLE_MAGIC) and path.name.endswith(".index"):
        return _load_checkpoint(path, path.with_name(path.name[: -len(".index")]))
    _refuse_cut_table(path, data)
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
        if not as_path(f"{prefix}.index").is_file() and not _v1_files(prefix):
            v1_shards = as_path(glob.escape(str(prefix)) + "-?????-of-?????")  # a sharded V1 checkpoint
            prefix = v1_shards if _v1_files(v1_shards) else None
        if prefix is not None:
            artifact.checkpoint_prefix = prefix
            artifact.files.extend(_checkpoint_files(prefix))
        artifact.exports = find_exports(directory)
    return artifact


EXPORT_DIR = "export"  # where an Estimator (and TFX's Trainer) writes SavedModels inside its model_dir


def find_exports(model_dir: Path) -> list[Path]:
    """The SavedModels under ``model_dir/export`` (``export/<name>/<timestamp>/`` or
    ``export/<timestamp>/``), oldest first by version number: the newest is last."""
    base = model_dir / EXPORT_DIR
    try:
        if not base.is_dir():
            return []
        found = []
        for child in sorted(base.iterdir()):
            candidates = [child] if _has_graph_file(child) else (
                sorted(child.iterdir()) if child.is_dir() else [])
            found += [c for c in candidates if c.is_dir() and _has_graph_file(c)]
    except OSError:
        return []
    return sorted(found, key=lambda p: (version_tree.parse_version(p.name) or -1, str(p)))


def _has_graph_file(folder: Path) -> bool:
    return (folder / SAVED_MODEL_PB).is_file() or (folder / SAVED_MODEL_PBTXT).is_file()


def _refuse_cut_table(path: Path, data: bytes) -> None:
    """A checkpoint table whose footer was cut off: its first entry (empty key) is there.

    A table's first block starts with that entry, ``00 00 <value length>`` and then
    the header message (``0a`` for a V1 checkpoint, ``08`` for a V2 index); no valid
    protobuf starts with a 00 byte.
    """
    if data[:2] != b"\x00\x00" or len(data) < 4:
        return
    pos = 2
    while pos < min(len(data), 7) and data[pos] & 0x80:
        pos += 1
    if pos + 1 < len(data) and data[pos + 1] in (0x08, 0x0A):
        from ..errors import CorruptArtifact

        raise CorruptArtifact(path, "starts like a checkpoint table (a V1 checkpoint file or a .index) but has "
                              "no table footer at its end: the file is truncated",
                              "copy it again, or use another checkpoint")


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
    """Load a GraphDef without a ``versions`` record, unless it looks cut short.

    TF 1.x frozen graphs often have no ``versions`` record, and TensorFlow imports
    them.  A cut inside a node leaves bytes protobuf cannot parse (refused in
    protofile).  A cut between two nodes parses; it shows only when a remaining
    node's input names a node that is not there (a dangling input), which
    ``tf.import_graph_def`` refuses too.  So: no ``versions`` and dangling inputs
    is refused as truncated; no ``versions`` alone gets a note.  A graph cut
    between nodes that leaves no dangling input is a smaller whole graph to
    TensorFlow as well, and cannot be told apart.
    """
    graph = parsed.message
    if graph.HasField("versions") or graph.version:
        return
    dangling = artifact.meta_graphs[0].graph.dangling
    if dangling:
        from ..errors import CorruptArtifact

        missing = sorted({edge.producer for edge in dangling})
        raise CorruptArtifact(
            parsed.path,
            f"GraphDef has no versions record and {len(dangling)} input(s) name nodes that are not "
            f"in it (first: {missing[0]!r}): the file is most likely cut short after "
            f"{len(graph.node)} nodes",
            "copy or export it again",
        )
    artifact.notes.append(
        "the GraphDef has no versions record (usual for TF 1.x frozen graphs; "
        "TensorFlow imports it as producer 0)")


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
    if artifact.kind is ArtifactKind.SAVED_MODEL and path.name in _EXPECTED_BY_NAME:
        artifact.graph_file_misnamed = _misnamed(path.name, artifact.encoding)
        if artifact.graph_file_misnamed:
            artifact.warnings.append(artifact.graph_file_misnamed + "; shown here by its content")
            return
    if artifact.encoding == "text" and path.suffix == ".pb":
        artifact.notes.append(f"{path.name} is a text proto despite its .pb name")
    if artifact.encoding == "binary" and path.suffix == ".pbtxt":
        artifact.notes.append(f"{path.name} is a binary proto despite its .pbtxt name")


def _misnamed(name: str, encoding: str | None) -> str | None:
    """How TensorFlow fails on a SavedModel file whose content is not the encoding its name promises.

    TensorFlow's readers (``parse_saved_model`` in Python, ``ReadSavedModel`` in C++, which TF
    Serving uses) look for ``saved_model.pb`` first and parse it as binary, else for
    ``saved_model.pbtxt`` and parse it as text; they never look at the content.
    """
    if name == SAVED_MODEL_PB and encoding == "text":
        return ("saved_model.pb holds a text (pbtxt) SavedModel, but TensorFlow parses a file of that name as "
                "binary and fails (\"Cannot parse file\"; TF Serving: \"Could not parse\")")
    if name == SAVED_MODEL_PBTXT and encoding == "binary":
        return ("saved_model.pbtxt holds a binary SavedModel, but TensorFlow parses a file of that name as text "
                "and fails (UnicodeDecodeError in Python, a text parse error in TF Serving)")
    return None


# -- checkpoints ----------------------------------------------------------------------
def _v1_files(pattern: Path) -> list[str]:
    from ..checkpoint.slices import v1_files

    return v1_files(pattern)


def _v1_base(pattern: Path) -> str:
    from ..checkpoint.slices import v1_base

    return v1_base(str(pattern))


def _checkpoint_files(prefix: Path) -> list[ArtifactFile]:
    if not as_path(f"{prefix}.index").is_file():
        found = _v1_files(prefix)
        return [ArtifactFile(as_path(p), "V1 checkpoint file (tensor slices)" if len(found) == 1 else
                             f"V1 checkpoint file {i + 1} of {len(found)} found", _size(as_path(p)))
                for i, p in enumerate(found)]
    files = []
    index = as_path(f"{prefix}.index")
    if index.is_file():
        files.append(ArtifactFile(index, "checkpoint index", _size(index)))
    for shard in sorted(prefix.parent.glob(f"{prefix.name}.data-*")):
        match = _DATA_SHARD.match(shard.name)
        if match and match.group("prefix") == prefix.name:
            label = f"data shard {int(match.group('shard')) + 1} of {int(match.group('count'))}"
            files.append(ArtifactFile(shard, label, _size(shard)))
    return files


def _load_checkpoint(given: Path, prefix) -> Artifact:
    prefix = as_path(prefix)
    v1 = not as_path(f"{prefix}.index").exists() and bool(_v1_files(prefix))
    if not as_path(f"{prefix}.index").exists() and not v1:
        raise NotFound(given, f"checkpoint prefix {prefix} has no .index file",
                       "pass the prefix that the .index and .data files share")
    root = prefix.parent
    artifact = Artifact(kind=ArtifactKind.CHECKPOINT, path=given, root=root, checkpoint_prefix=prefix)
    if v1:
        artifact.checkpoint  # noqa: B018 - open it now, so that a file that is not a V1 checkpoint says so
        artifact.notes.append("a V1 checkpoint (tables of tensor slices, no .index): the format "
                              "tf.train.Saver wrote before V2 became the default; TensorFlow still reads it")
    state = root / "checkpoint"
    if state.is_file():
        artifact.files.append(ArtifactFile(state, "checkpoint state", _size(state)))
        _describe_state(artifact, state)
    artifact.files.extend(_checkpoint_files(prefix))
    artifact.exports = find_exports(root)
    meta = as_path(f"{_v1_base(prefix) if v1 else prefix}.meta")
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
