"""Renderers for `tfinspect run`: the outputs of one signature."""

from __future__ import annotations

from rich.console import Console

from ..analysis.json_values import Problem
from ..execute.launch import Output
from ..sanitize import visible
from ..tensors.shapes import dtype_name, format_shape, shape_from_proto
from ..tensors.values import decode, summarise_tensor
from .jsonout import bytes_json, document
from .style import plain, table


def _json_value(value):
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    if isinstance(value, bytes):
        return bytes_json(value)
    return value


def outputs_json(key: str, target: str, tensorflow: str, outputs: list[Output]) -> dict:
    rows = []
    for out in outputs:
        values = decode(out.tensor)
        rows.append({
            "alias": out.alias,
            "dtype": dtype_name(out.tensor.dtype),
            "shape": shape_from_proto(out.tensor.tensor_shape),
            "values": None if values is None else _json_value(values.tolist()),
        })
    return document(signature_key=key, target=target, tensorflow_version=tensorflow, outputs=rows)


def render_outputs(key: str, target: str, tensorflow: str, outputs: list[Output], out: Console) -> None:
    out.print(plain(f"signature {visible(key)} run with TensorFlow {tensorflow} ({target})"))
    grid = table(None, "output", "dtype", "shape", "values")
    for item in outputs:
        summary = summarise_tensor(item.tensor)
        values = summary.split(" = ", 1)[1] if " = " in summary else ""
        grid.add_row(plain(visible(item.alias)), plain(dtype_name(item.tensor.dtype)),
                     plain(format_shape(shape_from_proto(item.tensor.tensor_shape))), plain(visible(values)))
    out.print(grid)


def render_problems(problems: list[Problem], out: Console) -> None:
    grid = table(None, "where", "code", "problem")
    for p in problems:
        grid.add_row(plain(visible(p.path)), plain(p.code), plain(visible(p.message)))
    out.print(grid)
