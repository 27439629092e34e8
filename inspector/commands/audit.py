"""`tfinspect audit ROOT...`: every artifact of a model registry, one inventory row each, and a summary."""

from __future__ import annotations

import argparse
import fnmatch
import os
import shlex
from pathlib import Path
from typing import TYPE_CHECKING

from .. import children
from ..errors import SelectionError, UnreadableInput
from ..sanitize import visible

if TYPE_CHECKING:
    from ..analysis.audit import Found


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:
        return os.cpu_count() or 1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..checks import TARGETS

    parser.add_argument("roots", nargs="+", metavar="ROOT",
                        help="a folder or URL holding models (gs://models/, s3://..., a local registry)")
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="write one row per artifact: FILE.jsonl (JSON lines), FILE.parquet (needs pyarrow), "
                        "or - for JSON lines on standard output")
    parser.add_argument("--summary", metavar="FILE", help="also write the summary as Markdown (.md) or HTML (.html)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON instead of tables")
    parser.add_argument("--jobs", "-j", type=int, metavar="N", default=None,
                        help="worker processes (default: the CPUs this process may use)")
    parser.add_argument("--runner", choices=("pool", "beam"), default="pool",
                        help="pool: processes on this machine (default); beam: an Apache Beam pipeline "
                        '(pip install "tfinspect[beam]")')
    parser.add_argument("--beam-args", metavar="ARGS", default=None,
                        help="Beam pipeline options as one string, after an = sign: --beam-args=\"--runner=DataflowRunner --project=P "
                        "--region=R --temp_location=gs://B/tmp\" (default: the DirectRunner with --jobs workers)")
    parser.add_argument("--resume", action="store_true",
                        help="keep the rows of --output whose artifact's files are unchanged; inspect the rest")
    parser.add_argument("--target", choices=TARGETS, default="tf-serving",
                        help="the loader the check verdicts are for (as tfinspect check --target)")
    parser.add_argument("--compat", action="store_true",
                        help="also fill each row's compat field: the TensorFlow releases (2.12 to 2.21) whose "
                        "loaders run every signature, as tfinspect compat (about 10 times the time of a row)")
    parser.add_argument("--exclude", metavar="GLOB", action="append", default=[],
                        help="leave out artifacts whose path below its root matches (repeatable), e.g. '*/tmp/*'")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar, even on a terminal")


def run(args: argparse.Namespace) -> int:
    from ..analysis.audit import Summary, check_root, discover
    from ..fleet.rows import Verdicts
    from ..report import jsonout
    from ..report.audit import (
        Progress,
        RowWriter,
        output_format,
        render_summary,
        summary_document,
        summary_json,
        summary_suffix_ok,
    )

    jobs = _cpus() if args.jobs is None else args.jobs
    if jobs < 1:
        raise SelectionError(None, "--jobs must be at least 1", "write --jobs 4, or leave it out")
    if args.resume and (not args.output or args.output == "-"):
        raise SelectionError(None, "--resume needs --output FILE: the inventory to continue",
                             "write --output inventory.jsonl --resume")
    if args.beam_args is not None and args.runner != "beam":
        raise SelectionError(None, "--beam-args is for --runner beam", "add --runner beam")
    if args.output and args.output != "-":
        _writable(args.output)
    if args.summary:
        summary_suffix_ok(args.summary)
        _writable(args.summary)
    if args.output:
        output_format(args.output)  # the format (and pyarrow for Parquet), before any work
    roots = list(dict.fromkeys(_root_text(root) for root in args.roots))
    if args.runner == "pool":
        from ..fleet.pool import prepare

        prepare(jobs)  # the workers' start-up overlaps the listing of the roots
    tasks: list[tuple[str, Found]] = []
    for root in roots:
        check_root(root)
        tasks += [(root, found) for found in discover(root) if not _excluded(found.path, args.exclude)]
    summary = Summary()
    kept: list[dict] = []
    if args.resume:
        kept, tasks = _resume(args.output, tasks)
    writer = RowWriter(args.output) if args.output else None
    for row in kept:
        summary.add(row)
    unwritten = list(kept)  # the kept rows go to the output with the first new one, or at the end
    done = 0
    try:
        with Progress(len(tasks), enabled=False if args.no_progress or args.runner == "beam" else None) as progress:
            def on_row(row: dict) -> None:
                nonlocal done
                if writer is not None:
                    while unwritten:
                        writer.write(unwritten.pop())
                    writer.write(row)
                summary.add(row)
                done += 1
                progress.advance()

            verdicts = Verdicts(args.target, args.compat)
            if args.runner == "beam":
                from ..fleet.beam import local_arguments, run_beam

                arguments = shlex.split(args.beam_args) if args.beam_args else local_arguments(jobs)
                run_beam(tasks, on_row, verdicts=verdicts, arguments=arguments)
            else:
                from ..fleet.pool import run_pool

                run_pool(tasks, on_row, jobs=min(jobs, max(1, len(tasks))), verdicts=verdicts)
    except (children.Interrupted, KeyboardInterrupt) as exc:
        if writer is not None:
            writer.close()
        if isinstance(exc, children.Interrupted):  # the command line prints it as the one line it says
            where = f"; tfinspect audit ... -o {args.output} --resume continues" \
                if args.output and args.output != "-" else ""
            exc.args = (visible(f"{exc} after {done:,} of {len(tasks):,} artifacts{where}"),)
        raise
    if writer is not None:
        while unwritten:
            writer.write(unwritten.pop())
        writer.finish()
    if args.summary:
        Path(args.summary).write_text(summary_document(summary, roots, args.summary), encoding="utf-8")
    if args.output != "-":
        if args.json:
            jsonout.emit(summary_json(summary, roots))
        else:
            render_summary(summary)
    return summary.exit_status


def _root_text(root: str) -> str:
    from ..source.location import is_url

    text = os.fspath(root)
    if is_url(text):
        return text.rstrip("/") if not text.endswith("://") else text
    return text.rstrip(os.sep) or text


def _excluded(path: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(path, pattern) for pattern in patterns)


def _writable(path: str) -> None:
    from ..source.location import is_url

    target = Path(path)
    if is_url(path):
        raise UnreadableInput(path, "is a URL; the inventory and summary are written to local files",
                              "write to a local path (and copy it up with gsutil or aws s3 cp)")
    if target.is_dir():
        raise UnreadableInput(target, "is a directory", "name a file to write")
    if not target.parent.is_dir():
        raise UnreadableInput(target, f"cannot be written: the folder {target.parent} does not exist",
                              "create the folder, or write elsewhere")


def _resume(output: str, tasks: list[tuple[str, Found]]) -> tuple[list[dict], list[tuple[str, Found]]]:
    """The rows of the old inventory that still hold (same root, path and file stamp), and the tasks left."""
    from ..report.audit import read_rows

    old = {(row["root"], row["path"]): row for row in read_rows(output)}
    kept, left = [], []
    for root, found in tasks:
        row = old.get((root, found.path))
        if row is not None and row.get("stamp") == found.stamp:
            kept.append(row)
        else:
            left.append((root, found))
    return kept, left
