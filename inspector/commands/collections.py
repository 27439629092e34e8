"""`tfinspect collections PATH`: collection keys and what each collection holds."""

from __future__ import annotations

import argparse

from rich.text import Text

from ..analysis.collections import collections_of
from ..errors import SelectionError
from ..report import jsonout
from ..report.collections import NO_COLLECTIONS_IN_GRAPH_DEF, collections_json, render_collections
from ..report.style import console
from . import common
from .pick_graph import graph_label, pick_graph


def add_arguments(parser: argparse.ArgumentParser) -> None:
    common.add_path(parser)
    common.add_tag_set(parser)
    parser.add_argument("--key", metavar="KEY", help="show only the collection with this key")
    common.add_json(parser)


def run(args: argparse.Namespace) -> int:
    artifact = common.load_artifact(args)
    meta = pick_graph(artifact, args.tag_set)
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
        render_collections(found, graph_label(artifact, meta), console())
    return 0
