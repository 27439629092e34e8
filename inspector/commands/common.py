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
