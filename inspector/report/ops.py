"""Rendering of `tfinspect ops`: a table for people, a list of objects for machines."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from ..analysis.operations import Operation, OperationList
from ..model.outputs import TensorOutput
from ..sanitize import all_visible, visible
from ..tensors.shapes import format_shape
from .grid import STREAM_FROM, print_grid, stream_rows
from .jsonout import document
from .style import plain


def render_operations(result: OperationList, out: Console, *, show_functions: bool = False,
                      show_attrs: bool = False) -> None:
    rows = result.operations
    with_device = any(op.device for op in rows)
    headers = ["operation", "op", *(["device"] if with_device else []), "inputs", "outputs",
               *(["function"] if show_functions else []), *(["attrs"] if show_attrs else [])]
    if len(rows) >= STREAM_FROM:  # plain text, each name made visible once, laid out once
        stream_rows(out, headers, [_plain_row(op, with_device, show_functions, show_attrs) for op in rows],
                    sanitized=True)
        rows = []
    cells = []
    for op in rows:
        row = [plain(op.name), plain(op.op)]
        if with_device:
            row.append(plain(op.device))
        row += [_inputs(op), _outputs(op)]
        if show_functions:
            row.append(plain(op.function) if op.function else Text("(graph)", style="dim"))
        if show_attrs:
            row.append(_attrs(op))
        cells.append(row)
    print_grid(out, headers, cells)
    out.print(Text(count_line(result), style="bold"))
    for name in result.missing_types:
        out.print(Text.assemble(("  note  ", "yellow"), plain(f"no operation has the type {name}")))
    if result.function_matches:
        out.print(Text.assemble(("  note  ", "yellow"), function_matches_line(result.function_matches)))


def function_matches_line(count: int) -> str:
    return (f"{count} more operation{'s are' if count != 1 else ' is'} inside library functions; "
            f"add --functions to list {'them' if count != 1 else 'it'}")


def count_line(result: OperationList) -> str:
    where = ""
    if result.functions_searched:
        where = f" (the graph and {result.functions_searched} functions)"
    return f"{len(result.operations)} of {result.total} operations{where}"


def _plain_row(op: Operation, with_device: bool, show_functions: bool, show_attrs: bool) -> list[str]:
    # Names as they are when one scan finds nothing to escape (nearly always), else each made visible.
    show = _same if all_visible((op.name, op.op, op.device, op.function or "", *op.inputs)) else visible
    names = [show(name) for name in op.data_inputs] + ["^" + show(name) for name in op.control_inputs]
    if op.outputs is None:
        outputs = "?"
    elif not op.outputs:
        outputs = "(none)"
    else:
        many = len(op.outputs) > 1
        outputs = "\n".join((f":{i} " if many else "") + visible(describe_output(o)) for i, o in enumerate(op.outputs))
    row = [show(op.name), show(op.op), *([show(op.device)] if with_device else []), "\n".join(names), outputs]
    if show_functions:
        row.append(show(op.function) if op.function else "(graph)")
    if show_attrs:
        row.append(_attrs(op).plain)
    return row


def _same(text: str) -> str:
    return text


def _inputs(op: Operation) -> Text:
    text = Text()
    for name in op.data_inputs:
        text.append(("\n" if text else "") + visible(name))
    for name in op.control_inputs:
        text.append("\n" if text else "")
        text.append("^" + visible(name), style="dim")
    return text


def _outputs(op: Operation) -> Text:
    if op.outputs is None:
        return Text("?", style="dim")
    if not op.outputs:
        return Text("(none)", style="dim")
    many = len(op.outputs) > 1
    return Text("\n".join((f":{i} " if many else "") + visible(describe_output(o)) for i, o in enumerate(op.outputs)))


def describe_output(output: TensorOutput) -> str:
    dtype = output.dtype or "?"
    return dtype if output.shape is None else f"{dtype} {format_shape(output.shape)}"


def _attrs(op: Operation) -> Text:
    return Text("\n".join(visible(f"{key}: {value}") for key, value in (op.attrs or {}).items()))


def operations_json(result: OperationList, *, with_attrs: bool = False) -> dict:
    return document(
        total=result.total,
        functions_searched=result.functions_searched,
        missing_op_types=list(result.missing_types),
        function_matches=result.function_matches,
        ops=[_operation_json(op, with_attrs) for op in result.operations],
    )


def _operation_json(op: Operation, with_attrs: bool) -> dict:
    data = {
        "name": op.name,
        "op_type": op.op,
        "device": op.device,
        "inputs": op.inputs,
        "data_inputs": op.data_inputs,
        "control_inputs": op.control_inputs,
        "outputs": None if op.outputs is None else [{"dtype": o.dtype, "shape": o.shape} for o in op.outputs],
        "outputs_from": op.outputs_from,
        "function": op.function,
    }
    if with_attrs:
        data["attrs"] = dict(op.attrs or {})
    return data
