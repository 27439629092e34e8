"""SavedModel version trees, read the way TF Serving reads a model's base path.

TF Serving (``file_system_storage_path_source.cc``) takes every child of the
base path whose name parses as a 64-bit integer as a version: ASCII spaces
around it and a leading ``-`` are allowed, leading zeros too (``01`` is
version 1).  Other names are skipped without a word.  When two names give the
same number, the one that sorts last as a string is loaded and the other
ignored.  It does not look inside a version folder before trying to load it,
so a version folder without ``saved_model.pb`` fails only when served.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..model.layout import GRAPH_FILES

_VERSION_NAME = re.compile(r"[ \t\n\v\f\r]*(-?[0-9]+)[ \t\n\v\f\r]*", re.ASCII)
_INT64 = (-(1 << 63), (1 << 63) - 1)
MODEL_FILES = GRAPH_FILES


def parse_version(name: str) -> int | None:
    """The version number TF Serving reads in a folder name, or None."""
    match = _VERSION_NAME.fullmatch(name)
    if match is None:
        return None
    number = int(match.group(1))
    return number if _INT64[0] <= number <= _INT64[1] else None


@dataclass
class VersionTree:
    models: dict[int, Path] = field(default_factory=dict)  # version -> folder holding a SavedModel
    folders: dict[int, Path] = field(default_factory=dict)  # version -> the folder TF Serving uses
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def numbered(self) -> bool:
        return bool(self.folders)


def scan(entries: list[Path]) -> VersionTree:
    """What a directory's entries (sorted by name) hold as a version tree."""
    tree = VersionTree()
    others = []
    for entry in sorted(entries, key=lambda p: p.name):
        number = parse_version(entry.name)
        if number is None:
            if entry.is_dir():
                others.append(entry.name)
            continue
        if number in tree.folders:
            tree.warnings.append(
                f"folders {tree.folders[number].name!r} and {entry.name!r} are both version {number}; "
                f"TF Serving loads {entry.name!r} and ignores {tree.folders[number].name!r}")
        tree.folders[number] = entry
    newest = max(tree.folders, default=None)
    for number, folder in tree.folders.items():
        if folder.is_dir() and any((folder / name).is_file() for name in MODEL_FILES):
            tree.models[number] = folder
            continue
        if number == newest:
            tree.warnings.append(f"version folder {folder.name!r} holds no saved_model.pb; it is the newest "
                                 f"version, which TF Serving serves by default, so serving would fail")
        else:
            tree.warnings.append(f"version folder {folder.name!r} holds no saved_model.pb; TF Serving "
                                 f"would fail to load version {number}")
    renamed = [f"{folder.name!r} is version {number}" for number, folder in sorted(tree.models.items())
               if folder.name != str(number)]
    if renamed:
        tree.notes.append("TF Serving reads folder names as integers: " + ", ".join(renamed))
    if others and tree.numbered:
        tree.notes.append("folders that are not version numbers, skipped as TF Serving skips them: "
                          + ", ".join(repr(name) for name in others))
    return tree
