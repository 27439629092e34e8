"""MkDocs hooks: pages generated from the code, so each fact is written once.

- ``rules/index.md`` and one page per check rule, from the rule's registration
  (code, name, severity, targets, summary) and its docstring, the same text
  ``tfinspect check --explain CODE`` prints;
- each command page's ``<!-- options -->`` marker is replaced by that command's
  ``--help`` text, produced by the real argument parser;
- the JSON Schemas in ``docs/schemas/`` are published under ``schemas/``, and the
  ``<!-- schemas -->`` marker of ``json.md`` becomes a table of them, read from the
  schemas themselves.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from mkdocs.structure.files import File

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

OPTIONS_MARKER = "<!-- options -->"
SCHEMAS_MARKER = "<!-- schemas -->"
SCHEMAS = Path(__file__).resolve().parent / "schemas"


def _rules():
    from inspector.checks import RULES

    return [RULES[code] for code in sorted(RULES)]


def _targets(rule) -> str:
    from inspector.checks.docs import targets_text  # the rule tables' wording, written once

    return targets_text(rule)


def rule_page(rule) -> str:
    title, _, body = rule.explanation.partition("\n")
    return (
        f"# {rule.code} {rule.name}\n\n"
        f"**{rule.summary}.**\n\n"
        f"| severity | targets |\n|---|---|\n| {rule.severity.value} | {_targets(rule)} |\n\n"
        f"## What it finds\n\n{title}\n\n{body.strip()}\n\n"
        f"Print this text in a terminal with `tfinspect check --explain {rule.code}`; "
        f"skip the rule with `--ignore {rule.code}`.\n"
    )


def rules_index() -> str:
    rows = "\n".join(
        f"| [{r.code}]({r.code}.md) | {r.name} | {r.severity.value} | {_targets(r)} | {r.summary} |"
        for r in _rules()
    )
    return (
        "# Check rules\n\n"
        "Every rule of `tfinspect check`, generated from the rule's own documentation. "
        "Codes never change meaning once published.\n\n"
        "| code | name | severity | targets | summary |\n|---|---|---|---|---|\n" + rows + "\n"
    )


def on_files(files, config):
    files.append(File.generated(config, "rules/index.md", content=rules_index()))
    for rule in _rules():
        files.append(File.generated(config, f"rules/{rule.code}.md", content=rule_page(rule)))
    for path in sorted(SCHEMAS.glob("*.schema.json")):
        files.append(File.generated(config, f"schemas/{path.name}", content=path.read_bytes()))
    return files


def _shapes(schema: dict) -> list[tuple[str, list[str]]]:
    """(what, top-level keys) of each shape a command prints: one, or one per ``oneOf`` branch."""
    if "oneOf" not in schema:
        return [("every flag", list(schema["properties"]))]
    return [(b["title"], list(b["properties"])) for b in schema["oneOf"]]


def schemas_table() -> str:
    rows = []
    for path in sorted(SCHEMAS.glob("*.schema.json")):
        command = path.name.removesuffix(".schema.json")
        if command.endswith("-row"):  # a line of an inventory a command writes, not its --json
            command = command.removesuffix("-row") + " -o"
        for what, keys in _shapes(json.loads(path.read_text())):
            what = "each line of the file" if command.endswith(" -o") else what
            keys_text = ", ".join(f"`{k}`" for k in keys)
            rows.append(f"| `{command}` | {what} | {keys_text} | [{path.name}](schemas/{path.name}) |")
    return "| command | output | top-level keys | schema |\n|---|---|---|---|\n" + "\n".join(rows) + "\n"


def command_help(name: str) -> str:
    import os

    from inspector.cli import build_parser

    os.environ["COLUMNS"] = "88"  # argparse wraps help to the terminal width

    parser = build_parser(name)
    for action in parser._subparsers._group_actions:  # the one sub-parsers action
        return action.choices[name].format_help()
    raise KeyError(name)


def on_page_markdown(markdown, page, config, files):
    if SCHEMAS_MARKER in markdown:
        return markdown.replace(SCHEMAS_MARKER, schemas_table())
    if OPTIONS_MARKER not in markdown or not page.file.src_uri.startswith("commands/"):
        return markdown  # the marker only stands for options on a command's page
    name = Path(page.file.src_uri).stem
    return markdown.replace(OPTIONS_MARKER, "```text\n" + command_help(name).rstrip() + "\n```")
