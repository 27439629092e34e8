"""JSON shapes: explicit, stable keys documented in the README; no Python reprs."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict

from ..analysis.overview import Overview
from ..model.metagraph import Signature, SignatureTensor
from .sanitize import json_safe


def dumps(data) -> str:
    """Indented JSON; strings stay exact, and nothing in them can drive a terminal."""
    return json_safe(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False))


def emit(data, stream=None) -> None:
    (stream or sys.stdout).write(dumps(data) + "\n")


def tensor_json(tensor: SignatureTensor) -> dict:
    data = {
        "alias": tensor.alias,
        "name": tensor.name,
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
        "tags": list(tags),
        "key": signature.key,
        "method": signature.method_name,
        "internal": signature.internal,
        "inputs": [tensor_json(t) for t in signature.inputs],
        "outputs": [tensor_json(t) for t in signature.outputs],
        "defaults": dict(signature.defaults),
    }


def overview_json(view: Overview) -> dict:
    return {
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
        "checkpoint": asdict(view.checkpoint) if view.checkpoint else None,
        "meta_graphs": [
            {
                "tags": mg.tags,
                "tensorflow_version": mg.tensorflow_version,
                "tensorflow_git_version": mg.tensorflow_git_version,
                "meta_graph_version": mg.meta_graph_version,
                "producer": mg.producer,
                "min_consumer": mg.min_consumer,
                "nodes": mg.node_count,
                "functions": mg.function_count,
                "function_nodes": mg.function_node_count,
                "op_types": dict(mg.op_histogram),
                "signatures": [signature_json(s, mg.tags) for s in mg.signatures],
                "variables": asdict(mg.variables),
                "constants": asdict(mg.constants),
                "collections": [asdict(c) for c in mg.collections],
                "saver": mg.saver,
                "assets": [asdict(a) for a in mg.assets],
                "object_graph_nodes": mg.object_graph_nodes,
                "concrete_functions": mg.concrete_functions,
                "frozen": mg.frozen,
            }
            for mg in view.meta_graphs
        ],
    }
