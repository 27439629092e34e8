"""Edits of copies of real exports, made with TensorFlow's own proto classes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from conftest import fixture

BIG_CONST = "big_weights"
BIG_CONST_SIZE = 10_000


def frozen_graph_with_big_const(tmp_path: Path, tf) -> tuple[Path, object]:
    """seed003's frozen graph plus a 10,000-float Const (packed in tensor_content, as TF writes it)."""
    graph_def = tf.compat.v1.GraphDef.FromString(fixture("seed003", "frozen_graph.pb").read_bytes())
    values = np.arange(BIG_CONST_SIZE, dtype=np.float32) / 7
    with tf.Graph().as_default():
        node = tf.constant(values, name=BIG_CONST).op.node_def
    assert len(node.attr["value"].tensor.tensor_content) == BIG_CONST_SIZE * 4
    graph_def.node.add().CopyFrom(node)
    target = tmp_path / "frozen_big.pb"
    target.write_bytes(graph_def.SerializeToString())
    return target, graph_def


def rename_node(graph_def, old: str, new: str) -> None:
    """Rename a node and every reference to it (data and control inputs)."""
    for node in graph_def.node:
        if node.name == old:
            node.name = new
        for i, text in enumerate(node.input):
            control = text.startswith("^")
            base, _, index = text.lstrip("^").partition(":")
            if base == old:
                node.input[i] = ("^" if control else "") + new + (f":{index}" if index else "")


def with_bytes_alias(tmp_path: Path) -> Path:
    """A copy of fault_b64 whose input alias image is renamed image_bytes (only the SignatureDef changes)."""
    import shutil

    from inspector import protos

    target = tmp_path / "fault_b64_bytes"
    shutil.copytree(fixture("fault_b64"), target)
    saved = protos.SavedModel.FromString((target / "saved_model.pb").read_bytes())
    signature = saved.meta_graphs[0].signature_def["serving_default"]
    signature.inputs["image_bytes"].CopyFrom(signature.inputs["image"])
    del signature.inputs["image"]
    (target / "saved_model.pb").write_bytes(saved.SerializeToString())
    return target


HOSTILE_SIGNATURE = "<script>alert(1)</script>"
HOSTILE_ALIAS = "[red]x\x1b[2J"
HOSTILE_NODE = "<script>x"


def with_hostile_names(tmp_path: Path) -> Path:
    """A copy of seed003's SavedModel whose signature key, input alias and input node are markup.

    The key is an HTML script element, the alias rich markup plus a terminal escape,
    and the placeholder ``x`` is renamed ``<script>x`` (with every reference to it).
    """
    import shutil

    from inspector import protos

    target = tmp_path / "hostile_names"
    shutil.copytree(fixture("seed003", "SavedModel"), target)
    saved = protos.SavedModel.FromString((target / "saved_model.pb").read_bytes())
    meta = saved.meta_graphs[0]
    meta.signature_def[HOSTILE_SIGNATURE].CopyFrom(meta.signature_def["serving_default"])
    del meta.signature_def["serving_default"]
    inputs = meta.signature_def[HOSTILE_SIGNATURE].inputs
    inputs[HOSTILE_ALIAS].CopyFrom(inputs["inputs"])
    del inputs["inputs"]
    rename_node(meta.graph_def, "x", HOSTILE_NODE)
    inputs[HOSTILE_ALIAS].name = f"{HOSTILE_NODE}:0"
    (target / "saved_model.pb").write_bytes(saved.SerializeToString())
    return target
