"""`tfinspect signatures PATH`: every SignatureDef, and a TF2 model's concrete functions."""

from __future__ import annotations

import argparse

from . import common


def add_arguments(parser: argparse.ArgumentParser) -> None:
    common.GraphArgs(tag_help="only the MetaGraph with exactly these comma-separated tags "
                     "(default: every tag-set)").add_to(parser)
    parser.add_argument("--signature", metavar="KEY", help="show only the signature with this key")
    parser.add_argument("--concrete", action="store_true",
                        help="kept for old scripts: --json always holds both 'signatures' and "
                        "'concrete_functions'")
    common.add_json(parser)


def run(args: argparse.Namespace) -> int:
    from ..analysis.signatures import signatures_view
    from ..report import jsonout
    from ..report.signatures import render_signatures, signatures_json
    from ..report.style import console

    artifact = common.GRAPH.load(args)
    view = signatures_view(artifact, args.tag_set, args.signature)
    if args.json:
        jsonout.emit(signatures_json(view))
    else:
        render_signatures(view, console())
    return 0
