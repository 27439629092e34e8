"""`tfinspect ops PATH`: the graph's operations, like Graph.get_operations(), readable."""

from __future__ import annotations

import argparse

from . import common


def add_arguments(parser: argparse.ArgumentParser) -> None:
    common.GRAPH.add_to(parser)
    parser.add_argument("--type", dest="op_types", metavar="TYPES",
                        help="only these op types, comma-separated, any case (e.g. Conv2D,MatMul); "
                        "searches the library functions too")
    parser.add_argument("--scope", metavar="PREFIX",
                        help="only operations whose name starts with PREFIX (e.g. model_variables/)")
    parser.add_argument("--match", metavar="REGEX",
                        help="only operations whose name matches this Python regular expression (re.search)")
    parser.add_argument("--functions", action="store_true",
                        help="also list the nodes inside the library functions, each with its function")
    parser.add_argument("--attrs", action="store_true",
                        help="also show each operation's attributes, summarised")
    common.add_json(parser)


def run(args: argparse.Namespace) -> int:
    from ..analysis.operations import OperationFilter, list_operations
    from ..report import jsonout
    from ..report.ops import operations_json, render_operations
    from ..report.style import console

    keep = OperationFilter.build(args.op_types, args.scope, args.match)
    _, meta = common.GRAPH.load_graph(args)
    result = list_operations(meta, keep, include_functions=args.functions, with_attrs=args.attrs)
    if args.json:
        jsonout.emit(operations_json(result, with_attrs=args.attrs))
    else:
        show_functions = args.functions or any(op.function for op in result.operations)
        render_operations(result, console(), show_functions=show_functions, show_attrs=args.attrs)
    return 0
