"""`tfinspect diff OLD NEW`: what changed between two exports, and whether clients of OLD break."""

from __future__ import annotations

import argparse
from contextlib import contextmanager

from . import common

SIDES = {side: common.GraphArgs(
    side=side, path_help=f"the {side} artifact: SavedModel directory, version tree, .meta, frozen GraphDef "
    "or checkpoint", version_help=f"when {side.upper()} is a version tree: version N instead of the newest",
    tag_help=None) for side in ("old", "new")}
BIG_CHECKPOINT = 64 << 20  # bytes of values above which --values shows a progress bar


def add_arguments(parser: argparse.ArgumentParser) -> None:
    for side in SIDES.values():
        side.add_to(parser)
    parser.add_argument("--tag-set", metavar="TAGS", help=common.TAG_SET_HELP)
    parser.add_argument("--values", action="store_true",
                        help="also compare checkpoint values: the largest absolute difference per tensor")
    parser.add_argument("--format", choices=("table", "markdown", "json"), default="table",
                        help="table (default), markdown (for a pull-request comment) or json")
    common.add_json(parser)


def run(args: argparse.Namespace) -> int:
    from ..analysis.diff import diff_artifacts
    from ..report import jsonout
    from ..report.diff import diff_json, render_diff, render_markdown
    from ..report.style import console

    old, new = SIDES["old"].load(args), SIDES["new"].load(args)
    with _progress(args.values) as progress:
        result = diff_artifacts(old, new, tag_set=args.tag_set, values=args.values,
                                registered_ops=_registered_ops(), progress=progress)
    fmt = "json" if args.json else args.format
    if fmt == "json":
        jsonout.emit(diff_json(result))
    elif fmt == "markdown":
        console().out(render_markdown(result), highlight=False)
    else:
        render_diff(result, console())
    return 1 if result.breaking else 0


def _registered_ops() -> frozenset[str] | None:
    from ..checks.op_registry import registered_ops

    known = registered_ops()
    return known[0] if known else None


@contextmanager
def _progress(values: bool):
    """A progress callback drawing a bar on stderr for big checkpoints, or None."""
    from ..report.style import console

    err = console(stderr=True)
    if not values or not err.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

    with Progress(TextColumn("comparing values"), BarColumn(), DownloadColumn(), console=err,
                  transient=True) as bar:
        task = None

        def update(done: int, total: int) -> None:
            nonlocal task
            if total < BIG_CHECKPOINT:
                return
            if task is None:
                task = bar.add_task("values", total=total)
            bar.update(task, completed=done)

        yield update
