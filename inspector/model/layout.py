"""Which files make a SavedModel directory: the graph file and what TensorFlow writes beside it."""

from __future__ import annotations

from collections.abc import Iterable

SAVED_MODEL_PB = "saved_model.pb"
SAVED_MODEL_PBTXT = "saved_model.pbtxt"
GRAPH_FILES = (SAVED_MODEL_PB, SAVED_MODEL_PBTXT)
# Files and folders TensorFlow and Keras write beside saved_model.pb, never without it.
SAVED_MODEL_COMPANIONS = ("keras_metadata.pb", "fingerprint.pb", "variables", "assets", "assets.extra")


def parts_without_graph(names: Iterable[str]) -> list[str]:
    """The SavedModel parts a directory holding ``names`` has when it lacks its graph file: a copy or
    upload that left saved_model.pb behind.  Empty when the graph file is there, or no part is."""
    present = set(names)
    if present & set(GRAPH_FILES):
        return []
    return [name for name in SAVED_MODEL_COMPANIONS if name in present]
