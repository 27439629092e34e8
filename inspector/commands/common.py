"""Option groups shared by the subcommands, each defined once."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ..errors import SelectionError

if TYPE_CHECKING:
    from ..model.artifact import Artifact
    from ..model.metagraph import MetaGraph

PATH_HELP = ("SavedModel directory (or saved_model.pb), version tree, .meta file, "
             "frozen GraphDef (.pb/.pbtxt), or checkpoint (prefix, .index, or directory)")
VERSION_HELP = "for a SavedModel version tree (model/1, model/2, ...): inspect version N instead of the newest"
TAG_SET_HELP = ("comma-separated tags of one MetaGraph, matched as an exact set as TensorFlow does "
                "(e.g. serve or serve,gpu)")
SERVING_TAG_SET_HELP = "the MetaGraph the server loads (default: serve, TF Serving's --saved_model_tags)"


class GraphArgs:
    """The option group that owns PATH, ``--version`` and ``--tag-set``.

    It adds the flags to a command's parser and turns the parsed values into the
    artifact and its MetaGraph, so every command picks its graph the same way and
    each failure has one error text: no graph (a checkpoint without its
    ``.meta``), an unknown tag-set (listing those that exist), several MetaGraphs
    and none tagged ``serve``, an unknown version of a version tree.

    ``side`` names a second artifact of the same command (``diff OLD NEW``): its
    path is the positional ``OLD`` and its version ``--old-version``.  With
    ``serving`` the tag-set defaults to ``serve`` and the artifact must be a
    SavedModel, as a model server loads it.  ``tag_help=None`` adds no
    ``--tag-set`` (a command that has it once for two artifacts adds it itself).
    """

    def __init__(self, *, side: str | None = None, path_help: str = PATH_HELP, path_optional: bool = False,
                 version_help: str = VERSION_HELP, tag_help: str | None = TAG_SET_HELP,
                 serving: bool = False) -> None:
        self.side = side
        self.path_help = path_help
        self.path_optional = path_optional
        self.version_help = version_help
        self.tag_help = SERVING_TAG_SET_HELP if serving and tag_help == TAG_SET_HELP else tag_help
        self.serving = serving

    @property
    def _path_dest(self) -> str:
        return self.side or "path"

    @property
    def _version_dest(self) -> str:
        return f"{self.side}_version" if self.side else "model_version"

    def add_to(self, parser: argparse.ArgumentParser) -> GraphArgs:
        parser.add_argument(self._path_dest, metavar=self._path_dest.upper() if self.side else None,
                            nargs="?" if self.path_optional else None, help=self.path_help)
        parser.add_argument(f"--{self.side}-version" if self.side else "--version", dest=self._version_dest,
                            type=int, metavar="N", help=self.version_help)
        if self.tag_help is not None:
            parser.add_argument("--tag-set", metavar="TAGS", help=self.tag_help)
        return self

    def load(self, args: argparse.Namespace) -> Artifact:
        """The artifact PATH names (the version ``--version`` asks for in a version tree).

        For a serving command, ``--version`` of a single SavedModel is the version the
        server reports, not a folder to pick: the SavedModel itself is read.
        """
        from ..load import load

        path, version = getattr(args, self._path_dest), getattr(args, self._version_dest)
        if self.serving and version is not None:
            artifact = load(path)
            if not artifact.versions or artifact.version == version:
                return artifact
        return load(path, version=version)

    def meta_graph(self, args: argparse.Namespace, artifact: Artifact, *, required: bool = True) -> MetaGraph | None:
        """The MetaGraph to read: ``--tag-set`` if given; else ``serve``; else the only one.

        Not ``required``: None when the artifact has no graph, or several and no
        ``--tag-set`` tells which (for a command that reads the graph only if there is one).
        """
        tag_set = getattr(args, "tag_set", None)
        if self.serving:
            from ..analysis.requests import serving_meta_graph

            return serving_meta_graph(artifact, tag_set)
        if not required and not artifact.meta_graphs:
            return None
        if not required and tag_set is None:
            try:
                return artifact.meta_graph(None)
            except SelectionError:
                return None
        return artifact.meta_graph(tag_set)

    def load_graph(self, args: argparse.Namespace) -> tuple[Artifact, MetaGraph]:
        artifact = self.load(args)
        return artifact, self.meta_graph(args, artifact)


GRAPH = GraphArgs()
SERVING = GraphArgs(serving=True)


def add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON for machines instead of tables")


def add_serving(parser: argparse.ArgumentParser, *, signature: bool = True, model_name: bool = True) -> None:
    """The signature a model server picks, and the name it serves the model under (with ``SERVING``)."""
    if signature:
        parser.add_argument("--signature", metavar="KEY", help="signature key (default: serving_default)")
    if model_name:
        parser.add_argument("--model-name", metavar="NAME",
                            help="the name the server knows the model by (default: the model's folder name)")


def graph_label(artifact: Artifact, meta: MetaGraph) -> str:
    """Names the graph in a report: ``MetaGraph {serve}`` for a SavedModel, else what the file is."""
    from ..model.artifact import ArtifactKind

    if artifact.kind is ArtifactKind.SAVED_MODEL:
        return "MetaGraph {" + ",".join(meta.tags) + "}"
    if artifact.kind is ArtifactKind.CHECKPOINT and artifact.graph_file is not None:
        return f"the MetaGraphDef saved with the checkpoint ({artifact.graph_file.name})"
    return artifact.kind.label
