"""`tfinspect show PATH`: the overview a user wants first."""

from __future__ import annotations

import argparse

from . import common


def add_arguments(parser: argparse.ArgumentParser) -> None:
    common.GRAPH.add_to(parser)
    common.add_json(parser)


def run(args: argparse.Namespace) -> int:
    from ..analysis.overview import overview
    from ..report import jsonout
    from ..report.show import render_overview
    from ..report.style import console

    artifact = common.GRAPH.load(args)
    view = overview(artifact, args.tag_set)
    if args.json:
        jsonout.emit(jsonout.overview_json(view))
    else:
        render_overview(view, console())
    return 0
