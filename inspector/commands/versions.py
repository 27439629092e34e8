"""`tfinspect versions ROOT`: the numbered versions of a model base path, as TF Serving sees them."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ..errors import SelectionError
from . import common

if TYPE_CHECKING:
    from ..analysis.versions import Policy
    from ..model.artifact import Artifact


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("root", metavar="ROOT", help="the model base path TF Serving watches (holds 1/, 2/, ...)")
    parser.add_argument("--policy", nargs="+", metavar="POLICY", default=["latest"],
                        help="TF Serving's model_version_policy: latest [N] (default: latest 1), all, "
                        "or specific N,M")
    common.add_json(parser)


def parse_policy(words: list[str]) -> Policy:
    from ..analysis.versions import POLICIES, Policy

    name, rest = words[0], words[1:]
    if name not in POLICIES:
        raise SelectionError(None, f"unknown policy {name!r}", "use latest [N], all, or specific N,M")
    numbers = []
    for word in rest:
        for part in word.split(","):
            if part.strip():
                try:
                    numbers.append(int(part))
                except ValueError:
                    raise SelectionError(None, f"{part!r} is not a version number",
                                         "write --policy specific 1,3") from None
    if name == "specific":
        if not numbers:
            raise SelectionError(None, "--policy specific needs version numbers", "write --policy specific 1,3")
        return Policy("specific", versions=tuple(numbers))
    if name == "latest":
        if len(numbers) > 1 or (numbers and numbers[0] < 1):
            raise SelectionError(None, "--policy latest takes one count of at least 1", "write --policy latest 2")
        return Policy("latest", num_versions=numbers[0] if numbers else 1)
    if numbers:
        raise SelectionError(None, "--policy all takes no numbers", "write --policy all")
    return Policy("all")


def _serving_releases(view) -> None:
    """Each loadable version's TF Serving releases (the compat verdict of its serving MetaGraph)."""
    from ..checks.verdicts import compat_report, every_signature

    for version in view.versions:
        if version.artifact is None:
            continue
        whole = every_signature(compat_report(version.artifact, str(version.path), ("tf-serving",)))
        version.serving_releases, version.serving_summary = list(whole.runs_on), whole.summary()


def _check(artifact: Artifact) -> tuple[list[str], int]:
    """What `tfinspect check` (target tf-serving) finds: error lines and the warning count."""
    from ..checks import CheckContext, Severity, run_checks

    findings = run_checks(CheckContext(artifact=artifact, target="tf-serving"))
    errors = [f"{f.code} {f.message}" for f in findings if f.severity is Severity.ERROR]
    return errors, sum(1 for f in findings if f.severity is Severity.WARNING)


def run(args: argparse.Namespace) -> int:
    from ..analysis.versions import versions_view
    from ..report import jsonout
    from ..report.style import console
    from ..report.versions import render_versions, versions_json

    policy = parse_policy(args.policy)
    from ..checks.op_registry import registered_ops

    known = registered_ops()
    view = versions_view(args.root, policy, check=_check, registered_ops=known[0] if known else None)
    _serving_releases(view)
    if args.json:
        jsonout.emit(versions_json(view))
    else:
        render_versions(view, console())
    served = view.served
    return 0 if served and all(v.healthy for v in served) else 1
