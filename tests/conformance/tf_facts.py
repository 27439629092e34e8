"""What TensorFlow itself reads from each artifact, as JSON (run in a child process).

    python tests/conformance/tf_facts.py < artifacts.json > facts.json

stdin: a list of ``{"id", "kind", "path"}``; stdout: ``{id: facts}``.  Every
artifact is read the way a user's program reads it: a SavedModel with
``tf.compat.v1.saved_model.loader.load`` for each tag-set (each in a fresh
Graph and Session) and, when it has a TF2 object graph, ``tf.saved_model.load``;
a ``.meta`` with ``import_meta_graph``; a GraphDef with ``import_graph_def``; a
checkpoint with ``tf.train.list_variables`` and ``tf.train.load_checkpoint``.
A loader that raises is recorded as ``{"error": ...}``: TensorFlow cannot read
that artifact that way, so there is nothing to hold tfinspect to.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import traceback

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import tensorflow as tf
from google.protobuf import text_format
from tensorflow.core.framework import types_pb2
from tensorflow.python.framework import meta_graph
from tensorflow.python.saved_model import loader_impl

VARIABLE_OPS = ("VariableV2", "Variable", "VarHandleOp")


def _shape(proto) -> list[int] | None:
    shape = tf.TensorShape(proto)
    return None if shape.rank is None else [-1 if d is None else d for d in shape.as_list()]


def _tensor_info(info, graph) -> dict:
    encoding = info.WhichOneof("encoding")
    fact = {
        "encoding": encoding,
        "name": info.name if encoding == "name" else None,
        "dtype": types_pb2.DataType.Name(info.dtype),
        "shape": _shape(info.tensor_shape),
    }
    if encoding == "coo_sparse":
        fact["name"] = info.coo_sparse.values_tensor_name
    if graph is not None and encoding == "name":
        # The name must resolve in the graph the loader built (an op name, for the init op).
        graph.as_graph_element(info.name)
    return fact


def _signatures(meta_graph_def, graph) -> dict:
    return {
        key: {
            "method": sig.method_name,
            "inputs": {alias: _tensor_info(info, graph) for alias, info in sig.inputs.items()},
            "outputs": {alias: _tensor_info(info, graph) for alias, info in sig.outputs.items()},
        }
        for key, sig in meta_graph_def.signature_def.items()
    }


def _graph_facts(graph) -> dict:
    operations = graph.get_operations()
    variables = []
    for op in operations:
        if op.type in VARIABLE_OPS:
            shape = tf.TensorShape(op.get_attr("shape"))
            variables.append({
                "name": op.name, "op": op.type, "dtype": types_pb2.DataType.Name(op.get_attr("dtype").as_datatype_enum),
                "shape": None if shape.rank is None else [-1 if d is None else d for d in shape.as_list()],
            })
    return {
        "ops": [[op.name, op.type] for op in operations],
        "collections": sorted(graph.get_all_collection_keys()),
        "variables": variables,
    }


def _restored_values(graph, sess) -> dict:
    """sha1 of the value the loader restored into each variable (None: left uninitialised)."""
    reads = {}
    for op in list(graph.get_operations()):
        if op.type == "VarHandleOp":
            reads[op.name] = tf.raw_ops.ReadVariableOp(resource=op.outputs[0], dtype=op.get_attr("dtype"))
        elif op.type in ("VariableV2", "Variable"):
            reads[op.name] = op.outputs[0]
    result = {}
    for name, read in reads.items():
        try:
            result[name] = hashlib.sha1(np.ascontiguousarray(sess.run(read)).tobytes()).hexdigest()
        except tf.errors.OpError:
            result[name] = None
    return result


def _trackable_variables(root) -> list[dict]:
    """Every distinct tf.Variable reachable from ``root``, with every path that reaches it."""
    found: dict[int, dict] = {}
    seen = {id(root)}
    queue = [(root, "")]
    while queue:
        obj, path = queue.pop(0)
        children = obj._trackable_children() if hasattr(obj, "_trackable_children") else {}
        for name, child in sorted(children.items()):
            child_path = f"{path}/{name}" if path else name
            if isinstance(child, tf.Variable):
                entry = found.setdefault(id(child), {
                    "paths": [], "dtype": types_pb2.DataType.Name(child.dtype.as_datatype_enum),
                    "shape": _shape(child.shape), "name": child.name,
                })
                entry["paths"].append(child_path)
            if id(child) not in seen:
                seen.add(id(child))
                queue.append((child, child_path))
    return list(found.values())


def saved_model(path: str) -> dict:
    proto = loader_impl.parse_saved_model(path)
    facts: dict = {"tag_sets": []}
    for mg in proto.meta_graphs:
        tags = list(mg.meta_info_def.tags)
        entry: dict = {"tags": sorted(tags)}
        with tf.Graph().as_default() as graph, tf.compat.v1.Session(graph=graph) as sess:
            try:
                loaded = tf.compat.v1.saved_model.loader.load(sess, tags, path)
                entry["signatures"] = _signatures(loaded, graph)
                entry.update(_graph_facts(graph))
                entry["restored"] = _restored_values(graph, sess)
            except Exception as exc:  # noqa: BLE001 - recorded: TensorFlow cannot restore this tag-set
                entry["error"] = f"{type(exc).__name__}: {exc}"[:3000]
        if "error" in entry:
            # The graph still imports (a checkpoint that does not fit fails only the restore).
            with tf.Graph().as_default() as graph:
                loader_impl.SavedModelLoader(path).load_graph(graph, tags)
                entry["signatures"] = _signatures(mg, graph)
                entry.update(_graph_facts(graph))
        if mg.HasField("object_graph_def"):
            try:
                root = tf.saved_model.load(path, tags=tags)
                entry["object_variables"] = _trackable_variables(root)
                # Keras's own list of the model's variables, when the export keeps one.
                listed = getattr(root, "variables", None)
                if isinstance(listed, (list, tuple)) and all(isinstance(v, tf.Variable) for v in listed):
                    distinct = {id(v): v for v in listed}.values()
                    entry["root_variables"] = [
                        {"name": v.name, "dtype": types_pb2.DataType.Name(v.dtype.as_datatype_enum),
                         "shape": _shape(v.shape)} for v in distinct]
            except Exception as exc:  # noqa: BLE001
                entry["object_variables_error"] = f"{type(exc).__name__}: {exc}"[:500]
        facts["tag_sets"].append(entry)
    return facts


def meta_graph_file(path: str) -> dict:
    proto = meta_graph.read_meta_graph_file(path)
    with tf.Graph().as_default() as graph:
        tf.compat.v1.train.import_meta_graph(path)
        return {"signatures": _signatures(proto, graph), **_graph_facts(graph)}


def graph_def(path: str) -> dict:
    proto = tf.compat.v1.GraphDef()
    with open(path, "rb") as handle:
        data = handle.read()
    if path.endswith(".pbtxt"):
        text_format.Merge(data.decode("utf-8"), proto)
    else:
        proto.ParseFromString(data)
    with tf.Graph().as_default() as graph:
        tf.graph_util.import_graph_def(proto, name="")
        return _graph_facts(graph)


def checkpoint(prefix: str) -> dict:
    dtypes = tf.train.load_checkpoint(prefix).get_variable_to_dtype_map()
    return {
        "tensors": {
            name: {"dtype": types_pb2.DataType.Name(dtypes[name].as_datatype_enum), "shape": list(shape)}
            for name, shape in tf.train.list_variables(prefix)
        },
    }


READERS = {"saved_model": saved_model, "meta_graph": meta_graph_file, "graph_def": graph_def,
           "checkpoint": checkpoint}


def main() -> None:
    artifacts = json.load(sys.stdin)
    result = {}
    for artifact in artifacts:
        try:
            result[artifact["id"]] = READERS[artifact["kind"]](artifact["path"])
        except Exception as exc:  # noqa: BLE001 - TensorFlow cannot read it at all
            result[artifact["id"]] = {"error": f"{type(exc).__name__}: {exc}"[:500],
                                      "traceback": traceback.format_exc(limit=3)[-1500:]}
    json.dump(result, sys.stdout, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
