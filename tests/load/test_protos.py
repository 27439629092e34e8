"""Proto classes come from the TensorFlow wheel without starting TensorFlow."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT

PROGRAM = r"""
import sys
import inspector
for path in ["fixtures/seed003/SavedModel", "fixtures/seed003/model.meta",
             "fixtures/seed003/frozen_graph.pb", "fixtures/seed002/graphdef.pbtxt",
             "fixtures/seed004/results", "fixtures/ckpt_sharded/ckpt.index",
             "fixtures/tf2_module", "fixtures/seed001/mnist"]:
    artifact = inspector.load(path)
    for meta in artifact.meta_graphs:
        meta.signatures, meta.graph.consumers, meta.functions.calls
from inspector.analysis.overview import overview
overview(inspector.load("fixtures/keras_export"))
# Generated *_pb2 modules are plain Python; anything else of tensorflow/keras means the runtime started.
leaked = sorted(m for m in sys.modules
                if (m in ("tensorflow", "tensorflow.python") or m.startswith(("tensorflow.python.", "keras")))
                and not m.endswith("_pb2"))
assert "tensorflow.python" not in sys.modules
print("LEAKED", leaked)
import tensorflow as tf
from inspector import protos
assert tf.constant(2.0).numpy() == 2.0
assert tf.compat.v1.MetaGraphDef is protos.MetaGraphDef
from tensorflow.python.training import checkpoint_state_pb2
assert checkpoint_state_pb2.CheckpointState is protos.CheckpointState
print("TF OK", tf.__version__)
"""


def test_loading_every_kind_never_starts_tensorflow_and_tensorflow_still_imports():
    proc = subprocess.run([sys.executable, "-c", PROGRAM], check=False, capture_output=True, text=True, cwd=ROOT,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "LEAKED []" in proc.stdout, proc.stdout
    assert "TF OK" in proc.stdout
