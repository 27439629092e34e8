"""Run one proof-of-concept export with TensorFlow in the current directory; print its output as JSON.

Usage: python tests/security_child.py EXPORT_DIR RUN_JSON.  The parent made the working
directory (``secret.txt``, ``secret.bin``); this child adds ``secret.tfrecord`` with
TensorFlow's own writer, then runs the export the way its manifest entry says.
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main(export: str, run: dict) -> dict:
    import tensorflow as tf

    secret = open("secret.txt", "rb").read().strip()
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
                graph_def = tf.compat.v1.GraphDef.FromString(open(path, "rb").read())
                tf.graph_util.import_graph_def(graph_def, name="")
            values = [session.run(run["fetch"], {run["feed"]: payload})]
    text = " ".join(v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in values)
    return {"output": text}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], json.loads(sys.argv[2]))))
