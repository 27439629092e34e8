"""Rules about the operations in the graph and its functions (TFI5xx)."""

from __future__ import annotations

from collections.abc import Iterator

from ..model.metagraph import MetaGraph
from ..registry import reader as registry
from .context import CheckContext, tag_label
from .core import Issue, Severity, rule
from .op_registry import registered_ops
from .reach import node_issues
from .releases import target_release

PY_FUNC_OPS = frozenset({"PyFunc", "PyFuncStateless", "EagerPyFunc"})
# TFI503 (file-system-op) was here; the security family (checks/security.py, TFI801-TFI806) owns
# every op that touches files or the network, from a catalogue of TensorFlow's whole op registry.
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
    reported.  With `--tf-version` naming a shipped release, ops that some
    shipped release registers are TFI701's.  Build a server with the op, or
    export without it.
    """
    known = registered_ops()
    shipped = target_release(ctx) is not None  # TFI701 judges the ops a shipped release registry knows
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
                if shipped and registry.known_op(op):
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
    shipped = target_release(ctx)
    consumer = shipped.graph_def_version if shipped else GRAPH_DEF_VERSIONS.get(release) if release else None
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
    releases' GraphDef versions are read from the shipped op registries
    (`tf.version.GRAPH_DEF_VERSION` of each wheel), else from TensorFlow's
    `version.h` (see `GRAPH_DEF_VERSIONS`).  Export with the TensorFlow version
    that serves the model, or upgrade the server.  A newer `versions.producer`
    alone is TFI508 (or the TFI70x rules).
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

    Only checked when `--tf-version` names a release tfinspect ships no op
    registry for (before 2.12); for shipped releases the TFI70x rules say
    precisely which op or attribute fails.  Such graphs usually load, but ops
    or attributes added after the older release are unknown there ("NodeDef
    mentions attr ... not in Op", "Op type not registered").  The message names
    the `versions.producer` attribute and both versions.  Export with the
    TensorFlow version that serves the model, or upgrade the server.
    """
    if target_release(ctx) is not None:
        return  # the TFI70x rules know that release's ops and attributes
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
    With `--tf-version` naming a shipped release, TFI704 asks that release's
    kernel registry instead.  Export with the TensorFlow release the model was made with, or replace the op.
    """
    if target_release(ctx) is not None:
        return  # TFI704 asks that release's kernel registry
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
    scan` flags PrintV2 for the same reason.  A PrintV2 that writes to a file
    (`output_stream` `file://PATH`) is also a security finding, TFI801.  Remove
    the prints from the exported functions.
    """
    for meta, _, node, where in _nodes_of(ctx, PRINT_OPS):
        yield Issue(f"{node.op} {where} prints on every run", "remove tf.print from the exported graph",
                    tag_set=tag_label(meta), location=where)
