"""Rules about SignatureDefs: missing keys, dangling or mistyped TensorInfos, unfed placeholders."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..model.graph import parse_tensor_name
from ..model.graphwalk import PLACEHOLDER_OPS, input_nodes, tensor_names
from ..model.metagraph import MetaGraph, Signature, SignatureTensor
from ..model.outputs import FROM_FUNCTION, FROM_OP_DEF, output_dtypes
from ..tensors.shapes import base_dtype, format_shape
from .context import CheckContext, tag_label
from .core import LOAD, SERVING, Issue, Severity, rule

DEFAULT_KEY = "serving_default"
PREDICT = "tensorflow/serving/predict"
CLASSIFY = "tensorflow/serving/classify"
REGRESS = "tensorflow/serving/regress"
KNOWN_METHODS = (PREDICT, CLASSIFY, REGRESS)


def _where(signature: Signature, tensor: SignatureTensor, kind: str) -> str:
    return f"signature {signature.key} {kind} {tensor.alias}"


@rule("TFI301", "no-serving-default", Severity.WARNING,
      "The {serve} MetaGraph has no serving_default signature", targets=SERVING)
def _no_default(ctx: CheckContext) -> Iterator[Issue]:
    """Requests that name no signature use `serving_default`, and there is none.

    The model loads and every signature it has can be served: this is not a load
    failure, so it is a warning.
    TF Serving and Vertex AI run the signature a request names with
    `signature_name`, and `serving_default` when it names none.  Without that key,
    every such request fails with "Serving signature key \"serving_default\" not
    found".  Export the main signature under `serving_default`
    (`signatures={"serving_default": ...}` or
    `tf.saved_model.DEFAULT_SERVING_SIGNATURE_DEF_KEY`), or make every client pass
    `signature_name`.
    """
    meta = ctx.serving_meta
    if meta is None or DEFAULT_KEY in meta.signatures:
        return
    keys = [k for k, s in meta.signatures.items() if not s.internal]
    found = ", ".join(keys) if keys else "none"
    yield Issue(f"no signature serving_default in MetaGraph {{serve}}; signatures here: {found}",
                "export the main signature as serving_default, or send signature_name in every request",
                tag_set=tag_label(meta), location=DEFAULT_KEY)


def _output_count(meta: MetaGraph, node) -> int | None:
    """How many outputs a node has, from the artifact's OpDef or the function it calls; None if unknown."""
    args, source = meta.outputs.output_args(node.op)
    if args is None or source not in (FROM_OP_DEF, FROM_FUNCTION):
        return None
    dtypes = output_dtypes(node, args)
    return None if dtypes is None else len(dtypes)


@rule("TFI302", "dangling-tensor-info", Severity.ERROR,
      "A signature names a tensor that does not exist in the graph")
def _dangling(ctx: CheckContext) -> Iterator[Issue]:
    """A TensorInfo names a node that is not in the graph, or an output the op does not have.

    Signatures refer to graph tensors by name (`node:index`).  When the node is
    missing (the graph was pruned, renamed or edited after the signature was made)
    or the op has fewer outputs than the index, TensorFlow fails when it runs the
    signature: "The name 'x:0' refers to a Tensor which does not exist" in Python,
    and a not-found error for the tensor in TF Serving.  The number of outputs comes from the op's OpDef in
    the MetaGraph's stripped_op_list (or the called function's signature); ops not
    listed there are only checked for existence.  Sparse and composite TensorInfos
    are checked component by component.  Export the signature again from the
    graph that is saved.
    """
    for meta in ctx.meta_graphs:
        tags = tag_label(meta)
        for signature in meta.signatures.values():
            for kind, tensor in signature.tensors():
                for name in tensor_names(tensor):
                    problem = _dangling_problem(meta, name, internal=signature.internal)
                    if problem:
                        yield Issue(f"{_where(signature, tensor, kind)} names {name}: {problem}",
                                    "export the signature again from the graph that is saved",
                                    tag_set=tags, signature=signature.key, location=name)


def _dangling_problem(meta: MetaGraph, name: str, internal: bool) -> str | None:
    node_name, index = parse_tensor_name(name)
    node = meta.graph.node(node_name)
    if node is None:
        return f"there is no node {node_name} in the graph"
    if internal:  # the init-op signature names an op, not a tensor
        return None
    count = _output_count(meta, node)
    if count is not None and index >= count:
        return f"{node.op} node {node_name} has {count} output{'s' if count != 1 else ''}, no output {index}"
    return None


def shapes_compatible(a: list[int] | None, b: list[int] | None) -> bool:
    if a is None or b is None:
        return True
    if len(a) != len(b):
        return False
    return all(x == y or x == -1 or y == -1 for x, y in zip(a, b))


@rule("TFI303", "tensor-info-mismatch", Severity.ERROR,
      "A signature's dtype or shape disagrees with what the node produces")
def _mismatch(ctx: CheckContext) -> Iterator[Issue]:
    """A TensorInfo's dtype or shape contradicts the tensor it names.

    Clients build requests from the signature: a float signature on an int32
    tensor makes the client send the wrong type and the run fails ("expected to
    be a float tensor but is a int32 tensor"); a shape that cannot
    match the node's recorded shape makes every request that follows the signature
    fail with a shape error.  The node's dtype comes from its `dtype`/`T`/`out_type`
    attributes through the op's OpDef; its shape from the `_output_shapes`
    attribute or a Placeholder's `shape`.  Shapes are compatible when their ranks
    agree (or either is unknown) and each dimension agrees or is unknown.  Export
    the signature again with `build_tensor_info` on the real tensor.
    """
    for meta in ctx.meta_graphs:
        tags = tag_label(meta)
        outputs = meta.outputs
        for signature in meta.signatures.values():
            if signature.internal:
                continue
            for kind, tensor in signature.tensors():
                if tensor.encoding != "name" or not tensor.name:
                    continue
                node_name, index = parse_tensor_name(tensor.name)
                node = meta.graph.node(node_name)
                if node is None:
                    continue  # TFI302
                produced = outputs.outputs(node).outputs
                if produced is None or index >= len(produced):
                    continue
                actual = produced[index]
                where = _where(signature, tensor, kind)
                if actual.dtype and tensor.dtype != "DT_INVALID" \
                        and base_dtype(actual.dtype) != base_dtype(tensor.dtype):
                    yield Issue(f"{where} says {tensor.dtype} but {node.op} {tensor.name} produces {actual.dtype}",
                                f"export the signature again; clients will send {tensor.dtype}",
                                tag_set=tags, signature=signature.key, location=tensor.name)
                if tensor.shape_recorded and not shapes_compatible(tensor.shape, actual.shape):
                    yield Issue(f"{where} says shape {format_shape(tensor.shape)} but {node.op} {tensor.name} "
                                f"has shape {format_shape(actual.shape)}",
                                "export the signature again from the real tensor",
                                tag_set=tags, signature=signature.key, location=tensor.name)


@rule("TFI304", "unfed-placeholder", Severity.ERROR,
      "A signature's outputs depend on a placeholder that is not one of its inputs")
def _unfed(ctx: CheckContext) -> Iterator[Issue]:
    """Running the signature needs a placeholder the request cannot feed.

    A server feeds only the signature's inputs.  When an output depends (through
    data or control inputs) on another `Placeholder`, the run fails with "You must
    feed a value for placeholder tensor 'X'".  TensorFlow writes such signatures
    without complaint.  The walk goes back from each output through the top-level
    graph (a function call's inputs are followed, its body is not) and stops at
    the signature's inputs; `PlaceholderWithDefault` is fine.  Where it fails
    depends on the loader: `Session.run` and TF Serving fail when the signature
    runs; `tf.saved_model.load` (target `python`) refuses the whole model while it
    builds the signature's function ("A SavedModel signature needs an input for
    each placeholder the signature's outputs use"), so there it is a load error.
    Add the placeholder to the signature's inputs, or replace it with
    `tf.compat.v1.placeholder_with_default`.
    """
    stage = LOAD if ctx.target == "python" else None
    for meta in ctx.meta_graphs:
        graph = meta.graph
        for signature in meta.signatures.values():
            if signature.internal:
                continue
            stop = input_nodes(signature)
            pending = [parse_tensor_name(n)[0] for t in signature.outputs for n in tensor_names(t)]
            seen: set[str] = set()
            unfed: list[str] = []
            while pending:
                name = pending.pop()
                if name in seen or name in stop:
                    continue
                seen.add(name)
                node = graph.node(name)
                if node is None:
                    continue
                if node.op in PLACEHOLDER_OPS:
                    unfed.append(name)
                pending.extend(ref.node for ref in graph.inputs(name))
            for name in sorted(unfed):
                yield Issue(f"signature {signature.key} needs placeholder {name}, which is not one of its inputs",
                            f"add {name} to the signature's inputs, or make it a placeholder_with_default",
                            tag_set=tag_label(meta), signature=signature.key, location=name, stage=stage)


@rule("TFI305", "sparse-signature-tensor", Severity.WARNING,
      "A signature tensor is sparse or composite: the REST API cannot carry it", targets=SERVING)
def _sparse(ctx: CheckContext) -> Iterator[Issue]:
    """The signature uses a `coo_sparse` or `composite_tensor` TensorInfo.

    The REST/JSON API of TF Serving and Vertex AI carries dense tensors only: a
    SparseTensor or RaggedTensor input cannot be fed and such an output cannot be
    returned.  Accept dense tensors (or serialized tf.Example) in the signature and
    convert inside the graph, e.g. `tf.sparse.from_dense` or `tf.RaggedTensor.from_tensor`.
    """
    for meta, signature in ctx.signatures():
        for kind, tensor in signature.tensors():
            if tensor.encoding in ("coo_sparse", "composite_tensor"):
                yield Issue(f"{_where(signature, tensor, kind)} is a {tensor.encoding} tensor "
                            f"({', '.join(tensor.components)})",
                            "take and return dense tensors in the serving signature",
                            tag_set=tag_label(meta), signature=signature.key, location=tensor.alias)


def _classify_problems(signature: Signature) -> list[str]:
    problems = _single_string_input(signature)
    outputs = {t.alias: t for t in signature.outputs}
    extra = sorted(set(outputs) - {"classes", "scores"})
    if not outputs:
        problems.append("it has no outputs; it needs classes and/or scores")
    if extra:
        problems.append(f"outputs {', '.join(extra)} are not classes or scores")
    if "classes" in outputs and base_dtype(outputs["classes"].dtype) != "DT_STRING":
        problems.append(f"output classes is {outputs['classes'].dtype}, not DT_STRING")
    if "scores" in outputs and base_dtype(outputs["scores"].dtype) != "DT_FLOAT":
        problems.append(f"output scores is {outputs['scores'].dtype}, not DT_FLOAT")
    return problems


def _regress_problems(signature: Signature) -> list[str]:
    problems = _single_string_input(signature)
    aliases = [t.alias for t in signature.outputs]
    if aliases != ["outputs"]:
        problems.append(f"it needs exactly one output named outputs, it has {', '.join(aliases) or 'none'}")
    elif base_dtype(signature.outputs[0].dtype) != "DT_FLOAT":
        problems.append(f"output outputs is {signature.outputs[0].dtype}, not DT_FLOAT")
    return problems


def _single_string_input(signature: Signature) -> list[str]:
    aliases = [t.alias for t in signature.inputs]
    if aliases != ["inputs"]:
        return [f"it needs exactly one input named inputs, it has {', '.join(aliases) or 'none'}"]
    if base_dtype(signature.inputs[0].dtype) != "DT_STRING":
        return [f"input inputs is {signature.inputs[0].dtype}, not DT_STRING (serialized tf.Example)"]
    return []


@rule("TFI306", "invalid-signature", Severity.ERROR,
      "A signature breaks the rules of its method: the Classify/Regress API rejects it, or Predict has no outputs",
      targets=SERVING)
def _invalid(ctx: CheckContext) -> Iterator[Issue]:
    """The signature does not have the form its method name requires.

    TF Serving's Classify and Regress APIs feed serialized tf.Example protos:
    a `tensorflow/serving/classify` signature needs exactly one DT_STRING input
    named `inputs` and outputs `classes` (DT_STRING) and/or `scores` (DT_FLOAT); a
    `tensorflow/serving/regress` signature the same input and exactly one output
    `outputs` (DT_FLOAT).  These are the rules of
    `tf.compat.v1.saved_model.signature_def_utils.is_valid_signature`.  A classify
    or regress signature that breaks them still loads and runs through the
    Predict API (and its REST `:predict`); only the Classify or Regress API
    rejects requests to it, so that is a warning naming that API.  A predict
    signature without outputs gives nothing to any request: an error.  An
    unknown method name is a warning.  Build the signature with
    `classification_signature_def` / `regression_signature_def`, or make it a
    predict signature.  (A signature without inputs is TFI307.)
    """
    for meta, signature in ctx.signatures():
        method = signature.method_name
        problems: list[str] = []
        severity = Severity.WARNING
        if method == CLASSIFY:
            problems = [f"TF Serving's Classify API rejects it ({p}); Predict runs it"
                        for p in _classify_problems(signature)]
        elif method == REGRESS:
            problems = [f"TF Serving's Regress API rejects it ({p}); Predict runs it"
                        for p in _regress_problems(signature)]
        elif method == PREDICT:
            if not signature.outputs:
                problems, severity = ["it has no outputs"], Severity.ERROR
        else:
            problems = [f"its method name {method or '(empty)'} is none of {', '.join(KNOWN_METHODS)}"]
        for problem in problems:
            yield Issue(f"signature {signature.key} ({method or 'no method'}): {problem}",
                        "build it with classification_signature_def / regression_signature_def, "
                        "or export a predict signature",
                        tag_set=tag_label(meta), signature=signature.key, severity=severity)


@rule("TFI307", "no-inputs", Severity.WARNING,
      "A signature has no inputs", targets=SERVING)
def _no_inputs(ctx: CheckContext) -> Iterator[Issue]:
    """The signature takes no inputs.

    A request to it has nothing to carry: the REST API's `instances`/`inputs`
    cannot describe an empty input set per row, and
    `signature_def_utils.is_valid_signature` rejects predict signatures without
    inputs.  Usually the inputs were left out by mistake (e.g. a tf.function
    exported without `input_signature`, or values captured as constants).
    """
    for meta, signature in ctx.signatures():
        if not signature.inputs:
            yield Issue(f"signature {signature.key} has no inputs",
                        "give the exported function the tensors it should read as arguments",
                        tag_set=tag_label(meta), signature=signature.key)


GENERATED_ALIAS = re.compile(r"^(?:input|inputs|args|output|outputs|keras_tensor)_\d+$|^keras_tensor$")


@rule("TFI308", "generated-alias", Severity.WARNING,
      "A signature alias was generated (input_1, args_0, output_0...)", targets=SERVING)
def _generated(ctx: CheckContext) -> Iterator[Issue]:
    """Aliases like `input_1`, `args_0`, `keras_tensor_3` or `output_0` were made up by the exporter.

    Requests name inputs and read outputs by alias.  Generated names change when
    the model changes (another layer, another export) and clients cannot guess
    them.  Name them: Keras `Input(name=...)` and named output layers, or a
    tf.function with named arguments (`tf.TensorSpec(..., name=...)`) that returns a
    dict of named outputs.
    """
    for meta, signature in ctx.signatures():
        for kind, tensor in signature.tensors():
            if GENERATED_ALIAS.match(tensor.alias):
                yield Issue(f"{_where(signature, tensor, kind)} is a generated name",
                            "name it explicitly: Keras Input(name=...), or a tf.function with named "
                            "arguments returning a dict",
                            tag_set=tag_label(meta), signature=signature.key, location=tensor.alias)

