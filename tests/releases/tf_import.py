"""Ask a TensorFlow release whether it imports a .meta or frozen GraphDef and runs it.

    python tests/releases/tf_import.py OUT.json "PATH|INPUT|OUTPUT" [...]

``.meta`` files go through ``tf.compat.v1.train.import_meta_graph``, other files
through ``tf.compat.v1.import_graph_def``; then a Session runs OUTPUT fed ones
of shape [2, 4] at INPUT.  The result: {path: {"load": error or null, "run": error or null}}.
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import tensorflow as tf


def _error(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"[:300]


def verdict(path: str, feed: str, fetch: str) -> dict:
    graph = tf.Graph()
    with graph.as_default():
        try:
            if path.endswith(".meta"):
                tf.compat.v1.train.import_meta_graph(path)
            else:
                graph_def = tf.compat.v1.GraphDef()
                with open(path, "rb") as handle:
                    graph_def.ParseFromString(handle.read())
                tf.compat.v1.import_graph_def(graph_def, name="")
        except Exception as exc:  # noqa: BLE001 - the verdict is the error
            return {"load": _error(exc), "run": None}
    with tf.compat.v1.Session(graph=graph) as session:
        try:
            session.run(fetch, {feed: np.ones([2, 4], np.float32)})
        except Exception as exc:  # noqa: BLE001
            return {"load": None, "run": _error(exc)}
    return {"load": None, "run": None}


def main(argv: list[str]) -> int:
    out, items = argv[0], [item.rsplit("|", 2) for item in argv[1:]]
    with open(out, "w") as handle:
        json.dump({path: verdict(path, feed, fetch) for path, feed, fetch in items}, handle, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
