"""`tfinspect compat PATH`: the TensorFlow releases that can load and run each signature, per loader."""

from __future__ import annotations

import argparse

from ..checks.core import LOADERS
from ..errors import SelectionError
from . import common


def add_arguments(parser: argparse.ArgumentParser) -> None:
    common.GraphArgs(path_help="the export to judge (a SavedModel directory, a .meta or a frozen graph)",
                     version_help="for a version tree, judge version N instead of the newest",
                     tag_help=None).add_to(parser)
    parser.add_argument("--loader", action="append", choices=LOADERS, metavar="LOADER",
                        help=f"only this loader ({', '.join(LOADERS)}); may be repeated (default: all)")
    common.add_json(parser)


def run(args: argparse.Namespace) -> int:
    from ..checks.verdicts import compat_report
    from ..registry import reader as registry
    from ..report import jsonout
    from ..report.compat import compat_json, render_compat
    from ..report.style import console

    if not registry.releases():
        raise SelectionError(None, "this tfinspect ships no release registry", "reinstall tfinspect")
    artifact = common.GraphArgs().load(args)
    if not artifact.meta_graphs:
        raise artifact.no_graph_error()
    loaders = tuple(dict.fromkeys(args.loader)) if args.loader else LOADERS
    report = compat_report(artifact, str(args.path), loaders)
    if args.json:
        jsonout.emit(compat_json(report))
    else:
        render_compat(report, console())
    return 0 if report.ok else 1
