"""Rendering of `tfinspect variables`: tables and JSON."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from ..analysis.variables import ConstantsView, VariablesView
from ..display import plural
from ..tensors.shapes import format_shape
from .grid import print_table
from .jsonout import document
from .style import human_bytes, human_count, plain, table


def variables_json(view: VariablesView) -> dict:
    constants = view.constants
    return document({
        "variables": [
            {
                "name": v.name,
                "op_type": v.op,
                "dtype": v.dtype,
                "shape": v.shape,
                "elements": v.elements,
                "bytes": v.nbytes,
                "trainable": v.trainable,
                "initializer": v.initializer,
                "snapshot": v.snapshot,
                "path": v.path,
                "saved_name": v.saved_name,
                "checkpoint_key": v.checkpoint_key,
                "node": v.node,
                "copy_of": v.copy_of,
                "slot_of": v.slot_of,
                "local": v.local,
            }
            for v in view.variables
        ],
        "totals": {"count": view.count, "elements": view.parameters, "bytes": view.nbytes,
                   "copies": {"count": view.copies.count, "elements": view.copies.parameters,
                              "bytes": view.copies.nbytes}},
        "constants": None if constants is None else {
            "count": constants.count,
            "elements": constants.elements,
            "bytes": constants.nbytes,
            "largest": [
                {"name": c.name, "dtype": c.dtype, "shape": c.shape, "elements": c.elements, "bytes": c.nbytes}
                for c in constants.largest
            ],
        },
    })


def render_variables(view: VariablesView, out: Console) -> None:
    if view.variables:
        rows = table(None, "name", "op", "dtype", "shape", "elements", "bytes", "trainable", "details")
        for column in (4, 5):
            rows.columns[column].justify = "right"
        for v in view.variables:
            details = []
            if v.local:
                details.append("local variable (metric state; the Saver does not save it)")
            if v.copy_of:
                details.append(f"second copy of {v.copy_of}")
            if v.path and v.path != v.name:
                details.append(f"path {v.path}")
            if v.saved_name and v.saved_name not in (v.name, v.path):
                details.append(f"saved name {v.saved_name}")
            if v.node and v.node != v.name:
                details.append(f"node {v.node}")
            if v.initializer:
                details.append(f"initializer {v.initializer}")
            if v.snapshot:
                details.append(f"snapshot {v.snapshot}")
            trainable = "?" if v.trainable is None else ("yes" if v.trainable else "no")
            rows.add_row(plain(v.name), plain(v.op), plain(v.dtype), format_shape(v.shape),
                         human_count(v.elements), human_bytes(v.nbytes), trainable, plain("; ".join(details)))
        print_table(out, rows)
    out.print(Text(f"{view.count} variables, {human_count(view.parameters)} parameters, "
                   f"{human_bytes(view.nbytes)}", style="bold"))
    if view.copies.count:
        out.print(Text(f"The export stores {view.copies.count} of these variables twice (marked \"second copy\"): "
                       f"{human_count(view.copies.parameters)} more values, {human_bytes(view.copies.nbytes)} more "
                       "on disk; the counts above leave the copies out."))
    if view.constants is not None:
        _constants(view.constants, out)


def _constants(constants: ConstantsView, out: Console) -> None:
    out.print()
    why = ("the weights of a frozen graph live in Const nodes" if constants.frozen
           else "this graph has no variables, so whatever weights it has are Const nodes")
    out.print(Text(f"No variables: {why}. {plural(constants.count, 'Const node')} "
                   f"{'holds' if constants.count == 1 else 'hold'} {human_count(constants.elements)} "
                   f"{'value' if constants.elements == 1 else 'values'}, {human_bytes(constants.nbytes)}."))
    if not constants.largest:
        return
    shown = len(constants.largest)
    title = "Const nodes" if shown == constants.count else f"Largest {shown} of {constants.count} Const nodes " \
        "(--consts lists all)"
    rows = table(title, "name", "dtype", "shape", "elements", "bytes")
    for column in (3, 4):
        rows.columns[column].justify = "right"
    for c in constants.largest:
        rows.add_row(plain(c.name), plain(c.dtype), format_shape(c.shape), human_count(c.elements),
                     human_bytes(c.nbytes))
    print_table(out, rows)
