"""What a node outputs: how many tensors, their dtypes and shapes, as far as the artifact says.

The number and dtypes of a node's outputs come from its op's OpDef: each
``output_arg`` has a fixed ``type`` or names the attribute that holds it
(``type_attr``), and may stand for several tensors (``number_attr``) or for one
tensor per entry of a type list (``type_list_attr``).  The OpDefs come from the
MetaGraphDef's ``stripped_op_list``, else from the table of common ops in
``known_ops``; a node whose op is a library function takes the function's
signature.  Shapes come from the ``_output_shapes`` attribute TensorFlow records
when it exports a graph, else from the node itself for the ops that state their
output shape (``Const``, ``Placeholder``, variables).  Nothing here runs shape
inference: what is not recorded stays unknown.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .. import protos
from ..tensors.shapes import Shape, dtype_name, shape_from_proto
from .known_ops import KNOWN_OP_OUTPUTS

OUTPUT_SHAPES_ATTR = "_output_shapes"

# Where a node's outputs were learnt from.
FROM_OP_DEF = "op_def"  # the artifact's own OpDef (stripped_op_list)
FROM_KNOWN_OPS = "known_ops"  # tfinspect's table of common ops
FROM_FUNCTION = "function"  # the signature of the library function the node calls
FROM_OUTPUT_SHAPES = "output_shapes"  # only the count, from the _output_shapes attribute

# Before GraphDef version 21 a Placeholder's empty `shape` meant "unknown", not "scalar".
_PLACEHOLDER_SHAPE_VERSION = 21
_SHAPE_ATTR_OPS = frozenset({"Placeholder", "PlaceholderWithDefault", "PlaceholderV2",
                             "VariableV2", "Variable"})


@dataclass(frozen=True)
class OutputArg:
    """One ``output_arg`` of an OpDef or function signature, reduced to what sets its tensors."""

    type: str | None = None  # a fixed dtype such as DT_BOOL
    type_attr: str | None = None
    number_attr: str | None = None
    type_list_attr: str | None = None
    default_type: str | None = None  # the type_attr's default when the node leaves it out

    @classmethod
    def from_proto(cls, arg, defaults: dict[str, str]) -> OutputArg:
        return cls(
            type=dtype_name(arg.type) if arg.type else None,
            type_attr=arg.type_attr or None,
            number_attr=arg.number_attr or None,
            type_list_attr=arg.type_list_attr or None,
            default_type=defaults.get(arg.type_attr) if arg.type_attr else None,
        )

    @classmethod
    def from_spec(cls, spec: str) -> OutputArg:
        """Read the compact spelling of ``known_ops``: ``DT_BOOL``, ``T=DT_INT32``, ``N*T``, ``[Tout]``."""
        if spec.startswith("[") and spec.endswith("]"):
            return cls(type_list_attr=spec[1:-1])
        number, _, rest = spec.rpartition("*")
        kind, _, default = rest.partition("=")
        if kind.startswith("DT_"):
            return cls(type=kind, number_attr=number or None)
        return cls(type_attr=kind, number_attr=number or None, default_type=default or None)


def op_def_outputs(op_def: protos.OpDef) -> tuple[OutputArg, ...]:
    defaults = {
        attr.name: dtype_name(attr.default_value.type)
        for attr in op_def.attr
        if attr.HasField("default_value") and attr.default_value.WhichOneof("value") == "type"
    }
    return tuple(OutputArg.from_proto(arg, defaults) for arg in op_def.output_arg)


def known_op_outputs(op_type: str) -> tuple[OutputArg, ...] | None:
    specs = KNOWN_OP_OUTPUTS.get(op_type)
    return None if specs is None else tuple(OutputArg.from_spec(s) for s in specs)


@dataclass(frozen=True)
class TensorOutput:
    """One output tensor; None where the artifact does not say."""

    dtype: str | None
    shape: Shape  # None: unknown rank, or not recorded


@dataclass(frozen=True)
class NodeOutputs:
    """A node's outputs, or ``outputs`` None when not even their number is known."""

    outputs: tuple[TensorOutput, ...] | None
    source: str | None  # FROM_OP_DEF, FROM_KNOWN_OPS, FROM_FUNCTION, FROM_OUTPUT_SHAPES, or None


UNKNOWN = NodeOutputs(None, None)


class OutputResolver:
    """Resolves node outputs against one graph's OpDefs and function library.

    ``op_defs`` are the artifact's OpDefs (op name to OpDef); ``functions`` the
    library's FunctionDefs by name; ``producer`` the GraphDef version, which
    decides how old Placeholder shapes read.
    """

    def __init__(self, op_defs: dict[str, protos.OpDef], functions: dict[str, protos.FunctionDef],
                 producer: int | None = None):
        self._op_defs = op_defs
        self._functions = functions
        self._producer = producer
        self._cache: dict[str, tuple[tuple[OutputArg, ...] | None, str | None]] = {}

    def output_args(self, op_type: str) -> tuple[tuple[OutputArg, ...] | None, str | None]:
        """The output arguments of an op type, and where they came from."""
        if op_type not in self._cache:
            self._cache[op_type] = self._find_args(op_type)
        return self._cache[op_type]

    def _find_args(self, op_type: str):
        if op_type in self._functions:
            signature = self._functions[op_type].signature
            return tuple(OutputArg.from_proto(arg, {}) for arg in signature.output_arg), FROM_FUNCTION
        if op_type in self._op_defs:
            return op_def_outputs(self._op_defs[op_type]), FROM_OP_DEF
        known = known_op_outputs(op_type)
        if known is not None:
            return known, FROM_KNOWN_OPS
        return None, None

    def outputs(self, node: protos.NodeDef) -> NodeOutputs:
        args, source = self.output_args(node.op)
        dtypes = output_dtypes(node, args) if args is not None else None
        recorded = recorded_shapes(node)
        if dtypes is None:
            if recorded is None:
                return UNKNOWN
            dtypes = [None] * len(recorded)
            source = FROM_OUTPUT_SHAPES
        if recorded is not None and len(recorded) == len(dtypes):
            shapes = recorded
        else:
            shapes = [None] * len(dtypes)
            if len(dtypes) == 1:
                shapes[0] = self._stated_shape(node)
        return NodeOutputs(tuple(TensorOutput(d, s) for d, s in zip(dtypes, shapes)), source)

    def _stated_shape(self, node: protos.NodeDef) -> Shape:
        """The output shape of the ops that carry it in an attribute."""
        if node.op == "Const" and "value" in node.attr:
            return shape_from_proto(node.attr["value"].tensor.tensor_shape)
        if node.op == "VarHandleOp":
            return []
        if node.op in _SHAPE_ATTR_OPS and "shape" in node.attr:
            if node.attr["shape"].WhichOneof("value") != "shape":
                return None
            proto = node.attr["shape"].shape
            old = self._producer is not None and self._producer < _PLACEHOLDER_SHAPE_VERSION
            if old and node.op.startswith("Placeholder") and not proto.dim and not proto.unknown_rank:
                return None
            return shape_from_proto(proto)
        return None


def recorded_shapes(node: protos.NodeDef) -> list[Shape] | None:
    """The shapes in ``_output_shapes``, one per output, or None without that attribute."""
    value = node.attr.get(OUTPUT_SHAPES_ATTR)  # one map lookup: this runs for every node
    if value is None or value.WhichOneof("value") != "list":
        return None
    return [shape_from_proto(s) for s in value.list.shape]


def output_dtypes(node: protos.NodeDef, args: Iterable[OutputArg]) -> list[str | None] | None:
    """One dtype per output tensor (None where an attribute is missing); None if the count is unknown."""
    result: list[str | None] = []
    for arg in args:
        if arg.type_list_attr:
            value = _attr(node, arg.type_list_attr)
            if value is None or value.WhichOneof("value") != "list":
                return None
            result.extend(dtype_name(t) for t in value.list.type)
            continue
        dtype = arg.type
        if dtype is None and arg.type_attr:
            value = _attr(node, arg.type_attr)
            if value is not None and value.WhichOneof("value") == "type":
                dtype = dtype_name(value.type)
            elif value is None:
                dtype = arg.default_type
        if arg.number_attr:
            value = _attr(node, arg.number_attr)
            if value is None or value.WhichOneof("value") != "i" or value.i < 0:
                return None
            result.extend([dtype] * value.i)
        else:
            result.append(dtype)
    return result


def _attr(node: protos.NodeDef, name: str) -> protos.AttrValue | None:
    return node.attr.get(name)
