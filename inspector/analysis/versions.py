"""A model base path as TF Serving's file-system source sees it.

TF Serving lists the children of the base path (files too) and keeps those
whose whole name parses as a 64-bit integer (``strings::safe_strto64``:
optional surrounding whitespace, an optional ``-``, decimal digits, within
int64).  Every other child is skipped without an error.  Two names with the same
number (``7`` and ``007``) are one version: the name sorting last wins.  Under
the default ``latest`` policy the highest number is served (``num_versions``
of them); ``all`` serves every child that parses (duplicates included);
``specific`` serves the listed numbers present on disk.

``versions_view`` loads every version, summarises it, runs a caller's check on
it, and diffs each version with the next.  Plain data, no printing.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InspectorError, NotFound, SelectionError
from ..load import load
from ..load.versions import parse_version
from ..model.artifact import Artifact
from ..model.layout import SAVED_MODEL_PB, SAVED_MODEL_PBTXT
from ..source.location import as_path, is_url
from .diff import BREAKING, diff_artifacts

POLICIES = ("latest", "all", "specific")


@dataclass(frozen=True)
class Policy:
    name: str = "latest"  # latest | all | specific
    num_versions: int = 1  # for latest
    versions: tuple[int, ...] = ()  # for specific

    def describe(self) -> str:
        if self.name == "latest":
            return f"latest {self.num_versions}"
        if self.name == "specific":
            return "specific " + ",".join(map(str, self.versions))
        return "all"


@dataclass
class Version:
    name: str  # the folder (or file) name
    number: int
    path: Path
    served: bool = False
    shadowed_by: str | None = None  # another name with the same number that TF Serving uses instead
    error: str | None = None  # why it cannot load
    size: int = 0
    tensorflow_version: str | None = None
    signatures: list[dict] = field(default_factory=list)
    check_errors: list[str] = field(default_factory=list)
    check_warnings: int = 0
    # the TF Serving releases that load it and run every signature (`tfinspect compat`), and in words
    serving_releases: list[str] | None = None
    serving_summary: str | None = None
    artifact: Artifact | None = field(default=None, repr=False)

    @property
    def healthy(self) -> bool:
        return self.error is None and not self.check_errors


@dataclass(frozen=True)
class Step:
    """The diff from one version to the next, summarised."""

    old: int
    new: int
    counts: dict[str, int]
    breaking: list[str]  # messages of the breaking changes
    kinds: list[str]  # every change kind, in order


@dataclass
class VersionsView:
    root: str
    policy: Policy
    versions: list[Version]
    skipped: list[str]  # children TF Serving skips
    steps: list[Step]
    notes: list[str]

    @property
    def served(self) -> list[Version]:
        return [v for v in self.versions if v.served]


Check = Callable[[Artifact], tuple[list[str], int]]  # -> (error lines, warning count)


def versions_view(root: str | os.PathLike, policy: Policy, *, check: Check | None = None,
                  registered_ops: frozenset[str] | None = None) -> VersionsView:
    base = as_path(root)
    if is_url(base):
        if base.is_dir():
            base.list_tree()  # one listing answers every question about the versions below
    elif not base.exists() and not base.is_symlink():
        raise NotFound(base, "no such file or directory", "check the path")
    if not base.is_dir():
        raise NotFound(base, "is not a directory", "pass the model base path that holds the numbered versions")
    if (base / SAVED_MODEL_PB).exists() or (base / SAVED_MODEL_PBTXT).exists():
        raise SelectionError(base, "is a SavedModel, not a model base path",
                             f"TF Serving wants its parent with numbered versions: move it to {base}/1")
    try:
        children = sorted(p.name for p in base.iterdir())
    except PermissionError:
        raise InspectorError(base, "permission denied while listing the directory") from None
    versions, skipped, notes = _scan(base, children)
    _apply_policy(versions, policy, notes)
    for version in versions:
        _inspect(version, check)
    steps = _steps(versions, registered_ops)
    if not versions:
        notes.append("no child's name is a version number: TF Serving serves nothing from here "
                     "(name version folders 1, 2, ...)")
    elif not any(v.served for v in versions):
        notes.append("the policy selects no version on disk: TF Serving serves nothing")
    for version in versions:
        if version.served and version.error is not None:
            notes.append(f"version {version.number}, which TF Serving would serve, cannot load: "
                         "fix the export or move the folder out of the base path")
        elif version.served and version.check_errors:
            notes.append(f"version {version.number}, which TF Serving would serve, has check errors "
                         f"(first: {version.check_errors[0]}): TF Serving fails to load or to serve it; "
                         f"run tfinspect check {version.path}")
    return VersionsView(str(base), policy, versions, skipped, steps, notes)


def _scan(base: Path, children: list[str]) -> tuple[list[Version], list[str], list[str]]:
    versions: list[Version] = []
    skipped: list[str] = []
    notes: list[str] = []
    winner: dict[int, str] = {}
    for name in children:  # sorted by name, as TF Serving indexes them: the last name wins
        number = parse_version(name)
        if number is None:
            skipped.append(name)
            continue
        versions.append(Version(name, number, base / name))
        winner[number] = name
    for version in versions:
        if winner[version.number] != version.name:
            version.shadowed_by = winner[version.number]
            notes.append(f"{version.name!r} and {version.shadowed_by!r} are both version {version.number}: "
                         f"TF Serving loads {version.shadowed_by!r} under the latest and specific policies")
    versions.sort(key=lambda v: (v.number, v.name))
    return versions, skipped, notes


def _apply_policy(versions: list[Version], policy: Policy, notes: list[str]) -> None:
    unique = [v for v in versions if v.shadowed_by is None]
    if policy.name == "all":
        chosen = versions
    elif policy.name == "specific":
        chosen = [v for v in unique if v.number in policy.versions]
        for number in policy.versions:
            if all(v.number != number for v in unique):
                notes.append(f"version {number} is asked for but not on disk: TF Serving logs a warning "
                             "and does not serve it")
    else:
        chosen = unique[-policy.num_versions:] if unique else []
    for version in chosen:
        version.served = True


def _inspect(version: Version, check: Check | None) -> None:
    version.size = _size(version.path)
    if not version.path.is_dir():
        version.error = "a file, not a directory: TF Serving cannot load it"
        return
    if not (version.path / SAVED_MODEL_PB).exists() and not (version.path / SAVED_MODEL_PBTXT).exists():
        nested = [p.name for p in version.path.iterdir() if (p / SAVED_MODEL_PB).exists()]
        version.error = ("no saved_model.pb" + (f" (one is nested in {nested[0]}/: move its contents up)"
                                                if nested else ": an unfinished or failed export"))
        return
    try:
        artifact = load(version.path)
    except InspectorError as exc:
        version.error = str(exc)
        return
    version.artifact = artifact
    serving = next((m for m in artifact.meta_graphs if m.tag_set == {"serve"}), None)
    meta = serving or (artifact.meta_graphs[0] if artifact.meta_graphs else None)
    if meta is not None:
        version.tensorflow_version = meta.tensorflow_version
        version.signatures = [
            {"tag_set": sorted(meta.tag_set), "signature_key": s.key, "method_name": s.method_name,
             "input_aliases": [t.alias for t in s.inputs], "output_aliases": [t.alias for t in s.outputs]}
            for s in meta.signatures.values() if not s.internal
        ]
    if check is not None:
        version.check_errors, version.check_warnings = check(artifact)


def _size(path: Path) -> int:
    if is_url(path):
        return path.tree_size()
    if not path.is_dir():
        return path.stat().st_size if path.is_file() else 0
    total = 0
    for folder, _, files in os.walk(path):
        for name in files:
            item = Path(folder) / name
            if not item.is_symlink():
                total += item.stat().st_size
    return total


def _steps(versions: list[Version], registered_ops: frozenset[str] | None) -> list[Step]:
    loaded = [v for v in versions if v.artifact is not None and v.shadowed_by is None]
    steps = []
    for old, new in itertools.pairwise(loaded):
        result = diff_artifacts(old.artifact, new.artifact, registered_ops=registered_ops)
        steps.append(Step(old.number, new.number, result.counts(),
                          [c.message for c in result.changes if c.severity == BREAKING],
                          [c.kind for c in result.changes]))
    return steps
