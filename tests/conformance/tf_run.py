"""Ask TensorFlow whether each SavedModel loads and each of its signatures runs.

Run as a child process, one per target, over many models:

    python tests/conformance/tf_run.py TARGET OUT.json PATH [PATH ...]

TARGET ``python``: ``tf.saved_model.load(path)`` and a call of every
``.signatures[key]``.  TARGET ``python-v1``: for every MetaGraph,
``tf.compat.v1.saved_model.loader.load`` with its tag-set in a fresh Session,
then ``Session.run`` of each signature's outputs fed its inputs.

Inputs are generated from each signature: ones of the signature's dtype, every
unknown dimension 1.  A string input that feeds a ParseExample(V2) node gets a
serialized tf.Example holding every feature the parsers of the MetaGraph name.
The result, for each path and tag-set: {"load": null or the error, "signatures":
{key: null or the error}}.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2

INIT_KEY = "__saved_model_init_op"
PARSERS = ("ParseExample", "ParseExampleV2")


def _error(exc: BaseException) -> str:
    """The exception's type and its first informative line (TF puts "Graph execution error:" first)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    useful = [line for line in lines if not line.startswith(("Graph execution error", "Detected at node",
                                                                 "File ", "Traceback", "Node:", "[["))]
    text = next((line for line in useful if len(line) > 20), useful[0] if useful else "")
    return f"{type(exc).__name__}: {text}"[:400]


def _node_name(text: str) -> str:
    return text.lstrip("^").split(":")[0]


def _const(nodes: dict, name: str):
    node = nodes.get(_node_name(name))
    if node is None or node.op != "Const":
        return []
    return [v.decode() if isinstance(v, bytes) else str(v) for v in tf.make_ndarray(node.attr["value"].tensor).ravel()]


def _parser_features(node, nodes: dict) -> dict[str, tuple[str, list[int]]]:
    """feature key -> (dtype name, shape) for one ParseExample(V2) node."""
    features: dict[str, tuple[str, list[int]]] = {}
    inputs = [i for i in node.input if not i.startswith("^")]
    dense_types = [tf.dtypes.as_dtype(t).name for t in node.attr["Tdense"].list.type]
    dense_shapes = [[max(d.size, 1) for d in s.dim] for s in node.attr["dense_shapes"].list.shape]
    sparse_types = [tf.dtypes.as_dtype(t).name for t in node.attr["sparse_types"].list.type]
    if node.op == "ParseExampleV2":
        sparse_keys, dense_keys = _const(nodes, inputs[2]), _const(nodes, inputs[3])
        ragged_keys = _const(nodes, inputs[4])
        ragged_types = [tf.dtypes.as_dtype(t).name for t in node.attr["ragged_value_types"].list.type]
    else:
        n_sparse, n_dense = node.attr["Nsparse"].i, node.attr["Ndense"].i
        sparse_keys = [k for i in range(2, 2 + n_sparse) for k in _const(nodes, inputs[i])]
        dense_keys = [k for i in range(2 + n_sparse, 2 + n_sparse + n_dense) for k in _const(nodes, inputs[i])]
        ragged_keys, ragged_types = [], []
    for key, dtype, shape in zip(dense_keys, dense_types, dense_shapes):
        features[key] = (dtype, shape)
    for key, dtype in zip(sparse_keys + ragged_keys, sparse_types + ragged_types):
        features.setdefault(key, (dtype, [1]))
    return features


def example_features(meta) -> dict[str, tuple[str, list[int]]]:
    """Every feature any parser in the MetaGraph (graph or function) names."""
    features: dict[str, tuple[str, list[int]]] = {}
    bodies = [list(meta.graph_def.node)] + [list(f.node_def) for f in meta.graph_def.library.function]
    for body in bodies:
        nodes = {n.name: n for n in body}
        for node in body:
            if node.op in PARSERS:
                features.update(_parser_features(node, nodes))
    return features


def serialized_example(features: dict[str, tuple[str, list[int]]]) -> bytes:
    example = tf.train.Example()
    for key, (dtype, shape) in features.items():
        count = int(np.prod(shape)) if shape else 1
        feature = example.features.feature[key]
        if dtype == "string":
            feature.bytes_list.value.extend([b"1"] * count)
        elif dtype.startswith("float"):
            feature.float_list.value.extend([1.0] * count)
        else:
            feature.int64_list.value.extend([1] * count)
    return example.SerializeToString()


STRINGS = (b"1", b"MQ")  # a token that is also a number; base64 of "1" for DecodeBase64 inputs
RANKS = ([1], [1, 1])  # shapes tried for an input of unknown rank, before the graph's own widths


def _value(dtype: tf.DType, dims: list[int], string: bytes):
    if dtype == tf.string:
        return np.full(dims, string, dtype=object)
    if dtype == tf.bool:
        return np.ones(dims, dtype=bool)
    return np.ones(dims, dtype=dtype.as_numpy_dtype)


def _widths(meta) -> list[int]:
    """First dimensions of the graph's 2-D variables and constants: likely feature widths of an input."""
    found = []
    for node in meta.graph_def.node:
        if node.op in ("VariableV2", "VarHandleOp", "Variable") and "shape" in node.attr:
            dims = [d.size for d in node.attr["shape"].shape.dim]
            if len(dims) == 2 and dims[0] > 1 and dims[0] not in found:
                found.append(dims[0])
    return found[:3]


def candidates(inputs: dict, example: bytes | None, widths: list[int]):
    """Feed sets to try, in order: name -> (dtype, shape or None, feeds a parser).

    An input runs when any one of them runs: the signature alone does not say which
    string or which rank a graph accepts when it leaves them open.
    """
    unknown = [[1, w] for w in widths]
    for string in STRINGS:
        for rank in list(RANKS) + unknown:
            feed = {}
            for name, (dtype, shape, parsed) in inputs.items():
                dims = rank if shape is None else [1 if d is None or d < 0 else d for d in shape]
                if name.endswith("_indices") and dtype == tf.int64 and shape and len(shape) == 2:
                    feed[name] = np.zeros([1, shape[1] or 1], np.int64)
                elif name.endswith("_dense_shape") and dtype == tf.int64:
                    feed[name] = np.ones(dims, np.int64)
                elif name.endswith("_values") and shape is not None and len(shape) == 1:
                    feed[name] = _value(dtype, [1], string)
                else:
                    feed[name] = _value(dtype, dims, example if parsed and example is not None else string)
            yield feed
            if not any(shape is None for _, shape, _ in inputs.values()):
                break
        if not any(dtype == tf.string for dtype, _, _ in inputs.values()):
            break


def _try(run, inputs: dict, example, widths) -> str | None:
    """None when one candidate feed runs, else the first candidate's error."""
    first = None
    for feed in candidates(inputs, example, widths):
        try:
            run(feed)
            return None
        except Exception as exc:  # noqa: BLE001 - every failure is data here
            first = first or _error(exc)
    return first


CALLS = ("PartitionedCall", "StatefulPartitionedCall")


def _feeds_parser(tensor) -> bool:
    """Whether a string tensor reaches a parser (through Identity-like ops or into a function call)."""
    pending, seen = [tensor], set()
    while pending:
        current = pending.pop()
        if current.name in seen:
            continue
        seen.add(current.name)
        for op in current.consumers():
            if op.type in PARSERS or op.type in CALLS:
                return True
            if op.type in ("Identity", "IdentityN", "Reshape", "ExpandDims", "Squeeze"):
                pending.extend(op.outputs)
    return False


def _read_meta_graphs(path: Path):
    proto = saved_model_pb2.SavedModel()
    pb = path / "saved_model.pb"
    if pb.is_file():
        proto.ParseFromString(pb.read_bytes())
    else:
        from google.protobuf import text_format

        text_format.Parse((path / "saved_model.pbtxt").read_text(), proto)
    return list(proto.meta_graphs)


def run_python(path: Path) -> dict:
    metas = _read_meta_graphs(path)
    features: dict = {}
    for meta in metas:
        features.update(example_features(meta))
    example = serialized_example(features) if features else None
    result: dict = {"load": None, "signatures": {}}
    try:
        loaded = tf.saved_model.load(str(path))
    except Exception as exc:  # noqa: BLE001 - every failure is data here
        result["load"] = _error(exc)
        return {"": result}
    widths = [w for meta in metas for w in _widths(meta)]
    for key in sorted(loaded.signatures.keys()):
        function = loaded.signatures[key]
        try:
            specs = function.structured_input_signature[1]
            inputs = {}
            for (name, spec), tensor in zip(specs.items(), function.inputs):
                parsed = spec.dtype == tf.string and tensor is not None and _feeds_parser(tensor)
                inputs[name] = (spec.dtype, spec.shape.as_list() if spec.shape.rank is not None else None, parsed)

            def call(feed, function=function):
                function(**{k: tf.constant(v) for k, v in feed.items()})

            result["signatures"][key] = _try(call, inputs, example, widths)
        except Exception as exc:  # noqa: BLE001
            result["signatures"][key] = _error(exc)
    return {"": result}


def run_python_v1(path: Path) -> dict:
    results = {}
    for meta_proto in _read_meta_graphs(path):
        tags = list(meta_proto.meta_info_def.tags)
        example = serialized_example(example_features(meta_proto)) if example_features(meta_proto) else None
        result: dict = {"load": None, "signatures": {}}
        results[",".join(tags)] = result
        graph = tf.Graph()
        with tf.compat.v1.Session(graph=graph) as session:
            try:
                meta = tf.compat.v1.saved_model.loader.load(session, tags, str(path))
            except Exception as exc:  # noqa: BLE001
                result["load"] = _error(exc)
                continue
            for key in sorted(meta.signature_def):
                if key == INIT_KEY:
                    continue
                signature = meta.signature_def[key]
                try:
                    inputs, tensors = {}, {}
                    for alias, info in signature.inputs.items():
                        dtype = tf.dtypes.as_dtype(info.dtype).base_dtype
                        if info.WhichOneof("encoding") == "coo_sparse":
                            coo = info.coo_sparse
                            for suffix, name in (("_indices", coo.indices_tensor_name),
                                                 ("_values", coo.values_tensor_name),
                                                 ("_dense_shape", coo.dense_shape_tensor_name)):
                                tensor = graph.get_tensor_by_name(name)
                                tensors[alias + suffix] = tensor
                                inputs[alias + suffix] = (tensor.dtype.base_dtype, tensor.shape.as_list(), False)
                            continue
                        tensor = graph.get_tensor_by_name(info.name)
                        tensors[alias] = tensor
                        shape = tensor.shape.as_list() if tensor.shape.rank is not None else None
                        parsed = dtype == tf.string and example is not None and _feeds_parser(tensor)
                        inputs[alias] = (dtype, shape, parsed)
                    fetches = []
                    for info in signature.outputs.values():
                        if info.WhichOneof("encoding") == "coo_sparse":
                            fetches += [info.coo_sparse.values_tensor_name, info.coo_sparse.indices_tensor_name,
                                        info.coo_sparse.dense_shape_tensor_name]
                        else:
                            fetches.append(info.name)

                    def run(feed, fetches=fetches, tensors=tensors, session=session):
                        session.run(fetches, feed_dict={tensors[k]: v for k, v in feed.items()})

                    result["signatures"][key] = _try(run, inputs, example, _widths(meta_proto))
                except Exception as exc:  # noqa: BLE001
                    result["signatures"][key] = _error(exc)
    return results


def main(argv: list[str]) -> int:
    target, out, paths = argv[0], Path(argv[1]), [Path(p) for p in argv[2:]]
    runner = {"python": run_python, "python-v1": run_python_v1}[target]
    results = {}
    for path in paths:
        try:
            results[str(path)] = runner(path)
        except Exception as exc:  # noqa: BLE001 - the harness itself must not stop
            results[str(path)] = {"": {"load": "harness: " + _error(exc), "signatures": {}}}
    out.write_text(json.dumps(results, indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
