"""Rules about whether the artifact loads at all: files, tag-sets, init ops, constants."""

from __future__ import annotations

from collections.abc import Iterator

from ..model.artifact import ArtifactKind
from ..model.metagraph import INIT_OP_SIGNATURE_KEY
from ..tensors.shapes import dtype_name, item_size, num_elements, shape_from_proto
from ..tensors.values import stored_count
from .context import CheckContext, tag_label
from .core import EVERY_TARGET, SERVING, Issue, Severity, rule
from .reach import LEGACY_INIT_OP_KEY, MAIN_OP_KEY


@rule("TFI101", "missing-saved-model-pb", Severity.ERROR,
      "A SavedModel directory has no saved_model.pb or saved_model.pbtxt", targets=EVERY_TARGET)
def _missing_pb(ctx: CheckContext) -> Iterator[Issue]:
    """The directory has the parts of a SavedModel (variables/, assets/) but not its graph.

    TensorFlow Serving, Vertex AI and tf.saved_model.load all look for
    `saved_model.pb` (or `saved_model.pbtxt`) and fail with "SavedModel file does
    not exist".  This usually means an upload or copy left the file behind.  A
    directory counts as a SavedModel without its graph when it holds any of
    `variables/`, `assets/`, `assets.extra/`, `fingerprint.pb` or
    `keras_metadata.pb` (files TensorFlow and Keras write only beside the graph
    file); every other command refuses such a directory with the same list.
    """
    parts = ctx.artifact.parts_without_graph
    if parts:
        yield Issue(f"{ctx.artifact.root} has {', '.join(parts)} but no saved_model.pb or saved_model.pbtxt",
                    "copy the whole export directory again; saved_model.pb holds the graph and signatures")


@rule("TFI102", "text-saved-model", Severity.WARNING,
      "Only saved_model.pbtxt exists: a text SavedModel is for debugging, not deployment")
def _only_pbtxt(ctx: CheckContext) -> Iterator[Issue]:
    """The export was written with `as_text=True`.

    `SavedModelBuilder.save(as_text=True)` writes `saved_model.pbtxt` and warns that
    it is meant for debugging.  Text protos are larger and slower to parse, and some
    serving stacks only look for `saved_model.pb`.  Export again without
    `as_text=True`.
    """
    graph = ctx.artifact.graph_file
    if ctx.is_saved_model and graph is not None and graph.name == "saved_model.pbtxt" \
            and ctx.artifact.encoding == "text":
        yield Issue(f"{graph} is a text SavedModel and there is no saved_model.pb",
                    "export again with builder.save() (as_text=False) for deployment")


@rule("TFI212", "misnamed-graph-file", Severity.ERROR,
      "saved_model.pb holds text, or saved_model.pbtxt holds binary: TensorFlow parses the file by its name")
def _misnamed_graph_file(ctx: CheckContext) -> Iterator[Issue]:
    """TensorFlow chooses the parser of a SavedModel's graph file by its name, not its content.

    `tf.saved_model.load`, the TF1 loader, `saved_model_cli` and TF Serving's C++
    reader look for `saved_model.pb` and parse it as a binary protobuf; only when it
    is absent do they look for `saved_model.pbtxt` and parse it as text.  A binary
    file renamed `saved_model.pbtxt` fails with `UnicodeDecodeError` (a parse error
    in C++), a text file named `saved_model.pb` with `DecodeError: Error parsing
    message` ("Cannot parse file").  tfinspect reads either by its content, so the
    rest of the report shows what the file holds; rename the file to match what it
    holds (or write it again with `as_text` set to match its name).
    """
    problem = ctx.artifact.graph_file_misnamed
    if ctx.is_saved_model and problem:
        right = "saved_model.pb" if ctx.artifact.encoding == "binary" else "saved_model.pbtxt"
        yield Issue(problem, f"rename it {right}", location=ctx.artifact.graph_file.name)


@rule("TFI103", "no-serve-tag-set", Severity.ERROR,
      "No MetaGraph is tagged exactly {serve}", targets=SERVING)
def _no_serve(ctx: CheckContext) -> Iterator[Issue]:
    """Serving loads the MetaGraph whose tag-set is exactly `{serve}`.

    Tags are matched as a set: a MetaGraph tagged `serve,gpu` does not match a
    request for `serve`, and one tagged `train` is never served.  TF Serving fails
    with "Could not find meta graph def matching supplied tags: { serve }".  Add the
    MetaGraph with `tags=[tf.saved_model.SERVING]` when exporting.
    """
    if ctx.is_saved_model and ctx.artifact.meta_graphs and ctx.serving_meta is None:
        yield Issue(f"no MetaGraph is tagged exactly {{serve}}; tag-sets here: {ctx.artifact.describe_tag_sets()}",
                    "export with tags=[tf.saved_model.SERVING], or start the server with the tag-set above")


@rule("TFI104", "not-a-saved-model", Severity.ERROR,
      "A frozen GraphDef, .meta or checkpoint where a SavedModel is expected", targets=SERVING)
def _not_saved_model(ctx: CheckContext) -> Iterator[Issue]:
    """TF Serving and Vertex AI deploy SavedModel directories only.

    A frozen GraphDef (`frozen_graph.pb`), a `.meta` MetaGraphDef or a checkpoint
    holds no signatures and no `saved_model.pb`, so the server cannot load it.
    Convert it: import the graph, restore the variables if any, and write it with
    `tf.compat.v1.saved_model.Builder` and a `predict_signature_def` naming the
    inputs and outputs (`tfinspect io` suggests them).
    """
    kind = ctx.artifact.kind
    if kind is not ArtifactKind.SAVED_MODEL:
        if ctx.artifact.exports:
            fix = f"serve its newest export instead: tfinspect check {ctx.artifact.exports[-1]}"
        elif not ctx.artifact.meta_graphs:
            # A checkpoint without its .meta holds values only: there is no graph to convert.
            fix = ("rebuild the model in Python, restore this checkpoint into it, and export it "
                   "with tf.saved_model.save")
        else:
            fix = ("convert it with tf.compat.v1.saved_model.Builder and a signature "
                   "(tfinspect io suggests the inputs and outputs)")
        yield Issue(f"{ctx.artifact.path} is a {kind.label}, not a SavedModel", fix)


@rule("TFI213", "training-model-dir", Severity.INFO,
      "A training model_dir that holds exported SavedModels: check the newest export, not the training graph")
def _training_dir(ctx: CheckContext) -> Iterator[Issue]:
    """An Estimator's (or TFX Trainer's) model_dir holds the training graph, its checkpoints, and
    the SavedModels exported for serving under `export/<name>/<timestamp>/`.

    The training graph reads its input from files and has no signatures, so judging it
    as a serving graph (its inputs and outputs guessed) reports dozens of problems no
    server meets.  `check` names the newest export and leaves the training graph's
    rules out; the checkpoint's integrity is still checked.  Point `check`,
    `request` and `metadata` at the export (or at `export/<name>`, a version tree
    whose newest version TF Serving serves).
    """
    if ctx.training_dir:
        exports = ctx.artifact.exports
        others = f" ({len(exports)} exports; the newest is shown)" if len(exports) > 1 else ""
        yield Issue(f"{ctx.artifact.path} is a training model_dir; its newest export is {exports[-1]}{others}: "
                    "the training graph is not checked as a serving graph",
                    f"tfinspect check {exports[-1]} (or {exports[-1].parent}, the version tree TF Serving watches)")


@rule("TFI105", "init-op", Severity.ERROR,
      "The loader cannot tell which init op to run", targets=EVERY_TARGET)
def _init_ops(ctx: CheckContext) -> Iterator[Issue]:
    """The loader runs one init op after restoring the variables.

    It takes the `__saved_model_init_op` signature's output of the same name if that
    signature exists, else the one node in the `saved_model_main_op` collection, else
    the one node in `legacy_init_op`.  An `__saved_model_init_op` signature without
    that output fails with "Could not find output __saved_model_init_op"; a
    collection with more than one node fails with "Expected exactly one main op".
    When both collections exist, `legacy_init_op` is silently ignored.
    """
    for meta in ctx.meta_graphs:
        tags = tag_label(meta)
        init = meta.signatures.get(INIT_OP_SIGNATURE_KEY)
        if init is not None:
            if not any(t.alias == INIT_OP_SIGNATURE_KEY for t in init.outputs):
                yield Issue(f"signature {INIT_OP_SIGNATURE_KEY} has no output named {INIT_OP_SIGNATURE_KEY}",
                            "export again; the loader fails with 'Could not find output'",
                            tag_set=tags, signature=INIT_OP_SIGNATURE_KEY)
            continue
        collections = meta.collections
        key = MAIN_OP_KEY if MAIN_OP_KEY in collections else LEGACY_INIT_OP_KEY
        if key in collections:
            nodes = list(collections[key].node_list.value)
            if len(nodes) != 1:
                yield Issue(f"collection {key} holds {len(nodes)} ops ({', '.join(nodes[:4])}); "
                            f"the loader needs exactly one",
                            "group them into one op with tf.group(...) and pass that as main_op",
                            tag_set=tags, location=key)
        if MAIN_OP_KEY in collections and LEGACY_INIT_OP_KEY in collections:
            yield Issue("both saved_model_main_op and legacy_init_op are set; legacy_init_op is never run",
                        "pass only main_op to add_meta_graph_and_variables",
                        tag_set=tags, location=LEGACY_INIT_OP_KEY, severity=Severity.WARNING)


@rule("TFI106", "bad-const", Severity.ERROR,
      "A Const node has no value, or its value's size disagrees with its shape")
def _bad_const(ctx: CheckContext) -> Iterator[Issue]:
    """Every Const node needs a `value` tensor whose content matches its shape.

    A Const without `value`, or with `tensor_content` whose byte length is not
    elements x dtype size, or with more typed values than elements, makes the
    graph fail to import ("NodeDef missing attr 'value'" or a size error).  This
    happens when a graph is edited or stripped by hand or by a broken tool.
    """
    for meta in ctx.meta_graphs:
        tags = tag_label(meta)
        sources = [(None, meta.graph_def.node)]
        sources += [(name, fdef.node_def) for name, fdef in sorted(meta.functions.functions.items())]
        for function, nodes in sources:
            for node in nodes:
                if node.op != "Const":
                    continue
                where = f"{node.name}" if function is None else f"{function}/{node.name}"
                problem = _const_problem(node)
                if problem:
                    yield Issue(f"Const {where} {problem}", "export the graph again from TensorFlow",
                                tag_set=tags, location=where)


def _const_problem(node) -> str | None:
    if "value" not in node.attr or node.attr["value"].WhichOneof("value") != "tensor":
        return "has no value attribute"
    tensor = node.attr["value"].tensor
    count = num_elements(shape_from_proto(tensor.tensor_shape))
    if count is None:
        return "has a value of unknown shape"
    dtype_size = item_size(dtype_name(tensor.dtype))
    if tensor.tensor_content and dtype_size is not None:
        if len(tensor.tensor_content) != count * dtype_size:
            return (f"holds {len(tensor.tensor_content)} bytes of content but its shape needs "
                    f"{count * dtype_size}")
        return None
    stored = stored_count(tensor)
    if stored > count:
        return f"holds {stored} values but its shape has {count} elements"
    return None


TWO_GIB = 2 << 30
LARGE_CONST_BYTES = 16 << 20


@rule("TFI601", "proto-size-limit", Severity.ERROR,
      "saved_model.pb is at or close to protobuf's 2 GiB limit")
def _proto_size(ctx: CheckContext) -> Iterator[Issue]:
    """Protocol buffers cannot be larger than 2 GiB.

    A graph proto near that size fails to serialize or parse ("the protobuf is
    larger than 2GB").  Large graphs usually carry weights as Const nodes: keep them
    in variables (the checkpoint) instead of freezing them into the graph.
    """
    graph = ctx.artifact.graph_file
    if graph is None:
        return
    size = graph.stat().st_size
    if size >= TWO_GIB:
        yield Issue(f"{graph.name} is {size / (1 << 30):.2f} GiB, over protobuf's 2 GiB limit",
                    "keep the weights in variables instead of Const nodes")
    elif size >= TWO_GIB * 0.8:
        yield Issue(f"{graph.name} is {size / (1 << 30):.2f} GiB, close to protobuf's 2 GiB limit",
                    "keep the weights in variables instead of Const nodes", severity=Severity.WARNING)


@rule("TFI602", "large-const", Severity.WARNING,
      "Large Const tensors are folded into the graph")
def _large_consts(ctx: CheckContext) -> Iterator[Issue]:
    """Weights stored in Const nodes make the graph proto large.

    The whole graph is parsed into memory before anything runs, every copy of the
    graph (optimisation passes, function instantiation) copies them, and the proto
    is limited to 2 GiB.  Variables restored from the checkpoint avoid all of that.
    """
    for meta in ctx.meta_graphs:
        for node in meta.graph_def.node:
            if node.op == "Const" and "value" in node.attr:
                size = len(node.attr["value"].tensor.tensor_content)
                if size >= LARGE_CONST_BYTES:
                    yield Issue(f"Const {node.name} holds {size / (1 << 20):.1f} MiB in the graph proto",
                                "keep large weights in variables", tag_set=tag_label(meta), location=node.name)
