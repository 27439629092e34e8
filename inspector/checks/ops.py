"""Rules about the operations in the graph and its functions (TFI5xx)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..model.graph import parse_tensor_name
from ..model.metagraph import MetaGraph
from .context import CheckContext, tag_label
from .core import Issue, Severity, rule
from .op_registry import registered_ops
from .reach import node_issues

PY_FUNC_OPS = frozenset({"PyFunc", "PyFuncStateless", "EagerPyFunc"})
# saved_model_cli scan's default denylist (tensorflow/python/tools/saved_model_cli.py) is
# ReadFile, WriteFile and PrintV2; TFI503 and TFI507 cover it and more.
FILE_OPS = frozenset({
    "ReadFile", "WriteFile", "MatchingFiles", "Save", "SaveV2", "SaveSlices", "Restore", "RestoreV2",
    "RestoreSlice", "MergeV2Checkpoints", "ShardedFilename", "DeleteFile", "IsDirectory",
    "WriteSummary", "WriteScalarSummary", "WriteHistogramSummary", "WriteImageSummary", "WriteAudioSummary",
    "WriteGraphSummary", "WriteRawProtoSummary", "CreateSummaryFileWriter", "CreateSummaryDbWriter",
    "FlushSummaryWriter", "CloseSummaryWriter", "ImportEvent", "ExperimentalSaveDataset", "SaveDataset",
    "SaveDatasetV2", "DatasetToTFRecord", "ExperimentalDatasetToTFRecord",
})
PRINT_OPS = frozenset({"Print", "PrintV2"})
# Registered in the TensorFlow 2.21 wheel without any kernel: the Boosted Trees
# (Estimator) ops lost theirs.  A test asks TensorFlow's kernel registry to confirm.
NO_KERNEL_OPS = frozenset({
    "BoostedTreesAggregateStats", "BoostedTreesBucketize", "BoostedTreesCalculateBestFeatureSplit",
    "BoostedTreesCalculateBestFeatureSplitV2", "BoostedTreesCalculateBestGainsPerFeature", "BoostedTreesCenterBias",
    "BoostedTreesCreateEnsemble", "BoostedTreesCreateQuantileStreamResource", "BoostedTreesDeserializeEnsemble",
    "BoostedTreesEnsembleResourceHandleOp", "BoostedTreesExampleDebugOutputs", "BoostedTreesFlushQuantileSummaries",
    "BoostedTreesGetEnsembleStates", "BoostedTreesMakeQuantileSummaries", "BoostedTreesMakeStatsSummary",
    "BoostedTreesPredict", "BoostedTreesQuantileStreamResourceAddSummaries",
    "BoostedTreesQuantileStreamResourceDeserialize", "BoostedTreesQuantileStreamResourceFlush",
    "BoostedTreesQuantileStreamResourceGetBucketBoundaries", "BoostedTreesQuantileStreamResourceHandleOp",
    "BoostedTreesSerializeEnsemble", "BoostedTreesSparseAggregateStats",
    "BoostedTreesSparseCalculateBestFeatureSplit", "BoostedTreesTrainingPredict", "BoostedTreesUpdateEnsemble",
    "BoostedTreesUpdateEnsembleV2", "IsBoostedTreesEnsembleInitialized",
    "IsBoostedTreesQuantileStreamResourceInitialized",
})
TRACED_SAVER = re.compile(r"^__inference__traced_(save|restore)_\d+$")

# GraphDef producer version (TF_GRAPH_DEF_VERSION in tensorflow/core/public/version.h) of
# each TensorFlow release.  Since 2019 the number is raised by one every day by an
# automated commit, and a release keeps the value of the day its branch was cut.  Exact
# values, read from version.h as released: 2.12 -> 1394, and 2.21 -> 2474 (the value the
# installed 2.21 writes).  The others are estimated from the release dates at one a day
# from the 2.12 value, so they may be off by the few weeks between branch cut and release.
GRAPH_DEF_VERSIONS = {
    "1.15": 140, "2.0": 124, "2.1": 224, "2.2": 344, "2.3": 425, "2.4": 565, "2.5": 715, "2.6": 805,
    "2.7": 890, "2.8": 980, "2.9": 1083, "2.10": 1196, "2.11": 1269, "2.12": 1394, "2.13": 1498,
    "2.14": 1581, "2.15": 1630, "2.16": 1744, "2.17": 1870, "2.18": 1975, "2.19": 2113, "2.20": 2268,
    "2.21": 2474,
}


def _bodies(meta: MetaGraph):
    """(function or None, NodeDefs) for the graph and every library function."""
    yield None, list(meta.graph_def.node)
    for name in meta.functions.names():
        yield name, list(meta.functions[name].node_def)


def _where(function: str | None, node: str) -> str:
    return node if function is None else f"{function}/{node}"


def _nodes_of(ctx: CheckContext, ops: frozenset[str]):
    """(MetaGraph, function or None, NodeDef, `function/node`) for every node of these op types."""
    for meta in ctx.meta_graphs:
        for function, nodes in _bodies(meta):
            for node in nodes:
                if node.op in ops:
                    yield meta, function, node, _where(function, node.name)


@rule("TFI501", "unregistered-op", Severity.ERROR,
      "An op type is not registered in the installed TensorFlow (custom op)")
def _unregistered(ctx: CheckContext) -> Iterator[Issue]:
    """The graph uses an op that TensorFlow does not know: a custom op.

    Custom ops (`tf.load_op_library`), TensorFlow Addons / Text ops (namespaced as
    `Addons>Foo`), `TRTEngineOp` from a TensorRT conversion and the like must be
    linked into the server, or importing the graph fails with `NotFoundError: Op
    type not registered 'MyCustomOp' in binary running on ...`.  How tfinspect
    knows the registry without starting TensorFlow: it reads the op names from the
    installed wheel's generated wrappers (`gen_*.py`: `_apply_op_helper("Op"` /
    `_execute.execute(b"Op"`), once per TensorFlow version, cached under
    `$XDG_CACHE_HOME/tfinspect/`, plus a short list of ops registered in C++ only
    (`_Arg`, `_Retval`, TPU ops...).  A test compares that set with TensorFlow's
    own registry on every fixture.  Names of library functions are not ops and
    are not reported.  Without TensorFlow installed only namespaced ops are
    reported.  Build a server with the op, or export without it.
    """
    known = registered_ops()
    for meta in ctx.meta_graphs:
        functions = set(meta.functions.names())
        reported: set[str] = set()
        for function, nodes in _bodies(meta):
            for node in nodes:
                op = node.op
                if op in functions or op in reported:
                    continue
                if known is not None and op in known[0]:
                    continue
                if known is None and ">" not in op:
                    continue
                reported.add(op)
                version = f"TensorFlow {known[1]}" if known else "stock TensorFlow"
                yield Issue(f"op {op} (node {_where(function, node.name)}) is not registered in {version}",
                            "link the op's library into the server (custom TF Serving build or "
                            "tf.load_op_library) or export the model without it",
                            tag_set=tag_label(meta), location=_where(function, node.name))


@rule("TFI502", "py-func", Severity.ERROR,
      "PyFunc / EagerPyFunc nodes run Python code that is not saved with the model")
def _py_func(ctx: CheckContext) -> Iterator[Issue]:
    """`tf.py_function` / `tf.compat.v1.py_func` nodes call back into the Python process.

    A `PyFunc`, `PyFuncStateless` or `EagerPyFunc` node only holds a token naming
    a Python callable registered in the process that built the graph; the
    callable is not saved.  Any other process (TF Serving, Vertex AI, a new
    Python session) fails when the node runs, e.g. `InvalidArgumentError:
    ... callback pyfunc_0 is not found` (TF Serving: the op is not even
    registered).  Rewrite the computation with TensorFlow ops.
    """
    for meta, function, node, where in _nodes_of(ctx, PY_FUNC_OPS):
        yield from node_issues(meta, function, node.name,
                               f"{node.op} {where} calls Python code that is not part of the export",
                               "replace tf.py_function / py_func with TensorFlow ops",
                               tag_set=tag_label(meta), location=where)


def _saver_parts(meta: MetaGraph) -> tuple[set[str], set[str]]:
    """Top-level nodes and functions that belong to the SaverDef's save and restore ops."""
    saver = meta.saver_def
    graph = meta.graph
    if saver is None:
        # A bare GraphDef keeps tf.compat.v1.train.Saver's nodes without the SaverDef
        # naming them: its save/ (save_1/, ...) scope holding SaveV2 and RestoreV2.
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


@rule("TFI503", "file-system-op", Severity.WARNING,
      "Ops that read or write files outside the saver")
def _file_ops(ctx: CheckContext) -> Iterator[Issue]:
    """Ops that touch the file system outside the saver: ReadFile, WriteFile, Save/Restore...

    A served model should not read or write files: the paths are those of the
    export machine, a server's sandbox often forbids it, and a `WriteFile` runs on
    every request.  The SaverDef's own nodes (TF1's `save/` scope, TF2's saver
    functions) are expected and not reported; everything else is, in the graph
    and in every library function (If/While branches included), named
    `function/node`.  `PrintV2` is reported when it writes to a file.  Remove
    them from the serving graph, or ship data files as assets.

    Not reported, because they are the saver: the nodes the SaverDef names and
    their scope, every TF1 saver scope (`save/`, `save_1/`... holding SaveV2 and
    RestoreV2, or the V1 format's Save/SaveSlices and Restore/RestoreSlice:
    `tf.compat.v1.saved_model.Builder` adds its own `save_1/` beside a `save/`
    made by the user's Saver, and an old `.meta` keeps stale ones), and a TF2 model's
    `__inference__traced_save_N` / `__inference__traced_restore_N` functions with
    what only they call.  Together with TFI507 this covers `saved_model_cli
    scan`'s denylist (ReadFile, WriteFile, PrintV2), in function and control-flow
    bodies too.
    """
    for meta in ctx.meta_graphs:
        saver_nodes, saver_functions = _saver_parts(meta)
        for function, nodes in _bodies(meta):
            if function in saver_functions:
                continue
            for node in nodes:
                if function is None and node.name in saver_nodes:
                    continue
                printed = node.op == "PrintV2" and node.attr["output_stream"].s.startswith(b"file://") \
                    if "output_stream" in node.attr else False
                if node.op in FILE_OPS or printed:
                    where = _where(function, node.name)
                    yield Issue(f"{node.op} {where} touches the file system outside the saver",
                                "remove file access from the serving graph, or ship the file as an asset",
                                tag_set=tag_label(meta), location=where)


def _pinned(device: str) -> bool:
    text = device.upper()
    return "GPU" in text or "TPU" in text or "/JOB:" in text


@rule("TFI504", "device-pin", Severity.WARNING,
      "Nodes are pinned to a device (GPU, TPU, /job:...): exported without clear_devices")
def _device_pins(ctx: CheckContext) -> Iterator[Issue]:
    """Nodes carry hard device assignments such as `/device:GPU:0` or `/job:worker`.

    The graph was exported without `clear_devices=True`.  A server without that
    device cannot place the nodes (`InvalidArgumentError: Cannot assign a device
    for operation ...`) unless soft placement is on, and even then colocation
    constraints can fail.  Export with `clear_devices=True`
    (`add_meta_graph_and_variables(..., clear_devices=True)`,
    `import_meta_graph(..., clear_devices=True)`).
    """
    for meta in ctx.meta_graphs:
        by_device: dict[str, list[str]] = {}
        for function, nodes in _bodies(meta):
            for node in nodes:
                if node.device and _pinned(node.device):
                    by_device.setdefault(node.device, []).append(_where(function, node.name))
        for device, names in sorted(by_device.items()):
            shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
            yield Issue(f"{len(names)} nodes are pinned to {device} ({shown})",
                        "export again with clear_devices=True", tag_set=tag_label(meta), location=names[0])


def _release(text: str) -> str:
    parts = text.strip().split(".")
    return ".".join(parts[:2])


def _versions(ctx: CheckContext):
    """(release, its GraphDef version, MetaGraph, its GraphDef versions) when --tf-version names a known release."""
    release = _release(ctx.tf_version) if ctx.tf_version else None
    consumer = GRAPH_DEF_VERSIONS.get(release) if release else None
    if consumer is None:
        return
    for meta in ctx.meta_graphs:
        yield release, consumer, meta, meta.graph_def.versions


@rule("TFI505", "graph-too-new", Severity.ERROR,
      "The GraphDef's versions.min_consumer or bad_consumers refuse the TensorFlow given with --tf-version")
def _too_new(ctx: CheckContext) -> Iterator[Issue]:
    """The GraphDef's `versions` attribute refuses the TensorFlow release `--tf-version X.Y`.

    Only checked when `--tf-version` is given.  A TensorFlow release refuses a
    graph whose `versions.min_consumer` is above its own GraphDef version
    ("GraphDef min consumer N is above current M") or whose
    `versions.bad_consumers` lists it.  The message names which of the two.  The
    releases' GraphDef versions come from TensorFlow's `version.h` (see
    `GRAPH_DEF_VERSIONS`).  Export with the TensorFlow version that serves the
    model, or upgrade the server.  A newer `versions.producer` alone is TFI508.
    """
    for release, consumer, meta, versions in _versions(ctx):
        tags = tag_label(meta)
        if versions.min_consumer > consumer:
            yield Issue(f"GraphDef attribute versions.min_consumer {versions.min_consumer} is above TensorFlow "
                        f"{release}'s GraphDef version {consumer}", f"serve with a TensorFlow newer than {release}",
                        tag_set=tags, location="versions.min_consumer")
        elif consumer in versions.bad_consumers:
            yield Issue(f"GraphDef attribute versions.bad_consumers lists TensorFlow {release}'s version "
                        f"{consumer}", f"serve with another TensorFlow than {release}", tag_set=tags,
                        location="versions.bad_consumers")


@rule("TFI508", "producer-newer", Severity.WARNING,
      "The GraphDef's versions.producer is newer than the TensorFlow given with --tf-version")
def _producer_newer(ctx: CheckContext) -> Iterator[Issue]:
    """The graph was written by a newer TensorFlow than `--tf-version X.Y` (its `versions.producer` attribute).

    Only checked when `--tf-version` is given.  Such graphs usually load, but ops
    or attributes added after the older release are unknown there ("NodeDef
    mentions attr ... not in Op", "Op type not registered").  The message names
    the `versions.producer` attribute and both versions.  Export with the
    TensorFlow version that serves the model, or upgrade the server.
    """
    for release, consumer, meta, versions in _versions(ctx):
        if versions.producer > consumer and versions.min_consumer <= consumer \
                and consumer not in versions.bad_consumers:
            yield Issue(f"GraphDef attribute versions.producer {versions.producer} is newer than TensorFlow "
                        f"{release} ({consumer}); ops or attributes may be unknown there",
                        f"export with TensorFlow {release}, or serve with TensorFlow "
                        f"{meta.tensorflow_version or 'of the export'}", tag_set=tag_label(meta),
                        location="versions.producer")


@rule("TFI506", "no-kernel", Severity.ERROR,
      "An op has no kernel in the TensorFlow wheel: the signatures that run it fail")
def _no_kernel(ctx: CheckContext) -> Iterator[Issue]:
    """The op is registered but TensorFlow ships no kernel for it.

    The graph imports and the model loads, but running the op fails with
    `InvalidArgumentError: No OpKernel was registered to support Op
    'BoostedTreesBucketize'` (TensorFlow 2.21 on the tf.Transform export of the
    corpus).  The Boosted Trees ops of the removed Estimator API are in this case
    (`NO_KERNEL_OPS`, confirmed against TensorFlow's kernel registry by a test).
    Reported for each signature that runs the op, at load when the init op does.
    Export with the TensorFlow release the model was made with, or replace the op.
    """
    for meta, function, node, where in _nodes_of(ctx, NO_KERNEL_OPS):
        yield from node_issues(meta, function, node.name, f"{node.op} {where} has no kernel in TensorFlow",
                               "serve with a TensorFlow release that has the op's kernel, or export without it",
                               tag_set=tag_label(meta), location=where)


@rule("TFI507", "print-op", Severity.WARNING,
      "Print / PrintV2 ops write to the server's logs on every run")
def _print_ops(ctx: CheckContext) -> Iterator[Issue]:
    """`tf.print` / `tf.compat.v1.Print` nodes in the graph or in any function body.

    They run on every request and write to the server's standard error or log,
    which costs time, fills logs and can leak request data.  `saved_model_cli
    scan` flags PrintV2 for the same reason.  A PrintV2 that writes to a file is
    TFI503 as well.  Remove the prints from the exported functions.
    """
    for meta, _, node, where in _nodes_of(ctx, PRINT_OPS):
        yield Issue(f"{node.op} {where} prints on every run", "remove tf.print from the exported graph",
                    tag_set=tag_label(meta), location=where)
