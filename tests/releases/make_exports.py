"""Write exports that exercise each release rule, with the installed TensorFlow (2.21).

    python tests/releases/make_exports.py OUT

Each export is named after what it holds; tests/conformance/test_releases.py loads them with
an older release and holds `check --tf-version` to what that release does.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import tensorflow as tf

SPEC = tf.TensorSpec([None, 4], tf.float32)


def _conv(x):
    """Conv: an op registered (with a CPU kernel) from TensorFlow 2.14 on."""
    images = tf.reshape(x, [-1, 2, 2, 1])
    out = tf.raw_ops.Conv(input=images, filter=tf.ones([1, 1, 1, 1]), strides=[1, 1, 1, 1], padding="VALID")
    return tf.reshape(out, [-1, 4])


BODIES = {
    # an op newer than the old release, in the serving signature
    "new_op_in_signature": lambda m, x: _conv(x),
    # an attribute newer than the old release that decides an output dtype (TopKV2's index_type)
    "new_type_attr": lambda m, x: tf.cast(tf.math.top_k(x, 2, index_type=tf.int64).indices, tf.float32),
    # newer attributes that decide no dtype, set to something else than their default
    "new_attr_set": lambda m, x: tf.raw_ops.MatMul(a=x, b=m.v, grad_a=True),
    "new_policy_set": lambda m, x: tf.raw_ops.GatherNd(params=x, indices=[[0]], bad_indices_policy="IGNORE"),
    # the same attribute left at its default: stripped at export
    "new_attr_default": lambda m, x: tf.raw_ops.MatMul(a=x, b=m.v, grad_a=False),
    # a dtype whose CPU kernel is newer than the old release (Range on bfloat16)
    "kernel_dtype": lambda m, x: tf.cast(tf.range(tf.constant(0, tf.bfloat16), tf.constant(3, tf.bfloat16)),
                                         tf.float32) + tf.reduce_sum(x),
    # a dtype the old release's OpDef does not allow (UnsortedSegmentSum on int16 segment ids)
    "value_not_allowed": lambda m, x: tf.math.unsorted_segment_sum(x, tf.zeros([tf.shape(x)[0]], tf.int16), 2),
    "plain": lambda m, x: tf.matmul(x, m.v),
}


def saved_model(out: str, name: str, body, unused=None) -> None:
    module = tf.Module()
    module.v = tf.Variable(tf.ones([4, 4]))
    module.serve = tf.function(lambda x: {"y": body(module, x)}, input_signature=[SPEC])
    if unused is not None:  # a tf.function saved with the model that no signature calls
        module.unused = tf.function(lambda x: {"y": unused(module, x)}, input_signature=[SPEC])
        module.unused.get_concrete_function()
    tf.saved_model.save(module, os.path.join(out, name), signatures={"serving_default": module.serve})


def graphs(out: str) -> None:
    """A frozen GraphDef and a .meta holding Conv, made with the tf.compat.v1 graph API."""
    graph = tf.Graph()
    with graph.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 4], name="x")
        tf.identity(_conv(x), name="y")
        tf.compat.v1.train.export_meta_graph(os.path.join(out, "new_op.meta"), graph=graph)
    with open(os.path.join(out, "new_op_frozen.pb"), "wb") as handle:
        handle.write(graph.as_graph_def().SerializeToString())


def main(out: str) -> int:
    os.makedirs(out, exist_ok=True)
    for name, body in BODIES.items():
        saved_model(out, name, body)
    saved_model(out, "new_op_unused_function", BODIES["plain"], unused=BODIES["new_op_in_signature"])
    graphs(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
