"""`tfinspect graph PATH -o OUT`: a Graphviz diagram (or an interactive HTML page) of a graph."""

from __future__ import annotations

import argparse
import sys
from dataclasses import fields
from pathlib import Path

from ..errors import InspectorError
from . import common


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..analysis.budget import AUTO_HIDE_CONTROL

    common.GRAPH.add_to(parser)
    parser.add_argument("-o", "--output", required=True, metavar="OUT",
                        help="output file; the extension picks the format: .dot, .svg, .png, .pdf, "
                        ".html (interactive, self-contained); - writes DOT to stdout")
    pick = parser.add_argument_group("what to draw")
    pick.add_argument("--view", choices=("auto", "layers", "ops"), default="auto",
                      help="layers: one box per Keras layer of a TF2 signature or function, call "
                      "wrappers flattened; ops: every op; auto (default): layers for a TF2 signature "
                      "or function, else ops")
    pick.add_argument("--signature", metavar="KEY",
                      help="only what this SignatureDef's outputs need, from its inputs")
    pick.add_argument("--inputs", metavar="A,B", help="comma-separated tensor or node names to stop at")
    pick.add_argument("--outputs", metavar="C,D", help="comma-separated tensor or node names to draw back from")
    pick.add_argument("--scope", metavar="PREFIX", help="only nodes (or layers) under this name scope")
    pick.add_argument("--around", metavar="NODE", help="only the neighbourhood of this node")
    pick.add_argument("--hops", type=int, default=2, metavar="K", help="neighbourhood size for --around (2)")
    pick.add_argument("--function", metavar="NAME", help="draw this library function's body")
    pick.add_argument("--expand-calls", action="store_true",
                      help="draw called functions' bodies inline as clusters (ops view)")
    look = parser.add_argument_group("how to draw it")
    look.add_argument("--depth", type=int, metavar="N",
                      help="collapse name scopes deeper than N levels into one box each; in the "
                      "layers view 1 (default) is one box per layer, 2 and more open the layers")
    look.add_argument("--fold-consts", action="store_true",
                      help="fold small single-use constants into their consumer's label")
    look.add_argument("--edge-labels", choices=("none", "shape", "full"), default="shape",
                      help="edge labels: none, dtype[shape] (default) or tensor name plus dtype[shape]")
    look.add_argument("--control", choices=("auto", "hide", "dashed"), default="auto",
                      help="control dependencies: dashed grey edges, or hidden; auto (default) hides "
                      f"them above {AUTO_HIDE_CONTROL} boxes, with a note")
    look.add_argument("--rankdir", choices=("TB", "LR"), default="TB", help="layout direction (TB)")
    look.add_argument("--max-nodes", type=int, default=1500, metavar="N",
                      help="collapse scopes automatically above this many boxes (1500)")
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
    if args.depth is not None and args.depth < 1:
        raise InspectorError(None, "--depth must be at least 1")
    dot_binary = diagram.dot_program(fmt, out)

    artifact = common.GRAPH.load(args)
    options = diagram.DiagramOptions(**{f.name: getattr(args, f.name) for f in fields(diagram.DiagramOptions)})
    drawing = diagram.draw(artifact, args.tag_set, options)
    data = drawing.encode(fmt, dot_binary, args.timeout, out)
    for note in drawing.notes:
        sys.stderr.write(f"tfinspect: note: {note}\n")
    if out == "-":  # DOT on stdout
        sys.stdout.write(data.decode("utf-8"))
    else:
        render.write_atomic(Path(out), data)
    return 0
