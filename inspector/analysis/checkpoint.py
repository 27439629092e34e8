"""Rows for `tfinspect ckpt`: tensors grouped readably, statistics, and the graph audit."""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field

from ..checkpoint import (
    OBJECT_GRAPH_KEY,
    AuditResult,
    CheckpointIndex,
    ObjectGraphSummary,
    TensorEntry,
    audit,
    parse_slot_key,
    readable_key,
    summarize_object_graph,
)
from ..checkpoint.audit import VARIABLE_VALUE_SUFFIX
from ..checkpoint.integrity import Integrity
from ..model.metagraph import MetaGraph
from ..model.variables import object_graph_variables
from ..tensors.shapes import item_size
from .restore import ExpectedTensor, expected_tensors

# TF1 optimizers name their slot variables "<variable>/<Optimizer>[_n]".
_TF1_SLOT = re.compile(r"^(?P<var>.+)/(?P<slot>(Adam|Adagrad|Adadelta|Ftrl|RMSProp|Momentum|"
                       r"ExponentialMovingAverage|AdamW|Nadam|Adamax)(_\d+)?)$")
# Keras optimizers (OptimizerV2) in a TF1 graph, e.g. an Estimator's, name theirs
# "[scope/]<Optimizer>/<variable>/<slot>": training/Ftrl/linear/weights/accumulator.
_V2_OPTIMIZER = re.compile(r"^(Adam|Adagrad|Adadelta|Ftrl|RMSprop|SGD|AdamW|Nadam|Adamax|Lion|Adafactor)(_\d+)?$")


@dataclass
class TensorRow:
    key: str  # the checkpoint key, exactly as stored
    name: str  # readable: TF2 suffixes dropped
    dtype: str
    shape: tuple[int, ...]
    elements: int
    bytes: int  # bytes on disk (the index's size; for a partitioned tensor, its slices')
    shard: int
    slot_of: str | None = None  # the variable this optimizer slot belongs to
    slot: str | None = None  # e.g. "Adam/m" or "Adam_1"
    copy_of: str | None = None  # the variable this tensor stores a second time (Keras model.export)


@dataclass
class Listing:
    prefix: str
    num_shards: int
    rows: list[TensorRow]
    object_graph: ObjectGraphSummary | None
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    format_version: int = 2  # 1 for a V1 checkpoint (tensor slices), 2 for a tensor bundle
    problems: list[str] = field(default_factory=list)  # shards missing or cut short: TensorFlow cannot restore

    @property
    def total_bytes(self) -> int:
        return sum(r.bytes for r in self.rows)

    @property
    def total_elements(self) -> int:
        return sum(r.elements for r in self.rows)


def listing(reader: CheckpointIndex, names: dict[str, str] | None = None,
            copies: dict[str, str] | None = None, integrity: Integrity | None = None) -> Listing:
    """The checkpoint's tensors; ``names`` (checkpoint key -> variable name, from the graph)
    gives variables the names the model knows them by, e.g. a Keras layer path; ``copies``
    (key -> variable name) marks the second copies a Keras export stores; ``integrity`` (the
    model's fact) gives the shards that are missing or cut short."""
    names = names or {}
    entries = reader.entries()  # _CHECKPOINTABLE_OBJECT_GRAPH too: tf.train.list_variables lists it
    keys = {e.key for e in entries}
    readable = {readable_key(k) for k in keys}
    rows = [_row(entry, readable, names) for entry in entries]
    for row in rows:
        row.copy_of = (copies or {}).get(row.key)
    rows.sort(key=lambda r: (r.slot_of or r.name, r.slot is not None, r.slot or ""))
    missing = reader.missing_shards()
    graph_missing = OBJECT_GRAPH_KEY in reader and reader.entry(OBJECT_GRAPH_KEY).shard_path in missing
    view = Listing(reader.prefix, reader.header.num_shards, rows,
                   None if graph_missing else summarize_object_graph(reader), format_version=reader.format_version)
    if missing:
        view.warnings.append(_missing_shards_warning(reader, missing, graph_missing))
    view.problems = integrity.problems() if integrity is not None else []
    return view


def _missing_shards_warning(reader: CheckpointIndex, missing: list[str], graph_missing: bool) -> str:
    names = ", ".join(os.path.basename(p) for p in missing[:3]) + (", ..." if len(missing) > 3 else "")
    text = (f"{len(missing)} of {reader.header.num_shards} data shards missing ({names}): "
            "listed from the .index alone; values, --stats and --verify need them")
    if graph_missing:
        text += "; the object graph is in a missing shard"
    return text


def _row(entry: TensorEntry, readable: set[str], names: dict[str, str]) -> TensorRow:
    row = TensorRow(entry.key, names.get(entry.key, readable_key(entry.key)), entry.dtype_name,
                    tuple(entry.shape), entry.num_elements, entry.size, entry.shard_id)
    slot = parse_slot_key(entry.key)
    if slot is not None:
        variable_key = slot.variable + VARIABLE_VALUE_SUFFIX
        row.slot_of, row.slot = names.get(variable_key, slot.variable), f"{slot.optimizer}/{slot.slot}"
        return row
    match = _TF1_SLOT.match(entry.key)
    if match:
        # The optimizer may add its own name scope in front: train/layer/w/Adam.
        parts = match.group("var").split("/")
        for start in range(len(parts)):
            candidate = "/".join(parts[start:])
            if candidate in readable:
                row.slot_of, row.slot = candidate, match.group("slot")
                return row
    parts = entry.key.split("/")
    for start, part in enumerate(parts[:-2]):
        variable = "/".join(parts[start + 1:-1])
        if _V2_OPTIMIZER.match(part) and variable in readable:
            row.slot_of, row.slot = variable, f"{part}/{parts[-1]}"
            break
    return row


def find_key(reader: CheckpointIndex, name: str, names: dict[str, str] | None = None) -> str:
    """The checkpoint key for a key, its readable form or the variable's name (``names``:
    key -> name); an unknown name is an error that suggests the closest ones."""
    if name in reader:
        return name
    keys = reader.keys()
    by_name = {readable_key(key): key for key in keys}
    by_name.update({label: key for key, label in (names or {}).items() if key in reader})
    if name in by_name:
        return by_name[name]
    from ..checkpoint import TensorNotFound

    close = difflib.get_close_matches(name, list(by_name), n=3, cutoff=0.5)
    hint = f"did you mean {', '.join(map(repr, close))}? " if close else ""
    raise TensorNotFound(reader.index_path, f"has no tensor named {name!r}",
                         f"{hint}run tfinspect ckpt {reader.prefix} to list the {len(keys)} names")


def variable_names(meta: MetaGraph | None, reader: CheckpointIndex) -> tuple[dict[str, str], dict[str, str]]:
    """For the keys of TF2 variables: the variable's name where it is not the key's readable form
    (a Keras layer path such as ``dense/kernel``), and the variable a second copy duplicates.
    Both empty for TF1 graphs, whose keys already are the variable names."""
    if meta is None:
        return {}, {}
    variables = [v for v in object_graph_variables(meta, reader) if v.checkpoint_key]
    names = {v.checkpoint_key: v.name for v in variables if v.name != readable_key(v.checkpoint_key)}
    copies = {v.checkpoint_key: v.copy_of for v in variables if v.copy_of}
    return names, copies


@dataclass
class TensorStats:
    name: str
    dtype: str
    elements: int
    min: float | None
    max: float | None
    mean: float | None
    std: float | None
    nan: int
    inf: int
    zeros: int


def statistics(reader: CheckpointIndex, rows: list[TensorRow]) -> list[TensorStats]:
    import numpy as np  # loaded only for values

    result = []
    for row in rows:
        if item_size(row.dtype) is None or row.dtype == "DT_BOOL":
            continue
        values = np.asarray(reader.read(row.key))
        if np.iscomplexobj(values):
            values = np.abs(values)
        values = values.astype(np.float64, copy=False)
        finite = values[np.isfinite(values)]
        result.append(TensorStats(
            name=row.name, dtype=row.dtype, elements=int(values.size),
            min=float(finite.min()) if finite.size else None,
            max=float(finite.max()) if finite.size else None,
            mean=float(finite.mean()) if finite.size else None,
            std=float(finite.std()) if finite.size else None,
            nan=int(np.isnan(values).sum()), inf=int(np.isinf(values).sum()),
            zeros=int((values == 0).sum()),
        ))
    return result


@dataclass
class GraphAudit:
    source: str  # where the expected names came from
    expected: list[ExpectedTensor]
    result: AuditResult


def graph_audit(meta: MetaGraph, reader: CheckpointIndex) -> GraphAudit:
    expected = expected_tensors(meta, reader)
    result = audit([e.as_expected() for e in expected], reader)
    source = expected[0].source if expected else "graph"
    return GraphAudit(source, expected, result)
