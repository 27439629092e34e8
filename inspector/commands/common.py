"""Option groups shared by the subcommands, each defined once."""

from __future__ import annotations

import argparse

from ..load import load
from ..model.artifact import Artifact


def add_path(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "path",
        help="SavedModel directory (or saved_model.pb), version tree, .meta file, "
        "frozen GraphDef (.pb/.pbtxt), or checkpoint (prefix, .index, or directory)",
    )
    parser.add_argument(
        "--version", dest="model_version", type=int, metavar="N",
        help="for a SavedModel version tree (model/1, model/2, ...): inspect version N "
        "instead of the newest",
    )


def add_tag_set(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--tag-set", metavar="TAGS",
        help="comma-separated tags of one MetaGraph, matched as an exact set as TensorFlow does "
        "(e.g. serve or serve,gpu)",
    )


def add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON for machines instead of tables")


def load_artifact(args: argparse.Namespace) -> Artifact:
    return load(args.path, version=args.model_version)


def add_serving(parser: argparse.ArgumentParser, *, signature: bool = True, model_name: bool = True) -> None:
    """The MetaGraph and signature a model server picks, and the name it serves the model under."""
    parser.add_argument("--tag-set", metavar="TAGS",
                        help="the MetaGraph the server loads (default: serve, TF Serving's --saved_model_tags)")
    if signature:
        parser.add_argument("--signature", metavar="KEY", help="signature key (default: serving_default)")
    if model_name:
        parser.add_argument("--model-name", metavar="NAME",
                            help="the name the server knows the model by (default: the model's folder name)")
