"""`tfinspect io PATH`: likely inputs and outputs of a graph without signatures."""

from __future__ import annotations

import argparse

from . import common


def add_arguments(parser: argparse.ArgumentParser) -> None:
    common.GRAPH.add_to(parser)
    common.add_json(parser)


def run(args: argparse.Namespace) -> int:
    from ..analysis.io import io_view
    from ..report import jsonout
    from ..report.io import io_json, render_io
    from ..report.style import console

    artifact, meta = common.GRAPH.load_graph(args)
    view = io_view(meta, artifact.checkpoint_if_readable)
    if args.json:
        jsonout.emit(io_json(view))
    else:
        render_io(view, console())
    return 0
