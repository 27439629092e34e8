"""Rules for one TensorFlow release given with --tf-version (TFI70x), from the op registries of real releases.

What a release's loaders check, and when, learnt by running TensorFlow 2.12 on
exports written by 2.21 (tests/conformance/test_releases.py holds each point against it):

- Every op of the top-level graph must be registered, and so must every op of
  every library function that a top-level node calls (directly or through other
  functions): the first Session.run (the loader's restore) turns the graph into
  TensorFlow's runtime graph and inlines the functions it calls.  A failure
  there fails the load, for ``tf.compat.v1`` and TF Serving alike.  A function
  no top-level node calls is never instantiated by these loaders.
- ``tf.saved_model.load`` on a TF2 SavedModel (one with an object graph)
  rebuilds every library function at load and never imports the top-level
  graph: an unknown op in any function fails the load.  On a TF1 SavedModel
  it imports the graph as ``tf.compat.v1`` does.
- An attribute the release's OpDef does not declare is dropped, not refused:
  the node runs as if it were unset.  That fails the import when the attribute
  decides the type of an input or output (``TopKV2``'s ``index_type``: "input
  x[0] expected type int64 != int32"), and silently changes what the node does
  otherwise (``MatMul``'s ``grad_a``, ``GatherNd``'s ``bad_indices_policy``).
  Attributes at their default are not in an export at all
  (``strip_default_attrs``, always on in TF2).
- A node runs only where the release has a CPU kernel for its op and its type
  attributes (``Range`` on bfloat16 has one from 2.18 on): the signatures that
  run it fail, or the load when the loader's init op runs it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..model.metagraph import MetaGraph
from ..registry import reader as registry
from .context import CheckContext, tag_label
from .core import LOAD, Issue, Severity, rule
from .reach import node_issues, runners

V1_LOADERS = frozenset({"python-v1", "tf-serving", "vertex"})
SERVING = frozenset({"tf-serving", "vertex"})


def target_release(ctx: CheckContext) -> registry.Release | None:
    """The registry of the release --tf-version names, when tfinspect ships it."""
    if not ctx.tf_version:
        return None
    name = registry.release_of(ctx.tf_version)
    if name is None or name not in registry.releases():
        return None
    return registry.release(name)


def revives_functions(ctx: CheckContext, meta: MetaGraph) -> bool:
    """tf.saved_model.load on a TF2 SavedModel: every library function is built at load."""
    return ctx.target == "python" and ctx.is_saved_model and bool(meta.object_graph and meta.object_graph.nodes)


@dataclass(frozen=True)
class Place:
    """Where a node sits and what the loader does with it."""

    function: str | None
    node: object  # NodeDef
    at_load: bool  # validated when the model loads (else when what reaches it runs)

    @property
    def where(self) -> str:
        return self.node.name if self.function is None else f"{self.function}/{self.node.name}"


def places(ctx: CheckContext, meta: MetaGraph) -> list[Place]:
    """Every node the target's loader imports (all of them at load), worked out once per MetaGraph and loader."""
    key = ("places", revives_functions(ctx, meta))
    memo = _memo(meta)
    if key not in memo:
        memo[key] = list(_places(ctx, meta))
    return memo[key]


def _memo(meta: MetaGraph) -> dict:
    """Per-MetaGraph results that do not depend on the release, or depend on it only through a shared OpDef."""
    return meta.__dict__.setdefault("_release_memo", {})


def _memoised(meta: MetaGraph, key: tuple, compute, *args):
    memo = _memo(meta)
    if key not in memo:
        memo[key] = compute(*args)
    return memo[key]


def _places(ctx: CheckContext, meta: MetaGraph) -> Iterator[Place]:
    library = meta.functions
    if revives_functions(ctx, meta):
        for name in library.names():
            for node in library[name].node_def:
                yield Place(name, node, True)
        return
    for node in meta.graph_def.node:
        yield Place(None, node, True)
    top = {call.callee for call in library.calls if call.caller is None}
    for name in sorted(top | set(library.reachable(sorted(top)))):
        if name in library:
            for node in library[name].node_def:
                yield Place(name, node, True)


def _issues(ctx: CheckContext, meta: MetaGraph, place: Place, message: str, hint: str) -> Iterator[Issue]:
    tags = tag_label(meta)
    if place.at_load:
        yield Issue(message, hint, tag_set=tags, location=place.where, stage=LOAD)
    else:
        yield from node_issues(meta, place.function, place.node.name, message, hint, location=place.where,
                               tag_set=tags)


def _is_call(meta: MetaGraph, op: str) -> bool:
    return op in meta.functions


def _library_of(op: str) -> str:
    """The op library that registers the op in the releases that have it ("" for TensorFlow itself)."""
    for name in registry.registering(op):
        found = registry.release(name).op(op)
        if found is not None:
            return found.library
    return ""


def _registered_places(ctx: CheckContext, release: registry.Release):
    """(MetaGraph, Place, the op as the release registers it) for each imported node of a registered op."""
    for meta in ctx.meta_graphs:
        for place in places(ctx, meta):
            if _is_call(meta, place.node.op):
                continue
            found = release.op(place.node.op)
            if found is not None:
                yield meta, place, found


def _first(op: str) -> str:
    having = registry.registering(op)
    return having[0] if having else ""


@rule("TFI701", "op-not-in-release", Severity.ERROR,
      "An op is not registered in the TensorFlow release given with --tf-version")
def _op_not_in_release(ctx: CheckContext) -> Iterator[Issue]:
    """The release given with `--tf-version X.Y` (or `--serving-version`, `--vertex-container`) lacks an op the model uses.

    Only checked when the release is one tfinspect ships a registry for (see
    `tfinspect compat`).  TensorFlow adds ops in every release and removes a few;
    the release's importer fails with `NotFoundError: Op type not registered
    'X' in binary running on ...`.  Reported only where that loader looks, and
    then the model does not load: for `tf.compat.v1` and TF Serving the
    top-level graph and every function it calls (a `tf.function` that no
    top-level node calls is never built); for `tf.saved_model.load` of a TF2
    SavedModel every library function, called or not (TensorFlow 2.12 on 2.21
    exports confirms both).  The message names the op, the node and the first
    release that has it.  Ops of tensorflow-text and tensorflow-decision-forests
    count as registered for `tf-serving` and `vertex` when TF Serving of that
    release links them (a warning when tfinspect could not read that library
    for the release); under `python` and `python-v1` the library must be
    imported first (a warning).  Ops no shipped release knows (custom ops) are
    TFI501's.  Serve with a release that has the op, or export with the
    server's release.
    """
    release = target_release(ctx)
    if release is None:
        return
    for meta in ctx.meta_graphs:
        reported: set[tuple[str, bool]] = set()
        for place in places(ctx, meta):
            op = place.node.op
            if _is_call(meta, op) or not registry.known_op(op):
                continue
            found = release.op(op)
            if found is not None and (not found.library or ctx.target in SERVING):
                continue
            key = (op, place.at_load)
            if key in reported:
                continue
            reported.add(key)
            if found is not None:  # a library op, under a Python loader
                yield Issue(f"op {op} ({place.where}) is registered by {found.library} "
                            f"{release.library_version(found.library) or ''}, not by TensorFlow {release.name} "
                            f"itself", f"import {found.library.replace('-', '_')} before loading the model",
                            tag_set=tag_label(meta), location=place.where, severity=Severity.WARNING)
                continue
            library = _library_of(op)
            if library and ctx.target in SERVING and release.library_version(library) is None:
                yield Issue(f"op {op} ({place.where}) comes from {library}, which tfinspect has no registry of "
                            f"for TensorFlow {release.name}", f"check that TF Serving {release.name} links {library}",
                            tag_set=tag_label(meta), location=place.where, severity=Severity.WARNING)
                continue
            first = _first(op)
            since = f"; the first release with it is {first}" if first else ""
            if first and registry.release_key(first) < registry.release_key(release.name):
                since = f"; releases {first} to {registry.registering(op)[-1]} have it"
            yield from _issues(ctx, meta, place, f"op {op} ({place.where}) is not registered in TensorFlow "
                               f"{release.name}{since}",
                               f"serve with TensorFlow {first or 'that has the op'}, or export without the op")


def _declaring(op: str, attr: str):
    """The OpDef of the newest shipped release that declares the attribute (the producer's, most likely)."""
    for name in reversed(registry.releases()):
        found = registry.release(name).op(op)
        if found is not None and any(item.name == attr for item in found.op_def.attr):
            return found.op_def
    return None


def _attr_since(op: str, attr: str) -> str | None:
    for name in registry.releases():
        found = registry.release(name).op(op)
        if found is not None and any(item.name == attr for item in found.op_def.attr):
            return name
    return None


def _with_defaults(op_def, attrs) -> dict:
    values = {item.name: item.default_value for item in op_def.attr if item.HasField("default_value")}
    values.update(attrs)
    return values


def arg_types(op_def, attrs) -> tuple[tuple[int, ...], tuple[int, ...]] | None:
    """The DataType of each input and output the OpDef gives a node with these attributes; None if unknown."""
    values = _with_defaults(op_def, attrs)

    def one(args):
        types: list[int] = []
        for arg in args:
            if arg.type_list_attr:
                if arg.type_list_attr not in values:
                    return None
                types.extend(values[arg.type_list_attr].list.type)
                continue
            if arg.type_attr:
                if arg.type_attr not in values:
                    return None
                dtype = values[arg.type_attr].type
            else:
                dtype = arg.type
            count = 1
            if arg.number_attr:
                if arg.number_attr not in values:
                    return None
                count = values[arg.number_attr].i
            types.extend([dtype] * count)
        return tuple(types)

    inputs, outputs = one(op_def.input_arg), one(op_def.output_arg)
    return None if inputs is None or outputs is None else (inputs, outputs)


def _attr_facts(meta: MetaGraph, place: Place, op_def) -> tuple[list[str], list[str], bool]:
    """(attributes the OpDef does not declare, required ones the node lacks, whether dropping changes a dtype)."""
    return _memoised(meta, ("attrs", place.function, place.node.name, id(op_def)), _compute_attr_facts,
                     place.node, op_def)


def _compute_attr_facts(node, op_def) -> tuple[list[str], list[str], bool]:
    declared = _declared(op_def)
    dropped = sorted(key for key in node.attr if not key.startswith("_") and key not in declared)
    missing = [item.name for item in op_def.attr if item.name not in node.attr and not item.HasField("default_value")]
    return dropped, missing, _type_change(node, dropped, op_def)


_DECLARED: dict[int, frozenset[str]] = {}


def _declared(op_def) -> frozenset[str]:
    key = id(op_def)  # registry OpDefs are parsed once and kept
    if key not in _DECLARED:
        _DECLARED[key] = frozenset(item.name for item in op_def.attr)
    return _DECLARED[key]


def _type_change(node, dropped: list[str], op_def) -> bool:
    """Whether dropping the attributes changes a dtype of the node's inputs or outputs."""
    if not dropped:
        return False
    producer = _declaring(node.op, dropped[0])
    kept = {key: value for key, value in node.attr.items() if key not in dropped}
    before = arg_types(producer, node.attr) if producer is not None else None
    after = arg_types(op_def, kept)
    return before is not None and after is not None and before != after


@rule("TFI702", "attr-dropped-changes-type", Severity.ERROR,
      "A node sets an attribute the release given with --tf-version does not know, and it decides a dtype")
def _attr_changes_type(ctx: CheckContext) -> Iterator[Issue]:
    """A node sets an attribute that the op of release `--tf-version X.Y` does not declare, and it decides a dtype.

    Ops gain attributes over releases, always with a default, and an export
    leaves out attributes at their default (`strip_default_attrs`, always on in
    TF2).  An older release drops an attribute it does not declare and builds
    the node as if it were unset.  When the attribute decides the dtype of an
    input or output (`tf.math.top_k(..., index_type=tf.int64)` sets `TopKV2`'s
    `index_type`, new in 2.13), the node's tensors change dtype and the import
    fails: `input x[0] expected type int64 != int32` (TensorFlow 2.12 on a 2.21
    export, both loaders).  An attribute that decides no dtype is TFI705.
    Where: the top-level graph and the functions it calls, at load; every
    function for `tf.saved_model.load` of a TF2 SavedModel.  The same rule
    reports an attribute the release requires (no default) that the node does
    not set (`NodeDef missing attr`).  Export without the option, or serve with
    a release that knows it.
    """
    release = target_release(ctx)
    if release is None:
        return
    for meta, place, found in _registered_places(ctx, release):
        node = place.node
        dropped, missing, changes = _attr_facts(meta, place, found.op_def)
        for name in missing:
            yield from _issues(ctx, meta, place,
                               f"{node.op} {place.where} does not set attribute {name}, which "
                               f"TensorFlow {release.name} requires", "export the model with that release")
        if not changes:
            continue
        since = _attr_since(node.op, dropped[0])
        yield from _issues(ctx, meta, place,
                           f"{node.op} {place.where} sets {', '.join(dropped)}, which TensorFlow "
                           f"{release.name} does not know"
                           + (f" (it appeared in {since})" if since else "")
                           + "; without it the node's dtypes change and the import fails",
                           f"export without setting {dropped[0]}, or serve with TensorFlow {since or 'newer'}")


@rule("TFI705", "attr-dropped", Severity.WARNING,
      "A node sets an attribute the release given with --tf-version does not know: it is ignored there")
def _attr_dropped(ctx: CheckContext) -> Iterator[Issue]:
    """A node sets an attribute that the op of release `--tf-version X.Y` does not declare; the release ignores it.

    The release drops the attribute and runs the node as if it were unset: the
    model loads and runs (TensorFlow 2.12 on 2.21 exports setting `MatMul`'s
    `grad_a` or `GatherNd`'s `bad_indices_policy`), but where the attribute
    changes behaviour, not only speed, results may differ: `GatherNd` with
    `bad_indices_policy="IGNORE"` errors on an out-of-range index instead of
    giving zeros.  `VarHandleOp`'s `debug_name` (set on every variable from
    2.15 on) only names the variable and is not reported.  An attribute that
    decides a dtype is TFI702.  Check the results on that release, or serve with
    a release that knows the attribute.
    """
    release = target_release(ctx)
    if release is None:
        return
    seen: set[tuple[str | None, str, str]] = set()
    for meta, place, found in _registered_places(ctx, release):
        node = place.node
        dropped, _, changes = _attr_facts(meta, place, found.op_def)
        if not dropped or changes:
            continue  # nothing dropped, or TFI702
        dropped = [key for key in dropped if key not in NAMING_ATTRS]
        if not dropped or (tag_label(meta), node.op, ",".join(dropped)) in seen:
            continue
        seen.add((tag_label(meta), node.op, ",".join(dropped)))
        since = _attr_since(node.op, dropped[0])
        yield Issue(f"{node.op} {place.where} sets {', '.join(dropped)}, which TensorFlow {release.name} "
                    f"does not know and ignores" + (f" (it appeared in {since})" if since else ""),
                    f"check the results on TensorFlow {release.name}, or serve with {since or 'a newer release'}",
                    tag_set=tag_label(meta), location=place.where)


NAMING_ATTRS = frozenset({"debug_name"})


def _value_text(value) -> str:
    from ..tensors.shapes import dtype_name

    kind = value.WhichOneof("value")
    if kind == "type":
        return dtype_name(value.type)
    if kind == "s":
        return repr(value.s.decode("utf-8", "replace"))
    if kind == "list" and value.list.type:
        return "[" + ", ".join(dtype_name(t) for t in value.list.type) + "]"
    return str(getattr(value, kind)) if kind else "nothing"


def _outside_allowed(op_def, node) -> list[tuple[object, list[str]]]:
    """(attribute definition, the parts of the node's value it does not allow) for each such attribute."""
    result = []
    for item in op_def.attr:
        if item.name in node.attr and item.HasField("allowed_values"):
            outside = _not_allowed(node.attr[item.name], item.allowed_values)
            if outside:
                result.append((item, outside))
    return result


def _not_allowed(value, allowed) -> list[str]:
    """The parts of an attribute value outside the OpDef's allowed values."""
    from ..tensors.shapes import dtype_name

    kind = value.WhichOneof("value")
    if allowed.list.type:
        types = [value.type] if kind == "type" else list(value.list.type) if kind == "list" else []
        return [dtype_name(t) for t in types if t not in allowed.list.type]
    if allowed.list.s:
        strings = [value.s] if kind == "s" else list(value.list.s) if kind == "list" else []
        return [repr(s.decode("utf-8", "replace")) for s in strings if s not in allowed.list.s]
    return []


@rule("TFI703", "value-not-in-release", Severity.ERROR,
      "An attribute value (a dtype, a mode) is not allowed by the release given with --tf-version")
def _value_not_in_release(ctx: CheckContext) -> Iterator[Issue]:
    """A node's attribute value is outside what release `--tf-version X.Y` allows for it.

    Ops widen the dtypes they accept (and the strings an enum-like attribute
    takes) over releases.  The release's importer refuses a value outside its
    OpDef's `allowed_values`: `Value for attr 'T' of bfloat16 is not in the list
    of allowed values: int32, int64` (TensorFlow 2.12 on a 2.21 export of
    `tf.math.unsorted_segment_sum` with int16 segment ids).  Where: the
    top-level graph at load; a function's node when it is instantiated, which
    is at load for `tf.saved_model.load` of a TF2 SavedModel (it rebuilds every
    function) and when a signature that calls it runs for `tf.compat.v1` and TF
    Serving (at load when the init op calls it).  Cast to a dtype the release
    accepts, or serve with a newer release.
    """
    release = target_release(ctx)
    if release is None:
        return
    for meta, place, found in _registered_places(ctx, release):
        node = place.node
        for item, outside in _memoised(meta, ("allowed", place.function, node.name, id(found.op_def)),
                                       _outside_allowed, found.op_def, node):
            message = (f"{node.op} {place.where} has {item.name}={_value_text(node.attr[item.name])}, which "
                       f"TensorFlow {release.name} does not allow ({', '.join(outside)})")
            hint = "cast to a dtype that release accepts, or serve with a newer release"
            if place.function is not None and not revives_functions(ctx, meta):
                # tf.compat.v1 / TF Serving check a function's values when it is instantiated to run
                yield from node_issues(meta, place.function, node.name, message, hint, tag_set=tag_label(meta),
                                       location=place.where)
            else:
                yield from _issues(ctx, meta, place, message, hint)


def _types(op_def, node) -> dict[str, list[int]]:
    values = _with_defaults(op_def, node.attr)
    result = {}
    for item in op_def.attr:
        if item.type in ("type", "list(type)") and item.name in values:
            value = values[item.name]
            result[item.name] = [value.type] if item.type == "type" else list(value.list.type)
    return result


def _has_kernel(found: registry.OpInRelease, node) -> bool:
    return found.kernel_for(_types(found.op_def, node))


def _type_text(types: dict[str, list[int]]) -> str:
    from ..tensors.shapes import dtype_name

    return ", ".join(f"{name}={'/'.join(dtype_name(t) for t in values)}" for name, values in sorted(types.items()))


@rule("TFI704", "no-kernel-in-release", Severity.ERROR,
      "An op has no CPU kernel for its dtypes in the release given with --tf-version: what runs it fails")
def _no_kernel_in_release(ctx: CheckContext) -> Iterator[Issue]:
    """Release `--tf-version X.Y` registers the op but has no CPU kernel for it, or none for its dtypes.

    The model loads, but running the node fails: `No OpKernel was registered to
    support Op 'Range' ... with these attrs: [Tidx=DT_BFLOAT16]` (TensorFlow
    2.12 on a 2.21 export: the bfloat16 kernel came in 2.18), or `Could not
    find device for node` for an op with XLA kernels only.  Reported for each
    signature that runs the node, at load when the init op does; nodes of a
    function compiled with XLA (`jit_compile=True`) need no kernel and are not
    reported.  The kernels are those each release's wheel registers for CPU
    (tfinspect's registry records their dtype constraints).  With `--tf-version`
    on a shipped release this rule replaces TFI506.  Serve with a release that
    has the kernel, cast to a dtype that has one, or export without the op.
    """
    release = target_release(ctx)
    if release is None:
        return
    for meta in ctx.meta_graphs:
        graph = [(None, node) for node in meta.graph_def.node]
        bodies = [(name, node) for name in meta.functions.names() if not _xla_compiled(meta.functions[name])
                  for node in meta.functions[name].node_def]
        for function, node in graph + bodies:
            found = release.op(node.op)
            if found is None:
                continue
            if _memoised(meta, ("kernel", function, node.name, id(found.op_def), id(found.kernels)),
                         _has_kernel, found, node):
                continue
            types = _types(found.op_def, node)
            having = [name for name in registry.releases()
                      if (other := registry.release(name).op(node.op)) is not None and other.kernel_for(types)]
            at_init, keys = runners(meta, function, node.name)
            if not at_init and not keys:
                continue
            where = node.name if function is None else f"{function}/{node.name}"
            dtypes = f" for {_type_text(types)}" if types and found.cpu_kernel else ""
            elsewhere = f" (releases with one: {', '.join(having)})" if having else " (nor in any shipped release)"
            yield from node_issues(meta, function, node.name,
                                   f"{node.op} {where} has no CPU kernel{dtypes} in TensorFlow {release.name}"
                                   f"{elsewhere}",
                                   "serve with a release that has the kernel, or export without the op",
                                   tag_set=tag_label(meta), location=where)


def _xla_compiled(function) -> bool:
    """A function TensorFlow compiles with XLA as a whole (tf.function(jit_compile=True))."""
    value = function.attr.get("_XlaMustCompile")
    return value is not None and value.b


@rule("TFI706", "release-not-shipped", Severity.INFO,
      "tfinspect ships no op registry for the release given with --tf-version: only its GraphDef version is checked")
def _release_not_shipped(ctx: CheckContext) -> Iterator[Issue]:
    """The release given with `--tf-version X.Y` is outside the registries tfinspect ships (2.12 to 2.21).

    For such a release only the GraphDef version rules run (TFI505, TFI508),
    so an op, attribute or kernel that release lacks goes unreported.  The
    message names the shipped releases.  Add the release to the registry (see
    the registry generator in the docs' release rules page), or check against
    the nearest shipped release.
    """
    if not ctx.tf_version or target_release(ctx) is not None:
        return
    shipped = registry.releases()
    yield Issue(f"tfinspect has no op registry for TensorFlow {ctx.tf_version} (it ships {shipped[0]} to "
                f"{shipped[-1]}): its ops, attributes and kernels are not checked",
                "add the release with python -m inspector.registry.generate, or check against a shipped release",
                location="--tf-version")
