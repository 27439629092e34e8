"""The parts of a diff behind the signatures: ops, variables, checkpoint, assets, versions.

None of these is visible in a request, so most are ``info``; the exceptions are
called out where they are decided: a new op type TensorFlow does not register
(the server cannot load the graph), a checkpoint tensor removed or reshaped
between two checkpoints (code restoring the old one fails), and a vocabulary
whose existing entries moved or went away (the same request now means
something else).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from ..errors import InspectorError
from ..model.artifact import Artifact, ArtifactKind
from ..model.metagraph import MetaGraph
from ..tensors.shapes import format_shape
from .changes import BREAKING, COMPATIBLE, INFO, Change, Progress
from .overview import fingerprint_summary
from .variables import resolved_variables


# -- graph: ops and variables ----------------------------------------------------------
def graph_changes(old: MetaGraph, new: MetaGraph, tag_set: str | None,
                  registered_ops: frozenset[str] | None, *, variables: bool = True) -> list[Change]:
    """Op types, node and function counts, and (unless ``variables`` is False, for two
    checkpoints whose tensors are compared instead) the graph's variables."""
    where = {"tag_set": tag_set}
    changes = []
    old_ops, new_ops = old.op_histogram, new.op_histogram
    for op in sorted(set(new_ops) - set(old_ops)):
        if registered_ops is not None and op not in registered_ops:
            changes.append(Change("op_type_added", BREAKING,
                                  f"new op type {op!r} is not registered by TensorFlow: a server without "
                                  "its custom-op library cannot load the model", {**where, "op_type": op},
                                  None, new_ops[op]))
        else:
            changes.append(Change("op_type_added", INFO, f"op type {op!r} added ({new_ops[op]} nodes)",
                                  {**where, "op_type": op}, None, new_ops[op]))
    for op in sorted(set(old_ops) - set(new_ops)):
        changes.append(Change("op_type_removed", INFO, f"op type {op!r} removed", {**where, "op_type": op},
                              old_ops[op], None))
    old_nodes, new_nodes = len(old.graph_def.node), len(new.graph_def.node)
    if old_nodes != new_nodes:
        changes.append(Change("node_count_changed", INFO, f"graph nodes {old_nodes:,} -> {new_nodes:,} "
                              f"({new_nodes - old_nodes:+,})", where, old_nodes, new_nodes))
    old_fns, new_fns = len(old.functions.functions), len(new.functions.functions)
    if old_fns != new_fns:
        changes.append(Change("function_count_changed", INFO, f"library functions {old_fns} -> {new_fns}",
                              where, old_fns, new_fns))
    if variables:
        changes.extend(_variable_changes(old, new, where))
    return changes


def _variable_changes(old: MetaGraph, new: MetaGraph, where: dict) -> list[Change]:
    old_vars = {v.name: v for v in resolved_variables(old)}
    new_vars = {v.name: v for v in resolved_variables(new)}
    changes = []
    for name in sorted(set(new_vars) - set(old_vars)):
        var = new_vars[name]
        changes.append(Change("variable_added", INFO, f"variable {name!r} added {format_shape(var.shape)}",
                              {**where, "variable": name}, None, {"dtype": var.dtype, "shape": var.shape}))
    for name in sorted(set(old_vars) - set(new_vars)):
        var = old_vars[name]
        changes.append(Change("variable_removed", INFO, f"variable {name!r} removed",
                              {**where, "variable": name}, {"dtype": var.dtype, "shape": var.shape}, None))
    for name in sorted(set(old_vars) & set(new_vars)):
        a, b = old_vars[name], new_vars[name]
        if (a.dtype, a.shape) != (b.dtype, b.shape):
            changes.append(Change("variable_reshaped", INFO,
                                  f"variable {name!r} {a.dtype} {format_shape(a.shape)} -> "
                                  f"{b.dtype} {format_shape(b.shape)}", {**where, "variable": name},
                                  {"dtype": a.dtype, "shape": a.shape}, {"dtype": b.dtype, "shape": b.shape}))
    old_params = sum(v.elements or 0 for v in old_vars.values())
    new_params = sum(v.elements or 0 for v in new_vars.values())
    if old_params != new_params:
        changes.append(Change("parameters_changed", INFO, f"parameters {old_params:,} -> {new_params:,} "
                              f"({new_params - old_params:+,})", where, old_params, new_params))
    return changes


# -- checkpoints -----------------------------------------------------------------------
def checkpoint_changes(old: Artifact, new: Artifact, values: bool, progress: Progress | None) -> list[Change]:
    """Tensors of the two checkpoints (a SavedModel's ``variables/`` counts as one).

    Tensors added, removed or reshaped are listed between two checkpoints, where a
    removed or reshaped tensor is breaking: code that restores the old one into
    its graph fails.  For graphs (SavedModel, ``.meta``) the graph's variables are
    compared instead; the checkpoint only adds values, with ``values``.
    """
    changes = integrity_changes(old, new)
    old_reader, new_reader = old.checkpoint, new.checkpoint
    if old_reader is None or new_reader is None:
        return changes
    old_entries = {e.key: e for e in old_reader.entries()}
    new_entries = {e.key: e for e in new_reader.entries()}
    common = sorted(set(old_entries) & set(new_entries))
    if old.kind is ArtifactKind.CHECKPOINT and new.kind is ArtifactKind.CHECKPOINT:
        changes.extend(_tensor_changes(old_entries, new_entries, common))
    same = [k for k in common if (old_entries[k].dtype_name, old_entries[k].shape)
            == (new_entries[k].dtype_name, new_entries[k].shape)]
    if values:
        changes.extend(value_changes(old_reader, new_reader, same, progress))
    else:
        changes.extend(checksum_changes(old_entries, new_entries, same))
    return changes


def integrity_changes(old: Artifact, new: Artifact) -> list[Change]:
    """A checkpoint with missing or short data shards (the model fact): NEW's breaks every client."""
    changes = []
    for side, artifact, severity in (("OLD", old, INFO), ("NEW", new, BREAKING)):
        found = artifact.checkpoint_integrity()
        if found is not None and not found.ok:
            problems = found.problems()
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            changes.append(Change("checkpoint_incomplete", severity,
                                  f"{side}'s checkpoint is incomplete: {problems[0]}{more}; TensorFlow cannot "
                                  "restore it", {"side": side.lower()}, None, problems))
    return changes


def checksum_changes(old_entries: dict, new_entries: dict, keys: list[str]) -> list[Change]:
    """Tensors whose stored bytes differ, told by the crc32c the two indexes keep (nothing read).

    A partitioned tensor and a V1 checkpoint keep no per-tensor crc32c: those are
    counted as not compared.
    """
    changes, unknown = [], 0
    for key in keys:
        a, b = old_entries[key], new_entries[key]
        if a.has_slices or b.has_slices or not (a.crc32c and b.crc32c):
            unknown += 1
        elif (a.crc32c, a.size) != (b.crc32c, b.size):
            changes.append(Change("tensor_bytes_changed", INFO,
                                  f"checkpoint tensor {key!r}: its bytes differ (the indexes' crc32c; "
                                  "--values says by how much)", {"checkpoint_key": key}))
    if unknown:
        changes.append(Change("tensor_bytes_not_compared", INFO,
                              f"{unknown} checkpoint tensors not compared: a partitioned tensor or a V1 checkpoint "
                              "keeps no per-tensor crc32c (--values reads and compares them)", {}, None, unknown))
    return changes


def _tensor_changes(old_entries: dict, new_entries: dict, common: list[str]) -> list[Change]:
    lost = BREAKING
    changes = []
    for key in sorted(set(new_entries) - set(old_entries)):
        entry = new_entries[key]
        changes.append(Change("checkpoint_tensor_added", INFO, f"checkpoint tensor {key!r} added",
                              {"checkpoint_key": key}, None, _entry(entry)))
    for key in sorted(set(old_entries) - set(new_entries)):
        changes.append(Change("checkpoint_tensor_removed", lost, f"checkpoint tensor {key!r} removed"
                              + ": restoring it fails", {"checkpoint_key": key},
                              _entry(old_entries[key]), None))
    for key in common:
        a, b = old_entries[key], new_entries[key]
        if (a.dtype_name, a.shape) != (b.dtype_name, b.shape):
            changes.append(Change("checkpoint_tensor_reshaped", lost,
                                  f"checkpoint tensor {key!r} {a.dtype_name} {list(a.shape)} -> "
                                  f"{b.dtype_name} {list(b.shape)}", {"checkpoint_key": key},
                                  _entry(a), _entry(b)))
    old_total = sum(e.num_elements for e in old_entries.values())
    new_total = sum(e.num_elements for e in new_entries.values())
    if old_total != new_total:
        changes.append(Change("checkpoint_elements_changed", INFO, f"checkpoint elements {old_total:,} -> "
                              f"{new_total:,} ({new_total - old_total:+,})", {}, old_total, new_total))
    return changes


def _entry(entry) -> dict:
    return {"dtype": entry.dtype_name, "shape": list(entry.shape)}


def value_changes(old_reader, new_reader, keys: list[str], progress: Progress | None) -> list[Change]:
    """Per tensor: the largest absolute difference (numbers) or whether any element differs."""
    total = sum(old_reader.entry(k).size for k in keys)
    done = 0
    changes = []
    for key in keys:
        try:
            a, b = old_reader.read(key), new_reader.read(key)
        except InspectorError as exc:
            changes.append(Change("tensor_unreadable", INFO, f"values of {key!r} not compared: {exc}",
                                  {"checkpoint_key": key}))
            continue
        finally:
            done += old_reader.entry(key).size
            if progress is not None:
                progress(done, total)
        if a.dtype.kind in "biufc":
            delta = np.abs(a.astype(np.float64) - b.astype(np.float64)) if a.size else np.zeros(0)
            finite = delta[~np.isnan(delta)]
            biggest = float(finite.max()) if finite.size else 0.0
            changed = int(np.count_nonzero(delta))  # NaN counts as a difference
            if changed:
                changes.append(Change("tensor_values_changed", INFO,
                                      f"{key!r}: max abs difference {biggest:.6g} ({changed:,} of {a.size:,} "
                                      "elements differ)", {"checkpoint_key": key}, None,
                                      {"max_abs_diff": biggest, "changed_elements": changed, "elements": int(a.size)}))
        elif not np.array_equal(a, b):
            changed = int(np.count_nonzero(a != b))
            changes.append(Change("tensor_values_changed", INFO, f"{key!r}: {changed:,} of {a.size:,} values differ",
                                  {"checkpoint_key": key}, None,
                                  {"max_abs_diff": None, "changed_elements": changed, "elements": int(a.size)}))
    return changes


# -- assets ----------------------------------------------------------------------------
def _asset_files(artifact: Artifact) -> dict[str, Path]:
    """``assets/...`` and ``assets.extra/...`` files by their path under the SavedModel."""
    if artifact.kind is not ArtifactKind.SAVED_MODEL:
        return {}
    return {f.path.relative_to(artifact.root).as_posix(): f.path for f in artifact.files
            if f.role in ("assets", "assets.extra")}


def _vocabularies(artifact: Artifact) -> set[str]:
    """Asset files a graph names in its asset_file_def (lookup-table vocabularies, mostly)."""
    return {f"assets/{asset.filename}" for meta in artifact.meta_graphs for asset in meta.asset_defs}


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def asset_changes(old: Artifact, new: Artifact) -> list[Change]:
    old_files, new_files = _asset_files(old), _asset_files(new)
    tables = _vocabularies(old) | _vocabularies(new)
    changes = []
    for name in sorted(set(new_files) - set(old_files)):
        changes.append(Change("asset_added", INFO, f"asset {name!r} added", {"asset": name},
                              None, {"sha256": _digest(new_files[name])}))
    for name in sorted(set(old_files) - set(new_files)):
        changes.append(Change("asset_removed", INFO, f"asset {name!r} removed", {"asset": name},
                              {"sha256": _digest(old_files[name])}, None))
    for name in sorted(set(old_files) & set(new_files)):
        before, after = _digest(old_files[name]), _digest(new_files[name])
        if before == after:
            continue
        if name in tables:
            changes.append(vocabulary_change(name, old_files[name], new_files[name], before, after))
        else:
            changes.append(Change("asset_changed", INFO, f"asset {name!r} content changed", {"asset": name},
                                  {"sha256": before}, {"sha256": after}))
    return changes


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines()


def vocabulary_change(name: str, old_path: Path, new_path: Path, before: str, after: str) -> Change:
    """A vocabulary's entries are ids by line number: appending keeps every old id, any
    other edit gives existing entries another id (or none), silently."""
    old_lines, new_lines = _lines(old_path), _lines(new_path)
    new_index = {token: i for i, token in reversed(list(enumerate(new_lines)))}
    moved = [(t, i, new_index.get(t)) for i, t in enumerate(old_lines) if new_index.get(t) != i]
    detail = {"lines": len(old_lines), "sha256": before}, {"lines": len(new_lines), "sha256": after}
    if not moved:
        return Change("vocabulary_changed", COMPATIBLE,
                      f"vocabulary {name!r}: {len(new_lines) - len(old_lines)} entries appended; "
                      "existing entries keep their ids", {"asset": name}, *detail)
    token, was, now = moved[0]
    shown = token.decode("utf-8", "replace")
    where_now = "is gone" if now is None else f"is now line {now}"
    return Change("vocabulary_changed", BREAKING,
                  f"vocabulary {name!r}: {len(moved)} of {len(old_lines)} existing entries moved or went away "
                  f"(e.g. {shown!r} was line {was}, {where_now}): the same request maps to other ids",
                  {"asset": name}, *detail)


# -- versions and fingerprint ----------------------------------------------------------
def version_changes(old: Artifact, new: Artifact, tag_set: str | None) -> list[Change]:
    changes = []
    facts = (("tensorflow_version", "TensorFlow version", lambda m: m.tensorflow_version),
             ("producer", "GraphDef producer", lambda m: m.producer),
             ("min_consumer", "GraphDef min_consumer", lambda m: m.min_consumer))
    old_meta, new_meta = _first(old, tag_set), _first(new, tag_set)
    if old_meta is not None and new_meta is not None:
        for kind, label, get in facts:
            a, b = get(old_meta), get(new_meta)
            if a != b:
                shown = ["not recorded" if v is None else v for v in (a, b)]
                changes.append(Change(f"{kind}_changed", INFO, f"{label} {shown[0]} -> {shown[1]}", {}, a, b))
    if old.fingerprint is not None or new.fingerprint is not None:
        a, b = fingerprint_summary(old), fingerprint_summary(new)
        if a is None or b is None:
            what = "added: OLD had none" if a is None else "removed: NEW has none"
            changes.append(Change("fingerprint_changed", INFO, f"fingerprint.pb {what}", {}, a, b))
        elif a != b:
            changes.append(Change("fingerprint_changed", INFO, "fingerprint.pb changed: "
                                  + ", ".join(k for k in a if a.get(k) != b.get(k)), {}, a, b))
    return changes


def _first(artifact: Artifact, tag_set: str | None) -> MetaGraph | None:
    try:
        return artifact.meta_graph(tag_set) if artifact.meta_graphs else None
    except InspectorError:
        return artifact.meta_graphs[0]
