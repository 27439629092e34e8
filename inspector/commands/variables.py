"""`tfinspect variables PATH`: the variables a graph defines, or a frozen graph's weight Consts."""

from __future__ import annotations

import argparse

from . import common


def add_arguments(parser: argparse.ArgumentParser) -> None:
    common.GRAPH.add_to(parser)
    parser.add_argument("--trainable-only", action="store_true", help="list only trainable variables")
    parser.add_argument("--consts", action="store_true",
                        help="for a graph without variables, list every Const node, not only the 20 largest")
    common.add_json(parser)


def run(args: argparse.Namespace) -> int:
    from ..analysis.variables import variables_view
    from ..report import jsonout
    from ..report.style import console
    from ..report.variables import render_variables, variables_json

    artifact, meta = common.GRAPH.load_graph(args)
    view = variables_view(meta, artifact.checkpoint_if_readable, trainable_only=args.trainable_only,
                          all_consts=args.consts)
    if args.json:
        jsonout.emit(variables_json(view))
    else:
        render_variables(view, console())
    return 0
