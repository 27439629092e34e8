"""`tfinspect metadata PATH`: the body of TF Serving's GET /v1/models/NAME[/versions/N]/metadata."""

from __future__ import annotations

import argparse
import json
import sys

from ..sanitize import visible
from . import common

GROUP = common.GraphArgs(serving=True, path_help="SavedModel directory, or a version tree (model/1, model/2, ...)",
                         version_help="the version the server reports (and, in a version tree, the one to read)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    GROUP.add_to(parser)
    common.add_serving(parser, signature=False)
    parser.add_argument("--json", action="store_true",
                        help="wrap the response in an object with schema_version, url_path and notes")


def run(args: argparse.Namespace) -> int:
    from ..analysis.metadata import metadata_response, served_version
    from ..analysis.requests import model_name
    from ..report import jsonout
    from ..report.requests import metadata_json

    artifact = GROUP.load(args)
    meta = GROUP.meta_graph(args, artifact)
    name = model_name(artifact, args.model_name)
    version, note = served_version(artifact, args.model_version)
    response = metadata_response(meta, name, version)
    url = f"/v1/models/{name}" + (f"/versions/{args.model_version}" if args.model_version is not None else "")
    if args.json:
        jsonout.emit(metadata_json(url + "/metadata", list(meta.tags), [note] if note else [], response))
        return 0
    if note:
        sys.stderr.write(f"tfinspect: note: {visible(note)}\n")
    # JSON escapes control characters; ASCII-only keeps bidi and invisible characters visible too.
    sys.stdout.write(json.dumps(response, indent=2, ensure_ascii=True) + "\n")
    return 0
