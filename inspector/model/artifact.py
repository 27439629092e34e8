"""What a path turned out to hold: the Artifact every command works on."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .. import protos
from ..display import Displayed, plural
from ..errors import InspectorError, SelectionError
from .metagraph import MetaGraph

if TYPE_CHECKING:
    from ..checkpoint.integrity import Integrity


class ArtifactKind(str, enum.Enum):
    SAVED_MODEL = "saved_model"
    META_GRAPH = "meta_graph"
    GRAPH_DEF = "graph_def"
    CHECKPOINT = "checkpoint"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    ArtifactKind.SAVED_MODEL: "SavedModel",
    ArtifactKind.META_GRAPH: "MetaGraphDef (.meta)",
    ArtifactKind.GRAPH_DEF: "GraphDef",
    ArtifactKind.CHECKPOINT: "checkpoint",
}


_REPR_NAMES = {
    ArtifactKind.SAVED_MODEL: "SavedModel",
    ArtifactKind.META_GRAPH: "MetaGraphDef",
    ArtifactKind.GRAPH_DEF: "GraphDef",
    ArtifactKind.CHECKPOINT: "Checkpoint",
}


@dataclass(frozen=True)
class ArtifactFile:
    path: Path
    role: str  # e.g. "saved_model.pb", "variables index", "data shard 1/2"
    size: int


@dataclass
class Artifact(Displayed):
    """One TensorFlow artifact, read without the TensorFlow runtime.

    ``path`` is what the user named; ``root`` the file or directory the
    artifact lives in (the newest version directory for a version tree).
    ``meta_graphs`` holds every MetaGraph (one per tag-set for a SavedModel,
    one for a ``.meta`` or a frozen graph, and for a checkpoint the ``.meta``
    saved next to it, if any).
    """

    kind: ArtifactKind
    path: Path
    root: Path
    encoding: str | None = None  # "binary" or "text" for the graph proto file
    graph_file: Path | None = None
    files: list[ArtifactFile] = field(default_factory=list)
    meta_graphs: list[MetaGraph] = field(default_factory=list)
    saved_model_schema_version: int | None = None
    fingerprint: protos.FingerprintDef | None = None
    checkpoint_prefix: Path | None = None
    versions: list[int] = field(default_factory=list)  # of a version tree, ascending
    # SavedModels exported from a training model_dir (an Estimator's export/<name>/<timestamp>/), newest last
    exports: list[Path] = field(default_factory=list)
    version: int | None = None  # the version inspected
    # TensorFlow picks a SavedModel's parser by the file's name (saved_model.pb: binary, .pbtxt: text);
    # when the content is the other encoding, how TensorFlow fails on it (tfinspect still shows the content).
    graph_file_misnamed: str | None = None
    # A directory with parts of a SavedModel (variables/, fingerprint.pb...) but no graph file: the parts.
    # Only `check` makes such an artifact (to report TFI101); loading one for any other command is refused.
    parts_without_graph: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # facts the user should know
    warnings: list[str] = field(default_factory=list)  # problems found while loading
    _checkpoint: object | None = field(default=None, repr=False, compare=False)
    _integrity: dict = field(default_factory=dict, repr=False, compare=False)

    # -- display (the renderers live in report/, imported when an artifact is shown) --------
    def __repr__(self) -> str:
        kind = _REPR_NAMES[self.kind]
        if self.kind is ArtifactKind.SAVED_MODEL:
            tags = "; ".join("{" + ",".join(mg.tags) + "}" for mg in self.meta_graphs)
            count = sum(1 for mg in self.meta_graphs for sig in mg.signatures.values() if not sig.internal)
            what = f"{plural(len(self.meta_graphs), 'MetaGraph')} {tags}, {plural(count, 'signature')}"
        elif self.kind is ArtifactKind.CHECKPOINT:
            prefix = self.checkpoint_prefix.name if self.checkpoint_prefix else None
            what = f"prefix {prefix!r}" + (", with its MetaGraph" if self.meta_graphs else ", no graph")
        else:
            nodes = sum(len(mg.graph_def.node) for mg in self.meta_graphs)
            count = sum(len(mg.signatures) for mg in self.meta_graphs)
            what = plural(nodes, "node") + (f", {plural(count, 'signature')}" if count else "")
        version = f" (version {self.version})" if self.version is not None else ""
        return f"<{kind} {str(self.path)!r}{version}: {what}>"


    # -- tag-sets -------------------------------------------------------------------
    @property
    def tag_sets(self) -> list[frozenset[str]]:
        return [mg.tag_set for mg in self.meta_graphs]

    def select(self, tag_set: str | None = None) -> list[MetaGraph]:
        """MetaGraphs matching a comma-separated tag-set exactly, or all of them."""
        if tag_set is None:
            return list(self.meta_graphs)
        if not self.meta_graphs:
            raise self.no_graph_error()
        wanted = parse_tag_set(tag_set)
        found = [mg for mg in self.meta_graphs if mg.tag_set == wanted]
        if not found:
            raise SelectionError(
                self.path,
                f"no MetaGraph has the tag-set {{{','.join(sorted(wanted))}}}",
                f"tag-sets here: {self.describe_tag_sets()}; tags match as an exact set",
            )
        return found

    def meta_graph(self, tag_set: str | None = None) -> MetaGraph:
        """One MetaGraph: the tag-set asked for; else ``serve``; else the only one.

        Every command picks its graph here, so each failure has one error text.
        """
        if not self.meta_graphs:
            raise self.no_graph_error()
        if tag_set is not None:
            return self.select(tag_set)[0]
        if len(self.meta_graphs) == 1:
            return self.meta_graphs[0]
        for mg in self.meta_graphs:
            if mg.tag_set == {"serve"}:
                return mg
        raise SelectionError(
            self.path,
            f"{len(self.meta_graphs)} MetaGraphs and none is tagged exactly 'serve'",
            f"choose one with --tag-set: {self.describe_tag_sets()}",
        )

    def no_graph_error(self) -> SelectionError:
        """The error for an artifact without a graph (a checkpoint saved without its ``.meta``)."""
        if self.kind is ArtifactKind.CHECKPOINT:
            prefix = self.checkpoint_prefix
            return SelectionError(
                self.path,
                f"is a checkpoint and has no graph: it holds variable values only, and there is no "
                f"{prefix.name if prefix else 'PREFIX'}.meta beside it",
                "pass the .meta file saved with it, or the SavedModel, to see the graph",
            )
        return SelectionError(self.path, f"this {self.kind.label} holds no graph",
                              "pass the .meta file or the SavedModel")

    def describe_tag_sets(self) -> str:
        return "; ".join("{" + ",".join(mg.tags) + "}" for mg in self.meta_graphs) or "none"

    @property
    def checkpoint(self):
        """The checkpoint reader (``inspector.checkpoint.BundleReader``, or ``SliceReader``
        for a V1 checkpoint) of this artifact, or None.

        A checkpoint, a ``.meta`` saved next to its checkpoint and a SavedModel's
        ``variables/`` all have one.  ``artifact.checkpoint.read(key)`` returns a
        numpy array.  Opened on first use; reads only the ``.index`` until asked
        for values.
        """
        if self.checkpoint_prefix is None:
            return None
        if self._checkpoint is None:
            from ..checkpoint import open_checkpoint

            self._checkpoint = open_checkpoint(self.checkpoint_prefix)
        return self._checkpoint

    @property
    def checkpoint_if_readable(self):
        """The checkpoint reader, or None when there is none or its index cannot be read.

        For facts the checkpoint only refines (TF2 variable keys and names, the
        copies a Keras export stores): without it they come from the graph alone.
        """
        try:
            return self.checkpoint
        except InspectorError:
            return None

    def checkpoint_integrity(self, verify: bool = False) -> Integrity | None:
        """Whether every byte the checkpoint's index promises is there, or None without a checkpoint.

        Cheap by default: every data shard the index names exists and is long enough
        (its size, no read).  ``verify=True`` also reads every tensor and compares its
        crc32c.  Every command reports a damaged checkpoint from this one fact.
        """
        if self.checkpoint_prefix is None:
            return None
        if verify not in self._integrity:
            if not verify and True in self._integrity:
                return self._integrity[True]
            from ..checkpoint.integrity import integrity

            try:
                reader = self.checkpoint
            except InspectorError as exc:
                reader = exc
            self._integrity[verify] = integrity(str(self.checkpoint_prefix), reader, verify=verify)
        return self._integrity[verify]


def parse_tag_set(text: str) -> frozenset[str]:
    return frozenset(t.strip() for t in text.split(",") if t.strip())
