"""Rendering of `tfinspect io`: tables and JSON."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from ..analysis.io import IOTensor, IOView
from ..sanitize import visible
from ..tensors.shapes import format_shape
from .grid import print_table
from .jsonout import document
from .style import human_count, plain, table


def suggestion(view: IOView) -> dict:
    return {"inputs": [t.tensor for t in view.inputs], "outputs": [t.tensor for t in view.outputs]}


def suggestion_line(view: IOView) -> str:
    parts = suggestion(view)
    return f"--inputs {','.join(parts['inputs'])} --outputs {','.join(parts['outputs'])}"


def io_json(view: IOView) -> dict:
    return document(
        inputs=[_tensor(t, with_default=True) for t in view.inputs],
        outputs=[_tensor(t) for t in view.outputs],
        elements=view.parameters,
        elements_from=view.parameters_from,
        signature_keys=view.signatures,
        suggestion=suggestion(view),
    )


def _tensor(t: IOTensor, with_default: bool = False) -> dict:
    data = {"name": t.name, "tensor_name": t.tensor, "op_type": t.op, "dtype": t.dtype, "shape": t.shape}
    if with_default:
        data["optional"] = t.optional
        data["default"] = t.default
    return data


def render_io(view: IOView, out: Console) -> None:
    if view.signatures:
        out.print(Text("This MetaGraph declares signatures (" + visible(", ".join(view.signatures)) + "); "
                       "`tfinspect signatures` shows them. Below is what the graph itself suggests.",
                       style="yellow"))
    inputs = table(f"Likely inputs ({len(view.inputs)})", "node", "tensor", "op", "dtype", "shape", "default")
    for t in view.inputs:
        op = plain(t.op)
        if t.optional:
            op.append(" (optional)", style="dim")
        inputs.add_row(plain(t.name), plain(t.tensor), op, plain(t.dtype or "?"), format_shape(t.shape),
                       plain(t.default or ""))
    if view.inputs:
        print_table(out, inputs)
    else:
        out.print(Text("No placeholders: the graph takes no feeds.", style="dim"))
    out.print()
    outputs = table(f"Likely outputs ({len(view.outputs)})", "node", "tensor", "op", "dtype", "shape")
    for t in view.outputs:
        outputs.add_row(plain(t.name), plain(t.tensor), plain(t.op), plain(t.dtype or "?"),
                        format_shape(t.shape) if t.shape is not None else "?")
    if view.outputs:
        print_table(out, outputs)
    else:
        out.print(Text("No likely outputs found.", style="dim"))
    out.print()
    source = "variables" if view.parameters_from == "variables" else "floating-point Const nodes"
    out.print(f"Parameters: {human_count(view.parameters)} (from {source})")
    out.print(Text.assemble("Suggestion: ", plain(suggestion_line(view))))
