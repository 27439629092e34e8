"""Build, with real TensorFlow, the exports the diff and versions tests read, and replay
each old client against the next export.

Run as ``python tests/helpers/diff_tree.py OUTDIR`` (one child process: TensorFlow starts
once).  It writes:

* ``OUTDIR/tree/1`` .. ``/10``: a SavedModel version tree; each version makes one
  change to the one before (``STEPS`` says which);
* ``OUTDIR/graphs/{a,b}.meta`` (b adds a required placeholder) and
  ``{a,b}.pb`` frozen GraphDefs (b's input becomes float64);
* ``OUTDIR/tf2/{1,2}``: TF2 exports whose input argument is renamed;
* ``OUTDIR/replay.json``: for every pair, what happened when the request that
  worked against the old export was sent to the new one, with TensorFlow.

A version is served the way a TF Serving client sees it: ``tf.saved_model.load``
and the ``serving_default`` signature called with the request's aliases and
dtypes.  A client "fails" when the call raises, when an output it read is
missing, or when an output it read now has another value.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

BASE = {"alias": "x", "dtype": "float32", "shape": [None, 3], "outputs": ["ids", "score"],
        "vocab": ["a", "b", "c"], "bias": False}
# (what changes, the spec delta), version N+1 = version N + delta
STEPS = [
    ("rename input x -> features (same tensor)", {"alias": "features"}),
    ("input dtype float32 -> float64", {"dtype": "float64"}),
    ("add output probability", {"outputs": ["ids", "probability", "score"]}),
    ("append a vocabulary entry", {"vocab": ["a", "b", "c", "d"]}),
    ("reorder the vocabulary", {"vocab": ["c", "a", "b", "d"]}),
    ("remove output ids", {"outputs": ["probability", "score"]}),
    ("relax input shape [?, 3] -> [?, ?]", {"shape": [None, None]}),
    ("add required input bias", {"bias": True}),
    ("narrow input dimension 0 to 5", {"shape": [5, None]}),
]
REQUEST = {"x": [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], "words": ["a", "c", "zzz"], "bias": [[0.5], [0.25]]}
WEIGHTS = [[0.5], [-1.0], [2.0]]


def specs() -> list[dict]:
    result = [dict(BASE)]
    for _, delta in STEPS:
        result.append({**result[-1], **delta})
    return result


def build_version(tf, spec: dict, out: Path) -> None:
    v1 = tf.compat.v1
    sm = v1.saved_model
    with tempfile.TemporaryDirectory() as scratch:
        vocab = Path(scratch) / "vocab.txt"
        vocab.write_text("\n".join(spec["vocab"]) + "\n")
        with tf.Graph().as_default() as graph, v1.Session(graph=graph) as sess:
            x = v1.placeholder(spec["dtype"], shape=spec["shape"], name="x")
            words = v1.placeholder(tf.string, shape=[None], name="words")
            # Like much export code (an RNN's initial state), the graph bakes in the
            # batch size the placeholder declares, when it declares one.
            batch = x.shape[0] if x.shape[0] is not None else tf.shape(x)[0]
            state = tf.fill(tf.stack([batch, 1]), 1.0)
            score = tf.matmul(tf.cast(x, tf.float32), tf.constant(WEIGHTS, tf.float32)) + state
            inputs = {spec["alias"]: x, "words": words}
            if spec["bias"]:
                bias = v1.placeholder(tf.float32, shape=[None, 1], name="bias")
                score += bias
                inputs["bias"] = bias
            path = tf.constant(str(vocab), name="vocab_path")
            v1.add_to_collection(v1.GraphKeys.ASSET_FILEPATHS, path)
            initializer = tf.lookup.TextFileInitializer(
                path, tf.string, tf.lookup.TextFileIndex.WHOLE_LINE, tf.int64, tf.lookup.TextFileIndex.LINE_NUMBER)
            table = tf.lookup.StaticHashTable(initializer, default_value=-1)
            every = {"score": tf.identity(score, name="score"), "ids": tf.identity(table.lookup(words), name="ids"),
                     "probability": tf.sigmoid(score, name="probability")}
            outputs = {k: every[k] for k in spec["outputs"]}
            builder = sm.Builder(str(out))
            builder.add_meta_graph_and_variables(
                sess, [sm.SERVING],
                signature_def_map={"serving_default": sm.predict_signature_def(inputs, outputs)},
                assets_collection=v1.get_collection(v1.GraphKeys.ASSET_FILEPATHS),
                main_op=v1.tables_initializer(),
            )
            builder.save()


def request_for(tf, spec: dict) -> dict:
    request = {spec["alias"]: tf.constant(REQUEST["x"], spec["dtype"]), "words": tf.constant(REQUEST["words"])}
    if spec["bias"]:
        request["bias"] = tf.constant(REQUEST["bias"], tf.float32)
    return request


def serve(tf, export: Path, request: dict) -> dict:
    signature = tf.saved_model.load(str(export)).signatures["serving_default"]
    return {k: v.numpy().tolist() for k, v in signature(**request).items()}


def replay(tf, old: Path, new: Path, old_spec: dict) -> dict:
    """Send OLD's working request to NEW; compare NEW's answer with OLD's."""
    request = request_for(tf, old_spec)
    expected = serve(tf, old, request)
    try:
        got = serve(tf, new, request)
    except Exception as exc:  # noqa: BLE001 - any failure is what we record
        return {"ran": False, "error": f"{type(exc).__name__}: {str(exc)[:300]}", "missing": [], "changed": [],
                "client_ok": False}
    missing = sorted(set(expected) - set(got))
    changed = sorted(k for k in expected if k in got and got[k] != expected[k])
    return {"ran": True, "error": None, "missing": missing, "changed": changed,
            "client_ok": not missing and not changed}


def build_graph_pairs(tf, out: Path) -> dict:
    """``a.meta``/``b.meta``: b adds a required placeholder; ``a.pb``/``b.pb``: b's input is float64."""
    v1 = tf.compat.v1
    out.mkdir(parents=True, exist_ok=True)
    for name, extra, dtype in (("a", False, "float32"), ("b", True, "float64")):
        with tf.Graph().as_default() as graph:
            x = v1.placeholder(dtype, shape=[None, 3], name="x")
            y = tf.matmul(tf.cast(x, tf.float32), tf.constant(WEIGHTS, tf.float32))
            if extra:
                y *= v1.placeholder(tf.float32, shape=[], name="scale")
            tf.identity(y, name="y")
            (out / f"{name}.pb").write_bytes(graph.as_graph_def().SerializeToString())
            v1.train.export_meta_graph(filename=str(out / f"{name}.meta"), graph=graph)
    # The frozen pair differs in the input dtype only: drop b's scale for it.
    with tf.Graph().as_default() as graph:
        x = v1.placeholder(tf.float64, shape=[None, 3], name="x")
        tf.identity(tf.matmul(tf.cast(x, tf.float32), tf.constant(WEIGHTS, tf.float32)), name="y")
        (out / "b.pb").write_bytes(graph.as_graph_def().SerializeToString())
    results = {}
    # .meta: a Session running b.meta with a.meta's feed.
    for name in ("a", "b"):
        with tf.Graph().as_default(), v1.Session() as sess:
            v1.train.import_meta_graph(str(out / f"{name}.meta"))
            try:
                sess.run("y:0", {"x:0": REQUEST["x"]})
                results[f"meta_{name}"] = {"ran": True, "error": None}
            except Exception as exc:  # noqa: BLE001
                results[f"meta_{name}"] = {"ran": False, "error": f"{type(exc).__name__}: {str(exc)[:300]}"}
    # frozen: the graph pruned to x -> y and called with a.pb's float32 request.
    for name in ("a", "b"):
        graph_def = v1.GraphDef.FromString((out / f"{name}.pb").read_bytes())
        wrapped = v1.wrap_function(lambda gd=graph_def: v1.import_graph_def(gd, name=""), [])
        pruned = wrapped.prune("x:0", "y:0")
        try:
            pruned(tf.constant(REQUEST["x"], tf.float32))
            results[f"frozen_{name}"] = {"ran": True, "error": None}
        except Exception as exc:  # noqa: BLE001
            results[f"frozen_{name}"] = {"ran": False, "error": f"{type(exc).__name__}: {str(exc)[:300]}"}
    return results


def build_tf2_pair(tf, out: Path) -> dict:
    """``tf2/1`` and ``tf2/2``: tf.saved_model.save exports whose only input is renamed
    (``x`` -> ``inputs``); TF2 names the placeholder after the argument, so the tensor
    name changes with the alias.  Returns TensorFlow's verdict on the old request."""
    for number, argument in ((1, "x"), (2, "inputs")):
        module = tf.Module()
        spec = tf.TensorSpec([None, 3], tf.float32, name=argument)
        module.serve = tf.function(lambda t: {"score": tf.matmul(t, tf.constant(WEIGHTS, tf.float32))},
                                   input_signature=[spec])
        tf.saved_model.save(module, str(out / str(number)), signatures={"serving_default": module.serve})
    request = {"x": tf.constant(REQUEST["x"], tf.float32)}
    outcome = {"ran": True, "error": None}
    try:
        serve(tf, out / "2", request)
    except Exception as exc:  # noqa: BLE001
        outcome = {"ran": False, "error": f"{type(exc).__name__}: {str(exc)[:300]}"}
    serve(tf, out / "1", request)  # the request is right for version 1
    return outcome


def main(outdir: Path) -> None:
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
    tree = outdir / "tree"
    all_specs = specs()
    for number, spec in enumerate(all_specs, start=1):
        build_version(tf, spec, tree / str(number))
    report = {"steps": [], "graphs": build_graph_pairs(tf, outdir / "graphs"),
              "tf2": build_tf2_pair(tf, outdir / "tf2")}
    for number, (what, _) in enumerate(STEPS, start=1):
        outcome = replay(tf, tree / str(number), tree / str(number + 1), all_specs[number - 1])
        report["steps"].append({"old": number, "new": number + 1, "change": what, **outcome})
    (outdir / "replay.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
