"""`tfinspect graph PATH -o OUT`: a Graphviz diagram of an exported graph."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ..analysis import graphsel
from ..errors import InspectorError, SelectionError
from ..model.artifact import ArtifactKind
from ..report.dot import DotOptions, build_dot
from ..report.sanitize import visible
from . import common

FORMATS = {".dot": None, ".gv": None, ".svg": "svg", ".png": "png", ".pdf": "pdf"}
INSTALL_HINT = ("install Graphviz (apt-get install graphviz, or brew install graphviz) to render "
                ".svg/.png/.pdf; writing .dot works without it")

TIMEOUT_HINT = ("draw less: --control hide (control edges cost the most layout time), a lower --depth "
                "or --max-nodes, --fold-consts, --signature, --scope, --around NODE, --function; "
                "or raise --timeout; or write .dot and lay it out yourself")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    common.add_path(parser)
    common.add_tag_set(parser)
    parser.add_argument("-o", "--output", required=True, metavar="OUT",
                        help="output file; the extension picks the format: .dot, .svg, .png, .pdf; "
                        "- writes DOT to stdout")
    pick = parser.add_argument_group("what to draw")
    pick.add_argument("--signature", metavar="KEY",
                      help="only what this SignatureDef's outputs need, from its inputs")
    pick.add_argument("--inputs", metavar="A,B", help="comma-separated tensor or node names to stop at")
    pick.add_argument("--outputs", metavar="C,D", help="comma-separated tensor or node names to draw back from")
    pick.add_argument("--scope", metavar="PREFIX", help="only nodes under this name scope")
    pick.add_argument("--around", metavar="NODE", help="only the neighbourhood of this node")
    pick.add_argument("--hops", type=int, default=2, metavar="K", help="neighbourhood size for --around (2)")
    pick.add_argument("--function", metavar="NAME", help="draw this library function's body")
    pick.add_argument("--expand-calls", action="store_true",
                      help="draw called functions' bodies inline as clusters")
    look = parser.add_argument_group("how to draw it")
    look.add_argument("--depth", type=int, metavar="N",
                      help="collapse name scopes deeper than N levels into one box each")
    look.add_argument("--fold-consts", action="store_true",
                      help="fold small single-use constants into their consumer's label")
    look.add_argument("--edge-labels", choices=("none", "shape", "full"), default="shape",
                      help="edge labels: none, dtype[shape] (default) or tensor name plus dtype[shape]")
    look.add_argument("--control", choices=("hide", "dashed"), default="dashed",
                      help="control dependencies: dashed grey edges (default) or hidden")
    look.add_argument("--rankdir", choices=("TB", "LR"), default="TB", help="layout direction (TB)")
    look.add_argument("--max-nodes", type=int, default=1500, metavar="N",
                      help="collapse scopes automatically above this many boxes (1500)")
    look.add_argument("--timeout", type=float, default=120.0, metavar="SECONDS",
                      help="time limit for the Graphviz dot renderer (120)")


def run(args: argparse.Namespace) -> int:
    out = args.output
    suffix = "" if out == "-" else Path(out).suffix.lower()
    if out != "-" and suffix not in FORMATS:
        raise InspectorError(out, f"unknown output format {suffix or '(no extension)'!r}",
                             "use .dot, .svg, .png or .pdf, or -o - for DOT on stdout")
    if args.depth is not None and args.depth < 1:
        raise InspectorError(None, "--depth must be at least 1")
    fmt = FORMATS.get(suffix)
    dot_binary = shutil.which("dot") if fmt else None
    if fmt and dot_binary is None:
        raise InspectorError(out, "the Graphviz 'dot' program was not found", INSTALL_HINT)

    artifact = common.load_artifact(args)
    if artifact.kind == ArtifactKind.CHECKPOINT:
        raise InspectorError(artifact.path, "a checkpoint holds no graph to draw",
                             "pass the .meta file or SavedModel that goes with it")
    meta = artifact.meta_graph(args.tag_set)
    view, names = _select(args, meta)
    title = Path(artifact.path).name + (f" ({meta.tag_label})" if meta.tags else "")
    view.title = f"{title}: {args.function or args.signature or 'graph'}"
    selection = graphsel.Selection(sorted(names))
    if args.depth is not None:
        graphsel.collapse(view.index, selection, args.depth)
    if not graphsel.fit(view.index, selection, args.max_nodes):
        raise InspectorError(args.path, f"the selection has {len(names)} nodes, too many to draw even "
                             f"at --depth 1 (limit --max-nodes {args.max_nodes})",
                             "narrow it with --signature, --scope or --around, or lower --depth")
    if selection.auto_depth:
        sys.stderr.write(f"tfinspect: note: {len(names)} nodes exceed --max-nodes {args.max_nodes}; "
                         f"collapsed scopes below --depth {selection.depth} "
                         f"({selection.drawn_count} boxes)\n")
    if args.fold_consts:
        graphsel.fold_constants(view.index, selection)
    options = DotOptions(edge_labels=args.edge_labels, control=args.control, rankdir=args.rankdir)
    source = build_dot(view, selection, meta.stripped_op_list, options)
    if out == "-":
        sys.stdout.write(source)
        return 0
    data = source.encode("utf-8") if fmt is None else _render(dot_binary, source, fmt, args.timeout, out)
    _write_atomic(Path(out), data)
    return 0


def _select(args: argparse.Namespace, meta):
    if args.function:
        view = graphsel.function_view(meta.functions, args.function)
    else:
        view = graphsel.graph_view(meta)
    if args.expand_calls:
        view = graphsel.expand_calls(view, meta.functions)
    names = set(view.index.nodes)
    if args.signature:
        if args.function:
            raise SelectionError(None, "--signature and --function cannot be combined")
        names, ins, outs = graphsel.signature_nodes(meta, view, args.signature)
        view.inputs, view.outputs = ins, outs
    if args.outputs:
        outs = {n for n, _ in graphsel.resolve(view, _split(args.outputs), "--outputs")}
        ins = {n for n, _ in graphsel.resolve(view, _split(args.inputs or ""), "--inputs")}
        names &= graphsel.backward(view.index, sorted(outs), ins)
        view.inputs, view.outputs = ins | (view.inputs & names), outs
    elif args.inputs:
        raise SelectionError(None, "--inputs needs --outputs (the tensors to draw back from)")
    if args.scope:
        names = graphsel.in_scope(names, args.scope)
        if not names:
            raise SelectionError(None, f"no node in scope {args.scope!r}",
                                 "top-level scopes: " + ", ".join(view.index.top_level_scopes()[:20]))
    if args.around:
        names &= graphsel.around(view.index, args.around, args.hops)
    return view, names


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


# Graphviz's spline router fails on some real graphs ("triangulation failed", "lost
# ... edge"); these routers still draw every edge: polyline bends, line is straight.
SPLINE_FALLBACKS = ("polyline", "line")
_ROUTING_ERRORS = ("triangulation failed", "lost ", "routesplines", "Pshortestpath")


def _render(dot_binary: str, source: str, fmt: str, timeout: float, out: str) -> bytes:
    deadline = time.monotonic() + timeout
    tried: list[str] = []
    first_error = ""
    for splines in (None, *SPLINE_FALLBACKS):
        extra = [f"-Gsplines={splines}"] if splines else []
        done = _run_dot([dot_binary, f"-T{fmt}", *extra], source, deadline, timeout, out)
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        if done.returncode == 0:
            if tried:
                sys.stderr.write(f"tfinspect: note: Graphviz could not route the edges with "
                                 f"{' or '.join(tried)} ({visible(first_error)}); drew them with "
                                 f"splines={splines} instead\n")
            return done.stdout
        if not any(word in line for line in message for word in _ROUTING_ERRORS):
            break
        tried.append(f"splines={splines}" if splines else "the default splines")
        first_error = first_error or message[-1]
    raise InspectorError(out, f"Graphviz dot failed (exit {done.returncode})",
                         visible(message[-1]) if message else None)


def _run_dot(command: list[str], source: str, deadline: float, timeout: float, out: str):
    try:
        return subprocess.run(command, input=source.encode("utf-8"), capture_output=True,
                              timeout=max(deadline - time.monotonic(), 0.001), check=False)
    except subprocess.TimeoutExpired:
        raise InspectorError(out, f"Graphviz dot did not finish within {timeout:g} s",
                             TIMEOUT_HINT) from None
    except OSError as exc:
        raise InspectorError(out, f"could not run Graphviz dot: {exc}", INSTALL_HINT) from None


def _write_atomic(path: Path, data: bytes) -> None:
    """Write next to the target, then rename: a failure never leaves a partial file."""
    temp = None
    try:
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)
        os.replace(temp, path)
    except OSError as exc:
        if temp is not None:
            Path(temp).unlink(missing_ok=True)
        raise InspectorError(path, f"cannot write the output: {exc.strerror or exc}") from None
