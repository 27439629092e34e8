"""Which graph a graph-reading command works on: shared by every command that needs one.

(Not to be confused with ``inspector.analysis.graphsel``, which chooses the nodes a
diagram draws.)  ``ops``, ``collections`` and ``dump`` (and any command that reads
nodes, functions or collections) call :func:`pick_graph`.  It picks one MetaGraph
the way the rest of tfinspect does (the ``--tag-set`` asked for; else
``serve``; else the only one) and turns "this artifact has no graph at all"
(a checkpoint saved without its ``.meta``) into one clear error.
"""

from __future__ import annotations

from ..errors import SelectionError
from ..model.artifact import Artifact, ArtifactKind
from ..model.metagraph import MetaGraph


def has_graph(artifact: Artifact) -> bool:
    return bool(artifact.meta_graphs)


def require_graph(artifact: Artifact) -> None:
    """Raise SelectionError (exit 2) when the artifact holds no graph."""
    if has_graph(artifact):
        return
    if artifact.kind is ArtifactKind.CHECKPOINT:
        prefix = artifact.checkpoint_prefix
        raise SelectionError(
            artifact.path,
            f"is a checkpoint and has no graph: it holds variable values only, and there is no "
            f"{prefix.name if prefix else 'PREFIX'}.meta beside it",
            "pass the .meta file saved with it, or the SavedModel, to see the graph",
        )
    raise SelectionError(artifact.path, f"this {artifact.kind.label} holds no graph",
                         "pass the .meta file or the SavedModel")


def pick_graph(artifact: Artifact, tag_set: str | None = None) -> MetaGraph:
    """The one MetaGraph to read: ``--tag-set`` if given, else ``serve``, else the only one."""
    require_graph(artifact)
    return artifact.meta_graph(tag_set)


def graph_label(artifact: Artifact, meta: MetaGraph) -> str:
    """Names the graph in a report: ``MetaGraph {serve}`` for a SavedModel, else what the file is."""
    if artifact.kind is ArtifactKind.SAVED_MODEL:
        return "MetaGraph {" + ",".join(meta.tags) + "}"
    if artifact.kind is ArtifactKind.CHECKPOINT and artifact.graph_file is not None:
        return f"the MetaGraphDef saved with the checkpoint ({artifact.graph_file.name})"
    return artifact.kind.label
