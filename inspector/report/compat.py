"""Rendering of `tfinspect compat`: which TensorFlow releases load and run each signature."""

from __future__ import annotations

from rich.console import Console, Group
from rich.text import Text

from ..checks.verdicts import LOADER_NAMES, CompatReport, Reason, Unit
from ..sanitize import visible
from .jsonout import document, tag_set_json
from .style import table


def _reason_json(reason: Reason | None) -> dict | None:
    if reason is None:
        return None
    return {"release": reason.release, "code": reason.code, "message": reason.message}


def unit_json(unit: Unit) -> dict:
    below, above = unit.bounds()
    return {
        "loader": unit.loader,
        "tag_set": tag_set_json(unit.tag_set),
        "signature_key": unit.signature,
        "summary": unit.summary(),
        "releases": list(unit.runs_on),
        "ranges": [{"from": low, "to": high} for low, high in unit.ranges],
        "lower_bound_reason": _reason_json(below),
        "upper_bound_reason": _reason_json(above),
        "failures": {release: _reason_json(reason) for release, reason in unit.fails.items()},
    }


def compat_json(report: CompatReport) -> dict:
    return document({
        "path": report.path,
        "written_by": report.written_by,
        "producer": report.producer,
        "releases": report.releases,
        "units": [unit_json(unit) for unit in report.units],
        "notes": list(report.notes),
    })


def _reason_text(reason: Reason | None, side: str) -> str:
    if reason is None:
        return "-"
    where = f"{side} {reason.release}" if reason.release else "every release"
    return f"{where}: {reason.code} {reason.message}"


def render_compat(report: CompatReport, out: Console) -> None:
    out.print(compat_renderable(report))


def compat_renderable(report: CompatReport) -> Group:
    """The heading and table `tfinspect compat` prints (also the notebook view)."""
    written = f"TensorFlow {report.written_by}" if report.written_by else "a TensorFlow release it does not record"
    producer = f" (GraphDef producer {report.producer})" if report.producer is not None else ""
    heading = Text(f"  written by {visible(written)}{producer}; "
                   f"releases known: {report.releases[0]} to {report.releases[-1]}" if report.releases else "")
    rows = table(None, "loader", "tag-set", "signature", "runs on", "below the range", "above the range")
    for unit in report.units:
        below, above = unit.bounds()
        if not unit.runs_on:
            first = next(iter(unit.fails.values()), None)
            below = first
        style = "green" if unit.runs_on else "bold red"
        rows.add_row(LOADER_NAMES.get(unit.loader, unit.loader), Text(visible(unit.tag_set or "-")),
                     Text(visible(unit.signature or "-")), Text(unit.summary(), style=style),
                     Text(visible(_reason_text(below, "fails in"))), Text(visible(_reason_text(above, "fails in"))))
    notes = [Text.assemble(("  note  ", "yellow"), visible(note)) for note in report.notes]
    return Group(Text.assemble(("compat ", "bold"), visible(report.path)), heading, *notes,
                 *([rows] if report.units else []))
