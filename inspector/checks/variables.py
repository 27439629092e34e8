"""Rules about what the graph needs from outside itself: variables, tables, assets (TFI2xx)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from .. import protos
from ..analysis.restore import expected_tensors
from ..checkpoint.audit import audit
from ..errors import InspectorError
from ..model import object_graph
from ..model.graph import GraphIndex, TensorRef, parse_tensor_name
from ..model.metagraph import MetaGraph
from ..model.variables import graph_variables
from ..source.location import as_path
from ..tensors.values import decode
from .context import CheckContext, tag_label
from .core import Issue, Severity, rule
from .reach import init_op_node, init_reach, node_issues, signature_reach

TABLE_INITIALIZER_KEY = "table_initializer"  # tf.compat.v1.tables_initializer() runs this collection

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
    return as_path(ctx.artifact.root) / "variables" / "variables.index"


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

    A TF2 SavedModel restores exactly the variables of its object graph (variable
    nodes outside it, like tf.Transform's, are not restored and not expected).
    Optimizer slot variables are found through the checkpoint's own object graph
    (`.OPTIMIZER_SLOT/` keys), so a slot that the SavedObjectGraph gives no path
    to is not reported as missing (TensorFlow restores Keras exports with slots).
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
            if meta.proto is not None and meta.proto.object_graph_def.nodes:
                # A TF2 SavedModel restores its object graph's variables, and only those.
                expected = [e for e in expected if e.source == "object graph"]
            if not expected:
                continue
            result = audit([e.as_expected() for e in expected], reader)
        except InspectorError:
            return
        tags = tag_label(meta)
        slots = _unnamed_slot_keys(meta)
        for key in result.missing:
            if key in slots:
                continue
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


def _unnamed_slot_keys(meta: MetaGraph) -> set[str]:
    """Expected keys of optimizer slot variables that the object graph gives no path to.

    TensorFlow's loader finds a slot variable through the checkpoint's own object
    graph (`.OPTIMIZER_SLOT/` keys), not through a path in the SavedObjectGraph, so a
    key made up for a slot node (`<object N>/...`) says nothing about the checkpoint.
    """
    graph = meta.proto.object_graph_def if meta.proto is not None else None
    if graph is None:
        return set()
    return {f"<object {i}>/.ATTRIBUTES/VARIABLE_VALUE" for i in object_graph.slots(graph)}


def _is_table(op: str) -> bool:
    return "HashTable" in op or op in {"LookupTable", "LookupTableV2"}


def _table_of(graph: GraphIndex, reference: str) -> str:
    """The node behind a table handle input, looking through Identity."""
    name = TensorRef.parse(reference).node
    for _ in range(16):
        node = graph.node(name)
        if node is None or node.op != "Identity" or not node.input:
            return name
        name = TensorRef.parse(node.input[0]).node
    return name


def _initializing_functions(meta: MetaGraph) -> set[str]:
    """Library functions that initialize a table, themselves or through what they call."""
    library = meta.functions
    direct = {name for name in library.names()
              if any(n.op in TABLE_INITIALIZERS for n in library[name].node_def)}
    return {name for name in library.names() if name in direct or direct & set(library.reachable([name]))}


def initialized_tables(meta: MetaGraph, extra_roots: tuple[str, ...] = ()) -> set[str]:
    """Tables that the init op (and the extra roots) fill: by a top-level initializer
    op, or by a function call that is handed the table and initializes a table inside.
    """
    graph = meta.graph
    ran = init_reach(meta, extra_roots).nodes
    functions = _initializing_functions(meta)
    tables: set[str] = set()
    for name in ran:
        node = graph.node(name)
        if node is None:
            continue
        if node.op in TABLE_INITIALIZERS and node.input:
            tables.add(_table_of(graph, node.input[0]))
        elif any(f in functions for _, f in called(node, meta)):
            tables |= {_table_of(graph, i) for i in node.input if not i.startswith("^")}
    return tables


def called(node, meta: MetaGraph) -> list[tuple[str | None, str]]:
    from ..model.functions import called_functions

    return called_functions(node, set(meta.functions.names()))


def _collection_nodes(meta: MetaGraph, key: str) -> tuple[str, ...]:
    collection = meta.collections.get(key)
    if collection is None:
        return ()
    return tuple(TensorRef.parse(name).node for name in collection.node_list.value)


@rule("TFI203", "table-not-initialized", Severity.ERROR,
      "A lookup table a signature reads is not initialized by what the loader runs")
def _table_not_initialized(ctx: CheckContext) -> Iterator[Issue]:
    """A signature looks up a table that the loader never fills.

    After restoring the variables the SavedModel loader runs one init op: the
    `__saved_model_init_op` signature's output, else the `saved_model_main_op`
    collection, else `legacy_init_op`.  A table counts as initialized when that op
    runs its `InitializeTableV2` / `InitializeTableFromTextFileV2` /
    `LookupTableImportV2`, or calls a function that is handed the table and
    initializes it (TF2 `StaticHashTable` and `TextFileInitializer` objects: the
    init op calls their initializer functions).

    What else runs differs by loader, as TensorFlow 2.21 shows on the fixtures:
    `tf.compat.v1.saved_model.loader.load` and TF Serving's C++ loader run nothing
    else, so tables listed only in the TF1 `table_initializer` collection stay
    empty (`python-v1`, `tf-serving`, `vertex`); `tf.saved_model.load` of a TF1
    SavedModel without any init op runs `tf.compat.v1.tables_initializer()` (that
    collection) instead (`python`).  The error is reported for each signature that
    reads the table: the first lookup fails with `FailedPreconditionError: Table
    not initialized`.  Export with `main_op=tf.compat.v1.tables_initializer()`.
    Mutable tables without any initializer are filled by the model itself and are
    not reported.
    """
    if not ctx.is_saved_model:
        return
    for meta in ctx.meta_graphs:
        graph = meta.graph
        tables = {name: node for name, node in graph.nodes.items() if _is_table(node.op)}
        if not tables:
            continue
        extra: tuple[str, ...] = ()
        init = init_op_node(meta)
        if ctx.target == "python" and init is None and meta.proto is not None \
                and not meta.proto.object_graph_def.nodes:
            extra = _collection_nodes(meta, TABLE_INITIALIZER_KEY)
        filled = initialized_tables(meta, extra)
        has_initializer: dict[str, str] = {}
        for n in graph.nodes.values():
            if n.op in TABLE_INITIALIZERS and n.input:
                has_initializer.setdefault(_table_of(graph, n.input[0]), f"{n.op} {n.name}")
        where = f"init op {init}" if init else "the loader (no main_op, legacy_init_op or __saved_model_init_op)"
        for signature in meta.signatures.values():
            if signature.internal:
                continue
            reach = signature_reach(meta, signature).nodes
            for name in sorted(set(tables) & reach):
                table = tables[name]
                if name in filled or (table.op.startswith("Mutable") and name not in has_initializer):
                    continue
                how = f"its initializer {has_initializer[name]} is not run by" if name in has_initializer \
                    else "no initializer is run by"
                yield Issue(f"signature {signature.key} reads lookup table {name} ({table.op}): {how} {where}",
                            "export with main_op=tf.compat.v1.tables_initializer()",
                            tag_set=tag_label(meta), signature=signature.key, location=name)


def asset_defs(meta: MetaGraph) -> list[protos.AssetFileDef]:
    """AssetFileDefs from the MetaGraph field and from TF1's saved_model_assets collection."""
    return meta.asset_defs


def _asset_readers(ctx: CheckContext, meta: MetaGraph) -> tuple[bool, list[str]]:
    """(whether the loader's init op needs the asset tensors, keys of the signatures that do)."""
    extra: tuple[str, ...] = ()
    if ctx.target == "python" and init_op_node(meta) is None:
        extra = _collection_nodes(meta, TABLE_INITIALIZER_KEY)
    return init_reach(meta, extra).nodes, [s for s in meta.signatures.values() if not s.internal]


@rule("TFI204", "missing-asset", Severity.ERROR,
      "An asset file that the init op or a signature reads is missing from assets/")
def _missing_asset(ctx: CheckContext) -> Iterator[Issue]:
    """An asset (vocabulary file...) named by the SavedModel is not in `assets/`, and something reads it.

    The loader feeds each asset tensor the path `assets/<filename>`.  When an op
    that the init op runs reads it (a vocabulary table's initializer), loading
    fails (`NotFoundError: .../assets/vocab.txt; No such file or directory`); when
    only a signature reads it, that signature fails.  An asset tensor that nothing
    the loader or a signature runs depends on is never opened, and TensorFlow
    loads and runs the model: a warning.  Copy the whole export directory,
    including `assets/`.
    """
    if not ctx.is_saved_model:
        return
    folder = as_path(ctx.artifact.root) / "assets"
    for meta in ctx.meta_graphs:
        seen: set[str] = set()
        init_nodes, signatures = _asset_readers(ctx, meta)
        for asset in asset_defs(meta):
            if asset.filename in seen or (folder / asset.filename).is_file():
                continue
            seen.add(asset.filename)
            node = parse_tensor_name(asset.tensor_info.name)[0]
            text = f"asset {asset.filename} (tensor {asset.tensor_info.name}) is not in {folder}"
            hint = "copy the export's assets/ folder along with saved_model.pb"
            readers = [s.key for s in signatures if node in signature_reach(meta, s).nodes]
            if node in init_nodes:
                yield Issue(f"{text}; the loader's init op reads it", hint, tag_set=tag_label(meta),
                            location=asset.filename)
            elif readers:
                for key in readers:
                    yield Issue(f"{text}; signature {key} reads it", hint, tag_set=tag_label(meta),
                                signature=key, location=asset.filename)
            else:
                yield Issue(f"{text}; nothing the loader or a signature runs reads it", hint,
                            tag_set=tag_label(meta), location=asset.filename, severity=Severity.WARNING)


def _where(function: str | None, node: str) -> str:
    return node if function is None else f"{function}/{node}"


def _missing_here(text: str) -> bool:
    """A local absolute path that does not exist on this machine (a URL is not looked up)."""
    if "://" in text:
        return False
    try:
        return not Path(text).exists()
    except (OSError, ValueError):
        return True


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
      "A constant absolute file path from the export machine feeds a file-reading op")
def _absolute_paths(ctx: CheckContext) -> Iterator[Issue]:
    """A string constant holding an absolute path (`/home/...`, `C:\\...`, `gs://...`) feeds a file reader.

    Ops such as `InitializeTableFromTextFileV2`, `ReadFile` or `TextLineDataset`
    read the file at run time, on the serving machine.  A path baked into the
    graph as a constant names a file outside the SavedModel, which is not shipped
    with it: the model runs only where that file exists, a portability warning.
    When the local path does not exist on the machine running `check`, TensorFlow
    fails there with `NotFoundError` (TensorFlow 2.21 fails so on the
    `fault_file_ops` fixture): an error, reported where it fails: at load when the
    init op runs the reader, else for each signature that runs it (a reader nothing
    runs stays a warning).  A `gs://`, `s3://` or `hdfs://` path is not looked
    up.  Asset tensors are not reported: the
    loader replaces their value with the path inside `assets/`.  Ship the file as
    an asset (`tf.saved_model.Asset` in TF2, the `ASSET_FILEPATHS` collection with
    `assets_collection=` in TF1).
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
                message = (f"Const {where} holds the absolute path {text!r}, read by "
                           f"{graph.node(reader).op} {_where(function, reader)}")
                hint = "ship the file as a SavedModel asset instead of a constant path"
                if _missing_here(text):
                    yield from node_issues(meta, function, reader, message + ", which does not exist on this machine",
                                           hint, tag_set=tag_label(meta), location=where, severity=Severity.ERROR)
                else:
                    yield Issue(message + ": the model runs only where that file exists", hint,
                                tag_set=tag_label(meta), location=where)
