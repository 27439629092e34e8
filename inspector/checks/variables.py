"""Rules about what the graph needs from outside itself: variables, tables, assets (TFI2xx)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from .. import protos
from ..analysis.restore import expected_tensors
from ..checkpoint.audit import audit
from ..errors import InspectorError
from ..model.graph import GraphIndex, TensorRef, parse_tensor_name
from ..model.metagraph import INIT_OP_SIGNATURE_KEY, MetaGraph
from ..model.values import decode
from ..model.variables import graph_variables
from .context import CheckContext, tag_label
from .core import Issue, Severity, rule

MAIN_OP_KEY = "saved_model_main_op"
LEGACY_INIT_OP_KEY = "legacy_init_op"

TABLE_INITIALIZERS = frozenset({
    "InitializeTable", "InitializeTableV2", "InitializeTableFromTextFile", "InitializeTableFromTextFileV2",
    "InitializeTableFromDataset", "LookupTableImport", "LookupTableImportV2",
})
FILE_READERS = frozenset({
    "InitializeTableFromTextFile", "InitializeTableFromTextFileV2", "ReadFile", "MatchingFiles",
    "TextLineDataset", "TextLineDatasetV2", "TFRecordDataset", "TFRecordDatasetV2",
    "FixedLengthRecordDataset", "FixedLengthRecordDatasetV2", "ImmutableConst",
})
PASS_THROUGH = frozenset({"Identity", "IdentityN", "StringJoin", "Snapshot"})
ABSOLUTE_PATH = re.compile(r"^(/[^/]|[A-Za-z]:[\\/]|\\\\|gs://|s3://|hdfs://)")


def _variables_index(ctx: CheckContext) -> Path:
    return Path(ctx.artifact.root) / "variables" / "variables.index"


@rule("TFI201", "missing-variables", Severity.ERROR,
      "The graph has variables but variables/variables.index is missing")
def _missing_variables(ctx: CheckContext) -> Iterator[Issue]:
    """The graph has variables but the SavedModel has no `variables/variables.index`.

    The loader restores every variable from `variables/variables` after it builds
    the graph.  Without the checkpoint TensorFlow fails ("Failed to restore" /
    "variables.index not found"; TF1's loader: "Unsuccessful TensorSliceReader
    constructor"), and TF Serving refuses the version.  The `variables/` folder was
    usually left behind by a copy or an upload: copy the whole export directory.
    """
    if not ctx.is_saved_model or _variables_index(ctx).is_file():
        return
    for meta in ctx.meta_graphs:
        found = graph_variables(meta)
        if found:
            names = ", ".join(v.name for v in found[:3]) + (", ..." if len(found) > 3 else "")
            yield Issue(f"{len(found)} variables ({names}) but {_variables_index(ctx)} does not exist",
                        "copy the export's variables/ folder along with saved_model.pb",
                        tag_set=tag_label(meta), location="variables/variables.index")


@rule("TFI202", "checkpoint-mismatch", Severity.ERROR,
      "Graph variables are missing from the checkpoint or have another dtype or shape")
def _checkpoint_mismatch(ctx: CheckContext) -> Iterator[Issue]:
    """The checkpoint in `variables/` does not hold what the graph restores.

    Every key the saver (or the TF2 object graph) restores must be in the
    checkpoint with the same dtype and shape.  A missing key fails with
    `NotFoundError: Key ... not found in checkpoint`; another shape with
    `InvalidArgumentError: tensor_name = ...; shape in shape_and_slice spec ...
    does not match the shape stored in checkpoint`.  This happens when
    `variables/` is copied from another model or another training run: export
    the graph and its variables together again.
    """
    if not ctx.is_saved_model or not _variables_index(ctx).is_file():
        return
    try:
        reader = ctx.artifact.checkpoint
    except InspectorError:  # unreadable checkpoints are the checkpoint rules' business
        return
    if reader is None:
        return
    for meta in ctx.meta_graphs:
        try:
            expected = expected_tensors(meta, reader)
            if not expected:
                continue
            result = audit([e.as_expected() for e in expected], reader)
        except InspectorError:
            return
        tags = tag_label(meta)
        for key in result.missing:
            yield Issue(f"checkpoint key {key} is not in variables/variables",
                        "export the graph together with its own variables", tag_set=tags, location=key)
        for mismatch in result.dtype_mismatches:
            yield Issue(f"checkpoint key {mismatch.key}: graph expects {mismatch.expected}, "
                        f"checkpoint holds {mismatch.found}",
                        "export the graph together with its own variables", tag_set=tags, location=mismatch.key)
        for mismatch in result.shape_mismatches:
            yield Issue(f"checkpoint key {mismatch.key}: graph expects shape {mismatch.expected}, "
                        f"checkpoint holds {mismatch.found}",
                        "export the graph together with its own variables", tag_set=tags, location=mismatch.key)


def init_op_node(meta: MetaGraph) -> str | None:
    """The node the SavedModel loader runs after restoring: init signature, main_op, legacy_init_op."""
    init = meta.signatures.get(INIT_OP_SIGNATURE_KEY)
    if init is not None:
        for tensor in init.outputs:
            if tensor.alias == INIT_OP_SIGNATURE_KEY and tensor.name:
                return parse_tensor_name(tensor.name)[0]
        return None
    for key in (MAIN_OP_KEY, LEGACY_INIT_OP_KEY):
        collection = meta.collections.get(key)
        if collection is not None and len(collection.node_list.value) == 1:
            return TensorRef.parse(collection.node_list.value[0]).node
    return None


def _is_table(op: str) -> bool:
    return "HashTable" in op or op in {"LookupTable", "LookupTableV2"}


@rule("TFI203", "table-not-initialized", Severity.ERROR,
      "A lookup table's initializer is not run by the loader's init op")
def _table_not_initialized(ctx: CheckContext) -> Iterator[Issue]:
    """A lookup table whose initializer the SavedModel loader never runs.

    After restoring the variables the loader runs exactly one init op: the
    `__saved_model_init_op` signature's output, else the `saved_model_main_op`
    collection, else `legacy_init_op`.  The TF1 `table_initializer` collection is
    NOT run by the loader.  A `HashTableV2` whose `InitializeTableV2` /
    `InitializeTableFromTextFileV2` / `LookupTableImportV2` is not among that op's
    dependencies stays empty, and the first lookup fails with
    `FailedPreconditionError: Table not initialized`.  Export with
    `main_op=tf.compat.v1.tables_initializer()` (or `legacy_init_op=...`).
    Mutable tables without any initializer are filled by the checkpoint or by the
    model itself and are not reported.
    """
    if not ctx.is_saved_model:
        return
    for meta in ctx.meta_graphs:
        graph = meta.graph
        tables = [node for node in graph.nodes.values() if _is_table(node.op)]
        if not tables:
            continue
        initializers: dict[str, list[str]] = {}
        for node in graph.nodes.values():
            if node.op in TABLE_INITIALIZERS and node.input:
                initializers.setdefault(TensorRef.parse(node.input[0]).node, []).append(node.name)
        init = init_op_node(meta)
        ran = graph.ancestors(init) if init and init in graph else set()
        where = f"init op {init}" if init else "no init op (no main_op, legacy_init_op or __saved_model_init_op)"
        for table in tables:
            inits = initializers.get(table.name, [])
            if not inits and table.op.startswith("Mutable"):
                continue
            if inits and any(name in ran for name in inits):
                continue
            what = f"its initializer {inits[0]}" if inits else "it has no initializer"
            yield Issue(f"lookup table {table.name} ({table.op}) is never initialized: {what} is not run by {where}",
                        "export with main_op=tf.compat.v1.tables_initializer()",
                        tag_set=tag_label(meta), location=table.name)


def asset_defs(meta: MetaGraph) -> list[protos.AssetFileDef]:
    """AssetFileDefs from the MetaGraph field and from TF1's saved_model_assets collection."""
    return meta.asset_defs


@rule("TFI204", "missing-asset", Severity.ERROR,
      "An asset file the graph names is missing from assets/")
def _missing_asset(ctx: CheckContext) -> Iterator[Issue]:
    """An asset (vocabulary file...) named by the SavedModel is not in `assets/`.

    The loader feeds each asset tensor the path `assets/<filename>`; the table or
    op that reads it fails when the file is not there (`NotFoundError:
    .../assets/vocab.txt; No such file or directory` while running the init op),
    so the model does not load.  Copy the whole export directory, including
    `assets/`.
    """
    if not ctx.is_saved_model:
        return
    folder = Path(ctx.artifact.root) / "assets"
    for meta in ctx.meta_graphs:
        seen: set[str] = set()
        for asset in asset_defs(meta):
            if asset.filename in seen:
                continue
            seen.add(asset.filename)
            if not (folder / asset.filename).is_file():
                yield Issue(f"asset {asset.filename} (tensor {asset.tensor_info.name}) is not in {folder}",
                            "copy the export's assets/ folder along with saved_model.pb",
                            tag_set=tag_label(meta), location=asset.filename)


def _where(function: str | None, node: str) -> str:
    return node if function is None else f"{function}/{node}"


def _path_consts(nodes, asset_tensors: set[str]) -> Iterator[tuple[str, str]]:
    for node in nodes:
        if node.op != "Const" or node.name in asset_tensors:
            continue
        tensor = node.attr["value"].tensor if "value" in node.attr else None
        if tensor is None or tensor.dtype != protos.DataType.Value("DT_STRING") or len(tensor.string_val) != 1:
            continue
        value = decode(tensor, limit=1)
        text = value.reshape(-1)[0] if value is not None and value.size else tensor.string_val[0]
        text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
        if ABSOLUTE_PATH.match(text):
            yield node.name, text


def _reader_fed(graph: GraphIndex, start: str, hops: int = 4) -> str | None:
    frontier = [start]
    for _ in range(hops):
        following = []
        for name in frontier:
            for edge in graph.consumers.get(name, []):
                if edge.slot < 0:
                    continue
                consumer = graph.node(edge.consumer)
                if consumer is None:
                    continue
                if consumer.op in FILE_READERS:
                    return consumer.name
                if consumer.op in PASS_THROUGH:
                    following.append(consumer.name)
        frontier = following
    return None


@rule("TFI205", "absolute-file-path", Severity.WARNING,
      "A constant absolute file path feeds a file-reading op")
def _absolute_paths(ctx: CheckContext) -> Iterator[Issue]:
    """A string constant holding an absolute path (`/home/...`, `C:\\...`, `gs://...`) feeds a file reader.

    Ops such as `InitializeTableFromTextFileV2`, `ReadFile` or `TextLineDataset`
    read the file at run time, on the serving machine.  A path baked into the
    graph as a constant exists on the machine that exported the model only, and
    the init op or the request fails elsewhere with `NotFoundError`.  Asset
    tensors are not reported: the loader replaces their value with the path inside
    `assets/`.  Ship the file as an asset (`tf.saved_model.Asset` in TF2,
    the `ASSET_FILEPATHS` collection with `assets_collection=` in TF1).
    """
    for meta in ctx.meta_graphs:
        asset_tensors = {parse_tensor_name(a.tensor_info.name)[0] for a in asset_defs(meta)}
        bodies = [(None, meta.graph)] + [(name, meta.functions.index(name)) for name in meta.functions.names()]
        for function, graph in bodies:
            for name, text in _path_consts(graph.nodes.values(), asset_tensors):
                reader = _reader_fed(graph, name)
                if reader is None:
                    continue
                where = _where(function, name)
                yield Issue(f"Const {where} holds the absolute path {text!r}, read by "
                            f"{graph.node(reader).op} {_where(function, reader)}",
                            "ship the file as a SavedModel asset instead of a constant path",
                            tag_set=tag_label(meta), location=where)
