"""`tfinspect check`: rules that find why a model will fail to load or serve.

Rule modules register themselves on import; RULE_MODULES lists them.
"""

from __future__ import annotations

import importlib

from .context import CheckContext
from .core import RULES, TARGETS, Finding, Issue, Rule, Severity, run_rules, selected_rules

RULE_MODULES = ("loading", "signatures", "python_load", "requests", "variables", "storage", "ops", "security")

for _name in RULE_MODULES:
    importlib.import_module(f"{__name__}.{_name}")

__all__ = ["RULES", "TARGETS", "CheckContext", "Finding", "Issue", "Rule", "Severity", "run_checks",
           "selected_rules"]


def run_checks(context: CheckContext, select: list[str] | None = None,
               ignore: list[str] | None = None) -> list[Finding]:
    return run_rules(context, selected_rules(context.target, select, ignore))
