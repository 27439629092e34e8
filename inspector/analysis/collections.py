"""Collections of a MetaGraph, as `tf.compat.v1.get_collection` would give them back.

A CollectionDef holds one list: node names, bytes, int64s, floats or ``Any``
messages.  TensorFlow knows what the bytes of some collections are by the
collection's key (it registers a proto type per key with
``ops.register_proto_function``); those are decoded here, the same way.  Bytes
of any other collection stay bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

from google.protobuf import json_format
from google.protobuf import message as pb_message

from .. import protos
from ..errors import SelectionError
from ..model.metagraph import MetaGraph

# The keys TensorFlow registers a proto type for (tf.compat.v1.GraphKeys and friends).
_VARIABLE_KEYS = ("variables", "trainable_variables", "local_variables", "model_variables",
                  "moving_average_variables", "global_step", "metric_variables")
MESSAGE_TYPES: dict[str, type] = {
    **{key: protos.VariableDef for key in _VARIABLE_KEYS},
    "savers": protos.SaverDef,
    "queue_runners": protos.QueueRunnerDef,
    "cond_context": protos.CondContextDef,
    "while_context": protos.WhileContextDef,
}

VARIABLE_DEF_FIELDS = ("variable_name", "initializer_name", "snapshot_name", "trainable", "is_resource",
                       "initial_value_name")


@dataclass(frozen=True)
class Undecoded:
    """Bytes of a collection item that could not be (or are not meant to be) decoded."""

    data: bytes


@dataclass
class Collection:
    key: str
    kind: str  # node_list | bytes_list | int64_list | float_list | any_list | empty
    type: str | None  # the message type of decoded bytes items (e.g. VariableDef), else None
    # node_list: str; int64_list: int; float_list: float; any_list: str (the type URL);
    # bytes_list: dict (a decoded message, proto field names) or Undecoded.
    items: list


def collections_of(meta: MetaGraph, key: str | None = None, *, where: object = None) -> list[Collection]:
    """Every collection (sorted by key), or only ``key``; SelectionError for an unknown key."""
    found = meta.collections
    if key is not None:
        if key not in found:
            keys = ", ".join(sorted(found))
            hint = f"collections here: {keys}" if keys else "this graph has no collections"
            raise SelectionError(where, f"no collection named {key!r}", hint)
        return [decode_collection(key, found[key])]
    return [decode_collection(k, found[k]) for k in sorted(found)]


def decode_collection(key: str, collection: protos.CollectionDef) -> Collection:
    kind = collection.WhichOneof("kind")
    if kind is None:
        return Collection(key, "empty", None, [])
    values = getattr(collection, kind).value
    if kind == "node_list":
        return Collection(key, kind, None, list(values))
    if kind == "int64_list":
        return Collection(key, kind, None, [int(v) for v in values])
    if kind == "float_list":
        return Collection(key, kind, None, [float(v) for v in values])
    if kind == "any_list":
        return Collection(key, kind, None, [item.type_url for item in values])
    message_type = MESSAGE_TYPES.get(key)
    if message_type is None:
        return Collection(key, kind, None, [Undecoded(bytes(v)) for v in values])
    return Collection(key, kind, message_type.DESCRIPTOR.name, [_decode(message_type, bytes(v)) for v in values])


def _decode(message_type: type, data: bytes) -> dict | Undecoded:
    message = message_type()
    try:
        message.ParseFromString(data)
    except pb_message.DecodeError:
        return Undecoded(data)
    if message_type is protos.VariableDef:
        return {name: getattr(message, name) for name in VARIABLE_DEF_FIELDS}
    return json_format.MessageToDict(message, preserving_proto_field_name=True)
