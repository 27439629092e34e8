"""Choose the protobuf message `tfinspect dump` prints: the whole file, or one part of it."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from .. import protos
from ..errors import SelectionError
from ..model.artifact import Artifact, ArtifactKind
from ..model.metagraph import MetaGraph

NAMES_SHOWN = 5


@dataclass(frozen=True)
class ProtoRequest:
    """What part of the artifact to print; all None/False: the whole file's message."""

    node: str | None = None
    function: str | None = None
    signature: str | None = None
    collection: str | None = None
    graph: bool = False

    @property
    def whole(self) -> bool:
        return not (self.node or self.function or self.signature or self.collection or self.graph)


@dataclass(frozen=True)
class SelectedProto:
    message: object  # a protobuf message; never modified by the caller
    what: str  # e.g. "NodeDef 'x' of the graph"


def whole_file(artifact: Artifact) -> SelectedProto:
    """The message the graph file holds: SavedModel, MetaGraphDef or GraphDef."""
    if artifact.kind is ArtifactKind.SAVED_MODEL:
        saved = protos.SavedModel(saved_model_schema_version=artifact.saved_model_schema_version or 0)
        for meta in artifact.meta_graphs:
            saved.meta_graphs.add().CopyFrom(meta.proto)
        return SelectedProto(saved, "SavedModel")
    meta = artifact.meta_graphs[0]
    if meta.proto is None:
        return SelectedProto(meta.graph_def, "GraphDef")
    return SelectedProto(meta.proto, "MetaGraphDef")


def select_proto(artifact: Artifact, meta: MetaGraph, request: ProtoRequest) -> SelectedProto:
    """One part of ``meta``; SelectionError naming a few that exist when it is not there."""
    where = artifact.path
    if request.graph:
        return SelectedProto(meta.graph_def, "GraphDef")
    if request.signature is not None:
        if meta.proto is None:
            raise SelectionError(where, "a GraphDef has no signatures",
                                 "SignatureDefs live in a SavedModel's MetaGraphs")
        defs = meta.proto.signature_def
        if request.signature not in defs:
            raise SelectionError(where, f"no signature {request.signature!r}", _some("signatures", defs,
                                                                                     request.signature))
        return SelectedProto(defs[request.signature], f"SignatureDef {request.signature!r}")
    if request.collection is not None:
        if meta.proto is None:
            raise SelectionError(where, "a GraphDef has no collections",
                                 "collections live in a MetaGraphDef: pass the .meta file or the SavedModel")
        defs = meta.proto.collection_def
        if request.collection not in defs:
            raise SelectionError(where, f"no collection {request.collection!r}",
                                 _some("collections", defs, request.collection))
        return SelectedProto(defs[request.collection], f"CollectionDef {request.collection!r}")
    library = meta.functions
    if request.function is not None and request.function not in library:
        raise SelectionError(where, f"no function {request.function!r} in the library",
                             _some("functions", library.names(), request.function))
    if request.node is not None:
        if request.function is not None:
            index = library.index(request.function)
            place = f"function {request.function!r}"
        else:
            index = meta.graph
            place = "the graph"
        node = index.node(request.node)
        if node is None:
            hint = _some(f"nodes of {place}", index.nodes, request.node)
            if request.function is None and library.node_count:
                hint += "; for a node inside a function add --function NAME"
            raise SelectionError(where, f"no node {request.node!r} in {place}", hint)
        return SelectedProto(node, f"NodeDef {request.node!r} of {place}")
    if request.function is not None:
        return SelectedProto(library[request.function], f"FunctionDef {request.function!r}")
    raise ValueError("empty request: use whole_file()")


def _some(what: str, names, wanted: str) -> str:
    """``signatures: a, b, c`` preferring names close to the one asked for."""
    names = list(names)
    if not names:
        return f"there are no {what.split(' ', 1)[0]} here"
    close = difflib.get_close_matches(wanted, names, n=NAMES_SHOWN, cutoff=0.5)
    rest = [n for n in sorted(names) if n not in close]
    shown = (close + rest)[:NAMES_SHOWN]
    more = f" and {len(names) - len(shown)} more" if len(names) > len(shown) else ""
    return f"{what} ({len(names)}): {', '.join(shown)}{more}"
