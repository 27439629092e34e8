"""A registry audit: every artifact under a root, and one plain row of facts and verdicts per artifact.

``discover(root)`` lists a root once (``os.walk``, or one listing of a URL's tree)
and finds the artifacts in it: SavedModel directories, each version folder of a
version tree (the folders TF Serving reads as numbers, with the one it serves
marked), ``.meta`` files (with the checkpoint saved beside them), checkpoints
that have no ``.meta``, and frozen graphs (``.pb``/``.pbtxt`` outside a
SavedModel).  It does not look inside a SavedModel directory, and skips names
starting with a dot.

``audit_one(root, found, options)`` inspects one of them and returns a dict that
is JSON-serialisable, the same in any process, and never raises for a bad
artifact: what cannot be read is one line in ``error``.  The check engine sits
above this layer, so the caller hands in ``options.check``: a function of the
path and the loaded artifact (None when it could not be loaded) that returns the
findings of ``tfinspect check``.  Plain data, no printing.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import stat
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from ..errors import InspectorError, NotFound, UnreadableInput
from ..load import SAVED_MODEL_PB, SAVED_MODEL_PBTXT, load
from ..load.versions import parse_version
from ..model.artifact import Artifact
from ..source.files import file_kind
from ..source.location import as_path, is_url
from .overview import fingerprint_summary

ROW_SCHEMA_VERSION = 1
GRAPH_SUFFIXES = (".pb", ".pbtxt")
# Files that belong to a checkpoint prefix: PREFIX.index, PREFIX.data-00000-of-00001, PREFIX.meta.
_CHECKPOINT_PARTS = (".index", ".meta")
# Rule-code families whose findings get a field of their own in a row.
SECURITY_PREFIX = "TFI8"  # operations that touch files, the network or run code
INTEGRITY_PREFIX = "TFI21"  # incomplete or inconsistent uploads

Check = Callable[[object, "Artifact | None"], "list | None"]  # (path, artifact) -> findings, None: no verdict


@dataclass(frozen=True)
class Found:
    """One artifact discovery found under a root: where it is and which files it is made of."""

    path: str  # relative to the root, "/"-separated; "." for the root itself
    kind: str  # what discovery expects: saved_model | meta_graph | graph_def | checkpoint
    files: tuple[tuple[str, int, str | None], ...]  # (name relative to the root, size, change token)
    model: str | None = None  # a version folder's model base path, relative to the root
    version: int | None = None  # its version number
    served: bool | None = None  # whether TF Serving serves it under the default policy (latest 1)

    @property
    def size(self) -> int:
        return sum(size for _, size, _ in self.files)

    @property
    def stamp(self) -> str:
        """Changes when a file of the artifact is added, removed, resized or rewritten."""
        digest = hashlib.sha256()
        for name, size, token in self.files:
            digest.update(f"{name}\0{size}\0{token}\n".encode("utf-8", "surrogateescape"))
        return digest.hexdigest()[:32]


@dataclass(frozen=True)
class AuditOptions:
    target: str = "tf-serving"
    check: Check | None = field(default=None, compare=False)
    rule_codes: frozenset[str] = frozenset()  # the codes the check runs (which families are there)
    compat: Callable[[Artifact, str], dict] | None = field(default=None, compare=False)  # audit --compat


# -- discovery -------------------------------------------------------------------------------
def check_root(root: str) -> None:
    """Raise a one-line error unless ``root`` is a directory (or artifact file) that can be listed."""
    location = as_path(root)
    if is_url(location):
        if not location.exists():
            from ..source.remote import missing

            raise missing(location)
        return
    try:
        mode = os.stat(location).st_mode
    except FileNotFoundError:
        raise NotFound(location, "no such file or directory", "check the path") from None
    except PermissionError:
        raise UnreadableInput(location, "permission denied", "make it readable") from None
    if not stat.S_ISDIR(mode) and not stat.S_ISREG(mode):
        raise UnreadableInput(location, f"is {file_kind(mode)}, not a directory of models",
                              "pass the directory that holds the models")


def list_files(root: str) -> tuple[list[tuple[str, int, str | None]], list[str]]:
    """Every file below ``root`` (name relative to it, size, change token), and every folder,
    from one walk or one listing.  A root that is a file is listed as ``"."``."""
    location = as_path(root)
    if is_url(location):
        if not location.is_dir():
            info = location.stat()
            return [(".", info.st_size, None)], []
        return location.listed_files(), location.listed_dirs()
    if not location.is_dir():
        info = os.stat(location)
        return [(".", info.st_size, str(info.st_mtime_ns))], []
    files, dirs = [], []

    def refuse(error: OSError) -> None:
        if error.filename == os.fspath(location):
            raise UnreadableInput(location, f"cannot be listed: {error.strerror}", "make it readable") from None

    for folder, subdirs, names in os.walk(location, onerror=refuse):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
        base = os.path.relpath(folder, location).replace(os.sep, "/")
        dirs.extend(d if base == "." else f"{base}/{d}" for d in subdirs)
        for name in names:
            if name.startswith("."):
                continue
            try:
                info = os.stat(os.path.join(folder, name))
            except OSError:
                continue  # a dangling link or a file gone since the walk: nothing to audit
            if stat.S_ISREG(info.st_mode):
                files.append((name if base == "." else f"{base}/{name}", info.st_size, str(info.st_mtime_ns)))
    return sorted(files), sorted(dirs)


def discover(root: str) -> list[Found]:
    """The artifacts under ``root`` (see the module's docstring), sorted by path; one walk or listing."""
    files, dirs = list_files(root)
    if len(files) == 1 and files[0][0] == ".":  # the root is a file
        name = str(root)
        kind = "meta_graph" if name.endswith(".meta") else "checkpoint" if name.endswith(".index") else "graph_def"
        return [Found(".", kind, tuple(files))]
    return artifacts_in(files, dirs)


def artifacts_in(files: list[tuple[str, int, str | None]], dirs: list[str] = ()) -> list[Found]:
    """The artifacts that files and folders (relative to a root) make up, sorted by path."""
    tree = _Tree(files, dirs)
    found: list[Found] = []
    tree.walk("", found)
    return sorted(found, key=lambda f: f.path)


# Files and folders TensorFlow writes beside saved_model.pb, never without it.
_SAVED_MODEL_COMPANIONS = {"variables", "assets", "assets.extra", "fingerprint.pb", "keras_metadata.pb"}


class _Tree:
    def __init__(self, files: list[tuple[str, int, str | None]], dirs):
        self.files: dict[str, list[tuple[str, int, str | None]]] = {}  # folder -> its files
        self.dirs: dict[str, set[str]] = {"": set()}  # folder -> its subfolders
        for folder in dirs:
            self._add_folder(folder)
        for entry in files:
            folder = posixpath.dirname(entry[0])
            self.files.setdefault(folder, []).append(entry)
            self._add_folder(folder)

    def _add_folder(self, folder: str) -> None:
        while folder and folder not in self.dirs:
            self.dirs[folder] = set()
            parent = posixpath.dirname(folder)
            self.dirs.setdefault(parent, set()).add(folder)
            folder = parent
        if folder:
            self.dirs[posixpath.dirname(folder)].add(folder)

    def names(self, folder: str) -> set[str]:
        """The names of a folder's files and subfolders."""
        return ({posixpath.basename(name) for name, _, _ in self.files.get(folder, [])}
                | {posixpath.basename(d) for d in self.dirs.get(folder, ())})

    def below(self, folder: str) -> tuple[tuple[str, int, str | None], ...]:
        start = folder + "/" if folder else ""
        return tuple(sorted(entry for name, entries in self.files.items()
                            if name == folder or name.startswith(start) for entry in entries))

    def is_saved_model(self, folder: str) -> bool:
        return bool(self.names(folder) & {SAVED_MODEL_PB, SAVED_MODEL_PBTXT})

    def is_partial_saved_model(self, folder: str) -> bool:
        return bool(self.names(folder) & _SAVED_MODEL_COMPANIONS)

    def walk(self, folder: str, found: list[Found]) -> None:
        if self.is_saved_model(folder) or (folder and self.is_partial_saved_model(folder)):
            found.append(Found(folder or ".", "saved_model", self.below(folder)))
            return
        children = sorted(self.dirs.get(folder, ()))
        numbered = {}  # version -> the folder TF Serving loads (of two names for a number, the last)
        for child in children:
            number = parse_version(posixpath.basename(child))
            if number is not None:
                numbered[number] = child
        newest = max(numbered, default=None)
        for child in children:
            number = parse_version(posixpath.basename(child))
            if number is not None and self._is_version(child):
                found.append(Found(child, "saved_model", self.below(child), model=folder or ".", version=number,
                                   served=number == newest and numbered[number] == child))
            else:
                self.walk(child, found)
        self._files(folder, found)

    def _is_version(self, folder: str) -> bool:
        """A numbered folder is a version unless it holds other artifacts (then it is walked into):
        a SavedModel, part of one (an upload that lost saved_model.pb), or nothing discovery lists."""
        return (self.is_saved_model(folder) or self.is_partial_saved_model(folder)
                or not any(name.endswith((*GRAPH_SUFFIXES, *_CHECKPOINT_PARTS)) for name, _, _ in self.below(folder)))

    def _files(self, folder: str, found: list[Found]) -> None:
        entries = self.files.get(folder, [])
        names = {posixpath.basename(name) for name, _, _ in entries}
        metas = {n[: -len(".meta")] for n in names if n.endswith(".meta")}
        prefixes = {n[: -len(".index")] for n in names if n.endswith(".index")}

        def part_of(prefix: str) -> tuple:
            return tuple(e for e in entries if _belongs(posixpath.basename(e[0]), prefix))

        for prefix in sorted(metas):
            found.append(Found(_join(folder, prefix + ".meta"), "meta_graph", part_of(prefix)))
        for prefix in sorted(prefixes - metas):
            found.append(Found(_join(folder, prefix), "checkpoint", part_of(prefix)))
        for entry in entries:
            name = posixpath.basename(entry[0])
            if name.endswith(GRAPH_SUFFIXES) and name not in (SAVED_MODEL_PB, SAVED_MODEL_PBTXT):
                found.append(Found(entry[0], "graph_def", (entry,)))


def _belongs(name: str, prefix: str) -> bool:
    """Whether a file is part of a checkpoint prefix: .index, .meta, data shards, a V1 file or its shards."""
    if name in (prefix, prefix + ".index", prefix + ".meta"):
        return True
    rest = name[len(prefix):] if name.startswith(prefix) else ""
    for start in (".data-", "-"):  # V2 data shards; V1 shards (PREFIX-00000-of-00002)
        if rest.startswith(start) and rest[len(start):].replace("-of-", "").isdigit():
            return True
    return False


def _join(folder: str, name: str) -> str:
    return f"{folder}/{name}" if folder else name


def one_artifact(root: str, relpath: str) -> Found:
    """What discovery finds for one artifact of a root (by listing the root)."""
    relpath = relpath.strip("/") or "."
    for found in discover(root):
        if found.path == relpath:
            return found
    return Found(relpath, "unknown", ())


# -- one row ---------------------------------------------------------------------------------
def audit_one(root: str, found: Found | str, options: AuditOptions) -> dict:
    """The inventory row of one artifact under ``root`` (see docs/schemas/audit-row.schema.json).

    ``found`` is what ``discover`` returned, or a path relative to the root.  A file
    that cannot be read, a corrupt proto or even a bug in a rule gives a row whose
    ``error`` says why; this function does not raise for anything an artifact holds.
    """
    if isinstance(found, str):
        found = one_artifact(root, found)
    path = str(root) if found.path == "." else posixpath.join(str(root), found.path)
    row = _blank_row(str(root), found)
    artifact = None
    try:
        _seed_listing(root, found)
        try:
            artifact = load(path)
        except InspectorError as exc:
            row["error"] = _one_line(str(exc))
        if artifact is not None:
            _describe(row, artifact)
        if artifact is not None and options.compat is not None:
            row["compat"] = options.compat(artifact, path)
        if options.check is not None:
            findings = options.check(path, artifact)
            if findings is not None:
                _verdicts(row, findings, options)
    except InspectorError as exc:
        row["error"] = _one_line(str(exc))
    except Exception as exc:  # noqa: BLE001 - one artifact must never stop an audit of thousands
        row["error"] = _one_line(f"internal error in tfinspect: {type(exc).__name__}: {exc} (please report it)")
    finally:
        _forget_listing(root)
    return row


def _blank_row(root: str, found: Found) -> dict:
    return {
        "schema_version": ROW_SCHEMA_VERSION,
        "root": root,
        "path": found.path,
        "kind": found.kind,
        "model": found.model,
        "version": found.version,
        "served": found.served,
        "size": found.size,
        "file_count": len(found.files),
        "stamp": found.stamp,
        "tensorflow_version": None,
        "tensorflow_git_version": None,
        "producer": None,
        "tag_sets": [],
        "signatures": [],
        "op_types": [],
        "fingerprint": None,
        "check": None,
        "security": None,
        "integrity": None,
        "compat": None,
        "error": None,
    }


def _describe(row: dict, artifact: Artifact) -> None:
    metas = artifact.meta_graphs
    writer = next((m for m in metas if m.tag_set == {"serve"}), metas[0] if metas else None)
    row["kind"] = artifact.kind.value
    if writer is not None:
        row["tensorflow_version"] = writer.tensorflow_version or None
        row["tensorflow_git_version"] = writer.tensorflow_git_version or None
        row["producer"] = writer.producer
    row["tag_sets"] = [list(m.tags) for m in metas]
    row["signatures"] = [
        {"tag_set": list(meta.tags), "signature_key": sig.key, "method_name": sig.method_name,
         "inputs": [_tensor(t) for t in sig.inputs], "outputs": [_tensor(t) for t in sig.outputs]}
        for meta in metas for sig in meta.signatures.values() if not sig.internal
    ]
    ops: set[str] = set()
    for meta in metas:
        ops.update(meta.op_histogram)
    row["op_types"] = sorted(ops)
    row["fingerprint"] = fingerprint_summary(artifact)


def _tensor(tensor) -> dict:
    return {"alias": tensor.alias, "dtype": tensor.dtype, "shape": None if tensor.shape is None else list(tensor.shape)}


def _verdicts(row: dict, findings: list, options: AuditOptions) -> None:
    def codes(severity: str) -> list[str]:
        return sorted({f.code for f in findings if f.severity.value == severity})

    row["check"] = {"target": options.target, "errors": codes("error"), "warnings": codes("warning")}
    for key, prefix in (("security", SECURITY_PREFIX), ("integrity", INTEGRITY_PREFIX)):
        if any(code.startswith(prefix) for code in options.rule_codes):
            row[key] = [_finding(f) for f in findings if f.code.startswith(prefix)]


def _finding(finding) -> dict:
    return {"code": finding.code, "severity": finding.severity.value, "message": finding.message,
            "tag_set": finding.tag_set.split(",") if finding.tag_set else None,
            "signature_key": finding.signature, "location": finding.location}


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _seed_listing(root: str, found: Found) -> None:
    """For a URL: answer the loader's questions about the artifact's files from discovery's listing."""
    location = as_path(root)
    if not is_url(location) or (found.path == "." and found.kind != "saved_model"):
        return
    folder = "" if found.path == "." else found.path if found.kind == "saved_model" else posixpath.dirname(found.path)
    start = folder + "/" if folder else ""
    files = [(name[len(start):], size, token) for name, size, token in found.files if name.startswith(start)]
    (location / folder if folder else location).remember_files(files)


def _forget_listing(root: str) -> None:
    if is_url(root):
        from ..source.location import forget_listings

        forget_listings()


# -- the summary ----------------------------------------------------------------------------
@dataclass
class Summary:
    """Counts over an inventory, added to one row at a time (so no row needs to stay in memory)."""

    artifacts: int = 0
    unreadable: int = 0
    failing: int = 0  # rows whose check found errors
    size: int = 0
    kinds: Counter = field(default_factory=Counter)
    writers: Counter = field(default_factory=Counter)  # tensorflow_version -> artifacts
    error_rules: Counter = field(default_factory=Counter)  # rule code -> artifacts with that error
    warning_rules: Counter = field(default_factory=Counter)
    compat: Counter = field(default_factory=Counter)
    security: int | None = None  # artifacts with security findings; None: no such rules yet
    integrity: int | None = None
    served: int = 0
    served_failing: int = 0
    problems: list[tuple[str, str, str]] = field(default_factory=list)  # (root, path, why), the first few

    PROBLEMS_KEPT = 200

    def add(self, row: dict) -> None:
        self.artifacts += 1
        self.size += row.get("size") or 0
        self.kinds[row.get("kind") or "unknown"] += 1
        self.writers[row.get("tensorflow_version") or "unknown"] += 1
        check = row.get("check")
        errors = check["errors"] if check else []
        for code in errors:
            self.error_rules[code] += 1
        for code in check["warnings"] if check else []:
            self.warning_rules[code] += 1
        self.failing += bool(errors)
        self.unreadable += row.get("error") is not None
        self.compat[_compat_label(row.get("compat"))] += 1
        for key in ("security", "integrity"):
            if row.get(key) is not None:
                setattr(self, key, (getattr(self, key) or 0) + bool(row[key]))
        if row.get("served"):
            self.served += 1
            self.served_failing += bool(errors or row.get("error"))
        why = row.get("error") or (("check: " + ", ".join(errors)) if errors else None)
        if why and len(self.problems) < self.PROBLEMS_KEPT:
            self.problems.append((row["root"], row["path"], why))

    @property
    def exit_status(self) -> int:
        """1 when an artifact could not be read or its check found errors, else 0."""
        return 1 if self.unreadable or self.failing else 0


def _compat_label(value) -> str:
    if value is None:
        return "not computed"
    if isinstance(value, dict) and value.get("range"):
        return str(value["range"])
    return "computed"


def row_key(row: dict) -> tuple[str, str]:
    return (row["root"], row["path"])


def failed_row(root: str, found: Found, error: str) -> dict:
    """The row of an artifact whose inspection could not finish (its process died)."""
    row = _blank_row(str(root), found)
    row["error"] = _one_line(error)
    return row
