"""JSON shapes: explicit, stable keys documented in the README; no Python reprs."""

from __future__ import annotations

import base64
import json
import sys
from dataclasses import asdict

from ..analysis.overview import Overview
from ..model.metagraph import Signature, SignatureTensor
from ..sanitize import json_safe

SCHEMA_VERSION = 1


def document(items: dict | None = None, /, **more) -> dict:
    """One command's JSON output: always an object, ``schema_version`` first (docs/schemas/)."""
    return {"schema_version": SCHEMA_VERSION, **(items or {}), **more}


def dumps(data) -> str:
    """Indented JSON; strings stay exact, and nothing in them can drive a terminal."""
    return json_safe(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False))


def emit(data, stream=None) -> None:
    (stream or sys.stdout).write(dumps(data) + "\n")


def renamed(data: dict, **names: str) -> dict:
    """``data`` with its keys renamed old=new, in the same order (a dataclass's field to the JSON word)."""
    return {names.get(key, key): value for key, value in data.items()}


def bytes_json(value: bytes) -> str | dict:
    """Bytes from an artifact: the text when they are UTF-8, else ``{"base64": ...}`` (every command alike)."""
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(value).decode("ascii")}


def tag_set_json(label: str | None) -> list[str] | None:
    """A comma-joined tag-set label as the list every JSON output uses (null: no MetaGraph tags)."""
    return None if label is None else [tag for tag in label.split(",") if tag]


def tensor_json(tensor: SignatureTensor) -> dict:
    data = {
        "alias": tensor.alias,
        "tensor_name": tensor.name,
        "dtype": tensor.dtype,
        "shape": tensor.shape,
        "shape_recorded": tensor.shape_recorded,
        "encoding": tensor.encoding,
    }
    if tensor.components:
        data["components"] = list(tensor.components)
    return data


def signature_json(signature: Signature, tags: list[str] | tuple[str, ...]) -> dict:
    return {
        "tag_set": list(tags),
        "signature_key": signature.key,
        "method_name": signature.method_name,
        "internal": signature.internal,
        "inputs": [tensor_json(t) for t in signature.inputs],
        "outputs": [tensor_json(t) for t in signature.outputs],
        "defaults": dict(signature.defaults),
    }


def overview_json(view: Overview) -> dict:
    return document({
        "kind": view.kind.value,
        "path": view.path,
        "root": view.root,
        "graph_file": view.graph_file,
        "encoding": view.encoding,
        "saved_model_schema_version": view.saved_model_schema_version,
        "versions": view.versions,
        "version": view.version,
        "files": view.files,
        "notes": view.notes,
        "warnings": view.warnings,
        "fingerprint": view.fingerprint,
        "checkpoint": renamed(asdict(view.checkpoint), tensors="tensor_count", shards="shard_count") if view.checkpoint else None,
        "meta_graphs": [
            {
                "tag_set": mg.tags,
                "tensorflow_version": mg.tensorflow_version,
                "tensorflow_git_version": mg.tensorflow_git_version,
                "meta_graph_version": mg.meta_graph_version,
                "producer": mg.producer,
                "min_consumer": mg.min_consumer,
                "node_count": mg.node_count,
                "function_count": mg.function_count,
                "function_node_count": mg.function_node_count,
                "op_types": dict(mg.op_histogram),
                "signatures": [signature_json(s, mg.tags) for s in mg.signatures],
                "variables": renamed(asdict(mg.variables), parameters="elements"),
                "constants": renamed(asdict(mg.constants), parameters="elements"),
                "collections": [asdict(c) for c in mg.collections],
                "saver": mg.saver,
                "assets": [renamed(asdict(a), tensor="tensor_name") for a in mg.assets],
                "object_graph_node_count": mg.object_graph_nodes,
                "concrete_function_count": mg.concrete_functions,
                "frozen": mg.frozen,
            }
            for mg in view.meta_graphs
        ],
    })
