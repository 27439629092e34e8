"""What changed between two artifacts, and whether the clients of the old one break.

Plain data only: ``diff_artifacts(old, new)`` returns a ``DiffResult`` whose
``changes`` each carry a kind, a severity and the place they happened.

Severity is judged from what a TF Serving client of OLD experiences when the
server starts serving NEW:

* ``breaking``: a request that worked against OLD fails against NEW, or its
  response lacks what the client read or means something else;
* ``compatible``: the interface changed but every OLD request still runs;
* ``info``: a fact worth knowing that no client sees (ops, variables, versions).

Signature rules (``docs`` in the README repeat them):

* a signature or tag-set removed, a ``method_name`` changed, an input or output
  removed or renamed, a dtype changed, a new input without a default: breaking;
* a new signature, tag-set, output, or an input with a default: compatible;
* input shapes: a dimension relaxed to unknown, or a known rank relaxed to
  unknown rank, is compatible (every old request still fits); a dimension
  narrowed (unknown to a size, or one size to another), a rank change, or an
  unknown rank made known is breaking (some old requests no longer fit);
* output shapes: the client reads them, so the rule turns around: a dimension
  that gets narrower is compatible, one size changed to another or a rank change
  is breaking, a dimension or rank relaxed to unknown is compatible (noted).
"""

from __future__ import annotations

from ..model.artifact import Artifact, ArtifactKind
from ..model.metagraph import MetaGraph, Signature, SignatureTensor
from ..tensors.shapes import Shape, format_shape
from . import diff_content
from .changes import BREAKING, COMPATIBLE, INFO, Change, DiffResult, Progress
from .io import io_signature


def diff_artifacts(old: Artifact, new: Artifact, *, tag_set: str | None = None, values: bool = False,
                   registered_ops: frozenset[str] | None = None, progress: Progress | None = None,
                   ) -> DiffResult:
    """Every change from ``old`` to ``new``.

    ``registered_ops``: the op types the serving TensorFlow knows; a new op type
    outside it is called out.  ``values``: also compare checkpoint values
    (``progress(done_bytes, total_bytes)`` is called while reading).
    """
    result = DiffResult(str(old.path), str(new.path), old.kind.value, new.kind.value)
    for side, artifact in (("OLD", old), ("NEW", new)):
        if artifact.version is not None:
            result.notes.append(f"{side} is version {artifact.version} of the version tree {artifact.path}")
    if old.kind is not new.kind:
        result.changes.append(Change("kind_changed", INFO, f"artifact kind changed: {old.kind.label} -> "
                                     f"{new.kind.label}", {}, old.kind.value, new.kind.value))
    bare_checkpoints = old.kind is new.kind is ArtifactKind.CHECKPOINT
    for old_meta, new_meta, label in matched_meta_graphs(old, new, tag_set, result):
        if bool(old_meta.signatures) == bool(new_meta.signatures):
            result.changes.extend(signature_changes(old_meta, new_meta, label))
        else:
            side = "OLD" if not old_meta.signatures else "NEW"
            result.notes.append(f"signatures not compared: {side} has no SignatureDef (its inputs and outputs "
                                "would only be guessed); compare with `tfinspect io` and `tfinspect signatures`")
        result.changes.extend(diff_content.graph_changes(old_meta, new_meta, label, registered_ops,
                                                         variables=not bare_checkpoints))
    result.changes.extend(diff_content.checkpoint_changes(old, new, values, progress))
    result.changes.extend(diff_content.asset_changes(old, new))
    result.changes.extend(diff_content.version_changes(old, new, tag_set))
    return result


# -- MetaGraphs ------------------------------------------------------------------------
def _tag_key(meta: MetaGraph) -> str | None:
    return ",".join(sorted(meta.tag_set)) or None


def matched_meta_graphs(old: Artifact, new: Artifact, tag_set: str | None,
                        result: DiffResult) -> list[tuple[MetaGraph, MetaGraph, str | None]]:
    """Pairs of MetaGraphs with the same tag-set; tag-sets only on one side become changes.

    Two artifacts with one MetaGraph each (a ``.meta`` against a frozen graph, a
    SavedModel against a ``.meta``) are compared with each other whatever their tags.
    """
    old_graphs, new_graphs = old.select(tag_set), new.select(tag_set)
    if len(old_graphs) == 1 and len(new_graphs) == 1:
        old_meta, new_meta = old_graphs[0], new_graphs[0]
        if old_meta.tag_set != new_meta.tag_set:
            result.notes.append(f"compared the only MetaGraph of each side: {{{old_meta.tag_label}}} "
                                f"with {{{new_meta.tag_label}}}")
        return [(old_meta, new_meta, _tag_key(new_meta))]
    old_by = {_tag_key(m): m for m in old_graphs}
    new_by = {_tag_key(m): m for m in new_graphs}
    for key in sorted(set(old_by) - set(new_by), key=str):
        severity = BREAKING if old_by[key].signatures else INFO
        result.changes.append(Change("tag_set_removed", severity,
                                     f"MetaGraph {{{key}}} removed: a server loading these tags fails",
                                     {"tag_set": key}))
    for key in sorted(set(new_by) - set(old_by), key=str):
        result.changes.append(Change("tag_set_added", COMPATIBLE, f"MetaGraph {{{key}}} added",
                                     {"tag_set": key}))
    return [(old_by[k], new_by[k], k) for k in sorted(set(old_by) & set(new_by), key=str)]


def served_signatures(meta: MetaGraph) -> dict[str, Signature]:
    """The signatures of a MetaGraph; for a graph without any, the inputs and outputs
    ``tfinspect io`` guesses (the same view ``check`` uses)."""
    if any(not s.internal for s in meta.signatures.values()):
        return dict(meta.signatures)
    guessed = io_signature(meta)
    return dict(meta.signatures) | ({guessed.key: guessed} if guessed is not None else {})


# -- signatures ------------------------------------------------------------------------
def signature_changes(old_meta: MetaGraph, new_meta: MetaGraph, tag_set: str | None) -> list[Change]:
    old_sigs, new_sigs = served_signatures(old_meta), served_signatures(new_meta)
    changes: list[Change] = []
    for key in sorted(set(old_sigs) - set(new_sigs)):
        severity = INFO if old_sigs[key].internal else BREAKING
        changes.append(Change("signature_removed", severity, f"signature {key!r} removed",
                              {"tag_set": tag_set, "signature_key": key}))
    for key in sorted(set(new_sigs) - set(old_sigs)):
        severity = INFO if new_sigs[key].internal else COMPATIBLE
        changes.append(Change("signature_added", severity, f"signature {key!r} added",
                              {"tag_set": tag_set, "signature_key": key}))
    for key in sorted(set(old_sigs) & set(new_sigs)):
        changes.extend(_one_signature(old_sigs[key], new_sigs[key], tag_set))
    return changes


def _one_signature(old: Signature, new: Signature, tag_set: str | None) -> list[Change]:
    where = {"tag_set": tag_set, "signature_key": old.key}
    changes = []
    if old.method_name != new.method_name:
        changes.append(Change("method_name_changed", INFO if old.internal else BREAKING,
                              f"method_name changed from {old.method_name!r} to {new.method_name!r}: "
                              "Classify/Regress/Predict requests pick signatures by it",
                              where, old.method_name, new.method_name))
    changes.extend(_tensors("input", old.inputs, new.inputs, where, new.defaults))
    changes.extend(_tensors("output", old.outputs, new.outputs, where, {}))
    if old.internal:
        changes = [Change(c.kind, INFO, c.message, c.where, c.old, c.new) for c in changes]
    return changes


def _describe(tensor: SignatureTensor) -> dict:
    return {"alias": tensor.alias, "tensor_name": tensor.name, "dtype": tensor.dtype, "shape": tensor.shape}


def _renames(removed: dict[str, SignatureTensor], added: dict[str, SignatureTensor]) -> list[tuple[str, str]]:
    """(old alias, new alias) pairs naming the same tensor; failing that, the one removed
    and the one added alias with the same dtype and shape."""
    pairs = []
    for old_alias, tensor in list(removed.items()):
        same = [a for a, t in added.items() if tensor.name and t.name == tensor.name]
        if len(same) == 1:
            pairs.append((old_alias, same[0]))
            del removed[old_alias], added[same[0]]
    if len(removed) == 1 and len(added) == 1:
        (old_alias, old_t), (new_alias, new_t) = next(iter(removed.items())), next(iter(added.items()))
        if old_t.dtype == new_t.dtype and old_t.shape == new_t.shape:
            pairs.append((old_alias, new_alias))
            removed.clear()
            added.clear()
    return pairs


def _tensors(role: str, old: tuple[SignatureTensor, ...], new: tuple[SignatureTensor, ...],
             where: dict, defaults: dict[str, str]) -> list[Change]:
    old_by, new_by = {t.alias: t for t in old}, {t.alias: t for t in new}
    removed = {a: t for a, t in old_by.items() if a not in new_by}
    added = {a: t for a, t in new_by.items() if a not in old_by}
    changes = []
    for old_alias, new_alias in _renames(removed, added):
        before, after = old_by[old_alias], new_by[new_alias]
        changes.append(Change(f"{role}_renamed", BREAKING,
                              f"{role} alias {old_alias!r} renamed to {new_alias!r}"
                              + (" (same tensor)" if before.name == after.name else "")
                              + ": clients that name it fail",
                              {**where, "alias": new_alias}, _describe(before), _describe(after)))
        changes.extend(_tensor_pair(role, before, after, {**where, "alias": new_alias}))
    for alias, tensor in sorted(removed.items()):
        message = (f"input {alias!r} removed: requests that send it are rejected" if role == "input"
                   else f"output {alias!r} removed: clients that read it break")
        changes.append(Change(f"{role}_removed", BREAKING, message, {**where, "alias": alias}, _describe(tensor)))
    for alias, tensor in sorted(added.items()):
        if role == "output":
            severity, message = COMPATIBLE, f"output {alias!r} added"
        elif alias in defaults:
            severity, message = COMPATIBLE, f"input {alias!r} added with a default ({defaults[alias]})"
        else:
            severity, message = BREAKING, f"required input {alias!r} added: old requests do not send it"
        changes.append(Change(f"{role}_added", severity, message, {**where, "alias": alias}, None, _describe(tensor)))
    for alias in sorted(set(old_by) & set(new_by)):
        changes.extend(_tensor_pair(role, old_by[alias], new_by[alias], {**where, "alias": alias}))
    return changes


def _tensor_pair(role: str, old: SignatureTensor, new: SignatureTensor, where: dict) -> list[Change]:
    changes = []
    if old.dtype != new.dtype:
        changes.append(Change(f"{role}_dtype_changed", BREAKING,
                              f"{role} {new.alias!r} dtype changed from {old.dtype} to {new.dtype}",
                              where, old.dtype, new.dtype))
    if old.encoding != new.encoding:
        changes.append(Change(f"{role}_encoding_changed", BREAKING,
                              f"{role} {new.alias!r} changed from a {old.encoding} to a {new.encoding} tensor",
                              where, old.encoding, new.encoding))
    if old.shape != new.shape:
        severity, why = shape_change(old.shape, new.shape, is_input=role == "input")
        changes.append(Change(f"{role}_shape_changed", severity,
                              f"{role} {new.alias!r} shape {format_shape(old.shape)} -> "
                              f"{format_shape(new.shape)}: {why}", where, old.shape, new.shape))
    if old.name != new.name and old.alias == new.alias:
        changes.append(Change(f"{role}_tensor_changed", INFO,
                              f"{role} {new.alias!r} now names tensor {new.name!r} (was {old.name!r})",
                              where, old.name, new.name))
    return changes


def shape_change(old: Shape, new: Shape, *, is_input: bool) -> tuple[str, str]:
    """(severity, reason) of a shape change of a signature input or output."""
    if new is None:
        return COMPATIBLE, "rank relaxed to unknown"
    if old is None:
        if is_input:
            return BREAKING, "rank fixed: requests of another rank are rejected"
        return COMPATIBLE, "rank now known"
    if len(old) != len(new):
        return BREAKING, f"rank changed from {len(old)} to {len(new)}"
    narrowed = [i for i, (a, b) in enumerate(zip(old, new)) if a != b and b >= 0]
    resized = [i for i in narrowed if old[i] >= 0]
    if resized:
        return BREAKING, f"dimension {resized[0]} changed size"
    if narrowed:
        if is_input:
            return BREAKING, f"dimension {narrowed[0]} narrowed to a fixed size"
        return COMPATIBLE, f"dimension {narrowed[0]} now has a fixed size"
    if is_input:
        return COMPATIBLE, "dimension relaxed to unknown: old requests still fit"
    return COMPATIBLE, "dimension relaxed to unknown: clients relying on its size should check"
