"""The security family (TFI8xx): what running the model can do to the machine that serves it.

One finding per node that reads, lists or writes files, reaches the network, runs a
graph no one can see before it runs, or is a custom op, wherever it sits: the graph,
any library function (branches, loop bodies, dataset functions, functions only the
object graph exposes) and graphs serialized into string constants.  The catalogue
of effects is ``inspector/model/effects.json``, derived from TensorFlow's whole op
registry (``python -m inspector.model.generate_effects``).

Not reported, because the loader runs them with paths it chooses: the checkpoint ops
of the graph's own saver (TF1's SaverDef and ``save/`` scopes, TF2's traced save and
restore functions) when their path is the saver's file name, and tables that an init
op fills from one of the SavedModel's own asset files.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator

from ..model.effects import EffectSite, as_graph, effect_sites, resolve_input
from ..model.graph import parse_tensor_name
from ..model.metagraph import MetaGraph
from .context import CheckContext, tag_label
from .core import LOAD, RUN, Issue, Severity, rule
from .reach import runners, signature_reach

FAMILY = "TFI8"
TRACED_SAVER = re.compile(r"^__inference__traced_(save|restore)_\d+$")
CHECKPOINT_OPS = frozenset({"Save", "SaveV2", "SaveSlices", "MergeV2Checkpoints", "Restore", "RestoreV2",
                            "RestoreSlice"})
# Ops a model runs on its own asset files: tables filled from a vocabulary, a TF-DF model's folder.
ASSET_READERS = frozenset({"InitializeTableFromTextFile", "InitializeTableFromTextFileV2",
                           "SimpleMLLoadModelFromPath", "SimpleMLLoadModelFromPathWithHandle"})
VERBS = {"write": "writes files", "network": "reaches the network", "hidden": "runs a hidden graph",
         "read": "reads files", "list": "lists files", "unknown": "has unknown effects"}


def saver_parts(meta: MetaGraph) -> tuple[set[str], set[str]]:
    """Top-level nodes and functions that belong to the SaverDef's save and restore ops (the security rules' saver)."""
    saver = meta.saver_def
    graph = meta.graph
    if saver is None:
        # A bare GraphDef keeps tf.compat.v1.train.Saver's nodes without the SaverDef
        # naming them: its save/ (save_1/, ...) scope holding the saver ops (SAVER_OPS).
        return _saver_scopes(graph), set()
    nodes: set[str] = set()
    for tensor in (saver.save_tensor_name, saver.restore_op_name, saver.filename_tensor_name):
        name = parse_tensor_name(tensor)[0] if tensor else ""
        if name and name in graph:
            nodes |= graph.ancestors(name)
            scope = graph.scope_of(name)
            if scope:
                nodes |= {n for n in graph.nodes if n.startswith(scope + "/")}
    nodes |= _saver_scopes(graph)
    library = meta.functions
    calls = library.calls
    saver_roots = {c.callee for c in calls if c.caller is None and c.node in nodes}
    saver_roots |= {name for name in library.names() if TRACED_SAVER.match(name)}
    other_roots = {c.callee for c in calls if c.caller is None and c.node not in nodes} - saver_roots
    saver_functions = set(saver_roots) | set(library.reachable(list(saver_roots)))
    other = set(other_roots) | set(library.reachable(list(other_roots)))
    return nodes, saver_functions - other


_SAVER_SCOPE = re.compile(r"^save(_\d+)?$")
# The ops of tf.compat.v1.train.Saver's scope: V2 checkpoints, and V1 (SaverDef.V1, before 2017: Save /
# SaveSlices to write, Restore / RestoreSlice to read), which a .meta re-saved over the years keeps in
# its stale save/ .. save_N/ scopes.
SAVER_OPS = frozenset({"SaveV2", "RestoreV2", "Save", "SaveSlices", "Restore", "RestoreSlice"})


def _saver_scopes(graph) -> set[str]:
    scopes = {graph.scope_of(name) for name, node in graph.nodes.items()
              if node.op in SAVER_OPS and _SAVER_SCOPE.match(graph.scope_of(name))}
    return {name for name in graph.nodes if any(name.startswith(scope + "/") for scope in scopes)}


def _safe_asset_name(name: str) -> bool:
    """An asset file name the loader keeps inside the SavedModel's assets/ folder."""
    parts = name.replace("\\", "/").split("/")
    return bool(name) and not name.startswith(("/", "\\")) and ".." not in parts and "://" not in name \
        and ":" not in parts[0]


def _asset_sources(meta: MetaGraph) -> tuple[set[str], set[tuple[str, str]]]:
    """(TF1 graph nodes holding a safe asset's path, (function, argument) pairs TF2 binds to a safe asset)."""
    nodes = {parse_tensor_name(a.tensor_info.name)[0] for a in meta.asset_defs
             if a.tensor_info.name and _safe_asset_name(a.filename)}
    bound: set[tuple[str, str]] = set()
    graph = meta.object_graph
    if graph is None:
        return nodes, bound
    safe_assets = set()
    for number, item in enumerate(graph.nodes):
        if item.WhichOneof("kind") == "asset":
            index = item.asset.asset_file_def_index
            assets = meta.asset_files
            if 0 <= index < len(assets) and _safe_asset_name(assets[index].filename):
                safe_assets.add(number)
    for name, concrete in graph.concrete_functions.items():
        if name not in meta.functions or not concrete.bound_inputs:
            continue
        args = [a.name for a in meta.functions[name].signature.input_arg]
        captured = args[len(args) - len(concrete.bound_inputs):]
        bound |= {(name, arg) for arg, number in zip(captured, concrete.bound_inputs) if number in safe_assets}
    return nodes, bound


def _expected(meta: MetaGraph, site: EffectSite, saver: tuple[set[str], set[str]], assets) -> bool:
    """The graph's own saver or an asset table: the loader runs it with paths it chooses."""
    if site.effect == "hidden":
        return site.source == "argument" and _constant_graph_argument(meta, site.function, site.source_node)
    if site.nested:
        return False
    if site.op in CHECKPOINT_OPS:
        saver_nodes, saver_functions = saver
        in_saver = (site.function is None and site.node in saver_nodes) or site.function in saver_functions
        if not in_saver:
            return False
        if site.source in ("argument", "placeholder"):
            return True
        if site.source == "computed":
            return _fed_by_caller(meta, site)
        saver_def = meta.saver_def
        filename = parse_tensor_name(saver_def.filename_tensor_name)[0] if saver_def is not None else ""
        return site.source == "constant" and filename in site.source_chain
    if site.op in ASSET_READERS:
        if site.source == "constant" and site.function is None:
            return site.source_node in assets[0]
        return site.source == "argument" and _asset_argument(meta, site.function, site.source_node, assets)
    return False


def _fed_by_caller(meta: MetaGraph, site: EffectSite) -> bool:
    """Whether a computed path depends on what the caller passes (a placeholder, a function argument).

    The saver builds its file names from the path the SavedModel API feeds it
    (``ShardedFilename``, ``StringJoin``); a path computed from constants alone is
    the graph's own choice, not the saver's.
    """
    if not site.source_chain:
        return False
    if site.function is None:
        index = meta.graph
        args: set[str] = set()
    else:
        index = meta.functions.index(site.function)
        args = {a.name for a in meta.functions[site.function].signature.input_arg}
    for name in index.ancestors(site.source_chain[-1]):
        node = index.node(name)
        if node is not None and node.op in ("Placeholder", "PlaceholderWithDefault"):
            return True
        if any(ref.node in args for ref in index.inputs(name)):
            return True
    return False


def _asset_value(meta: MetaGraph, source, graph_nodes: set[str]) -> bool:
    """A graph value that is an asset path: the asset's constant, or a string variable only ever assigned one."""
    if source.kind == "constant":
        return source.name in graph_nodes
    reader = meta.graph.node(source.chain[-1]) if source.chain else None
    if reader is None or reader.op != "ReadVariableOp" or not reader.input:
        return False
    handle = reader.input[0].split(":")[0]
    writers = [e.consumer for e in meta.graph.consumers.get(handle, [])
               if e.slot >= 0 and meta.graph.node(e.consumer).op not in ("ReadVariableOp", "VarIsInitializedOp")]
    if not writers:
        return False
    for name in writers:
        writer = meta.graph.node(name)
        if writer.op != "AssignVariableOp" or len(writer.input) < 2:
            return False
        if writer.input[1].split(":")[0] not in graph_nodes:
            return False
    return True


def _argument_sources(meta: MetaGraph, function: str, argument: str, depth: int = 0) -> list | None:
    """(caller, source) for what every call passes as this argument, followed up through callers' arguments.

    None when a call cannot be followed (a call by attribute other than ``f``, a
    missing node, a chain deeper than 8) or nothing calls the function.
    """
    library = meta.functions
    if depth > 8 or function not in library:
        return None
    names = [a.name for a in library[function].signature.input_arg]
    if argument not in names:
        return None
    position = names.index(argument)
    calls = library.callers.get(function, [])
    if not calls:
        return None
    found = []
    for call in calls:
        if call.caller is None:
            nodes, args = meta.graph.nodes, frozenset()
        else:
            nodes = library.index(call.caller).nodes
            args = frozenset(a.name for a in library[call.caller].signature.input_arg)
        node = nodes.get(call.node)
        if node is None or call.attr not in (None, "f"):
            return None
        source = resolve_input(node, position, nodes, args)
        if source.kind == "argument" and call.caller is not None:
            deeper = _argument_sources(meta, call.caller, source.name, depth + 1)
            if deeper is None:
                return None
            found += deeper
        else:
            found.append((call.caller, source))
    return found


def _asset_argument(meta: MetaGraph, function: str, argument: str, assets) -> bool:
    """Whether one of the SavedModel's own assets is what every caller passes as this function argument."""
    graph_nodes, bound = assets
    if (function, argument) in bound:
        return True
    sources = _argument_sources(meta, function, argument)
    return bool(sources) and all(caller is None and _asset_value(meta, source, graph_nodes)
                                 for caller, source in sources)


def _constant_graph_argument(meta: MetaGraph, function: str, argument: str) -> bool:
    """Whether every caller passes a constant serialized GraphDef (which the walk opens where it is)."""
    sources = _argument_sources(meta, function, argument)
    return bool(sources) and all(source.kind == "constant" and source.raw
                                 and all(as_graph(v) is not None for v in source.raw) for _, source in sources)


def live_functions(meta: MetaGraph) -> set[str]:
    """Library functions something can run: called from the graph, exposed by the object graph, or gradients.

    A function nothing calls, that no object of a TF2 SavedModel exposes and that is no
    registered gradient is never executed: ``tf.saved_model.load`` and TF1's loader only
    register it.  Functions called only from such functions are as dead.
    """
    library = meta.functions
    roots: set[str] = {c.callee for c in library.calls if c.caller is None}
    graph = meta.object_graph
    if graph is not None:
        roots |= {name for name in graph.concrete_functions if name in library}
    live = roots | set(library.reachable(list(roots)))
    while True:
        gradients = {library.gradients[n] for n in live if n in library.gradients} - live
        if not gradients:
            return live
        live |= gradients | set(library.reachable(list(gradients)))


def _sites(ctx: CheckContext) -> list[tuple[MetaGraph, EffectSite]]:
    """Every unexpected site of every MetaGraph (all tag-sets: a caller may load any), computed once."""
    cached = ctx.__dict__.get("_security_sites")
    if cached is not None:
        return cached
    found = []
    for meta in ctx.artifact.meta_graphs:
        saver = saver_parts(meta)
        assets = _asset_sources(meta)
        live = live_functions(meta)
        for site in effect_sites(meta.graph_def):
            if site.host_function is not None and site.host_function not in live:
                continue
            if not _expected(meta, site, saver, assets):
                found.append((meta, site))
    ctx.__dict__["_security_sites"] = found
    return found


def _issues(ctx: CheckContext, effect: str, hint: str) -> Iterator[Issue]:
    for meta, site in _sites(ctx):
        if site.effect != effect:
            continue
        at_init, keys = runners(meta, site.host_function, site.host_node)
        if at_init:
            ran = "the loader runs it (init op) when the model loads"
        elif keys:
            ran = "run by signature" + ("s " if len(keys) > 1 else " ") + ", ".join(keys)
            chain = _call_chain(meta, keys[0], site.host_function)
            if len(chain) > 1:
                ran += " (" + " -> ".join([keys[0], *chain]) + ")"
        elif not meta.signatures:
            ran = "no signatures: whoever runs the graph decides"
        else:
            ran = "no signature reaches it (a caller of the loaded object or graph still can)"
        what = VERBS[effect] if effect not in ("unknown", "hidden") else ""
        target = f" ({site.target})" if site.target and effect not in ("hidden", "unknown") else ""
        also = [VERBS[e] for e in site.effects if e != effect]
        parts = [f"{site.op} at {site.where}"]
        parts.append(f"{what}{target}" if what else site.note)
        if also:
            parts[-1] += " and " + " and ".join(also)
        if what and site.note:
            parts[-1] += f": {site.note}"
        yield Issue(f"{parts[0]} {parts[1]}; {ran}", hint, tag_set=tag_label(meta), location=site.where,
                    stage=LOAD if at_init else RUN)


def _call_chain(meta: MetaGraph, key: str, function: str | None) -> list[str]:
    """The functions a signature calls on its way to ``function``, outermost first (shortest chain)."""
    if function is None:
        return []
    reach = signature_reach(meta, meta.signatures[key])
    library = meta.functions
    starts = [c.callee for c in library.calls if c.caller is None and c.node in reach.nodes]
    previous: dict[str, str | None] = dict.fromkeys(starts)
    queue = deque(starts)
    while queue:
        current = queue.popleft()
        if current == function:
            chain = [current]
            while previous[chain[-1]] is not None:
                chain.append(previous[chain[-1]])
            return chain[::-1]
        for callee in library.callees.get(current, ()):
            if callee not in previous:
                previous[callee] = current
                queue.append(callee)
    return [function]


_HINT = "do not serve this model unless you trust it and want this: rebuild the export without the op"


@rule("TFI801", "file-write", Severity.ERROR, "An op writes, creates or deletes files when it runs")
def _write(ctx: CheckContext) -> Iterator[Issue]:
    """An op writes files on the machine that runs the model: WriteFile, a checkpoint
    save outside the graph's own saver, a tf.data sink (`SaveDataset`, `DatasetToTFRecord`,
    a snapshot or file cache), a summary writer, `PrintV2` with `output_stream`
    `file://PATH`, debug ops that dump tensors (`debug_urls` `file://`), `DumpTensor`,
    `MergeV2Checkpoints` (which also deletes), `FileSystemSetConfiguration`.

    Wherever the op sits: the graph, a cond or while branch, a dataset function, a
    function only the object graph exposes, or a graph serialized into a string
    constant (a `DatasetFromGraph` dataset); the location names every frame,
    `outer -> function -> node`.  The message gives the path when the graph holds
    it, or says that the caller or a computation gives it, and whether a
    signature or the loader's init op runs the op.  Not reported: the graph's own
    saver writing to the file name the SavedModel API passes it.
    """
    yield from _issues(ctx, "write", _HINT)


@rule("TFI802", "network", Severity.ERROR, "An op reaches the network or other processes when it runs")
def _network(ctx: CheckContext) -> Iterator[Issue]:
    """An op talks to another machine or process: a tf.data service (`DataServiceDataset`,
    `RegisterDataset`, `DistributedSave`), gRPC calls (`RpcClient`, `RpcCall`, `RpcServer`),
    debug ops streaming to `grpc://`, send/receive pairs and `RemoteCall` between tasks,
    collective ops (with the other tasks of a cluster), and any file op whose path in
    the graph is a remote file system URL (`gs://`, `s3://`, `hdfs://`, `http://`...).
    """
    yield from _issues(ctx, "network", _HINT)


@rule("TFI803", "hidden-graph", Severity.ERROR,
      "A DatasetFromGraph runs a graph that cannot be read without running the model")
def _hidden(ctx: CheckContext) -> Iterator[Issue]:
    """A node builds and runs a graph that is not written in the export as a constant:
    `DatasetFromGraph` fed a string computed at run time (decoded, joined, read from
    a file) or given by the caller, or a serialized graph nested deeper than
    tfinspect opens (4 levels, 64 graphs, 64 MB each).  Whatever that graph does is
    invisible until it runs.  A constant that holds a serialized GraphDef is opened
    and scanned instead.
    """
    yield from _issues(ctx, "hidden", "do not serve this model unless you trust it: what it runs cannot be "
                                      "checked before it runs")


@rule("TFI804", "file-read", Severity.WARNING, "An op reads files when it runs")
def _read(ctx: CheckContext) -> Iterator[Issue]:
    """An op reads files on the machine that runs the model: `ReadFile`, tf.data sources
    (`TextLineDataset`, `TFRecordDataset`, `FixedLengthRecordDataset`, CSV, LMDB, SQLite,
    `LoadDataset`, snapshot readers), TF1 readers (`WholeFileReader`...), checkpoint
    reads outside the graph's own saver, `ImmutableConst` memory-mapping a file,
    `DecodeProtoV2`/`EncodeProto` with a descriptor file, tables initialised from a
    text file that is not one of the SavedModel's own assets.

    A table filled from an asset (`assets/` of the SavedModel, a plain relative
    file name) is not reported; an asset file name that leaves `assets/` (`..`, an
    absolute path) is.
    """
    yield from _issues(ctx, "read", "serve it only if reading this file on the server is intended; ship data "
                                    "files as SavedModel assets")


@rule("TFI805", "file-list", Severity.INFO, "An op lists files or tests which exist when it runs")
def _list(ctx: CheckContext) -> Iterator[Issue]:
    """An op lists the server's file system: `MatchingFiles`, `MatchingFilesDataset`,
    `ListSnapshotChunksDataset`.  The names it finds can reach a signature's outputs.
    """
    yield from _issues(ctx, "list", "serve it only if listing these files on the server is intended")


@rule("TFI806", "unknown-op", Severity.WARNING,
      "An op is not in TensorFlow's registry: a custom op whose effects cannot be known")
def _unknown(ctx: CheckContext) -> Iterator[Issue]:
    """A custom op (`tf.load_op_library`, TensorFlow Text or Addons ops, a TensorRT engine)
    is native code that tfinspect's catalogue of TensorFlow's own ops does not describe:
    it may read, write or connect anywhere.  TFI501 says whether the server can load it.
    """
    yield from _issues(ctx, "unknown", "review the op's library before serving the model")
