"""`tfinspect show PATH`: the overview a user wants first."""

from __future__ import annotations

import argparse

from ..analysis.overview import overview
from ..report import jsonout
from ..report.show import render_overview
from ..report.style import console
from . import common


def add_arguments(parser: argparse.ArgumentParser) -> None:
    common.add_path(parser)
    common.add_tag_set(parser)
    common.add_json(parser)


def run(args: argparse.Namespace) -> int:
    artifact = common.load_artifact(args)
    view = overview(artifact, args.tag_set)
    if args.json:
        jsonout.emit(jsonout.overview_json(view))
    else:
        render_overview(view, console())
    return 0
