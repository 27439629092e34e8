"""Rendering of `tfinspect diff`: a rich table, Markdown for a pull request, JSON."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from ..analysis.changes import BREAKING, COMPATIBLE, SEVERITIES, Change, DiffResult
from ..sanitize import visible
from .jsonout import document, tag_set_json
from .style import table

SEVERITY_STYLE = {BREAKING: "bold red", COMPATIBLE: "green", "info": "dim"}
_MARK = {BREAKING: "❌ breaking", COMPATIBLE: "✅ compatible", "info": "ℹ️ info"}


def change_json(change: Change) -> dict:
    where = {k: tag_set_json(v) if k == "tag_set" else v for k, v in change.where.items()}
    return {"kind": change.kind, "severity": change.severity, "where": where,
            "old": change.old, "new": change.new, "message": change.message}


def diff_json(result: DiffResult) -> dict:
    return document(
        old={"path": result.old_path, "kind": result.old_kind},
        new={"path": result.new_path, "kind": result.new_kind},
        breaking=bool(result.breaking),
        counts=result.counts(),
        notes=result.notes,
        changes=[change_json(c) for c in _ordered(result.changes)],
    )


def _ordered(changes: list[Change]) -> list[Change]:
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    return sorted(changes, key=lambda c: rank[c.severity])


def where_text(change: Change) -> str:
    """``serve / serving_default / x``: the place, most general first."""
    parts = [str(v) for k, v in change.where.items() if v is not None and k != "tag_set"]
    tag_set = change.where.get("tag_set")
    if tag_set:
        parts.insert(0, "{" + tag_set + "}")
    return " / ".join(parts)


def summary_line(result: DiffResult) -> str:
    counts = result.counts()
    verdict = "BREAKING for clients of OLD" if result.breaking else "no breaking change"
    return (f"{verdict}: {counts[BREAKING]} breaking, {counts[COMPATIBLE]} compatible, "
            f"{counts['info']} info")


def render_diff(result: DiffResult, out: Console) -> None:
    out.print(Text.assemble(("old ", "bold"), visible(result.old_path), f"  ({result.old_kind})"))
    out.print(Text.assemble(("new ", "bold"), visible(result.new_path), f"  ({result.new_kind})"))
    for note in result.notes:
        out.print(Text("note: " + visible(note), style="yellow"))
    if not result.changes:
        out.print("No changes found.")
        return
    rows = table(None, "severity", "kind", "where", "change")
    for change in _ordered(result.changes):
        rows.add_row(Text(change.severity, style=SEVERITY_STYLE[change.severity]), change.kind,
                     Text(visible(where_text(change))), Text(visible(change.message)))
    out.print(rows)
    out.print(Text(summary_line(result), style="bold red" if result.breaking else "bold green"))


def _cell(text: str) -> str:
    """Markdown table cell: visible characters, pipes and backticks escaped, no newlines."""
    return visible(text).replace("\\", "\\\\").replace("|", "\\|").replace("`", "\\`")


def render_markdown(result: DiffResult) -> str:
    lines = [f"### tfinspect diff: {_cell(summary_line(result))}", "",
             f"`{_cell(result.old_path)}` → `{_cell(result.new_path)}`", ""]
    lines += [f"> {_cell(note)}\n" for note in result.notes]
    if not result.changes:
        return "\n".join([*lines, "No changes found."])
    lines += ["| severity | kind | where | change |", "|---|---|---|---|"]
    for change in _ordered(result.changes):
        lines.append(f"| {_MARK[change.severity]} | {change.kind} | {_cell(where_text(change))} "
                     f"| {_cell(change.message)} |")
    return "\n".join(lines)
