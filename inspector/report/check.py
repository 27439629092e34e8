"""The `check` report: a doctor's note in the terminal, JSON, and SARIF for CI."""

from __future__ import annotations

from itertools import groupby

from rich.console import Console, Group
from rich.text import Text

from ..checks.core import Finding, Rule, Severity
from ..sanitize import visible
from ..version import __version__
from .grid import print_lines
from .jsonout import document, tag_set_json

STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def render_findings(findings: list[Finding], target: str, path: str, out: Console, command: str = "check") -> None:
    """Print the doctor's note; many findings stream as plain lines at the speed of the data."""
    print_lines(out, findings_lines(findings, target, path, command))


def findings_renderable(findings: list[Finding], target: str, path: str) -> Group:
    """The doctor's note as one rich renderable: what `check` prints, and what a notebook shows."""
    return Group(*findings_lines(findings, target, path))


def findings_lines(findings: list[Finding], target: str, path: str, command: str = "check") -> list[Text]:
    counts = {s: sum(1 for f in findings if f.severity is s) for s in Severity}
    title = Text.assemble((f"tfinspect {command} ", "bold"), Text(visible(path)))
    if command == "check":
        title.append(f"  (target {target})")
    parts: list[Text] = [title]
    if not findings:
        quiet = "Nothing in it reads, lists or writes files or reaches the network." if command == "scan" \
            else "No problems found."
        parts.append(Text(quiet, style="bold green"))
        return parts

    def where(f: Finding) -> tuple[str, str]:
        return (f.tag_set or "", f.signature or "")

    for (tags, signature), group in groupby(sorted(findings, key=lambda f: (where(f), f.severity.rank)),
                                            key=where):
        parts.append(Text())
        title = "the whole artifact" if not tags and not signature else ""
        if tags:
            title += f"tag-set {{{tags}}}"
        if signature:
            title += f"{', ' if title else ''}signature {signature}"
        parts.append(Text(visible(title), style="bold underline"))
        for finding in group:
            parts += finding_lines(finding)
    parts.append(Text())
    summary = ", ".join(f"{counts[s]} {s.value}{'s' if counts[s] != 1 else ''}" for s in Severity)
    parts.append(Text(summary, style="bold"))
    parts.append(Text("`tfinspect check --explain CODE` explains a rule.", style="dim"))
    return parts


def finding_lines(finding: Finding) -> list[Text]:
    """A finding as `check` prints it: severity, code and message; then the fix."""
    line = Text("  ")
    line.append(f"{finding.severity.value:<7}", style=STYLE[finding.severity])
    line.append(f" {finding.code} ", style="bold")
    line.append(visible(finding.message))
    if finding.severity is Severity.ERROR and finding.stage == "load" and finding.signature:
        line.append(" (the model does not load)", style="bold")
    lines = [line]
    if finding.count > 1:
        others = [location or message for location, message in finding.places[1:]]
        lines.append(Text(f"          and {len(others)} more: " + visible("; ".join(others))))
    return [*lines, Text(f"          fix: {visible(finding.hint)}", style="dim")]


def finding_json(finding: Finding) -> dict:
    return {
        "code": finding.code,
        "rule": finding.rule,
        "severity": finding.severity.value,
        "tag_set": tag_set_json(finding.tag_set),
        "signature_key": finding.signature,
        "location": finding.location,
        "stage": finding.stage,
        "message": finding.message,
        "hint": finding.hint,
        "count": finding.count,
        "places": [{"location": location, "message": message} for location, message in finding.places]
        or [{"location": finding.location, "message": finding.message}],
    }


def rule_json(rule: Rule) -> dict:
    return {"code": rule.code, "name": rule.name, "severity": rule.severity.value, "summary": rule.summary,
            "targets": sorted(rule.targets), "explanation": rule.explanation}


def findings_json(target: str, findings: list[Finding]) -> dict:
    return document(target=target, findings=[finding_json(f) for f in findings])


def rules_json(rules: list[Rule]) -> dict:
    """``--list-rules`` and ``--explain CODE``: the same object, one rule or all of them."""
    return document(rules=[rule_json(r) for r in rules])


def targets_json(meanings: dict[str, str]) -> dict:
    """``--explain TARGET``."""
    return document(targets=[{"target": name, "meaning": text} for name, text in meanings.items()])


def render_rules(rules: list[Rule], out: Console) -> None:
    for rule in rules:
        line = Text(f"{rule.code}  ", style="bold")
        line.append(f"{rule.severity.value:<7}", style=STYLE[rule.severity])
        line.append(f" {rule.name}: {rule.summary}")
        targets = ", ".join(sorted(rule.targets))
        line.append(f"  [{targets}]", style="dim")
        out.print(line)


def render_explanation(rule: Rule, out: Console) -> None:
    out.print(Text(f"{rule.code} {rule.name} ({rule.severity.value}; targets: {', '.join(sorted(rule.targets))})",
                   style="bold"))
    out.print(Text(rule.summary))
    out.print()
    out.print(Text(rule.explanation))


def sarif(findings: list[Finding], rules: list[Rule], artifact_uri: str) -> dict:
    """SARIF 2.1.0, as GitHub code scanning and other CI systems read it.

    A finding that folds repeats (one rule, one place, one fix) is one result per location
    here, so code-scanning tools track and dismiss each of them on its own.
    """
    index = {rule.code: i for i, rule in enumerate(rules)}
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "tfinspect",
                "version": __version__,
                "rules": [{
                    "id": rule.code,
                    "name": rule.name,
                    "shortDescription": {"text": rule.summary},
                    "fullDescription": {"text": rule.explanation},
                    "help": {"text": rule.explanation},
                    "defaultConfiguration": {"level": SARIF_LEVEL[rule.severity]},
                } for rule in rules],
            }},
            "results": [{
                "ruleId": f.code,
                "ruleIndex": index.get(f.code, 0),
                "level": SARIF_LEVEL[f.severity],
                "message": {"text": f"{f.message}. Fix: {f.hint}"},
                "properties": {"stage": f.stage},
                "locations": [{
                    "physicalLocation": {"artifactLocation": {"uri": artifact_uri}},
                    "logicalLocations": [{
                        "fullyQualifiedName": "/".join(p for p in (f.tag_set, f.signature, f.location) if p)
                        or artifact_uri,
                    }],
                }],
            } for folded in findings for f in folded.each()],
        }],
    }
