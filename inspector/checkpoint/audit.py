"""Compare the variables a graph expects with what a checkpoint holds, and name
the keys of TF2 object-based checkpoints.

The comparison is pure: the caller supplies the expected variables (another
module extracts them from graphs) and anything with ``entries()`` of
:class:`~inspector.checkpoint.bundle.TensorEntry`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from inspector.checkpoint.bundle import OBJECT_GRAPH_KEY, TensorEntry

if TYPE_CHECKING:
    from inspector.checkpoint.bundle import BundleReader

VARIABLE_VALUE_SUFFIX = "/.ATTRIBUTES/VARIABLE_VALUE"
SLOT_MARKER = "/.OPTIMIZER_SLOT/"
# Counters and graphs the saving machinery adds; a graph rarely restores them.
_BOOKKEEPING_NAMES = {"global_step", "save_counter", "_CHECKPOINTABLE_OBJECT_GRAPH", "iter", "iterations"}


# -- TF2 object-based keys -------------------------------------------------------
def readable_key(key: str) -> str:
    """``layer/kernel`` for ``layer/kernel/.ATTRIBUTES/VARIABLE_VALUE``; other keys as is."""
    return key.removesuffix(VARIABLE_VALUE_SUFFIX)


@dataclass(frozen=True)
class SlotKey:
    """An optimizer slot: ``variable/.OPTIMIZER_SLOT/optimizer/slot/.ATTRIBUTES/...``."""

    variable: str
    optimizer: str
    slot: str


def parse_slot_key(key: str) -> SlotKey | None:
    """The (variable path, optimizer, slot name) of an optimizer-slot key, else None."""
    variable, marker, rest = readable_key(key).partition(SLOT_MARKER)
    if not marker:
        return None
    optimizer, _, slot = rest.rpartition("/")
    if not variable or not optimizer or not slot:
        return None
    return SlotKey(variable, optimizer, slot)


def is_bookkeeping(key: str) -> bool:
    """Whether ``key`` is a step counter, save counter or the object graph."""
    last = readable_key(key).rstrip("/").rsplit("/", 1)[-1].lstrip("_")
    return key == OBJECT_GRAPH_KEY or last in {n.lstrip("_") for n in _BOOKKEEPING_NAMES}


@dataclass(frozen=True)
class ObjectGraphSummary:
    num_objects: int
    num_variables: int  # objects that save a VARIABLE_VALUE attribute
    num_slot_variables: int


def summarize_object_graph(reader: BundleReader) -> ObjectGraphSummary | None:
    """Counts from the checkpoint's ``_CHECKPOINTABLE_OBJECT_GRAPH``; None for TF1."""
    graph = reader.object_graph()
    if graph is None:
        return None
    return ObjectGraphSummary(
        num_objects=len(graph.nodes),
        num_variables=sum(any(a.name == "VARIABLE_VALUE" for a in node.attributes) for node in graph.nodes),
        num_slot_variables=sum(len(node.slot_variables) for node in graph.nodes),
    )


# -- expected variables versus the checkpoint ---------------------------------------
class HasEntries(Protocol):
    def entries(self) -> list[TensorEntry]: ...


Expected = tuple[str, "str | None", "tuple[int | None, ...] | None"]


@dataclass(frozen=True)
class Mismatch:
    key: str
    expected: str  # dtype name or shape, as text
    found: str


@dataclass
class AuditResult:
    missing: list[str] = field(default_factory=list)  # expected, not in the checkpoint
    unused: list[str] = field(default_factory=list)  # in the checkpoint, not expected
    dtype_mismatches: list[Mismatch] = field(default_factory=list)
    shape_mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No expected variable is missing or differs (unused tensors are allowed)."""
        return not (self.missing or self.dtype_mismatches or self.shape_mismatches)

    @property
    def unused_bookkeeping(self) -> list[str]:
        """The unused keys that are counters or the object graph."""
        return [k for k in self.unused if is_bookkeeping(k)]

    @property
    def unused_variables(self) -> list[str]:
        """The unused keys that are not bookkeeping."""
        return [k for k in self.unused if not is_bookkeeping(k)]


def normalize_dtype(name: str) -> str:
    """``DT_FLOAT`` for ``DT_FLOAT``, ``DT_FLOAT_REF``, ``float32``, ``float`` or ``tf.float32``."""
    text = name.strip()
    text = text.removeprefix("tf.")
    if text.upper().startswith("DT_"):
        text = text.upper()
        return text.removesuffix("_REF")
    aliases = {"float32": "float", "float64": "double", "float16": "half", "str": "string", "bytes": "string"}
    return "DT_" + aliases.get(text.lower(), text.lower()).upper()


def _shape_matches(expected: tuple[int | None, ...], found: tuple[int, ...]) -> bool:
    if len(expected) != len(found):
        return False
    return all(e is None or e < 0 or e == f for e, f in zip(expected, found, strict=True))


def _shape_text(shape: Iterable[int | None]) -> str:
    return "[" + ", ".join("?" if d is None or d < 0 else str(d) for d in shape) + "]"


def audit(expected: Iterable[Expected], checkpoint: HasEntries) -> AuditResult:
    """Compare ``(key, dtype name or None, shape or None)`` triples with the
    checkpoint.  A None dtype or shape, or a None/-1 dimension, matches anything."""
    entries = {e.key: e for e in checkpoint.entries()}
    result = AuditResult()
    wanted: set[str] = set()
    for key, dtype, shape in expected:
        wanted.add(key)
        entry = entries.get(key)
        if entry is None:
            result.missing.append(key)
            continue
        if dtype is not None and normalize_dtype(dtype) != entry.dtype_name:
            result.dtype_mismatches.append(Mismatch(key, normalize_dtype(dtype), entry.dtype_name))
        if shape is not None and not _shape_matches(tuple(shape), entry.shape):
            result.shape_mismatches.append(Mismatch(key, _shape_text(shape), _shape_text(entry.shape)))
    result.unused = [key for key in entries if key not in wanted]
    return result
