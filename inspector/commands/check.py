"""`tfinspect check PATH`: why a model will fail in TF Serving, Vertex AI or Python, before deploying."""

from __future__ import annotations

import argparse

from ..checks import RULES, TARGETS, CheckContext, Finding, Severity, run_checks, selected_rules
from ..checks.core import TARGET_MEANING, run_rules
from ..checks.loading import missing_graph_file
from ..errors import InspectorError, SelectionError
from ..load.location import as_path
from ..report import jsonout
from ..report.check import finding_json, render_explanation, render_findings, render_rules, rule_json, sarif
from ..report.style import console
from . import common


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", nargs="?", help="the artifact to check (a SavedModel directory usually)")
    parser.add_argument("--version", dest="model_version", type=int, metavar="N",
                        help="for a version tree, check version N instead of the newest")
    parser.add_argument("--target", choices=TARGETS, default="tf-serving",
                        help="the loader that will run the model: " + "; ".join(
                            f"{name}: {text}" for name, text in TARGET_MEANING.items()).replace("%", "%%"))
    parser.add_argument("--select", metavar="CODES", help="only these rule codes or prefixes (comma-separated)")
    parser.add_argument("--ignore", metavar="CODES", help="leave out these rule codes or prefixes")
    parser.add_argument("--strict", action="store_true", help="exit 1 on warnings too")
    parser.add_argument("--tf-version", metavar="X.Y",
                        help="the TensorFlow version that will load the model (checks producer/min_consumer)")
    parser.add_argument("--inputs", metavar="TENSORS", help="for graphs without signatures: the input tensors")
    parser.add_argument("--outputs", metavar="TENSORS", help="for graphs without signatures: the output tensors")
    parser.add_argument("--format", choices=("table", "json", "sarif"), default="table",
                        help="table (default), json, or sarif for code-scanning tools")
    parser.add_argument("--json", action="store_true", help="same as --format json")
    parser.add_argument("--explain", metavar="CODE", help="explain one rule (or what a target means) and exit")
    parser.add_argument("--list-rules", action="store_true", help="list every rule and exit")


def _codes(text: str | None) -> list[str] | None:
    return [c.strip().upper() for c in text.split(",") if c.strip()] if text else None


def run(args: argparse.Namespace) -> int:
    fmt = "json" if args.json else args.format
    if args.explain and args.explain.strip().lower() in TARGET_MEANING:
        name = args.explain.strip().lower()
        if fmt == "table":
            console().print(f"target {name}: {TARGET_MEANING[name]}", markup=False, highlight=False)
        else:
            jsonout.emit({"schema_version": 1, "targets": [{"target": name, "meaning": TARGET_MEANING[name]}]})
        return 0
    if args.explain:
        rule = RULES.get(args.explain.strip().upper())
        if rule is None:
            raise SelectionError(None, f"no rule or target {args.explain!r}",
                                 f"tfinspect check --list-rules lists the rules; targets: {', '.join(TARGETS)}")
        if fmt == "table":
            render_explanation(rule, console())
        else:
            jsonout.emit(rule_json(rule))
        return 0
    if args.list_rules:
        rules = [RULES[c] for c in sorted(RULES)]
        if fmt == "table":
            render_rules(rules, console())
        else:
            jsonout.emit([rule_json(r) for r in rules])
        return 0
    if not args.path:
        raise SelectionError(None, "check needs a PATH (or --explain CODE / --list-rules)")
    select, ignore = _codes(args.select), _codes(args.ignore)
    for code in (select or []) + (ignore or []):
        if not any(c.startswith(code) for c in RULES):
            raise SelectionError(None, f"no rule code starts with {code!r}", "tfinspect check --list-rules")
    rules = selected_rules(args.target, select, ignore)
    findings = _findings(args, rules, select, ignore)
    if fmt == "json":
        jsonout.emit({"target": args.target, "findings": [finding_json(f) for f in findings]})
    elif fmt == "sarif":
        jsonout.emit(sarif(findings, rules, str(args.path)))
    else:
        render_findings(findings, args.target, str(args.path), console())
    worst = {f.severity for f in findings}
    if Severity.ERROR in worst or (args.strict and Severity.WARNING in worst):
        return 1
    return 0


def _findings(args: argparse.Namespace, rules, select, ignore) -> list[Finding]:
    early = missing_graph_file(as_path(args.path))
    if early is not None:
        if any(r.code == "TFI101" for r in rules):
            rule = RULES["TFI101"]
            return [Finding(rule.code, rule.severity, early.message, early.hint, None, None, None, rule.name)]
        raise InspectorError(args.path, early.message, early.hint)
    artifact = common.load_artifact(args)
    context = CheckContext(
        artifact=artifact, target=args.target, tf_version=args.tf_version,
        inputs=[t.strip() for t in (args.inputs or "").split(",") if t.strip()],
        outputs=[t.strip() for t in (args.outputs or "").split(",") if t.strip()],
    )
    return run_rules(context, rules) if rules else run_checks(context, select, ignore)
