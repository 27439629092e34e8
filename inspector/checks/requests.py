"""Rules about the requests a server can send: REST dtypes, batch dimensions, base64, tf.Example."""

from __future__ import annotations

from collections.abc import Iterator

from ..model.graph import parse_tensor_name
from ..model.metagraph import MetaGraph, Signature, SignatureTensor
from ..model.tensors import dtype_name, format_shape, shape_from_proto
from ..model.values import decode
from .context import CheckContext, tag_label
from .core import SERVING, Issue, Severity, rule
from .graphwalk import PASS_THROUGH_OPS, consumer_ops

REST_UNSUPPORTED = frozenset({
    "DT_HALF", "DT_BFLOAT16", "DT_COMPLEX64", "DT_COMPLEX128", "DT_RESOURCE", "DT_VARIANT",
    "DT_QINT8", "DT_QUINT8", "DT_QINT16", "DT_QUINT16", "DT_QINT32", "DT_INVALID",
})
# Ops whose first input is binary data (encoded images, raw bytes, serialized protos).
BINARY_CONSUMERS = frozenset({
    "DecodeJpeg", "DecodePng", "DecodeGif", "DecodeBmp", "DecodeImage", "DecodeAndCropJpeg",
    "DecodeRaw", "DecodePaddedRaw", "DecodeBase64", "DecodeCompressed", "DecodeWav",
    "ParseExample", "ParseExampleV2", "ParseSingleExample", "ParseSequenceExample",
    "ParseSequenceExampleV2", "ParseSingleSequenceExample", "ParseTensor", "DecodeProtoV2",
})
# Ops whose output is binary data.
BINARY_PRODUCERS = frozenset({"EncodeJpeg", "EncodeJpegVariableQuality", "EncodePng", "EncodeWav",
                              "SerializeTensor", "SerializeSparse", "EncodeProto"})
EXAMPLE_PARSERS = frozenset({"ParseExample", "ParseExampleV2", "ParseSingleExample"})
BYTES_SUFFIX = "_bytes"


def _tensors(signature: Signature) -> Iterator[tuple[str, SignatureTensor]]:
    for tensor in signature.inputs:
        yield "input", tensor
    for tensor in signature.outputs:
        yield "output", tensor


@rule("TFI401", "rest-dtype", Severity.ERROR,
      "A signature tensor has a dtype the REST/JSON API cannot carry", targets=SERVING)
def _rest_dtype(ctx: CheckContext) -> Iterator[Issue]:
    """JSON requests and responses cannot hold this dtype.

    The REST API of TF Serving and Vertex AI converts JSON numbers, strings and
    booleans into tensors.  It has no JSON form for half-precision floats
    (DT_HALF, DT_BFLOAT16), complex numbers, quantized types, resource handles or
    variants, nor for a TensorInfo without a dtype, so a request to the signature
    cannot be formed or its answer cannot be written.  Cast at the edges of the
    model: take and return DT_FLOAT (or DT_STRING) and convert inside the graph.
    """
    for meta, signature in ctx.signatures():
        for kind, tensor in _tensors(signature):
            dtype = tensor.dtype.removesuffix("_REF")
            if dtype in REST_UNSUPPORTED:
                yield Issue(f"signature {signature.key} {kind} {tensor.alias} is {dtype}, which JSON cannot carry",
                            f"take/return DT_FLOAT or DT_STRING and cast to {dtype} inside the model",
                            tag_set=tag_label(meta), signature=signature.key, location=tensor.alias)


@rule("TFI402", "no-batch-dimension", Severity.WARNING,
      "A signature tensor has no leading batch dimension of unknown size", targets=SERVING)
def _batch(ctx: CheckContext) -> Iterator[Issue]:
    """Row-format requests and server-side batching need a leading `-1` dimension.

    The REST API's row format (`{"instances": [...]}`) stacks one entry per row
    into the first dimension, and the server's batching joins requests along it.
    A tensor whose first dimension is fixed (e.g. `[4, 2]`), a scalar, or a tensor
    of unknown rank (nothing can be checked) breaks that: requests must use the
    columnar `inputs` format with exactly that shape.  Export with a `None` first
    dimension (`tf.TensorSpec([None, ...])`, `placeholder(shape=[None, ...])`).
    The `inputs` tensor of a classify or regress signature is not reported: the
    server builds it from the request's examples, one serialized tf.Example each.
    """
    for meta, signature in ctx.signatures():
        for kind, tensor in _tensors(signature):
            if kind == "input" and _server_built_example(signature, tensor):
                continue
            shape = tensor.shape
            if shape is None:
                problem = "has unknown rank, so nothing says it has a batch dimension"
            elif not shape:
                problem = "is a scalar, with no batch dimension"
            elif shape[0] != -1:
                problem = f"has shape {format_shape(shape)}: its first dimension is fixed at {shape[0]}"
            else:
                continue
            yield Issue(f"signature {signature.key} {kind} {tensor.alias} {problem}",
                        "export it with a leading dimension of None (-1)",
                        tag_set=tag_label(meta), signature=signature.key, location=tensor.alias)


CLASSIFY_OR_REGRESS = ("tensorflow/serving/classify", "tensorflow/serving/regress")


def _server_built_example(signature: Signature, tensor: SignatureTensor) -> bool:
    return signature.method_name in CLASSIFY_OR_REGRESS and tensor.alias == "inputs" and tensor.dtype == "DT_STRING"


def _string_inputs(ctx: CheckContext) -> Iterator[tuple[MetaGraph, Signature, SignatureTensor]]:
    for meta, signature in ctx.signatures():
        for tensor in signature.inputs:
            if tensor.dtype == "DT_STRING" and tensor.encoding == "name":
                yield meta, signature, tensor


@rule("TFI403", "double-base64", Severity.WARNING,
      "A string input is base64-decoded inside the graph", targets=SERVING)
def _double_b64(ctx: CheckContext) -> Iterator[Issue]:
    """The graph base64-decodes an input that the server has already decoded.

    Binary data goes into a JSON request as `{"b64": "..."}`, and the server
    decodes it before it feeds the tensor.  A `DecodeBase64` op on the input then
    decodes a second time and fails ("Invalid character found in base64") or
    corrupts the data, unless every client encodes twice.  Remove the DecodeBase64
    from the serving graph and send `{"b64": ...}` objects.
    """
    for meta, signature, tensor in _string_inputs(ctx):
        for node, op, slot in consumer_ops(meta, tensor):
            if op == "DecodeBase64" and slot == 0:
                yield Issue(f"signature {signature.key} input {tensor.alias} ({tensor.name}) is decoded by "
                            f"DecodeBase64 {node}",
                            'remove the DecodeBase64 and send {"b64": ...} in requests',
                            tag_set=tag_label(meta), signature=signature.key, location=node)


def _binary_output(meta: MetaGraph, name: str) -> str | None:
    """The op that makes an output binary, looking back through Identity; None if it is not."""
    graph = meta.graph
    node_name = parse_tensor_name(name)[0]
    for _ in range(32):
        node = graph.node(node_name)
        if node is None:
            return None
        if node.op in BINARY_PRODUCERS:
            return f"{node.op} {node.name}"
        data = [ref for ref in graph.inputs(node_name) if not ref.control]
        if node.op not in PASS_THROUGH_OPS or not data:
            return None
        node_name = data[0].node
    return None


@rule("TFI404", "vertex-bytes-alias", Severity.WARNING,
      "Binary string data under an alias that does not end in _bytes", targets={"vertex"})
def _bytes_alias(ctx: CheckContext) -> Iterator[Issue]:
    """Vertex AI only base64-decodes aliases ending in `_bytes`.

    Binary data (encoded images, raw bytes, serialized tf.Example protos) cannot
    travel in JSON as it is: clients send it base64-encoded, and Vertex AI decodes
    it only for inputs and outputs whose alias ends in `_bytes`.  Under any other
    alias the model receives (or returns) the base64 text instead of the bytes.
    Rename the alias, e.g. `image` -> `image_bytes`.
    """
    for meta, signature in ctx.signatures():
        for kind, tensor in _tensors(signature):
            if tensor.dtype != "DT_STRING" or tensor.alias.endswith(BYTES_SUFFIX) or not tensor.name:
                continue
            if kind == "input":
                users = [f"{op} {node}" for node, op, slot in consumer_ops(meta, tensor)
                         if op in BINARY_CONSUMERS and slot == 0]
                reason = f"is read by {', '.join(sorted(users))}" if users else None
            else:
                made_by = _binary_output(meta, tensor.name)
                reason = f"is made by {made_by}" if made_by else None
            if reason:
                yield Issue(f"signature {signature.key} {kind} {tensor.alias} holds binary data ({reason}) "
                            f"but its alias does not end in {BYTES_SUFFIX}",
                            f"rename the alias to {tensor.alias}{BYTES_SUFFIX}",
                            tag_set=tag_label(meta), signature=signature.key, location=tensor.alias)


@rule("TFI405", "tf-example-input", Severity.INFO,
      "A signature input is a serialized tf.Example: what features it expects", targets=SERVING)
def _example(ctx: CheckContext) -> Iterator[Issue]:
    """The input is a serialized `tf.Example`; this lists the features the graph parses.

    The request must carry `tf.Example` protos (base64-encoded in JSON) with the
    listed features.  Dense features must be present with exactly the shape and
    type shown unless the parser has a default; sparse features may be missing.
    """
    for meta, signature, tensor in _string_inputs(ctx):
        for node_name, op, slot in consumer_ops(meta, tensor):
            if op not in EXAMPLE_PARSERS or slot != 0:
                continue
            node = meta.graph.node(node_name)
            dense, sparse = _features(meta, node)
            yield Issue(f"signature {signature.key} input {tensor.alias} is a serialized tf.Example parsed by "
                        f"{op} {node_name}: dense features {dense or 'none'}; sparse features {sparse or 'none'}",
                        "send tf.Example protos with these features (base64 in JSON: {\"b64\": ...})",
                        tag_set=tag_label(meta), signature=signature.key, location=node_name)


def _features(meta: MetaGraph, node) -> tuple[str, str]:
    dense_keys, sparse_keys = _feature_keys(meta, node)
    types = _list_types(node, "Tdense")
    shapes = [format_shape(shape_from_proto(s)) for s in node.attr["dense_shapes"].list.shape] \
        if "dense_shapes" in node.attr else []
    dense = []
    for i, key in enumerate(dense_keys):
        kind = types[i] if i < len(types) else "?"
        shape = shapes[i] if i < len(shapes) else "?"
        dense.append(f"{key} ({kind} {shape})")
    sparse_types = _list_types(node, "sparse_types")
    sparse = [f"{key} ({sparse_types[i] if i < len(sparse_types) else '?'})" for i, key in enumerate(sparse_keys)]
    return ", ".join(dense), ", ".join(sparse)


def _list_types(node, attr: str) -> list[str]:
    return [dtype_name(t) for t in node.attr[attr].list.type] if attr in node.attr else []


def _feature_keys(meta: MetaGraph, node) -> tuple[list[str], list[str]]:
    if node.op == "ParseSingleExample":
        return ([k.decode(errors="replace") for k in node.attr["dense_keys"].list.s],
                [k.decode(errors="replace") for k in node.attr["sparse_keys"].list.s])
    inputs = [ref for ref in meta.graph.inputs(node.name) if not ref.control]
    if node.op == "ParseExampleV2":
        return _const_strings(meta, inputs, 3), _const_strings(meta, inputs, 2)
    # ParseExample: serialized, names, Nsparse sparse keys, Ndense dense keys, dense defaults
    n_sparse = node.attr["Nsparse"].i if "Nsparse" in node.attr else 0
    n_dense = node.attr["Ndense"].i if "Ndense" in node.attr else 0
    sparse = [k for i in range(2, 2 + n_sparse) for k in _const_strings(meta, inputs, i)]
    dense = [k for i in range(2 + n_sparse, 2 + n_sparse + n_dense) for k in _const_strings(meta, inputs, i)]
    return dense, sparse


def _const_strings(meta: MetaGraph, inputs: list, slot: int) -> list[str]:
    if slot >= len(inputs):
        return ["?"]
    source = meta.graph.node(inputs[slot].node)
    if source is None or source.op != "Const" or "value" not in source.attr:
        return [f"(from {inputs[slot].node})"]
    values = decode(source.attr["value"].tensor, limit=64)
    if values is None:
        return ["?"]
    return [v.decode(errors="replace") if isinstance(v, bytes) else str(v) for v in values.reshape(-1)]
