"""`tfinspect graph PATH -o OUT`: a Graphviz diagram (or an interactive HTML page) of a graph."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..analysis import diagram_options
from ..errors import InspectorError
from ..sanitize import visible
from . import common


def add_arguments(parser: argparse.ArgumentParser) -> None:
    common.GRAPH.add_to(parser)
    parser.add_argument("-o", "--output", required=True, metavar="OUT",
                        help="output file; the extension picks the format: .dot, .svg, .png, .pdf, "
                        ".html (interactive, self-contained); - writes DOT to stdout")
    groups = {"what": parser.add_argument_group("what to draw"), "how": parser.add_argument_group("how to draw it")}
    for name, default, meta in diagram_options.option_specs():
        kwargs = {"help": meta["help"], "dest": name}
        if isinstance(default, bool):
            kwargs["action"] = "store_true"
        else:  # choices are checked by DiagramOptions.validate, with the API's error text
            kwargs.update(default=default, metavar=meta["metavar"] or "{" + ",".join(meta["choices"]) + "}",
                          type=int if isinstance(default, int) or meta["minimum"] is not None else str)
        groups[meta["group"]].add_argument(f"--{diagram_options.flag(name)}", **kwargs)
    look = groups["how"]
    look.add_argument("--timeout", type=float, default=120.0, metavar="SECONDS",
                      help="time limit for the Graphviz dot renderer (120)")


def run(args: argparse.Namespace) -> int:
    from ..report import diagram, render

    out = args.output
    fmt = diagram.output_format(out)
    if out != "-" and not Path(out).resolve().parent.is_dir():
        # Said before the model is read and drawn, and before any note about the drawing.
        raise InspectorError(out, f"the folder {Path(out).parent} does not exist",
                             "create it, or write the diagram somewhere else")
    options = diagram_options.DiagramOptions(**{name: getattr(args, name) for name, _, _ in diagram_options.option_specs()},
                                          path=args.path).validate()
    dot_binary = diagram.dot_program(fmt, out)

    artifact = common.GRAPH.load(args)
    drawing = diagram.draw(artifact, args.tag_set, options, fmt)
    data = drawing.encode(fmt, dot_binary, args.timeout, out)
    for note in drawing.notes:
        sys.stderr.write(f"tfinspect: note: {visible(note)}\n")
    if out == "-":  # DOT on stdout
        sys.stdout.write(data.decode("utf-8"))
    else:
        render.write_atomic(Path(out), data)
    return 0
