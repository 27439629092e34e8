"""The audit's outputs: the inventory (JSON lines or Parquet), its summary (table, JSON,
Markdown, HTML) and the progress bar.  Rows are data: every string from a registry is
made visible (no control characters) before it reaches a terminal, Markdown or HTML."""

from __future__ import annotations

import html
import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..analysis.audit import Summary, row_key
from ..errors import InspectorError, UnreadableInput
from ..sanitize import json_safe, visible
from .jsonout import document
from .style import console

JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")
PARQUET_SUFFIXES = (".parquet", ".pq")
MARKDOWN_SUFFIXES = (".md", ".markdown")
HTML_SUFFIXES = (".html", ".htm")
TOP = 20  # rows of each count table in a summary


# -- the inventory ---------------------------------------------------------------------------
def output_format(path: str) -> str:
    """``jsonl`` or ``parquet`` by the name's suffix (``-``: JSON lines on standard output)."""
    if path == "-":
        return "jsonl"
    suffix = Path(path).suffix.lower()
    if suffix in JSONL_SUFFIXES:
        return "jsonl"
    if suffix in PARQUET_SUFFIXES:
        require_pyarrow()
        return "parquet"
    raise UnreadableInput(path, f"has no suffix that names an inventory format ({suffix or 'none'})",
                          "name it .jsonl (JSON lines) or .parquet")


def require_pyarrow() -> None:
    try:
        import pyarrow
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        raise InspectorError(None, "writing Parquet needs pyarrow, which is not installed",
                             'pip install "tfinspect[parquet]" (or write .jsonl)') from None


def row_line(row: dict) -> str:
    return json_safe(json.dumps(row, ensure_ascii=False))


def read_rows(path: str) -> list[dict]:
    """The rows of an inventory written before (for --resume); a line cut short by a stopped run is skipped."""
    rows: list[dict] = []
    target = Path(path)
    if output_format(path) == "parquet":
        if target.is_file():
            import pyarrow.parquet as pq

            try:
                rows = [_from_arrow(row) for row in pq.read_table(target).to_pylist()]
            except Exception as exc:  # noqa: BLE001 - any damage to the old file
                raise UnreadableInput(target, f"cannot be read as an inventory: {exc}",
                                      "delete it, or run without --resume") from None
        target = _partial(path)
    if not target.is_file():
        return rows
    with open(target, encoding="utf-8", errors="surrogateescape") as handle:
        for line in handle:
            try:
                row = json.loads(line)
            except ValueError:
                continue
            if isinstance(row, dict) and "root" in row and "path" in row and "stamp" in row:
                rows.append(row)
    return rows


def _partial(path: str) -> Path:
    return Path(path + ".partial.jsonl")


class RowWriter:
    """Writes rows as they come (a stopped run leaves every finished row for --resume), then,
    at ``finish``, the inventory sorted by root and path: JSON lines, Parquet, or standard output."""

    def __init__(self, path: str | None):
        self.path = path
        self.format = output_format(path) if path else None
        self.work: Path | None = None
        self.handle = None
        self.buffered: list[str] = []
        if path and path != "-":
            self.work = Path(path) if self.format == "jsonl" else _partial(path)

    def write(self, row: dict) -> None:
        """Add a row; the file is created with the first one (a run that fails before writes nothing)."""
        if self.path == "-":
            self.buffered.append(row_line(row))
            return
        if self.work is None:
            return
        if self.handle is None:
            try:
                self.handle = open(self.work, "w", encoding="utf-8", errors="surrogateescape")  # noqa: SIM115
            except OSError as exc:
                raise UnreadableInput(self.work, f"cannot be written: {exc.strerror}",
                                      "choose a writable output path") from None
        self.handle.write(row_line(row) + "\n")
        self.handle.flush()

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None

    def finish(self) -> None:
        self.close()
        if self.path == "-":
            self.buffered.sort(key=lambda line: row_key(json.loads(line)))
            sys.stdout.write("".join(line + "\n" for line in self.buffered))
            return
        if self.work is None:
            return
        if not self.work.exists():
            self.work.write_text("", encoding="utf-8")  # an inventory of nothing
        rows = sorted(read_rows_file(self.work), key=row_key)
        if self.format == "parquet":
            _write_parquet(rows, self.path)
            self.work.unlink()
        else:
            temporary = Path(f"{self.path}.sorting")
            temporary.write_text("".join(row_line(r) + "\n" for r in rows), encoding="utf-8",
                                 errors="surrogateescape")
            os.replace(temporary, self.path)


def read_rows_file(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", errors="surrogateescape") as handle:
        return [json.loads(line) for line in handle if line.strip()]


# Parquet: explicit columns, so an inventory has the same schema whatever its rows hold.
def _arrow_schema():
    import pyarrow as pa

    text, names = pa.string(), pa.list_(pa.string())
    tensor = pa.struct([("alias", text), ("dtype", text), ("shape", pa.list_(pa.int64()))])
    finding = pa.struct([("code", text), ("severity", text), ("message", text), ("tag_set", names),
                         ("signature_key", text), ("location", text)])
    return pa.schema([
        ("schema_version", pa.int32()), ("root", text), ("path", text), ("kind", text), ("model", text),
        ("version", pa.int64()), ("served", pa.bool_()), ("size", pa.int64()), ("file_count", pa.int64()),
        ("stamp", text), ("tensorflow_version", text), ("tensorflow_git_version", text),
        ("producer", pa.int64()), ("tag_sets", pa.list_(names)),
        ("signatures", pa.list_(pa.struct([("tag_set", names), ("signature_key", text), ("method_name", text),
                                           ("inputs", pa.list_(tensor)), ("outputs", pa.list_(tensor))]))),
        ("op_types", names),
        ("fingerprint", pa.struct([("saved_model_checksum", pa.uint64()), ("graph_def_program_hash", pa.uint64()),
                                   ("signature_def_hash", pa.uint64()), ("saved_object_graph_hash", pa.uint64()),
                                   ("checkpoint_hash", pa.uint64()), ("producer", pa.int64())])),
        ("check", pa.struct([("target", text), ("errors", names), ("warnings", names)])),
        ("security", pa.list_(finding)), ("integrity", pa.list_(finding)),
        ("compat", text),  # JSON text: its shape belongs to the compatibility analysis
        ("error", text),
    ])


def _write_parquet(rows: list[dict], path: str) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = _arrow_schema()
    table = pa.Table.from_pylist([_to_arrow(row) for row in rows], schema=schema)
    temporary = f"{path}.writing"
    pq.write_table(table, temporary)
    os.replace(temporary, path)


def _to_arrow(row: dict) -> dict:
    return {**row, "compat": None if row.get("compat") is None else json.dumps(row["compat"])}


def _from_arrow(row: dict) -> dict:
    return {**row, "compat": None if row.get("compat") is None else json.loads(row["compat"])}


# -- the summary ----------------------------------------------------------------------------
def summary_json(summary: Summary, roots: Iterable[str]) -> dict:
    return document({
        "roots": list(roots),
        "artifacts": summary.artifacts,
        "unreadable": summary.unreadable,
        "failing": summary.failing,
        "size": summary.size,
        "served": summary.served,
        "served_failing": summary.served_failing,
        "security": summary.security,
        "integrity": summary.integrity,
        "kinds": dict(summary.kinds.most_common()),
        "writers": dict(summary.writers.most_common()),
        "error_rules": dict(summary.error_rules.most_common()),
        "warning_rules": dict(summary.warning_rules.most_common()),
        "compat": dict(summary.compat.most_common()),
        "problems": [{"root": root, "path": path, "problem": why} for root, path, why in sorted(summary.problems)],
    })


def _headline(summary: Summary) -> list[tuple[str, str]]:
    def optional(value: int | None) -> str:
        return "no rules yet" if value is None else f"{value:,}"

    return [
        ("artifacts", f"{summary.artifacts:,} ({_size(summary.size)})"),
        ("could not be read", f"{summary.unreadable:,}"),
        ("check finds errors", f"{summary.failing:,}"),
        ("served versions (latest policy)", f"{summary.served:,}, of which failing: {summary.served_failing:,}"),
        ("with security findings", optional(summary.security)),
        ("with integrity findings", optional(summary.integrity)),
    ]


def _tables(summary: Summary) -> list[tuple[str, str, list[tuple[str, int]]]]:
    return [
        ("Kinds", "kind", summary.kinds.most_common(TOP)),
        ("Writers", "TensorFlow version", summary.writers.most_common(TOP)),
        ("Failing rules", "rule", summary.error_rules.most_common(TOP)),
        ("Warnings", "rule", summary.warning_rules.most_common(TOP)),
        ("Compatibility", "releases", summary.compat.most_common(TOP)),
    ]


def _size(count: int) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if count < 1000 or unit == "TB":
            return f"{count:,.0f} {unit}" if unit == "B" else f"{count:,.1f} {unit}"
        count /= 1000
    return str(count)


def render_summary(summary: Summary, out: Console | None = None) -> None:
    out = out or console()
    for name, value in _headline(summary):
        out.print(Text.assemble((f"{name}: ", "bold"), value))
    for title, column, counts in _tables(summary):
        if not counts:
            continue
        table = Table(title=title, title_justify="left", box=None, pad_edge=False)
        table.add_column(column)
        table.add_column("artifacts", justify="right")
        for key, count in counts:
            table.add_row(Text(visible(key)), f"{count:,}")
        out.print()
        out.print(table)
    if summary.problems:
        out.print()
        table = Table(title="Problems", title_justify="left", box=None, pad_edge=False)
        table.add_column("artifact")
        table.add_column("problem")
        for root, path, why in sorted(summary.problems)[:TOP]:
            table.add_row(Text(visible(_where(root, path))), Text(visible(why)))
        out.print(table)
        if len(summary.problems) > TOP:
            out.print(Text("... and more: the inventory's rows with error or check errors list them all",
                           style="dim"))


def _where(root: str, path: str) -> str:
    return root if path == "." else f"{root.rstrip('/')}/{path}"


def _md(text: str) -> str:
    return visible(text).replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace("`", "\\`")


def summary_markdown(summary: Summary, roots: Iterable[str]) -> str:
    lines = ["# Model registry audit", "", "Roots: " + ", ".join(f"`{_md(r)}`" for r in roots), ""]
    lines += [f"- **{name}**: {value}" for name, value in _headline(summary)]
    for title, column, counts in _tables(summary):
        lines += ["", f"## {title}", "", f"| {column} | artifacts |", "|---|---:|"]
        lines += [f"| {_md(key)} | {count:,} |" for key, count in counts] or ["| (none) | 0 |"]
    if summary.problems:
        lines += ["", "## Problems", "", "| artifact | problem |", "|---|---|"]
        lines += [f"| {_md(_where(root, path))} | {_md(why)} |" for root, path, why in sorted(summary.problems)]
    return "\n".join(lines) + "\n"


_STYLE = ("<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:1.5em}"
          "td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}td.n{text-align:right}</style>")


def summary_html(summary: Summary, roots: Iterable[str]) -> str:
    def esc(text: str) -> str:
        return html.escape(visible(text))

    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8"><title>Model registry audit</title>',
             _STYLE,
             "</head><body>", "<h1>Model registry audit</h1>",
             "<p>Roots: " + ", ".join(f"<code>{esc(r)}</code>" for r in roots) + "</p><ul>"]
    parts += [f"<li><b>{esc(name)}</b>: {esc(value)}</li>" for name, value in _headline(summary)]
    parts.append("</ul>")
    for title, column, counts in _tables(summary):
        parts += [f"<h2>{esc(title)}</h2><table><tr><th>{esc(column)}</th><th>artifacts</th></tr>"]
        parts += [f'<tr><td>{esc(key)}</td><td class="n">{count:,}</td></tr>' for key, count in counts]
        parts.append("</table>")
    if summary.problems:
        parts.append("<h2>Problems</h2><table><tr><th>artifact</th><th>problem</th></tr>")
        parts += [f"<tr><td>{esc(_where(root, path))}</td><td>{esc(why)}</td></tr>"
                  for root, path, why in sorted(summary.problems)]
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def summary_document(summary: Summary, roots: list[str], path: str) -> str:
    suffix = Path(path).suffix.lower()
    return summary_html(summary, roots) if suffix in HTML_SUFFIXES else summary_markdown(summary, roots)


def summary_suffix_ok(path: str) -> None:
    if Path(path).suffix.lower() not in (*MARKDOWN_SUFFIXES, *HTML_SUFFIXES):
        raise UnreadableInput(path, "has no suffix that names a summary format",
                              "name it .md (Markdown) or .html")


# -- progress -------------------------------------------------------------------------------
class Progress:
    """A progress bar on standard error with rate and time left, when it is a terminal; else nothing."""

    def __init__(self, total: int, enabled: bool | None = None):
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.bar = None
        self.total = total
        if self.enabled:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )
            from rich.progress import (
                Progress as RichProgress,
            )

            self.bar = RichProgress(TextColumn("auditing"), BarColumn(), MofNCompleteColumn(),
                                    TextColumn("{task.fields[rate]}"), TimeElapsedColumn(),
                                    TextColumn("left"), TimeRemainingColumn(),
                                    console=Console(stderr=True), transient=True)
            self.task = self.bar.add_task("audit", total=total, rate="")

    def __enter__(self):
        if self.bar is not None:
            self.bar.start()
        return self

    def advance(self, count: int = 1) -> None:
        if self.bar is not None:
            speed = self.bar.tasks[0].speed
            self.bar.update(self.task, advance=count, rate=f"{speed:,.1f}/s" if speed else "")

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()
