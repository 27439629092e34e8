"""`tfinspect collections PATH`: collection keys and what each collection holds."""

from __future__ import annotations

import argparse

from ..errors import SelectionError
from . import common


def add_arguments(parser: argparse.ArgumentParser) -> None:
    common.GRAPH.add_to(parser)
    parser.add_argument("--key", metavar="KEY", help="show only the collection with this key")
    common.add_json(parser)


def run(args: argparse.Namespace) -> int:
    from rich.text import Text

    from ..analysis.collections import collections_of
    from ..report import jsonout
    from ..report.collections import NO_COLLECTIONS_IN_GRAPH_DEF, collections_json, render_collections
    from ..report.style import console

    artifact, meta = common.GRAPH.load_graph(args)
    if meta.proto is None:  # a bare GraphDef
        if args.key is not None:
            raise SelectionError(artifact.path, f"has no collection {args.key!r}: {NO_COLLECTIONS_IN_GRAPH_DEF}")
        if args.json:
            jsonout.emit(collections_json([], [NO_COLLECTIONS_IN_GRAPH_DEF]))
        else:
            console().print(Text(NO_COLLECTIONS_IN_GRAPH_DEF))
        return 0
    found = collections_of(meta, args.key, where=artifact.path)
    if args.json:
        jsonout.emit(collections_json(found))
    else:
        render_collections(found, common.graph_label(artifact, meta), console())
    return 0
