"""`tfinspect functions PATH`: the function library and its call graph."""

from __future__ import annotations

import argparse

from . import common


def add_arguments(parser: argparse.ArgumentParser) -> None:
    common.GRAPH.add_to(parser)
    parser.add_argument("--name", metavar="F", help="show one function and list its nodes")
    common.add_json(parser)


def run(args: argparse.Namespace) -> int:
    from ..analysis.functions import library_view
    from ..report import jsonout
    from ..report.functions import functions_json, render_function, render_functions
    from ..report.style import console

    artifact, meta = common.GRAPH.load_graph(args)
    infos = library_view(meta, args.name, path=artifact.path)
    if args.name is not None:
        (info,) = infos
        if args.json:
            jsonout.emit(functions_json([info], with_nodes=True))
        else:
            render_function(info, console())
    elif args.json:
        jsonout.emit(functions_json(infos))
    else:
        render_functions(infos, console())
    return 0
