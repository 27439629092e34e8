"""Rows for `tfinspect ckpt`: tensors grouped readably, statistics, and the graph audit."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

import numpy as np

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
from ..model.metagraph import MetaGraph
from ..model.tensors import item_size
from .restore import ExpectedTensor, expected_tensors

# TF1 optimizers name their slot variables "<variable>/<Optimizer>[_n]".
_TF1_SLOT = re.compile(r"^(?P<var>.+)/(?P<slot>(Adam|Adagrad|Adadelta|Ftrl|RMSProp|Momentum|"
                       r"ExponentialMovingAverage|AdamW|Nadam|Adamax)(_\d+)?)$")


@dataclass
class TensorRow:
    key: str  # the checkpoint key, exactly as stored
    name: str  # readable: TF2 suffixes dropped
    dtype: str
    shape: tuple[int, ...]
    elements: int
    bytes: int  # bytes on disk (the index's size)
    shard: int
    slot_of: str | None = None  # the variable this optimizer slot belongs to
    slot: str | None = None  # e.g. "Adam/m" or "Adam_1"


@dataclass
class Listing:
    prefix: str
    num_shards: int
    rows: list[TensorRow]
    object_graph: ObjectGraphSummary | None
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    format_version: int = 2  # 1 for a V1 checkpoint (tensor slices), 2 for a tensor bundle

    @property
    def total_bytes(self) -> int:
        return sum(r.bytes for r in self.rows)

    @property
    def total_elements(self) -> int:
        return sum(r.elements for r in self.rows)


def listing(reader: CheckpointIndex) -> Listing:
    """The tensors as the index lists them; never needs a data shard."""
    entries = [e for e in reader.entries() if e.key != OBJECT_GRAPH_KEY]
    keys = {e.key for e in entries}
    readable = {readable_key(k) for k in keys}
    rows = [_row(entry, readable) for entry in entries]
    rows.sort(key=lambda r: (r.slot_of or r.name, r.slot is not None, r.slot or ""))
    missing = reader.missing_shards()
    graph_missing = OBJECT_GRAPH_KEY in reader and reader.entry(OBJECT_GRAPH_KEY).shard_path in missing
    view = Listing(reader.prefix, reader.header.num_shards, rows,
                   None if graph_missing else summarize_object_graph(reader), format_version=reader.format_version)
    if missing:
        view.warnings.append(_missing_shards_warning(reader, missing, graph_missing))
    return view


def _missing_shards_warning(reader: CheckpointIndex, missing: list[str], graph_missing: bool) -> str:
    names = ", ".join(os.path.basename(p) for p in missing[:3]) + (", ..." if len(missing) > 3 else "")
    text = (f"{len(missing)} of {reader.header.num_shards} data shards missing ({names}): "
            "listed from the .index alone; values, --stats and --verify need them")
    if graph_missing:
        text += "; the object graph is in a missing shard"
    return text


def _row(entry: TensorEntry, readable: set[str]) -> TensorRow:
    row = TensorRow(entry.key, readable_key(entry.key), entry.dtype_name, tuple(entry.shape),
                    entry.num_elements, entry.size, entry.shard_id)
    slot = parse_slot_key(entry.key)
    if slot is not None:
        row.slot_of, row.slot = slot.variable, f"{slot.optimizer}/{slot.slot}"
        return row
    match = _TF1_SLOT.match(entry.key)
    if match:
        # The optimizer may add its own name scope in front: train/layer/w/Adam.
        parts = match.group("var").split("/")
        for start in range(len(parts)):
            candidate = "/".join(parts[start:])
            if candidate in readable:
                row.slot_of, row.slot = candidate, match.group("slot")
                break
    return row


def find_key(reader: CheckpointIndex, name: str) -> str:
    """The checkpoint key for a key or its readable form."""
    if name in reader:
        return name
    keys = reader.keys()
    for key in keys:
        if readable_key(key) == name:
            return key
    from ..checkpoint import TensorNotFound

    raise TensorNotFound(reader.index_path, f"has no tensor named {name!r}",
                         f"run tfinspect ckpt {reader.prefix} to list the {len(keys)} names")


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
    expected = expected_tensors(meta)
    result = audit([e.as_expected() for e in expected], reader)
    source = expected[0].source if expected else "graph"
    return GraphAudit(source, expected, result)
