"""`tfinspect scan PATH`: what running the model can do to files and the network; `check --select security`."""

from __future__ import annotations

import argparse

from . import common


def add_arguments(parser: argparse.ArgumentParser) -> None:
    common.GraphArgs(path_help="the artifact to scan: a SavedModel (binary or text), a .meta file or a frozen graph",
                     version_help="for a version tree, scan version N instead of the newest",
                     tag_help=None).add_to(parser)
    parser.add_argument("--format", choices=("table", "json", "sarif"), default="table",
                        help="table (default), json, or sarif for code-scanning tools")
    parser.add_argument("--json", action="store_true", help="same as --format json")


def run(args: argparse.Namespace) -> int:
    from ..checks import runner
    from ..checks.core import SECURITY, fails
    from ..report import jsonout
    from ..report.check import findings_json, render_findings, sarif
    from ..report.style import console

    fmt = "json" if args.json else args.format
    # Every MetaGraph is scanned whatever the target: "python" only names the loader in the report.
    findings, rules = runner.find(args.path, version=args.model_version, target="python", select=[SECURITY])
    if fmt == "json":
        jsonout.emit(findings_json("python", findings))
    elif fmt == "sarif":
        jsonout.emit(sarif(findings, rules, str(args.path)))
    else:
        render_findings(findings, "python", str(args.path), console(), command="scan")
    return 1 if fails(findings) else 0
