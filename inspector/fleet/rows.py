"""The function every runner maps over a registry: one artifact in, one inventory row out.

Tasks and rows are plain data (a root, a ``Found``, a target name; a dict), so they
cross process boundaries and Beam workers unchanged.  The check engine is bound here,
in the worker, once per process.
"""

from __future__ import annotations

import functools
import os

from ..analysis.audit import AuditOptions, Found, audit_one
from ..checks import selected_rules
from ..checks.runner import check_artifact, early_findings
from ..errors import InspectorError

Task = tuple[str, Found]  # (root, what discovery found under it)


def audit_row(root: str, found: Found | str, target: str = "tf-serving") -> dict:
    """The inventory row of one artifact, with the verdicts of ``tfinspect check --target TARGET``."""
    return audit_one(root, found, options(target))


def audit_task(task: Task, target: str = "tf-serving") -> dict:
    return audit_row(task[0], task[1], target)


@functools.cache
def options(target: str = "tf-serving") -> AuditOptions:
    rules = selected_rules(target)
    return AuditOptions(target=target, check=functools.partial(_verdict, target),
                        rule_codes=frozenset(rule.code for rule in rules))


def _verdict(target: str, path: str | os.PathLike, artifact) -> list | None:
    """What ``tfinspect check PATH --target TARGET`` finds; None when it would stop with exit 2."""
    rules = selected_rules(target)
    try:
        early = early_findings(path, rules)
    except InspectorError:
        return None
    if early is not None:
        return early
    if artifact is None:
        return None
    return check_artifact(artifact, rules, target=target)
