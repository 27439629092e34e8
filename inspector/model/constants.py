"""The Const nodes of a graph, measured once: every command that reports them asks here.

A Const's size is the size of the value TensorFlow builds from it
(``tf.make_ndarray(tensor).nbytes``): elements times the dtype's item size,
whether the proto packs the values in ``tensor_content`` or stores one value
that TensorFlow repeats.  A string Const counts the bytes of its strings.
Dtypes without a fixed size (resources, variants) count 0 bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import protos
from ..tensors.shapes import Shape, base_dtype, dtype_name, item_size, num_elements, shape_from_proto
from ..tensors.values import MAX_EXPANDED

FLOAT_DTYPES = frozenset({"DT_FLOAT", "DT_DOUBLE", "DT_HALF", "DT_BFLOAT16"})


@dataclass(frozen=True)
class Constant:
    name: str
    dtype: str
    shape: Shape
    elements: int
    nbytes: int


@dataclass(frozen=True)
class Constants:
    """Every Const node of one graph (not of its library functions), biggest first."""

    items: tuple[Constant, ...]

    @property
    def count(self) -> int:
        return len(self.items)

    @property
    def elements(self) -> int:
        return sum(c.elements for c in self.items)

    @property
    def nbytes(self) -> int:
        return sum(c.nbytes for c in self.items)

    @property
    def float_elements(self) -> int:
        """Values in floating-point Consts: the folded weights of a frozen graph."""
        return sum(c.elements for c in self.items if base_dtype(c.dtype) in FLOAT_DTYPES)

    def largest(self, limit: int | None) -> list[Constant]:
        return list(self.items if limit is None else self.items[:limit])


def graph_constants(nodes) -> Constants:
    """The Const nodes among ``nodes`` (a GraphDef's), measured."""
    found = [_constant(node) for node in nodes if node.op == "Const" and "value" in node.attr]
    return Constants(tuple(sorted(found, key=lambda c: (-c.nbytes, c.name))))


def _constant(node: protos.NodeDef) -> Constant:
    tensor = node.attr["value"].tensor
    shape = shape_from_proto(tensor.tensor_shape)
    dtype = dtype_name(tensor.dtype)
    elements = num_elements(shape) or 0
    return Constant(node.name, dtype, shape, elements, _value_bytes(tensor, dtype, elements))


def _value_bytes(tensor: protos.TensorProto, dtype: str, elements: int) -> int:
    size = item_size(dtype)
    if size is not None:
        return elements * size
    if base_dtype(dtype) != "DT_STRING":
        return 0
    # What ``decode`` holds, counted without materialising it: TensorFlow repeats the last
    # stored string up to the shape's element count.
    stored = tensor.string_val
    if not stored or (elements > MAX_EXPANDED and elements > len(stored)):
        return 0
    kept = stored[:elements]
    return sum(len(v) for v in kept) + (elements - len(kept)) * len(stored[-1])
