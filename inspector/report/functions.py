"""Rendering of `tfinspect functions`: tables and JSON."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from ..analysis.functions import Argument, FunctionInfo
from ..model.functions import Call
from ..sanitize import visible
from .grid import print_table
from .jsonout import document
from .style import plain, table


def function_json(info: FunctionInfo, *, with_nodes: bool = False) -> dict:
    data = {
        "name": info.name,
        "inputs": [_arg(a) for a in info.inputs],
        "outputs": [_arg(a) for a in info.outputs],
        "node_count": info.nodes,
        "calls": list(info.calls),
        "missing_calls": list(info.missing),
        "called_by": [{"caller": c.caller, "node": c.node, "attr": c.attr} for c in info.called_by],
        "signature_keys": list(info.signatures),
        "recursive": info.recursive,
    }
    if with_nodes:
        data["nodes"] = [{"name": n.name, "op_type": n.op, "inputs": list(n.inputs)} for n in info.node_list]
    return data


def functions_json(infos: list[FunctionInfo], *, with_nodes: bool = False) -> dict:
    """Every function (``--name``: the one asked for, with its nodes), always as a list."""
    return document(functions=[function_json(i, with_nodes=with_nodes) for i in infos])


def _arg(arg: Argument) -> dict:
    return {"name": arg.name, "dtype": arg.type}


def _args_text(args: tuple[Argument, ...]) -> str:
    return ", ".join(f"{a.name}: {a.type}" for a in args)


def _caller_text(call: Call) -> str:
    where = "graph" if call.caller is None else call.caller
    via = f".{call.attr}" if call.attr else " (op)"
    return f"{where}: {call.node}{via}"


def render_functions(infos: list[FunctionInfo], out: Console) -> None:
    if not infos:
        out.print("No functions: this graph has an empty function library (TF1 graphs and frozen graphs "
                  "usually have none).")
        return
    rows = table(f"{len(infos)} functions", "function", "signature", "nodes", "calls", "called by",
                 "signatures")
    rows.columns[2].justify = "right"
    for info in infos:
        name = plain(info.name)
        if info.recursive:
            name.append(" (recursive)", style="yellow")
        calls = plain(", ".join(info.calls))
        if info.missing:
            calls.append(("; " if info.calls else "") + "missing: " + ", ".join(info.missing), style="red")
        signature = plain(f"({_args_text(info.inputs)}) -> ({_args_text(info.outputs)})")
        callers = plain("; ".join(_caller_text(c) for c in info.called_by))
        rows.add_row(name, signature, str(info.nodes), calls, callers, plain(", ".join(info.signatures)))
    print_table(out, rows)


def render_function(info: FunctionInfo, out: Console) -> None:
    title = Text.assemble(("function ", "bold"), (visible(info.name), "bold green"))
    if info.recursive:
        title.append("  (recursive)", style="yellow")
    out.print(title)
    out.print(Text.assemble("  inputs:  ", plain(_args_text(info.inputs) or "none")))
    out.print(Text.assemble("  outputs: ", plain(_args_text(info.outputs) or "none")))
    out.print(Text.assemble("  calls: ", plain(", ".join(info.calls) or "nothing")))
    if info.missing:
        out.print(Text.assemble(("  calls missing functions: ", "red"), plain(", ".join(info.missing))))
    out.print(Text.assemble("  called by: ",
                            plain("; ".join(_caller_text(c) for c in info.called_by) or "nothing")))
    out.print(Text.assemble("  reached from signatures: ", plain(", ".join(info.signatures) or "none")))
    rows = table(f"{info.nodes} nodes", "name", "op", "inputs")
    for node in info.node_list:
        rows.add_row(plain(node.name), plain(node.op), plain(", ".join(node.inputs)))
    print_table(out, rows)
