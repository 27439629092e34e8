"""A read-only view of one MetaGraphDef (or of a bare GraphDef)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

from .. import protos
from ..display import Displayed
from ..tensors.shapes import Shape, dtype_name, format_shape, shape_from_proto
from .functions import FunctionLibrary
from .graph import GraphIndex
from .outputs import OutputResolver

INIT_OP_SIGNATURE_KEY = "__saved_model_init_op"
TRAIN_OP_SIGNATURE_KEY = "__saved_model_train_op"
INTERNAL_SIGNATURE_KEYS = (INIT_OP_SIGNATURE_KEY, TRAIN_OP_SIGNATURE_KEY)
REPR_TENSORS = 4  # inputs and outputs named in a Signature's repr
ASSETS_COLLECTION = "saved_model_assets"  # where tf.compat.v1.saved_model.Builder records AssetFileDefs


@dataclass(frozen=True)
class SignatureTensor:
    """One input or output of a SignatureDef, as a TensorInfo describes it.

    ``dtype`` is the name the file holds, ``_REF`` included.  ``shape`` is the
    shape TensorFlow uses: a TensorInfo without a ``tensor_shape`` field reads
    as a scalar (``[]``) to TensorFlow, and ``shape_recorded`` is then False.
    """

    alias: str
    name: str | None  # the tensor name for the `name` encoding; else the main component
    dtype: str  # e.g. DT_FLOAT, DT_FLOAT_REF
    shape: Shape
    encoding: str  # name | coo_sparse | composite_tensor | none
    components: tuple[str, ...] = ()  # the component tensor names of sparse/composite
    shape_recorded: bool = True  # False when the TensorInfo has no tensor_shape field

    @property
    def shape_label(self) -> str:
        """``[?, 3]``; ``[] (not recorded)`` for a TensorInfo without a shape."""
        text = format_shape(self.shape)
        return text if self.shape_recorded else f"{text} (not recorded)"

    def __repr__(self) -> str:
        name = f" {self.name!r}" if self.name and self.name != self.alias else ""
        return f"<SignatureTensor {self.alias!r}{name} {self.dtype} {self.shape_label}>"

    def describe(self) -> str:
        """``x DT_FLOAT [?, 3]``: alias, dtype and shape."""
        return f"{self.alias!r} {self.dtype} {self.shape_label}"

    @classmethod
    def from_proto(cls, alias: str, info: protos.TensorInfo) -> SignatureTensor:
        encoding = info.WhichOneof("encoding") or "none"
        recorded = info.HasField("tensor_shape")
        shape = shape_from_proto(info.tensor_shape)
        dtype = dtype_name(info.dtype)
        parts: tuple[str, ...] = ()
        name = None
        if encoding == "name":
            name = info.name
        elif encoding == "coo_sparse":
            sparse = info.coo_sparse
            parts = (sparse.values_tensor_name, sparse.indices_tensor_name, sparse.dense_shape_tensor_name)
            name = parts[0]
        elif encoding == "composite_tensor":
            parts = tuple(c.name for c in info.composite_tensor.components if c.name)
            name = parts[0] if parts else None
        return cls(alias, name, dtype, shape, encoding, parts, recorded)


@dataclass(frozen=True)
class Signature(Displayed):
    key: str
    method_name: str
    inputs: tuple[SignatureTensor, ...]
    outputs: tuple[SignatureTensor, ...]
    defaults: dict[str, str] = field(default_factory=dict)

    @property
    def internal(self) -> bool:
        return self.key in INTERNAL_SIGNATURE_KEYS

    def __repr__(self) -> str:
        def listed(tensors: tuple[SignatureTensor, ...]) -> str:
            shown = ", ".join(t.describe() for t in tensors[:REPR_TENSORS])
            more = len(tensors) - REPR_TENSORS
            return (shown + (f", and {more} more" if more > 0 else "")) or "nothing"

        return (f"<Signature {self.key!r} {self.method_name or '(no method)'}: "
                f"{listed(self.inputs)} -> {listed(self.outputs)}>")


    def tensors(self) -> Iterator[tuple[str, SignatureTensor]]:
        """``("input", tensor)`` for each input, then ``("output", tensor)`` for each output."""
        for tensor in self.inputs:
            yield "input", tensor
        for tensor in self.outputs:
            yield "output", tensor

    @classmethod
    def from_proto(cls, key: str, sig: protos.SignatureDef) -> Signature:
        defaults = {alias: _summarise_default(t) for alias, t in sorted(sig.defaults.items())}
        return cls(
            key=key,
            method_name=sig.method_name,
            inputs=tuple(SignatureTensor.from_proto(a, sig.inputs[a]) for a in sorted(sig.inputs)),
            outputs=tuple(SignatureTensor.from_proto(a, sig.outputs[a]) for a in sorted(sig.outputs)),
            defaults=defaults,
        )


def _summarise_default(tensor: protos.TensorProto) -> str:
    from ..tensors.values import summarise_tensor

    return summarise_tensor(tensor)


class MetaGraph(Displayed):
    """One graph and everything that describes it.

    ``proto`` is the MetaGraphDef, or None for a frozen GraphDef, which has only
    a graph: no tags, signatures, collections or saver.
    """

    def __init__(self, graph_def: protos.GraphDef, proto: protos.MetaGraphDef | None = None):
        self.proto = proto
        self.graph_def = graph_def

    def __repr__(self) -> str:
        tags = "{" + ",".join(self.tags) + "}" if self.tags else "(no tags)"
        count = len(self.signatures)
        return (f"<MetaGraph {tags}: {count} signature{'' if count == 1 else 's'}, "
                f"{len(self.graph_def.node)} nodes, {len(self.functions)} functions>")


    # -- identification -------------------------------------------------------------
    @property
    def meta_info(self):
        return self.proto.meta_info_def if self.proto is not None else None

    @property
    def tags(self) -> tuple[str, ...]:
        return tuple(self.meta_info.tags) if self.meta_info is not None else ()

    @property
    def tag_set(self) -> frozenset[str]:
        return frozenset(self.tags)

    @property
    def tag_label(self) -> str:
        return ",".join(self.tags) if self.tags else "(no tags)"

    @property
    def tensorflow_version(self) -> str | None:
        return (self.meta_info.tensorflow_version or None) if self.meta_info is not None else None

    @property
    def tensorflow_git_version(self) -> str | None:
        return (self.meta_info.tensorflow_git_version or None) if self.meta_info is not None else None

    @property
    def meta_graph_version(self) -> str | None:
        return (self.meta_info.meta_graph_version or None) if self.meta_info is not None else None

    @cached_property
    def stripped_op_list(self) -> dict[str, protos.OpDef]:
        if self.meta_info is None:
            return {}
        return {op.name: op for op in self.meta_info.stripped_op_list.op}

    @property
    def producer(self) -> int | None:
        versions = self.graph_def.versions
        return versions.producer if self.graph_def.HasField("versions") else None

    @property
    def min_consumer(self) -> int | None:
        versions = self.graph_def.versions
        return versions.min_consumer if self.graph_def.HasField("versions") else None

    # -- contents ---------------------------------------------------------------------
    @cached_property
    def graph(self) -> GraphIndex:
        return GraphIndex(self.graph_def.node)

    @cached_property
    def functions(self) -> FunctionLibrary:
        library = self.graph_def.library if self.graph_def.HasField("library") else None
        return FunctionLibrary(library, self.graph_def.node)

    @cached_property
    def signatures(self) -> dict[str, Signature]:
        if self.proto is None:
            return {}
        defs = self.proto.signature_def
        return {key: Signature.from_proto(key, defs[key]) for key in sorted(defs)}

    @property
    def collections(self) -> dict[str, protos.CollectionDef]:
        if self.proto is None:
            return {}
        return dict(self.proto.collection_def)

    @property
    def saver_def(self) -> protos.SaverDef | None:
        if self.proto is None or not self.proto.HasField("saver_def"):
            return None
        return self.proto.saver_def

    @property
    def object_graph(self) -> protos.SavedObjectGraph | None:
        if self.proto is None or not self.proto.HasField("object_graph_def"):
            return None
        return self.proto.object_graph_def

    @property
    def asset_files(self) -> list[protos.AssetFileDef]:
        return [] if self.proto is None else list(self.proto.asset_file_def)

    @cached_property
    def asset_defs(self) -> list[protos.AssetFileDef]:
        """Every AssetFileDef: the MetaGraph field (TF2) and TF1's ``saved_model_assets`` collection."""
        found = list(self.asset_files)
        collection = self.collections.get(ASSETS_COLLECTION)
        if collection is not None:
            for item in collection.any_list.value:
                asset = protos.AssetFileDef()
                if item.Unpack(asset):
                    found.append(asset)
        return found

    @cached_property
    def outputs(self) -> OutputResolver:
        """Output dtypes and shapes of this graph's nodes (OpDefs, functions, known ops)."""
        return OutputResolver(self.stripped_op_list, self.functions.functions, self.producer)

    @cached_property
    def constants(self):
        """The graph's Const nodes, measured once (``inspector.model.constants.Constants``)."""
        from .constants import graph_constants

        return graph_constants(self.graph_def.node)

    @cached_property
    def op_histogram(self):
        """Op types in the graph and in every library function."""
        counts = self.graph.op_histogram.copy()
        counts.update(self.functions.op_histogram)
        return counts
