"""`tfinspect check`: rules that find why a model will fail to load or serve.

Rule modules register themselves on import; RULE_MODULES lists them.  Importing this
package is cheap (the targets and the rule vocabulary of ``core``): the rule modules,
and the model and analysis modules they need, are imported the first time ``RULES``,
``CheckContext`` or ``run_checks`` is asked for, so ``tfinspect check --help`` starts
without them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from .core import TARGETS, Finding, Issue, Rule, Severity, run_rules, selected_rules

if TYPE_CHECKING:
    from .context import CheckContext
    from .core import RULES

RULE_MODULES = ("loading", "signatures", "python_load", "requests", "variables", "storage", "ops", "releases",
                "security")

__all__ = ["RULES", "TARGETS", "CheckContext", "Finding", "Issue", "Rule", "Severity", "run_checks",
           "selected_rules"]


def _rules() -> dict[str, Rule]:
    for name in RULE_MODULES:
        importlib.import_module(f"{__name__}.{name}")
    from .core import RULES

    return RULES


def __getattr__(name: str):
    if name == "RULES":
        return _rules()
    if name == "CheckContext":
        from .context import CheckContext

        return CheckContext
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def run_checks(context: CheckContext, select: list[str] | None = None,
               ignore: list[str] | None = None) -> list[Finding]:
    _rules()
    return run_rules(context, selected_rules(context.target, select, ignore))
