"""The function every runner maps over a registry: one artifact in, one inventory row out.

Tasks and rows are plain data (a root, a ``Found``, a target name; a dict), so they
cross process boundaries and Beam workers unchanged.  The check engine is bound here,
in the worker, once per process.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass

from ..analysis.audit import AuditOptions, Found, audit_one
from ..checks import selected_rules
from ..checks.runner import check_artifact, load_for_check
from ..errors import InspectorError
from ..model.artifact import Artifact

Task = tuple[str, Found]  # (root, what discovery found under it)


@dataclass(frozen=True)
class Verdicts:
    """What each row is judged by: ``check --target TARGET``, and with ``compat`` the releases that run it."""

    target: str = "tf-serving"
    compat: bool = False


DEFAULT = Verdicts()


def audit_row(root: str, found: Found | str, verdicts: Verdicts = DEFAULT) -> dict:
    """The inventory row of one artifact, with the verdicts of ``tfinspect check --target TARGET``."""
    return audit_one(root, found, options(verdicts))


def audit_task(task: Task, verdicts: Verdicts = DEFAULT) -> dict:
    return audit_row(task[0], task[1], verdicts)


@functools.cache
def options(verdicts: Verdicts = DEFAULT) -> AuditOptions:
    rules = selected_rules(verdicts.target)
    return AuditOptions(target=verdicts.target, check=functools.partial(_verdict, verdicts.target),
                        rule_codes=frozenset(rule.code for rule in rules),
                        compat=_compat if verdicts.compat else None)


def _compat(artifact: Artifact, path: str) -> dict:
    """What ``tfinspect compat`` says, per loader for the whole export: the releases that run every signature."""
    from ..checks.verdicts import compat_report, every_signature

    report = compat_report(artifact, path)
    loaders = {}
    for loader in sorted({unit.loader for unit in report.units}):
        unit = every_signature(report, loader)
        loaders[loader] = {"releases": list(unit.runs_on),
                           "ranges": [{"from": low, "to": high} for low, high in unit.ranges]}
    serving = loaders.get("tf-serving", {}).get("ranges", [])
    label = ", ".join(low if low == high else f"{low}-{high}" for low, high in
                      ((r["from"], r["to"]) for r in serving)) or "none"
    return {"written_by": report.written_by, "range": f"TF Serving {label}", "loaders": loaders}


def _verdict(target: str, path: str | os.PathLike, artifact) -> list | None:
    """What ``tfinspect check PATH --target TARGET`` finds; None when it would stop with exit 2."""
    rules = selected_rules(target)
    if artifact is None:
        try:
            artifact = load_for_check(path, rules)
        except InspectorError:
            return None
    return check_artifact(artifact, rules, target=target)
