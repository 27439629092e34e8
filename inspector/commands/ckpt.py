"""`tfinspect ckpt PATH`: a checkpoint's tensors, values, statistics, checksums, graph audit."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from ..errors import NotFound
from ..sanitize import visible
from . import common

if TYPE_CHECKING:
    from ..checkpoint import CheckpointIndex

PROGRESS_FROM_BYTES = 64 << 20


def add_arguments(parser: argparse.ArgumentParser) -> None:
    common.GRAPH.add_to(parser)
    parser.add_argument("--checkpoint", metavar="PREFIX",
                        help="audit PATH's graph against this checkpoint instead of the one next to it")
    parser.add_argument("--audit", action="store_true",
                        help="compare the tensors the graph restores with the checkpoint (always done in the "
                        "table view when there is a graph; with --json only when asked)")
    parser.add_argument("--values", metavar="NAME", help="print one tensor's values (key or readable name)")
    parser.add_argument("--stats", action="store_true", help="min, max, mean, std, NaN/Inf and zero counts")
    parser.add_argument("--verify", action="store_true",
                        help="recompute every tensor's crc32c and compare with the index (exit 1 on mismatch)")
    common.add_json(parser)


def run(args: argparse.Namespace) -> int:
    from rich.text import Text

    from ..analysis.checkpoint import graph_audit, listing, statistics, variable_names
    from ..load import load
    from ..report import jsonout
    from ..report.ckpt import listing_json, render_audit, render_listing, render_stats
    from ..report.style import console, plain

    artifact = common.GRAPH.load(args)
    owner = artifact
    if args.checkpoint:
        other = owner = load(args.checkpoint)
        reader = other.checkpoint
        if reader is None:
            raise NotFound(args.checkpoint, f"is a {other.kind.label}, not a checkpoint",
                           "pass a checkpoint prefix, its .index file or its directory")
    else:
        reader = artifact.checkpoint
        if reader is None:
            raise NotFound(args.path, f"is a {artifact.kind.label} with no checkpoint beside it",
                           "pass the checkpoint with --checkpoint PREFIX")
    wants_audit = args.audit or args.checkpoint or not args.json
    # The graph names the checkpoint's variables and is audited against it; when it only names
    # them, an ambiguous choice of tag-set leaves the checkpoint's own names.
    graph = (common.GRAPH.meta_graph(args, artifact, required=bool(wants_audit and not args.values))
             if artifact.meta_graphs else None)
    names, copies = variable_names(graph, reader)
    if args.values:
        return _values(reader, args, names)
    view = listing(reader, names, copies, owner.checkpoint_integrity())
    own_warnings = list(view.warnings)
    if not args.checkpoint:
        view.notes, view.warnings = [*artifact.notes, *view.notes], [*artifact.warnings, *view.warnings]
    if args.stats:
        reader.require_shards("--stats reads every tensor's values")
    if args.verify:
        reader.require_shards("--verify reads every tensor's bytes")
    report = graph_audit(graph, reader) if graph is not None and wants_audit else None
    stats = statistics(reader, view.rows) if args.stats else None
    findings = _verify(reader, args.json) if args.verify else None
    status = 0
    if report is not None and not report.result.ok or findings or view.problems:
        status = 1
    if args.json:
        for warning in own_warnings:
            sys.stderr.write(f"tfinspect: warning: {visible(warning)}\n")
        jsonout.emit(listing_json(view, report, stats, findings))
        return status
    out = console()
    render_listing(view, out)
    if stats is not None:
        out.print()
        render_stats(stats, out)
    if report is not None:
        render_audit(report, out, complete=not view.problems)
    if findings is not None:
        out.print()
        if findings:
            for finding in findings:
                out.print(Text.assemble(("crc32c", "bold red"), "  ", plain(finding.one_line())))
        else:
            message = f"verified: all {len(view.rows)} tensors match their crc32c"
            if reader.format_version == 1:
                message = (f"verified: every block matches its crc32c and all {len(view.rows)} tensors decode "
                           "to their shapes (a V1 checkpoint has no per-tensor checksum)")
            out.print(message, style="green")
    return status




def _verify(reader: CheckpointIndex, quiet: bool):
    from ..report.style import console

    total = sum(e.size for e in reader.entries())
    out = console(stderr=True)
    if quiet or total < PROGRESS_FROM_BYTES or not out.is_terminal:
        return reader.verify()
    from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

    with Progress("verifying", BarColumn(), DownloadColumn(), TransferSpeedColumn(), console=out) as bar:
        task = bar.add_task("verify", total=total)
        return reader.verify(progress=lambda done, _total: bar.update(task, completed=done))


def _values(reader: CheckpointIndex, args: argparse.Namespace, names: dict[str, str]) -> int:
    from ..analysis.checkpoint import find_key
    from ..report import jsonout
    from ..report.ckpt import values_json
    from ..report.style import console, plain

    key = find_key(reader, args.values, names)
    entry = reader.entry(key)
    values = reader.read(key)
    if args.json:
        jsonout.emit(values_json(key, entry.dtype_name, list(entry.shape), values.reshape(-1)))
        return 0
    import numpy as np  # loaded only for values

    out = console()
    out.print(plain(f"{key}  {entry.dtype_name} {list(entry.shape)}"))
    with np.printoptions(threshold=200, edgeitems=4, linewidth=max(out.width, 80), precision=6):
        out.print(repr(values) if values.dtype == object else str(values), markup=False)
    return 0

