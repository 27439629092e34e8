"""Rich rendering for `tfinspect ckpt`."""

from __future__ import annotations

from dataclasses import asdict

from rich.console import Console
from rich.text import Text

from ..analysis.checkpoint import GraphAudit, Listing, TensorStats
from ..display import plural
from ..sanitize import visible
from .grid import print_table
from .jsonout import bytes_json, document, renamed
from .style import human_bytes, human_count, plain, table


def render_listing(view: Listing, out: Console) -> None:
    grid = table(None, "tensor", "dtype", "shape", "elements", "bytes", "shard")
    # A Text title: the prefix is a path from the user's disk, never rich markup.
    grid.title = plain(f"Checkpoint {view.prefix}" + (" (V1)" if view.format_version == 1 else ""))
    for column in grid.columns[3:]:
        column.justify = "right"
    for row in view.rows:
        name = Text("  ↳ " + visible(row.slot), style="dim") if row.slot else plain(row.name)
        if row.slot:
            name.append(f"  ({visible(row.key)})", style="dim")
        if row.slot is None and row.name != row.key:
            name.append(f"  ({visible(row.key)})", style="dim")
        if row.copy_of:
            name.append("  second copy of ", style="dim")
            name.append(plain(row.copy_of))
        grid.add_row(name, Text(row.dtype), Text("[" + ", ".join(map(str, row.shape)) + "]"),
                     human_count(row.elements), human_bytes(row.bytes), str(row.shard))
    print_table(out, grid)
    slots = sum(1 for r in view.rows if r.slot)
    summary = (f"{plural(len(view.rows), 'tensor')} ({plural(slots, 'optimizer slot')}), "
               f"{plural(view.total_elements, 'value')}, "
               f"{human_bytes(view.total_bytes)} in {plural(view.num_shards, 'shard')}")
    out.print(Text(summary, style="bold"))
    copies = [r for r in view.rows if r.copy_of]
    if copies:
        out.print(Text(f"The export stores {len(copies)} variables twice: "
                       f"{human_bytes(sum(r.bytes for r in copies))} of the bytes above are second copies."))
    if view.object_graph is not None:
        og = view.object_graph
        out.print(Text(f"object graph (_CHECKPOINTABLE_OBJECT_GRAPH): {og.num_objects} objects, "
                       f"{og.num_variables} saving a variable value, {og.num_slot_variables} slot variables",
                       style="dim"))
    for note in view.notes:
        out.print(Text.assemble(("note  ", "yellow"), plain(note)))
    for warning in view.warnings:
        out.print(Text.assemble(("warning  ", "bold yellow"), plain(warning)))
    for problem in view.problems:
        out.print(Text.assemble(("INCOMPLETE  ", "bold red"), plain(problem), "; TensorFlow cannot restore it"))


def render_audit(report: GraphAudit, out: Console, complete: bool = True) -> None:
    """The graph/checkpoint comparison; ``complete`` False: the names match but bytes are missing."""
    result = report.result
    out.print()
    head = Text(f"Graph and checkpoint ({len(report.expected)} tensors restored, from the {report.source}): ",
                style="bold")
    if result.ok and not complete:
        head.append("names, dtypes and shapes match, but the checkpoint is INCOMPLETE (above): "
                    "the restore fails", style="bold red")
    else:
        head.append("they match" if result.ok else "they do NOT match", style="green" if result.ok else "bold red")
    out.print(head)
    for key in result.missing:
        out.print(Text.assemble(("  missing  ", "red"), plain(key),
                                " is restored by the graph but not in the checkpoint"))
    for item in result.dtype_mismatches:
        out.print(Text.assemble(("  dtype    ", "red"), plain(item.key),
                                visible(f": graph expects {item.expected}, checkpoint has {item.found}")))
    for item in result.shape_mismatches:
        out.print(Text.assemble(("  shape    ", "red"), plain(item.key),
                                visible(f": graph expects {item.expected}, checkpoint has {item.found}")))
    unused = result.unused_variables
    if unused:
        shown = ", ".join(unused[:8]) + (f", and {len(unused) - 8} more" if len(unused) > 8 else "")
        out.print(Text.assemble(("  unused   ", "yellow"), f"{len(unused)} tensors the graph does not restore: ",
                                plain(shown)))


def render_stats(stats: list[TensorStats], out: Console) -> None:
    grid = table("Statistics", "tensor", "dtype", "min", "max", "mean", "std", "NaN", "Inf", "zeros")
    for column in grid.columns[2:]:
        column.justify = "right"
    for s in stats:
        grid.add_row(plain(s.name), s.dtype, _num(s.min), _num(s.max), _num(s.mean), _num(s.std),
                     _flag(s.nan), _flag(s.inf), human_count(s.zeros))
    print_table(out, grid)


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.6g}"


def _flag(count: int) -> Text:
    return Text(str(count), style="bold red" if count else "")


JSON_VALUES_LIMIT = 100_000


def listing_json(view: Listing, audit: GraphAudit | None, stats: list[TensorStats] | None, verify) -> dict:
    """The listing, with the audit, statistics and crc32c findings (null when not asked)."""
    return document(
        prefix=view.prefix,
        format_version=view.format_version,
        tensors=[renamed(asdict(r), key="checkpoint_key") for r in view.rows],
        audit=None if audit is None else _audit_json(audit),
        stats=None if stats is None else [asdict(s) for s in stats],
        verify=None if verify is None else [renamed(asdict(f), key="checkpoint_key") for f in verify],
        notes=list(view.notes),
        warnings=list(view.warnings),
        problems=list(view.problems),
    )


def _audit_json(report: GraphAudit) -> dict:
    result = report.result
    return {
        "source": report.source,
        "restored": [e.key for e in report.expected],
        "ok": result.ok,
        "missing": result.missing,
        "unused": result.unused,
        "dtype_mismatches": [renamed(asdict(m), key="checkpoint_key") for m in result.dtype_mismatches],
        "shape_mismatches": [renamed(asdict(m), key="checkpoint_key") for m in result.shape_mismatches],
    }


def values_json(key: str, dtype: str, shape: list[int], flat) -> dict:
    """``--values``: one tensor's values, flattened, at most JSON_VALUES_LIMIT of them."""
    return document(checkpoint_key=key, dtype=dtype, shape=shape, truncated=bool(flat.size > JSON_VALUES_LIMIT),
                    values=[_json_value(v) for v in flat[:JSON_VALUES_LIMIT]])


def _json_value(value):
    import numpy as np

    if isinstance(value, bytes):
        return bytes_json(value)
    if isinstance(value, (complex, np.complexfloating)):
        return [float(value.real), float(value.imag)]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return str(value)
    return value
