"""`tfinspect dump PATH`: the protobuf itself, as pbtxt or JSON, whole or one part of it."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from ..errors import SelectionError
from . import common

if TYPE_CHECKING:
    from ..analysis.proto_select import ProtoRequest, SelectedProto


def add_arguments(parser: argparse.ArgumentParser) -> None:
    common.GRAPH.add_to(parser)
    parser.add_argument("--node", metavar="NAME",
                        help="one NodeDef of the graph (of a library function, with --function)")
    parser.add_argument("--function", metavar="NAME", help="one FunctionDef of the library")
    parser.add_argument("--signature", metavar="KEY", help="one SignatureDef, e.g. serving_default")
    parser.add_argument("--collection", metavar="KEY", help="one CollectionDef, e.g. variables")
    parser.add_argument("--graph", action="store_true", help="only the GraphDef")
    parser.add_argument("--full", action="store_true",
                        help="print large tensor values too (by default a tensor with more than 16 values "
                        "or 1 KiB of them is elided)")
    parser.add_argument("--json", action="store_true",
                        help="print the message as JSON (protobuf's JSON mapping, proto field names)")


def run(args: argparse.Namespace) -> int:
    from ..report.dump import Elision, elide_large_tensors, to_json, to_pbtxt

    request = _request(args)
    artifact = common.GRAPH.load(args)
    selected = _select(artifact, args, request)
    message, elision = (selected.message, Elision()) if args.full else elide_large_tensors(selected.message)
    if args.json:
        text = to_json(message, elision) + "\n"
        if elision.tensors:
            sys.stderr.write(f"tfinspect: note: {elision.comment()}\n")
    else:
        text = to_pbtxt(message, elision)
    sys.stdout.write(text)
    return 0


def _request(args: argparse.Namespace) -> ProtoRequest:
    from ..analysis.proto_select import ProtoRequest

    chosen = [flag for flag, value in (("--signature", args.signature), ("--collection", args.collection),
                                       ("--graph", args.graph), ("--node/--function", args.node or args.function))
              if value]
    if len(chosen) > 1:
        raise SelectionError(None, f"choose one of {', '.join(chosen)}",
                             "dump prints one message: --node (with --function for a node inside a function), "
                             "--function, --signature, --collection or --graph")
    return ProtoRequest(node=args.node, function=args.function, signature=args.signature,
                        collection=args.collection, graph=args.graph)


def _select(artifact, args: argparse.Namespace, request: ProtoRequest) -> SelectedProto:
    from ..analysis.proto_select import SelectedProto, select_proto, whole_file
    from ..model.artifact import ArtifactKind

    if not artifact.meta_graphs:
        raise artifact.no_graph_error()
    # The whole file needs no choice of graph, but an unknown --tag-set is still refused.
    meta = common.GRAPH.meta_graph(args, artifact, required=not request.whole or args.tag_set is not None)
    if not request.whole:
        return select_proto(artifact, meta, request)
    if args.tag_set is not None and artifact.kind is ArtifactKind.SAVED_MODEL:
        return SelectedProto(meta.proto, "MetaGraphDef")
    return whole_file(artifact)
