"""Ask TensorFlow what a model server would do with a JSON request body (run as a child process).

Usage: python tests/helpers/serving_tf.py JOBS.json RESULTS.json

Each job names a SavedModel, its tag-set, a signature key and a REST body.  The
body is turned into tensors the way TF Serving's REST handler does it, written
here independently of tfinspect: ``instances`` rows are stacked along a new first
dimension, ``inputs`` values are taken whole, ``{"b64": ...}`` becomes bytes, and
``examples`` become serialized tf.Example protos fed to the signature's
``inputs`` tensor.  The model is loaded once per (path, tags) with the TF1 loader
into a Session, as the C++ server does, and the signature's tensors are fed and
fetched by name.  Other modes ask TensorFlow about what a body would make:
``"tensors"`` feeds the arrays given as (dtype, nested list) pairs;
``"convert"`` asks TensorFlow's own converter (``tf.make_tensor_proto``) for a
tensor of ``dtype`` from ``values``; ``"b64"`` decodes ``text`` with TensorFlow's
base64 decoder.  A job's answer holds the outputs' shapes and values, or the error.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import traceback

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import tensorflow as tf


def leaf(value):
    if isinstance(value, dict):
        return base64.b64decode(value["b64"])
    if isinstance(value, str):
        return value.encode()
    return value


def nested(value):
    return [nested(v) for v in value] if isinstance(value, list) else leaf(value)


def array(values, dtype: tf.DType) -> np.ndarray:
    if dtype == tf.string:
        return np.array(values, dtype=object)
    return np.array(values, dtype=dtype.as_numpy_dtype)


def example(features: dict) -> bytes:
    proto = tf.train.Example()
    for key, value in features.items():
        values = value if isinstance(value, list) else [value]
        slot = proto.features.feature[key]
        if all(isinstance(v, (bool, int)) for v in values):
            slot.int64_list.value.extend(int(v) for v in values)
        elif all(isinstance(v, float) for v in values):
            slot.float_list.value.extend(values)
        else:
            slot.bytes_list.value.extend(leaf(v) for v in values)
    return proto.SerializeToString()


def feeds_from_body(body: dict, signature) -> dict[str, np.ndarray]:
    inputs = signature.inputs
    dtype = {alias: tf.as_dtype(info.dtype) for alias, info in inputs.items()}
    if "examples" in body:
        return {"inputs": np.array([example(e) for e in body["examples"]], dtype=object)}
    if "inputs" in body:
        value = body["inputs"]
        if not isinstance(value, dict) or set(value) == {"b64"}:
            value = {next(iter(inputs)): value}
        return {alias: array(nested(value[alias]), dtype[alias]) for alias in inputs}
    rows = body["instances"]
    if not (isinstance(rows[0], dict) and set(rows[0]) != {"b64"}):
        rows = [{next(iter(inputs)): row} for row in rows]
    return {alias: array([nested(row[alias]) for row in rows], dtype[alias]) for alias in inputs}


def plain(value):
    array = np.asarray(value)
    if array.dtype == object:
        return [v.decode(errors="replace") if isinstance(v, bytes) else v for v in array.reshape(-1).tolist()]
    return array.reshape(-1).tolist()


def run_job(session, meta_graph, job) -> dict:
    signature = meta_graph.signature_def[job["signature"]]
    if job.get("mode") == "tensors":
        feeds = {alias: array(values, tf.as_dtype(dtype)) for alias, (dtype, values) in job["tensors"].items()}
    else:
        feeds = feeds_from_body(job["body"], signature)
    feed_dict = {signature.inputs[alias].name: value for alias, value in feeds.items()}
    fetches = {alias: info.name for alias, info in signature.outputs.items()}
    outputs = session.run(fetches, feed_dict=feed_dict)
    return {"ok": True, "outputs": {alias: list(np.shape(v)) for alias, v in outputs.items()},
            "values": {alias: plain(v) for alias, v in outputs.items()}}


def without_model(job) -> dict:
    if job["mode"] == "convert":
        tf.make_tensor_proto(nested(job["values"]), dtype=tf.as_dtype(job["dtype"]))
    else:
        tf.io.decode_base64(job["text"].replace("+", "-").replace("/", "_")).numpy()
    return {"ok": True}


def main(jobs_path: str, results_path: str) -> None:
    with open(jobs_path) as stream:
        jobs = json.load(stream)
    results: list = [None] * len(jobs)
    by_model: dict[tuple, list[int]] = {}
    for i, job in enumerate(jobs):
        if job.get("mode") in ("convert", "b64"):
            try:
                results[i] = without_model(job)
            except Exception as exc:  # noqa: BLE001 - the refusal is the answer
                results[i] = {"ok": False, "stage": "convert", "error": f"{type(exc).__name__}: {exc}"}
            continue
        by_model.setdefault((job["model"], tuple(job["tags"])), []).append(i)
    for (path, tags), indices in by_model.items():
        graph = tf.Graph()
        with graph.as_default(), tf.compat.v1.Session(graph=graph) as session:
            try:
                meta_graph = tf.compat.v1.saved_model.loader.load(session, list(tags), path)
            except Exception as exc:  # noqa: BLE001 - the load failure is the answer for every job of this model
                for i in indices:
                    results[i] = {"ok": False, "stage": "load", "error": f"{type(exc).__name__}: {exc}"}
                continue
            for i in indices:
                try:
                    results[i] = run_job(session, meta_graph, jobs[i])
                except Exception as exc:  # noqa: BLE001 - any failure is the answer
                    results[i] = {"ok": False, "stage": "run", "error": f"{type(exc).__name__}: {exc}",
                                  "trace": traceback.format_exc(limit=2)[-400:]}
    with open(results_path, "w") as stream:
        json.dump(results, stream)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
