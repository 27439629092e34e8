"""Walks over a TF2 SavedObjectGraph, and its match with the checkpoint's object graph.

A TF2 SavedModel saves two graphs of the same objects: the SavedObjectGraph in
``saved_model.pb`` and the TrackableObjectGraph stored in the checkpoint as the
``_CHECKPOINTABLE_OBJECT_GRAPH`` tensor.  TensorFlow's loader restores by
walking both from the root object, pairing children by their local name, then
pairing each optimizer's slot variables by (original variable, slot name).  A
checkpoint node's ``VARIABLE_VALUE`` attribute names the checkpoint key of that
object.  :func:`checkpoint_keys` does the same pairing, without TensorFlow.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from .. import protos
from ..checkpoint.audit import SLOT_MARKER, VARIABLE_VALUE_SUFFIX

VARIABLE_VALUE = "VARIABLE_VALUE"


def object_paths(graph: protos.SavedObjectGraph) -> dict[int, str]:
    """Shortest child path from the root object to every object (``layer/kernel``)."""
    paths = {0: ""}
    queue = deque([0])
    while queue:
        current = queue.popleft()
        for child in graph.nodes[current].children:
            if child.node_id not in paths and child.node_id < len(graph.nodes):
                prefix = paths[current]
                paths[child.node_id] = f"{prefix}/{child.local_name}" if prefix else child.local_name
                queue.append(child.node_id)
    return paths


@dataclass(frozen=True)
class Slot:
    """A slot variable: the optimizer object, the variable it belongs to and the slot's name."""

    optimizer: int
    original: int
    name: str


def slots(graph: protos.SavedObjectGraph) -> dict[int, Slot]:
    """Slot-variable node id -> its optimizer, original variable and slot name."""
    result: dict[int, Slot] = {}
    for node_id, node in enumerate(graph.nodes):
        for ref in node.slot_variables:
            result[ref.slot_variable_node_id] = Slot(node_id, ref.original_variable_node_id, ref.slot_name)
    return result


def captured(graph: protos.SavedObjectGraph) -> set[int]:
    """Objects that a saved concrete function captures (``bound_inputs``): what the model computes with."""
    return {node_id for function in graph.concrete_functions.values() for node_id in function.bound_inputs}


def match_checkpoint(graph: protos.SavedObjectGraph, checkpoint: protos.TrackableObjectGraph) -> dict[int, int]:
    """SavedObjectGraph node id -> TrackableObjectGraph node id, paired as TensorFlow's restore pairs them."""
    if not graph.nodes or not checkpoint.nodes:
        return {}
    pairs = {0: 0}
    queue = deque([0])
    while queue:
        saved_id = queue.popleft()
        theirs = {c.local_name: c.node_id for c in checkpoint.nodes[pairs[saved_id]].children}
        for child in graph.nodes[saved_id].children:
            other = theirs.get(child.local_name)
            if other is None or child.node_id in pairs or other >= len(checkpoint.nodes) \
                    or child.node_id >= len(graph.nodes):
                continue
            pairs[child.node_id] = other
            queue.append(child.node_id)
    # Slot variables hang off their optimizer, keyed by (original variable, slot name); a slot
    # variable can have slots of its own, so repeat until nothing new is paired.
    changed = True
    while changed:
        changed = False
        for slot_id, slot in slots(graph).items():
            if slot_id in pairs or slot.optimizer not in pairs or slot.original not in pairs:
                continue
            for ref in checkpoint.nodes[pairs[slot.optimizer]].slot_variables:
                if ref.slot_name == slot.name and ref.original_variable_node_id == pairs[slot.original] \
                        and ref.slot_variable_node_id < len(checkpoint.nodes):
                    pairs[slot_id] = ref.slot_variable_node_id
                    changed = True
    return pairs


def checkpoint_keys(graph: protos.SavedObjectGraph,
                    checkpoint: protos.TrackableObjectGraph | None = None) -> dict[int, str]:
    """Variable node id -> the checkpoint key its value is restored from.

    From the checkpoint's own object graph when there is one (the key its
    ``VARIABLE_VALUE`` attribute names); otherwise spelled as TensorFlow spells
    them: ``<path>/.ATTRIBUTES/VARIABLE_VALUE``, and for a slot variable
    ``<variable path>/.OPTIMIZER_SLOT/<optimizer path>/<slot>/.ATTRIBUTES/VARIABLE_VALUE``.
    """
    variables = [i for i, node in enumerate(graph.nodes) if node.WhichOneof("kind") == "variable"]
    keys: dict[int, str] = {}
    if checkpoint is not None:
        pairs = match_checkpoint(graph, checkpoint)
        for node_id in variables:
            if node_id in pairs:
                for attribute in checkpoint.nodes[pairs[node_id]].attributes:
                    if attribute.name == VARIABLE_VALUE:
                        keys[node_id] = attribute.checkpoint_key
    paths = object_paths(graph)
    slot_of = slots(graph)
    for node_id in variables:
        if node_id in keys:
            continue
        if node_id in paths:
            keys[node_id] = paths[node_id] + VARIABLE_VALUE_SUFFIX
            continue
        slot = slot_of.get(node_id)
        if slot is not None and slot.original in paths and slot.optimizer in paths:
            keys[node_id] = (f"{paths[slot.original]}{SLOT_MARKER}{paths[slot.optimizer]}/{slot.name}"
                             f"{VARIABLE_VALUE_SUFFIX}")
    return keys


def is_keras(graph: protos.SavedObjectGraph) -> bool:
    """Whether Keras wrote the object graph: Keras 2 layer objects, or the ``model.export`` archive."""
    if any(node.WhichOneof("kind") == "user_object" and node.user_object.identifier.startswith("_tf_keras")
           for node in graph.nodes):
        return True
    return bool(graph.nodes) and any(c.local_name == "_all_variables" for c in graph.nodes[0].children)
