"""`tfinspect request PATH --validate BODY.json`: glue between the body file, the checks and the report."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InspectorError, NotFound, UnreadableInput

if TYPE_CHECKING:
    from ..analysis.json_request import Checked
    from ..model.artifact import Artifact
    from ..model.metagraph import MetaGraph

MAX_BODY = 256 * 1024 * 1024


def read_body(path: str) -> tuple[object, int]:
    """The parsed JSON of a body file and its size; InspectorError (exit 2) when it cannot be read or parsed."""
    file = Path(path)
    if not file.is_file():
        raise NotFound(path, "no such request body file", "pass the JSON file you would POST")
    if file.stat().st_size > MAX_BODY:
        raise UnreadableInput(path, f"the body is larger than {MAX_BODY} bytes", "no server takes a body this large")
    try:
        raw = file.read_bytes()
        return json.loads(raw.decode("utf-8")), len(raw)
    except OSError as exc:
        raise UnreadableInput(path, f"cannot read the body ({exc.strerror})", "check the file's permissions") from None
    except UnicodeDecodeError:
        raise UnreadableInput(path, "the body is not UTF-8 text", "save the JSON as UTF-8") from None
    except json.JSONDecodeError as exc:
        raise UnreadableInput(path, f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
                              "fix the JSON syntax (TF Serving answers 'JSON Parse error')") from None
    except RecursionError:
        raise UnreadableInput(path, "the JSON nests too deeply to read", "no tensor has this many dimensions") from None


def check_file(meta: MetaGraph, body_path: str, key: str | None, target: str) -> Checked:
    from ..analysis.examples import example_inputs, features_of
    from ..analysis.json_request import check_body
    from ..analysis.requests import DEFAULT_SIGNATURE

    body, size = read_body(body_path)
    signatures = {k: s for k, s in meta.signatures.items() if not s.internal}
    features = {k: {alias: features_of(parsers) for alias, parsers in example_inputs(meta, s).items()}
                for k, s in signatures.items()}
    checked = check_body(body, signatures, key or DEFAULT_SIGNATURE, target=target, features=features, size=size)
    if key and checked.signature_key and checked.signature_key != key:
        checked.problems.insert(0, _mismatch(key, checked.signature_key))
    return checked


def _mismatch(asked: str, named: str):
    from ..analysis.json_values import Problem

    return Problem("$.signature_name", "signature", f"the body names signature {named!r}, which the server "
                   f"runs, but --signature asks about {asked!r}")


def validate(args: argparse.Namespace, artifact: Artifact, meta: MetaGraph) -> int:
    from ..report import jsonout
    from ..report.requests import checked_json, render_checked
    from ..report.style import console

    try:
        checked = check_file(meta, args.validate, args.signature, args.target)
    except RecursionError:
        raise InspectorError(args.validate, "the JSON nests too deeply to check", None) from None
    if args.json:
        jsonout.emit(checked_json(checked, args.validate))
    else:
        render_checked(checked, args.validate, console())
    return 1 if checked.errors else 0
