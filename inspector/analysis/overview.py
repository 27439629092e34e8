"""The overview `tfinspect show` prints: plain data, built once, rendered twice."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import InspectorError
from ..model.artifact import Artifact, ArtifactKind
from ..model.metagraph import MetaGraph, Signature
from ..model.totals import copies_of, variable_totals
from ..model.variables import distinct, graph_variables

SAVER_VERSIONS = {0: "V1", 1: "V1", 2: "V2"}


@dataclass
class VariableTotals:
    count: int
    parameters: int
    bytes: int
    unknown_size: int  # variables whose shape or dtype size is not known
    source: str  # "object graph", "graph nodes", or "Const nodes"
    copies: int = 0  # second copies a Keras export stores (left out of the counts above)
    copies_bytes: int = 0  # their bytes on disk


@dataclass
class CollectionSummary:
    key: str
    kind: str  # node_list | bytes_list | int64_list | float_list | any_list | empty
    size: int


@dataclass
class AssetSummary:
    tensor: str
    filename: str
    present: bool | None  # None when there is no assets/ directory to look in


@dataclass
class MetaGraphHeading:
    """What names a MetaGraph and its size: the first lines of `show` and of a notebook's MetaGraph."""

    tags: list[str]
    tensorflow_version: str | None
    tensorflow_git_version: str | None
    meta_graph_version: str | None
    producer: int | None
    min_consumer: int | None
    node_count: int
    function_count: int
    function_node_count: int


def heading(meta: MetaGraph) -> MetaGraphHeading:
    return MetaGraphHeading(
        tags=list(meta.tags),
        tensorflow_version=meta.tensorflow_version,
        tensorflow_git_version=meta.tensorflow_git_version,
        meta_graph_version=meta.meta_graph_version,
        producer=meta.producer,
        min_consumer=meta.min_consumer,
        node_count=len(meta.graph_def.node),
        function_count=len(meta.functions),
        function_node_count=meta.functions.node_count,
    )


@dataclass
class MetaGraphOverview(MetaGraphHeading):
    op_histogram: list[tuple[str, int]]
    signatures: list[Signature]
    variables: VariableTotals
    constants: VariableTotals
    collections: list[CollectionSummary]
    saver: dict | None
    assets: list[AssetSummary]
    object_graph_nodes: int | None
    concrete_functions: int | None
    frozen: bool | None  # for a bare GraphDef: whether it has no variables left


@dataclass
class CheckpointSummary:
    prefix: str
    tensors: int | None = None
    bytes: int | None = None
    shards: int | None = None
    error: str | None = None
    problems: list[str] = field(default_factory=list)  # missing or short data shards: TensorFlow cannot restore


@dataclass
class Overview:
    kind: ArtifactKind
    path: str
    root: str
    graph_file: str | None
    encoding: str | None
    saved_model_schema_version: int | None
    versions: list[int]
    version: int | None
    files: list[dict]
    notes: list[str]
    warnings: list[str]
    fingerprint: dict | None
    checkpoint: CheckpointSummary | None
    meta_graphs: list[MetaGraphOverview] = field(default_factory=list)


def overview(artifact: Artifact, tag_set: str | None = None) -> Overview:
    metas = artifact.select(tag_set)
    return Overview(
        kind=artifact.kind,
        path=str(artifact.path),
        root=str(artifact.root),
        graph_file=str(artifact.graph_file) if artifact.graph_file else None,
        encoding=artifact.encoding,
        saved_model_schema_version=artifact.saved_model_schema_version,
        versions=list(artifact.versions),
        version=artifact.version,
        files=[{"path": str(f.path), "role": f.role, "size": f.size} for f in artifact.files],
        notes=list(artifact.notes),
        warnings=list(artifact.warnings),
        fingerprint=fingerprint_summary(artifact),
        checkpoint=_checkpoint(artifact),
        meta_graphs=[_meta_overview(artifact, mg) for mg in metas],
    )


def _meta_overview(artifact: Artifact, meta: MetaGraph) -> MetaGraphOverview:
    histogram = sorted(meta.op_histogram.items(), key=lambda item: (-item[1], item[0]))
    objects = meta.object_graph
    return MetaGraphOverview(
        **vars(heading(meta)),
        op_histogram=histogram,
        signatures=list(meta.signatures.values()),
        variables=_variable_totals(meta, artifact.checkpoint_if_readable),
        constants=_const_totals(meta),
        collections=[_collection(key, meta.collections[key]) for key in sorted(meta.collections)],
        saver=_saver(meta),
        assets=_assets(artifact, meta),
        object_graph_nodes=len(objects.nodes) if objects is not None else None,
        concrete_functions=len(objects.concrete_functions) if objects is not None else None,
        frozen=(len(graph_variables(meta)) == 0) if artifact.kind is ArtifactKind.GRAPH_DEF else None,
    )


def _variable_totals(meta: MetaGraph, checkpoint) -> VariableTotals:
    stored = graph_variables(meta, checkpoint)
    source = "object graph" if meta.object_graph is not None else "graph nodes"
    totals, copies = variable_totals(distinct(stored)), variable_totals(copies_of(stored))
    return VariableTotals(totals.count, totals.parameters, totals.nbytes, totals.unknown_size, source,
                          copies.count, copies.nbytes)


def _const_totals(meta: MetaGraph) -> VariableTotals:
    consts = meta.constants
    return VariableTotals(consts.count, consts.elements, consts.nbytes, 0, "Const nodes")


def _collection(key: str, collection) -> CollectionSummary:
    kind = collection.WhichOneof("kind") or "empty"
    size = len(getattr(collection, kind).value) if kind != "empty" else 0
    return CollectionSummary(key, kind, size)


def _saver(meta: MetaGraph) -> dict | None:
    saver = meta.saver_def
    if saver is None:
        return None
    return {
        "filename_tensor": saver.filename_tensor_name,
        "save_tensor": saver.save_tensor_name,
        "restore_op": saver.restore_op_name,
        "max_to_keep": saver.max_to_keep,
        "sharded": saver.sharded,
        "version": SAVER_VERSIONS.get(saver.version, str(saver.version)),
    }


def _assets(artifact: Artifact, meta: MetaGraph) -> list[AssetSummary]:
    folder = artifact.root / "assets"
    result = []
    for asset in meta.asset_defs:
        present = (folder / asset.filename).is_file() if folder.is_dir() else None
        if artifact.kind is ArtifactKind.SAVED_MODEL and present is None:
            present = False
        result.append(AssetSummary(asset.tensor_info.name, asset.filename, present))
    return result


def fingerprint_summary(artifact: Artifact) -> dict | None:
    fp = artifact.fingerprint
    if fp is None:
        return None
    return {
        "saved_model_checksum": fp.saved_model_checksum,
        "graph_def_program_hash": fp.graph_def_program_hash,
        "signature_def_hash": fp.signature_def_hash,
        "saved_object_graph_hash": fp.saved_object_graph_hash,
        "checkpoint_hash": fp.checkpoint_hash,
        "producer": fp.version.producer if fp.HasField("version") else None,
    }


def _checkpoint(artifact: Artifact) -> CheckpointSummary | None:
    if artifact.checkpoint_prefix is None:
        return None
    summary = CheckpointSummary(prefix=str(artifact.checkpoint_prefix))
    try:
        reader = artifact.checkpoint
        summary.tensors = len(reader.entries())
        summary.bytes = reader.stored_bytes()
        summary.shards = reader.header.num_shards
    except InspectorError as exc:
        summary.error = str(exc)
        return summary
    found = artifact.checkpoint_integrity()
    summary.problems = found.problems() if found is not None else []
    return summary
