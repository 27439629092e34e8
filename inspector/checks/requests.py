"""Rules about the requests a server can send: REST dtypes, batch dimensions, base64, tf.Example."""

from __future__ import annotations

from collections.abc import Iterator

from ..analysis.examples import example_inputs
from ..analysis.requests import BYTES_SUFFIX, JSON_KINDS
from ..model.graph import parse_tensor_name
from ..model.graphwalk import PASS_THROUGH_OPS, consumer_ops
from ..model.metagraph import MetaGraph, Signature, SignatureTensor
from ..tensors.shapes import base_dtype, format_shape
from .context import CheckContext, tag_label
from .core import SERVING, Issue, Severity, rule

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


@rule("TFI401", "rest-dtype", Severity.ERROR,
      "A signature tensor has a dtype the REST/JSON API cannot carry", targets=SERVING)
def _rest_dtype(ctx: CheckContext) -> Iterator[Issue]:
    """JSON requests and responses cannot hold this dtype.

    The REST API of TF Serving and Vertex AI converts JSON numbers, strings and
    booleans into tensors of DT_FLOAT, DT_DOUBLE, DT_INT8/16/32/64, DT_UINT8/32/64,
    DT_BOOL and DT_STRING only.  It has no JSON form for half-precision floats
    (DT_HALF, DT_BFLOAT16), DT_UINT16, complex numbers, quantized types, resource
    handles or variants, nor for a TensorInfo without a dtype, so a request to the signature
    cannot be formed or its answer cannot be written.  Cast at the edges of the
    model: take and return DT_FLOAT (or DT_STRING) and convert inside the graph.
    """
    for meta, signature in ctx.signatures():
        for kind, tensor in signature.tensors():
            dtype = base_dtype(tensor.dtype)
            if dtype not in JSON_KINDS:
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
        for kind, tensor in signature.tensors():
            if kind == "input" and _server_built_example(signature, tensor):
                continue
            shape = tensor.shape
            if shape is None:
                problem = "has unknown rank, so nothing says it has a batch dimension"
            elif not tensor.shape_recorded:
                problem = "records no shape, which TensorFlow reads as a scalar: no batch dimension"
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
            if base_dtype(tensor.dtype) == "DT_STRING" and tensor.encoding == "name":
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
        for kind, tensor in signature.tensors():
            if base_dtype(tensor.dtype) != "DT_STRING" or tensor.alias.endswith(BYTES_SUFFIX) or not tensor.name:
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
    `tfinspect request` writes a body with such examples.
    """
    for meta, signature in ctx.signatures():
        for alias, parser in ((a, p) for a, found in example_inputs(meta, signature).items() for p in found):
            dense = ", ".join(f"{f.key} ({f.dtype or '?'} {format_shape(f.shape) if f.shape is not None else '?'})"
                              for f in parser.of_kind("dense"))
            sparse = ", ".join(f"{f.key} ({f.dtype or '?'})" for f in parser.of_kind("sparse"))
            yield Issue(f"signature {signature.key} input {alias} is a serialized tf.Example parsed by "
                        f"{parser.op} {parser.node}: dense features {dense or 'none'}; "
                        f"sparse features {sparse or 'none'}",
                        "send tf.Example protos with these features (base64 in JSON: {\"b64\": ...})",
                        tag_set=tag_label(meta), signature=signature.key, location=parser.node)
