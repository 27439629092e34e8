"""What the rules look at: the artifact, the target, and convenient views of it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

from ..analysis.io import io_signature
from ..checkpoint.integrity import Integrity
from ..model.artifact import Artifact, ArtifactKind
from ..source.location import is_url

DEEP_BY_DEFAULT = 256 << 20  # checkpoints up to this size are checksummed by every check run
from ..model.metagraph import MetaGraph, Signature


@dataclass
class CheckContext:
    artifact: Artifact
    target: str = "tf-serving"
    tf_version: str | None = None  # the TensorFlow version the user deploys to, e.g. "2.15"
    inputs: list[str] = field(default_factory=list)  # for graphs without signatures
    outputs: list[str] = field(default_factory=list)
    deep: bool | None = None  # checksum every checkpoint tensor: True always, False never, None when small and local

    @property
    def is_saved_model(self) -> bool:
        return self.artifact.kind is ArtifactKind.SAVED_MODEL

    @cached_property
    def meta_graphs(self) -> list[MetaGraph]:
        """The artifact's MetaGraphs; a graph without signatures gets one to check.

        For a frozen GraphDef or a `.meta` the signature is made of the tensors given
        with --inputs/--outputs, else of the inputs and outputs `tfinspect io`
        guesses, so the signature rules can check what a server would run.
        Under tf-serving and vertex only the MetaGraph tagged exactly {serve} is
        checked when there is one: a server never loads the others.  A training
        model_dir that holds exports gets none: its exports are what is served.
        """
        if self.training_dir:
            return []  # a training graph is not judged as a serving graph; TFI213 names the export
        metas = list(self.artifact.meta_graphs)
        if self.target in ("tf-serving", "vertex") and any(m.tag_set == {"serve"} for m in metas):
            metas = [m for m in metas if m.tag_set == {"serve"}]  # the only MetaGraph a server loads
        return [self._with_signature(meta) for meta in metas]

    def _with_signature(self, meta: MetaGraph) -> MetaGraph:
        if any(not s.internal for s in meta.signatures.values()):
            return meta
        signature = io_signature(meta, self.inputs, self.outputs)
        return meta if signature is None else _MetaGraphWithSignature(meta, signature)

    def signatures(self, include_internal: bool = False) -> Iterator[tuple[MetaGraph, Signature]]:
        """Every (MetaGraph, Signature) pair, internal ones only when asked."""
        for meta in self.meta_graphs:
            for signature in meta.signatures.values():
                if include_internal or not signature.internal:
                    yield meta, signature

    @property
    def training_dir(self) -> bool:
        """A checkpoint or ``.meta`` of a model_dir that holds exported SavedModels (``export/``),
        checked without --inputs/--outputs (which ask for its graph to be checked as given)."""
        return bool(self.artifact.exports) and not self.is_saved_model and not (self.inputs or self.outputs)

    @cached_property
    def checksummed(self) -> bool:
        """Whether the checkpoint's tensors are checksummed: ``--deep``, or a local checkpoint
        of at most DEEP_BY_DEFAULT bytes (reading it costs less than a second)."""
        if self.deep is not None:
            return self.deep
        artifact = self.artifact
        if artifact.checkpoint_prefix is None or is_url(artifact.checkpoint_prefix):
            return False
        return sum(f.size for f in artifact.files if f.path.name.startswith(
            artifact.checkpoint_prefix.name + ".data-")) <= DEEP_BY_DEFAULT

    @cached_property
    def integrity(self) -> Integrity | None:
        """The checkpoint's integrity (model fact), checksummed when ``checksummed``."""
        return self.artifact.checkpoint_integrity(verify=self.checksummed)

    @cached_property
    def serving_meta(self) -> MetaGraph | None:
        """The MetaGraph a server loads: tagged exactly {serve}."""
        for meta in self.meta_graphs:
            if meta.tag_set == {"serve"}:
                return meta
        return None


def tag_label(meta: MetaGraph) -> str | None:
    return ",".join(meta.tags) if meta.tags else None


class _MetaGraphWithSignature(MetaGraph):
    """A MetaGraph seen with one more signature, for checking graphs that have none."""

    def __init__(self, meta: MetaGraph, signature: Signature):
        super().__init__(meta.graph_def, meta.proto)
        self.__dict__["graph"] = meta.graph
        self.__dict__["functions"] = meta.functions
        self.__dict__["outputs"] = meta.outputs
        self.__dict__["signatures"] = {**meta.signatures, signature.key: signature}
