"""Rendering of `tfinspect versions`: tables and JSON."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from ..analysis.changes import BREAKING, COMPATIBLE
from ..analysis.versions import Version, VersionsView
from ..display import plural
from ..sanitize import visible
from .jsonout import document
from .style import human_bytes, table


def version_json(version: Version) -> dict:
    return {
        "version": version.number,
        "folder": version.name,
        "served": version.served,
        "shadowed_by": version.shadowed_by,
        "error": version.error,
        "size": version.size,
        "tensorflow_version": version.tensorflow_version,
        "signatures": version.signatures,
        "check_errors": version.check_errors,
        "check_warnings": version.check_warnings,
        "tf_serving_releases": version.serving_releases,
        "tf_serving_summary": version.serving_summary,
        "healthy": version.healthy,
    }


def versions_json(view: VersionsView) -> dict:
    return document({
        "root": view.root,
        "policy": view.policy.describe(),
        "served": [v.number for v in view.served],
        "versions": [version_json(v) for v in view.versions],
        "changes": [{"old": s.old, "new": s.new, "counts": s.counts, "breaking_changes": s.breaking, "kinds": s.kinds}
                    for s in view.steps],
        "skipped": view.skipped,
        "notes": view.notes,
    })


def _signatures_text(version: Version) -> str:
    return "; ".join(f"{s['signature_key']}({', '.join(s['input_aliases'])}) -> {', '.join(s['output_aliases'])}"
                     for s in version.signatures) or "-"


def _state(version: Version) -> Text:
    if version.error is not None:
        return Text("cannot load: " + visible(version.error), style="bold red")
    if version.check_errors:
        return Text(f"{plural(len(version.check_errors), 'check error')}: " + visible(version.check_errors[0]),
                    style="bold red")
    return Text("ok" + (f" ({plural(version.check_warnings, 'warning')})" if version.check_warnings else ""), style="green")


def render_versions(view: VersionsView, out: Console) -> None:
    out.print(Text.assemble(("model base path ", "bold"), visible(view.root), f"  policy: {view.policy.describe()}"))
    rows = table(None, "version", "folder", "served", "signatures", "size", "TF", "TF Serving releases", "check")
    for version in view.versions:
        served = Text("SERVED", style="bold green") if version.served else Text("-")
        if version.served and not version.healthy:
            served = Text("SERVED, BROKEN", style="bold red")  # TF Serving picks it and cannot serve it
        if version.shadowed_by is not None:
            served = Text(f"shadowed by {visible(version.shadowed_by)}", style="yellow")
        rows.add_row(str(version.number), Text(visible(version.name)), served, Text(visible(_signatures_text(version))),
                     human_bytes(version.size), Text(visible(version.tensorflow_version or "-")),
                     Text(version.serving_summary or "-"), _state(version))
    out.print(rows)
    if view.steps:
        steps = table("Changes between consecutive versions", "from", "to", "breaking", "compatible", "info",
                      "first breaking change")
        for step in view.steps:
            steps.add_row(str(step.old), str(step.new),
                          Text(str(step.counts[BREAKING]), style="bold red" if step.counts[BREAKING] else ""),
                          str(step.counts[COMPATIBLE]), str(step.counts["info"]),
                          Text(visible(step.breaking[0]) if step.breaking else "-"))
        out.print(steps)
    for name in view.skipped:
        out.print(Text(f"skipped by TF Serving (not a version number): {visible(name)!r}", style="yellow"))
    for note in view.notes:
        out.print(Text("note: " + visible(note), style="yellow"))
