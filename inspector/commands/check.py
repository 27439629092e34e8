"""`tfinspect check PATH`: why a model will fail in TF Serving, Vertex AI or Python, before deploying."""

from __future__ import annotations

import argparse

from ..errors import SelectionError
from . import common


def add_release_arguments(parser: argparse.ArgumentParser) -> None:
    """--tf-version, --serving-version, --vertex-container: the release that will load the model."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--tf-version", metavar="X.Y",
                       help="the TensorFlow release that will load the model: its ops, attributes, kernels "
                            "and GraphDef version (2.12 to 2.21 precisely; `tfinspect compat` lists them)")
    group.add_argument("--serving-version", metavar="X.Y",
                       help="the TF Serving release that will serve the model (built from TensorFlow X.Y)")
    group.add_argument("--vertex-container", metavar="IMAGE",
                       help="the Vertex AI prebuilt prediction container, e.g. "
                            "us-docker.pkg.dev/vertex-ai/prediction/tf2-cpu.2-15:latest")


def release_argument(args: argparse.Namespace) -> str | None:
    """The TensorFlow release the options name, or None; a SelectionError for one that names none."""
    from ..registry import reader as registry

    if getattr(args, "vertex_container", None):
        release = registry.vertex_release(args.vertex_container)
        if release is None:
            raise SelectionError(None, f"{args.vertex_container!r} is not a Vertex AI prebuilt TensorFlow "
                                       f"prediction container", "give its image name, e.g. tf2-cpu.2-15")
        return release
    text = getattr(args, "serving_version", None) or getattr(args, "tf_version", None)
    if not text:
        return None
    release = registry.release_of(text)
    if release is None:
        raise SelectionError(None, f"{text!r} is not a release number", "give it as X.Y, e.g. 2.15")
    return release


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..checks import TARGETS
    from ..checks.core import TARGET_MEANING

    common.GraphArgs(path_optional=True, path_help="the artifact to check (a SavedModel directory usually)",
                     version_help="for a version tree, check version N instead of the newest",
                     tag_help=None).add_to(parser)
    parser.add_argument("--target", choices=TARGETS, default="tf-serving",
                        help="the loader that will run the model: " + "; ".join(
                            f"{name}: {text}" for name, text in TARGET_MEANING.items()).replace("%", "%%"))
    parser.add_argument("--select", metavar="CODES",
                        help="only these rule codes, prefixes or families (comma-separated); "
                        "'security' is TFI8xx, what running the model can do to files and the network")
    parser.add_argument("--ignore", metavar="CODES", help="leave out these rule codes or prefixes")
    parser.add_argument("--strict", action="store_true",
                        help="exit 1 on warnings too (a security finding always exits 1)")
    add_release_arguments(parser)
    parser.add_argument("--inputs", metavar="TENSORS", help="for graphs without signatures: the input tensors")
    parser.add_argument("--outputs", metavar="TENSORS", help="for graphs without signatures: the output tensors")
    parser.add_argument("--deep", action=argparse.BooleanOptionalAction, default=None,
                        help="read every checkpoint tensor and compare its crc32c (done anyway for a local "
                        "checkpoint up to 256 MiB); --no-deep checks the shard sizes only")
    parser.add_argument("--format", choices=("table", "json", "sarif"), default="table",
                        help="table (default), json, or sarif for code-scanning tools")
    parser.add_argument("--json", action="store_true", help="same as --format json")
    parser.add_argument("--explain", metavar="CODE", help="explain one rule (or what a target means) and exit")
    parser.add_argument("--list-rules", action="store_true", help="list every rule and exit")


def run(args: argparse.Namespace) -> int:
    from ..checks import RULES, TARGETS, runner
    from ..checks.core import TARGET_MEANING, fails
    from ..report import jsonout
    from ..report.check import (
        findings_json,
        render_explanation,
        render_findings,
        render_rules,
        rules_json,
        sarif,
        targets_json,
    )
    from ..report.style import console

    fmt = "json" if args.json else args.format
    if args.explain and args.explain.strip().lower() in TARGET_MEANING:
        name = args.explain.strip().lower()
        if fmt == "table":
            console().print(f"target {name}: {TARGET_MEANING[name]}", markup=False, highlight=False)
        else:
            jsonout.emit(targets_json({name: TARGET_MEANING[name]}))
        return 0
    if args.explain:
        rule = RULES.get(args.explain.strip().upper())
        if rule is None:
            raise SelectionError(None, f"no rule or target {args.explain!r}",
                                 f"tfinspect check --list-rules lists the rules; targets: {', '.join(TARGETS)}")
        if fmt == "table":
            render_explanation(rule, console())
        else:
            jsonout.emit(rules_json([rule]))
        return 0
    if args.list_rules:
        rules = [RULES[c] for c in sorted(RULES)]
        if fmt == "table":
            render_rules(rules, console())
        else:
            jsonout.emit(rules_json(rules))
        return 0
    if not args.path:
        raise SelectionError(None, "check needs a PATH (or --explain CODE / --list-rules)")
    select, ignore = runner.parse_codes(args.select), runner.parse_codes(args.ignore)
    findings, rules = runner.find(args.path, version=args.model_version, target=args.target, select=select,
                                  ignore=ignore, tf_version=release_argument(args), inputs=runner.names(args.inputs),
                                  outputs=runner.names(args.outputs), deep=args.deep)
    if fmt == "json":
        jsonout.emit(findings_json(args.target, findings))
    elif fmt == "sarif":
        jsonout.emit(sarif(findings, rules, str(args.path)))
    else:
        render_findings(findings, args.target, str(args.path), console())
    return 1 if fails(findings, args.strict) else 0

