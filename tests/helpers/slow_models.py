"""Make two artifacts that keep a child of tfinspect busy, with TensorFlow (run as a child process).

Usage: python tests/helpers/slow_models.py OUT

- ``OUT/tangle.pb``: a frozen GraphDef of 1,000 additions, each of two earlier results
  picked at random; Graphviz ``dot`` needs minutes to lay it out (its edge crossings),
  so ``tfinspect graph`` is still waiting for ``dot`` when a test stops it.
- ``OUT/loop``: a SavedModel whose ``serving_default`` signature (input ``x``, float32
  ``[None]``) adds one 2**62 times in a ``tf.while_loop``: ``tfinspect run`` is still
  running it when a test stops tfinspect.
"""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import tensorflow as tf


def tangle(path: Path, count: int = 1000) -> None:
    rng = random.Random(0)
    graph = tf.Graph()
    with graph.as_default():
        tensors = [tf.constant(float(i), name=f"c{i}") for i in range(20)]
        for i in range(count):
            tensors.append(tf.math.add(rng.choice(tensors), rng.choice(tensors), name=f"add{i}"))
    path.write_bytes(graph.as_graph_def().SerializeToString())


class Loop(tf.Module):
    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32, name="x")])
    def serve(self, x):
        def more(i, _):
            return i < 2**62

        def once(i, y):
            return i + 1, y + 1.0

        _, y = tf.while_loop(more, once, [tf.constant(0, tf.int64), x])
        return {"y": y}


def main(out: str) -> int:
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    tangle(folder / "tangle.pb")
    module = Loop()
    tf.saved_model.save(module, str(folder / "loop"), signatures={"serving_default": module.serve})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
