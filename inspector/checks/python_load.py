"""Rules for what only `tf.saved_model.load` (the TF2 loader, target `python`) refuses.

The TF2 loader turns each SignatureDef of a TF1 SavedModel into a function by
pruning the graph between the signature's inputs and outputs, and recreates a
TF2 SavedModel's objects from its object graph.  Both steps refuse things that
`tf.compat.v1.saved_model.loader.load` and TF Serving accept; TensorFlow 2.21
confirms each rule on an edited copy of a real export (tests/checks/test_check_python.py).
The raw TensorInfo protos are read here, not the model layer's view of them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from ..model.graph import parse_tensor_name
from ..model.graphwalk import tensor_names
from ..model.metagraph import MetaGraph
from ..registry import reader as registry
from .context import CheckContext, tag_label
from .core import LOAD, Issue, Severity, rule

PYTHON = frozenset({"python"})
FIRST_REF_DTYPE = 100  # DataType enum: DT_FLOAT_REF = 101 ... every *_REF type is 100 + its base type


def _raw_signatures(meta: MetaGraph):
    if meta.proto is None:
        return []
    return sorted(meta.proto.signature_def.items())


@rule("TFI309", "repeated-input-tensor", Severity.ERROR,
      "Two inputs of a signature name the same tensor: tf.saved_model.load fails", targets=PYTHON)
def _repeated_inputs(ctx: CheckContext) -> Iterator[Issue]:
    """A signature lists one graph tensor as two inputs (or as components of two sparse inputs).

    `tf.saved_model.load` prunes the graph into a function whose arguments are the
    signature's input tensors, and TensorFlow refuses a function that takes one
    tensor twice: `InvalidArgumentError: TF_Output ... appears more than once in
    the input list`, so the whole model fails to load (TensorFlow 2.21 on the
    corpus's TFMA eval graph).  The TF1 loader and TF Serving feed each alias
    and are not affected.  Export the signature with each tensor under one alias.
    """
    for meta in ctx.meta_graphs:
        for signature in meta.signatures.values():
            if signature.internal:
                continue
            counts = Counter(name for tensor in signature.inputs for name in tensor_names(tensor))
            for name, count in sorted(counts.items()):
                if count > 1:
                    aliases = [t.alias for t in signature.inputs if name in tensor_names(t)]
                    yield Issue(f"signature {signature.key} takes tensor {name} {count} times "
                                f"({', '.join(aliases)}); tf.saved_model.load refuses the whole model",
                                "export the signature with each tensor under one input alias",
                                tag_set=tag_label(meta), signature=signature.key, location=name, stage=LOAD)


@rule("TFI310", "reference-output", Severity.ERROR,
      "A signature output is a reference-typed tensor (a TF1 variable): tf.saved_model.load fails",
      targets=PYTHON)
def _reference_outputs(ctx: CheckContext) -> Iterator[Issue]:
    """A signature output names a tensor of a reference dtype, such as a `VariableV2` output (`DT_FLOAT_REF`).

    TF1 variables produce reference tensors.  `tf.saved_model.load` cannot return
    one from a function: `InvalidArgumentError: Output 0 of node 'w' has a
    reference type float_ref`, and the model does not load.  `Session.run` and
    TF Serving read the value and are not affected.  The tensor's dtype comes from
    the node (through its OpDef), else from the TensorInfo's raw dtype when that
    is a `_REF` type.  Export the variable's value instead: `tf.identity(v)` or
    `v.read_value()`.
    """
    for meta in ctx.meta_graphs:
        raw = dict(_raw_signatures(meta))
        for signature in meta.signatures.values():
            if signature.internal or signature.key not in raw:
                continue
            for tensor in signature.outputs:
                if tensor.encoding != "name" or not tensor.name:
                    continue
                info = raw[signature.key].outputs.get(tensor.alias)
                is_ref = _ref_output(meta, tensor.name)
                if is_ref is None:
                    is_ref = info is not None and info.dtype > FIRST_REF_DTYPE
                if is_ref:
                    yield Issue(f"signature {signature.key} output {tensor.alias} ({tensor.name}) is a reference "
                                f"tensor; tf.saved_model.load refuses the model",
                                "export tf.identity(variable) instead of the variable itself",
                                tag_set=tag_label(meta), signature=signature.key, location=tensor.alias, stage=LOAD)


def _ref_output(meta: MetaGraph, name: str) -> bool | None:
    """Whether the node's OpDef (in the MetaGraph's stripped_op_list) makes this output a reference; None if unknown."""
    node_name, index = parse_tensor_name(name)
    node = meta.graph.node(node_name)
    if node is None or meta.proto is None:
        return None
    op_def = next((op for op in meta.proto.meta_info_def.stripped_op_list.op if op.name == node.op), None)
    if op_def is None:
        return None
    args = list(op_def.output_arg)
    if any(a.number_attr or a.type_list_attr for a in args[:index + 1]) or index >= len(args):
        return None  # list outputs: the index does not name one argument
    return args[index].is_ref


def _produced(meta: MetaGraph, name: str):
    """(dtype, shape) the graph's node gives the tensor, or None when unknown."""
    node_name, index = parse_tensor_name(name)
    node = meta.graph.node(node_name)
    if node is None:
        return None
    outputs = meta.outputs.outputs(node).outputs
    if outputs is None or index >= len(outputs):
        return None
    return outputs[index].dtype, outputs[index].shape


@rule("TFI311", "output-without-shape", Severity.ERROR,
      "A signature output records no shape (read as a scalar) but its tensor has rank >= 1", targets=PYTHON)
def _outputs_without_shape(ctx: CheckContext) -> Iterator[Issue]:
    """The output's TensorInfo has no `tensor_shape` at all, and the tensor it names has rank 1 or more.

    A TensorInfo without `tensor_shape` reads as a scalar shape `[]` (that is what
    `saved_model_cli` prints).  `tf.saved_model.load` sets that shape on the
    output of the function it builds, which fails for a tensor of known rank >= 1:
    `ValueError: Shapes must be equal rank, but are 2 and 0`, and the model does
    not load.  The TF1 loader and TF Serving ignore the recorded shape.  Inputs
    without a shape load fine.  Export the signature again with
    `build_tensor_info` on the real tensor (it records its shape).
    """
    for meta in ctx.meta_graphs:
        for key, raw in _raw_signatures(meta):
            signature = meta.signatures.get(key)
            if signature is None or signature.internal:
                continue
            for alias, info in sorted(raw.outputs.items()):
                if info.WhichOneof("encoding") != "name" or info.HasField("tensor_shape"):
                    continue
                produced = _produced(meta, info.name)
                if produced is None or produced[1] is None or len(produced[1]) == 0:
                    continue
                yield Issue(f"signature {key} output {alias} ({info.name}) records no shape, read as a scalar, "
                            f"but the tensor has rank {len(produced[1])}; tf.saved_model.load fails",
                            "export the signature again with build_tensor_info on the real tensor",
                            tag_set=tag_label(meta), signature=key, location=alias, stage=LOAD)


KERAS_3_FROM = (2, 16)  # the first TensorFlow whose pip package requires Keras 3


def keras_release(tf_version: str | None) -> tuple[str, int] | None:
    """(release, Keras major version it installs) for --tf-version, from the shipped registry when it has it."""
    name = registry.release_of(tf_version) if tf_version else None
    if name is None:
        return None
    if name in registry.releases() and registry.release(name).keras_major:
        return name, registry.release(name).keras_major
    return name, 3 if registry.release_key(name) >= KERAS_3_FROM else 2


REVIVED_OPTIMIZERS = frozenset({"tf_deprecated_optimizer"})


@rule("TFI206", "unrevivable-optimizer-slots", Severity.ERROR,
      "The object graph holds optimizer slot variables that tf.saved_model.load cannot recreate", targets=PYTHON)
def _optimizer_slots(ctx: CheckContext) -> Iterator[Issue]:
    """A TF2 SavedModel's object graph lists slot variables on an optimizer TensorFlow cannot revive.

    `tf.saved_model.load` recreates each slot variable by calling the optimizer
    object's `add_slot`.  Only optimizers whose Python class registered itself
    with the loader come back as optimizers; a Keras 2 optimizer saved by
    `model.save(...)` (identifier `optimizer`) comes back as a plain object, and
    loading fails with `AttributeError: '_UserObject' object has no attribute
    'add_slot'` (TensorFlow 2.21 with Keras 3, on the corpus's Keras export).
    The TF1 loader and TF Serving ignore the object graph.  Export the serving
    model without the optimizer (`model.export(...)`, or
    `tf.saved_model.save(model, path, signatures=...)` after
    `model.optimizer = None`), or load it with `tf_keras` imported.

    By release (`--tf-version X.Y`): TensorFlow up to 2.15 installs Keras 2,
    whose optimizers register themselves with the loader, and loads such an
    export (TensorFlow 2.12 confirms it); from 2.16 on `pip install tensorflow`
    brings Keras 3 and the load fails.  Without `--tf-version` the rule judges
    the Keras that the newest shipped release brings.
    """
    release = keras_release(ctx.tf_version)
    if release is not None and release[1] < 3:
        return
    where = f" in TensorFlow {release[0]} (Keras {release[1]})" if release else ""
    for meta in ctx.meta_graphs:
        if meta.proto is None:
            continue
        nodes = meta.proto.object_graph_def.nodes
        for node_id, node in enumerate(nodes):
            if not node.slot_variables:
                continue
            identifier = node.user_object.identifier if node.WhichOneof("kind") == "user_object" else ""
            if identifier in REVIVED_OPTIMIZERS:
                continue
            yield Issue(f"object {node_id} ({identifier or node.WhichOneof('kind')}) owns "
                        f"{len(node.slot_variables)} optimizer slot variables that tf.saved_model.load{where} "
                        f"cannot recreate", "export the serving model without its optimizer",
                        tag_set=tag_label(meta), location=f"object {node_id}")


@rule("TFI312", "several-meta-graphs", Severity.ERROR,
      "Several MetaGraphs: tf.saved_model.load(path) needs tags= to pick one", targets=PYTHON)
def _several_meta_graphs(ctx: CheckContext) -> Iterator[Issue]:
    """The SavedModel holds more than one MetaGraph (several tag-sets).

    `tf.saved_model.load(path)` without `tags=` loads the only MetaGraph; with
    several it fails: `ValueError: Importing a SavedModel with
    tf.saved_model.load requires a tags= argument if there is more than one
    MetaGraph`.  The TF1 loader and TF Serving always name the tag-set.  Pass
    `tags=` (for example `tags=["serve"]`), or export one MetaGraph.
    """
    metas = ctx.meta_graphs
    if ctx.is_saved_model and len(metas) > 1:
        yield Issue(f"{len(metas)} MetaGraphs ({ctx.artifact.describe_tag_sets()}); tf.saved_model.load(path) "
                    f"without tags= refuses the model", "call tf.saved_model.load(path, tags=[...])",
                    location="meta_graphs", stage=LOAD)
