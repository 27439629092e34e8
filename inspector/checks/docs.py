"""Rule documentation generated from the rules themselves (their summary and docstring).

docs/pages/commands/check.md and docs/pages/rules/*.md hold blocks between ``<!-- rules:PREFIXES -->`` and
``<!-- /rules -->`` markers; ``python -m inspector.checks.docs --write`` rewrites
them and a test fails when they are stale, so the tables cannot drift from the code.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from . import RULES
from .core import EVERY_TARGET, TARGET_MEANING, Rule

BLOCK = re.compile(r"(<!-- rules:(?P<spec>[A-Za-z0-9,:\-]+) -->\n)(?P<body>.*?)(<!-- /rules -->)", re.DOTALL)
DOCUMENTED = ("docs/pages/commands/check.md", "docs/pages/rules/graph.md", "docs/pages/rules/signatures.md",
              "docs/pages/rules/releases.md", "docs/pages/rules/security.md")


def targets_text(rule: Rule) -> str:
    return "all" if rule.targets == EVERY_TARGET else ", ".join(sorted(rule.targets))


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def rules_table(prefixes: list[str]) -> str:
    rows = ["| code | severity | targets | finds |", "|---|---|---|---|"]
    for code in sorted(RULES):
        rule = RULES[code]
        if any(code.startswith(p) for p in prefixes):
            rows.append(f"| {code} | {rule.severity.value} | {targets_text(rule)} | {_cell(rule.summary)} |")
    return "\n".join(rows) + "\n"


def rules_reference(prefixes: list[str]) -> str:
    parts = []
    for code in sorted(RULES):
        rule = RULES[code]
        if any(code.startswith(p) for p in prefixes):
            parts.append(f"### {code} {rule.name}\n\n{rule.severity.value}; targets: {targets_text(rule)}.\n\n"
                         f"{rule.explanation}\n")
    return "\n".join(parts)


def targets_table() -> str:
    rows = ["| target | means |", "|---|---|"]
    rows += [f"| `{name}` | {_cell(text)} |" for name, text in TARGET_MEANING.items()]
    return "\n".join(rows) + "\n"


def render(spec: str) -> str:
    kind, _, prefixes = spec.partition(":")
    if kind == "targets":
        return targets_table()
    codes = prefixes.split(",")
    return rules_table(codes) if kind == "table" else rules_reference(codes)


def refresh(text: str) -> str:
    return BLOCK.sub(lambda m: m.group(1) + render(m.group("spec")) + m.group(4), text)


def main(argv: list[str]) -> int:
    root = Path(argv[argv.index("--root") + 1]) if "--root" in argv else Path.cwd()
    stale = []
    for name in DOCUMENTED:
        path = root / name
        text = path.read_text(encoding="utf-8")
        fresh = refresh(text)
        if fresh != text:
            stale.append(name)
            if "--write" in argv:
                path.write_text(fresh, encoding="utf-8")
    print(("rewrote " if "--write" in argv else "stale: ") + ", ".join(stale) if stale else "rule docs are current")
    return 1 if stale and "--write" not in argv else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
