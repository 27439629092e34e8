"""`tfinspect request PATH`: the REST body a model server takes for a signature; --validate checks one."""

from __future__ import annotations

import argparse

from . import common


def add_arguments(parser: argparse.ArgumentParser) -> None:
    common.SERVING.add_to(parser)
    common.add_serving(parser)
    parser.add_argument("--format", choices=("row", "columnar"),
                        help="predict body: row ({\"instances\": [...]}) or columnar ({\"inputs\": {...}}); "
                        "default row when every input has a batch dimension")
    parser.add_argument("--target", choices=("tf-serving", "vertex"), default="tf-serving",
                        help="the server the body is for (default tf-serving)")
    parser.add_argument("--validate", metavar="BODY.json",
                        help="check this request body as the server converts it; exit 1 if it has problems")
    parser.add_argument("--body", action="store_true", help="print only the JSON body")
    common.add_json(parser)


def run(args: argparse.Namespace) -> int:
    from ..analysis.requests import build_request, serving_signature
    from ..report import jsonout
    from ..report.requests import body_text, render_template, template_json
    from ..report.style import console

    artifact, meta = common.SERVING.load_graph(args)
    if args.validate:
        from .request_validate import validate

        return validate(args, artifact, meta)
    signature = serving_signature(artifact, meta, args.signature)
    template = build_request(artifact, meta, signature, fmt=args.format, target=args.target,
                             name=args.model_name, version=args.model_version)
    if args.body:
        print(body_text(template.body))
    elif args.json:
        jsonout.emit(template_json(template))
    else:
        render_template(template, console())
    return 0
