"""Run proof-of-concept exports with TensorFlow, each in its own working directory; print outputs as JSON.

Usage: python tests/security_child.py JOBS_JSON, a list of [export, run, workdir]. The parent
made each working directory (``secret.txt``, ``secret.bin``); this child adds
``secret.tfrecord`` with TensorFlow's own writer, then runs the export the way its
manifest entry's ``run`` says, and prints one JSON object: workdir -> output or error.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def run_one(tf, export: str, run: dict) -> str:
    secret = Path("secret.txt").read_bytes().strip()
    with tf.io.TFRecordWriter("secret.tfrecord") as writer:
        writer.write(secret)
    payload = run["input"].encode()
    if run["kind"] == "signature":
        loaded = tf.saved_model.load(export)
        outputs = loaded.signatures["serving_default"](x=tf.constant(payload))
        values = [v.numpy() for v in outputs.values()]
    else:
        v1 = tf.compat.v1
        with tf.Graph().as_default() as graph, v1.Session(graph=graph) as session:
            path = os.path.join(export, run["file"])
            if run["kind"] == "meta":
                v1.train.import_meta_graph(path)
            else:
                graph_def = v1.GraphDef.FromString(Path(path).read_bytes())
                tf.graph_util.import_graph_def(graph_def, name="")
            values = [session.run(run["fetch"], {run["feed"]: payload})]
    return " ".join(v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in values)


def main(jobs: list) -> dict:
    import tensorflow as tf

    results = {}
    for export, run, workdir in jobs:
        os.chdir(workdir)
        try:
            results[workdir] = {"output": run_one(tf, export, run)}
        except Exception as error:  # noqa: BLE001 - reported to the parent, which fails the test
            results[workdir] = {"error": f"{type(error).__name__}: {str(error)[:500]}"}
    return results


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]))))
