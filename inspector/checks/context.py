"""What the rules look at: the artifact, the target, and convenient views of it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

from ..model.artifact import Artifact, ArtifactKind
from ..model.metagraph import MetaGraph, Signature


@dataclass
class CheckContext:
    artifact: Artifact
    target: str = "tf-serving"
    tf_version: str | None = None  # the TensorFlow version the user deploys to, e.g. "2.15"
    inputs: list[str] = field(default_factory=list)  # for graphs without signatures
    outputs: list[str] = field(default_factory=list)

    @property
    def is_saved_model(self) -> bool:
        return self.artifact.kind is ArtifactKind.SAVED_MODEL

    @property
    def meta_graphs(self) -> list[MetaGraph]:
        return self.artifact.meta_graphs

    def signatures(self, include_internal: bool = False) -> Iterator[tuple[MetaGraph, Signature]]:
        """Every (MetaGraph, Signature) pair, internal ones only when asked."""
        for meta in self.meta_graphs:
            for signature in meta.signatures.values():
                if include_internal or not signature.internal:
                    yield meta, signature

    @cached_property
    def serving_meta(self) -> MetaGraph | None:
        """The MetaGraph a server loads: tagged exactly {serve}."""
        for meta in self.meta_graphs:
            if meta.tag_set == {"serve"}:
                return meta
        return None


def tag_label(meta: MetaGraph) -> str | None:
    return ",".join(meta.tags) if meta.tags else None
