"""Rendering of `tfinspect signatures`: tables and JSON."""

from __future__ import annotations

from rich.console import Console, Group
from rich.text import Text

from ..analysis.signatures import ConcreteArgument, ConcreteFunction, SignaturesView
from ..model.metagraph import Signature, SignatureTensor
from ..sanitize import visible
from .grid import print_group
from .jsonout import document, signature_json
from .style import plain, table


def signatures_json(view: SignaturesView) -> dict:
    """Both lists, whatever the flags: the SignatureDefs and (TF2) the concrete functions."""
    return document(signatures=[signature_json(t.signature, t.tags) for t in view.signatures],
                    concrete_functions=_concrete_json(view))


def _concrete_json(view: SignaturesView) -> list[dict]:
    return [
        {
            "tag_set": list(cf.tags),
            "path": cf.path,
            "function": cf.function,
            "kind": cf.kind,
            "inputs": [_argument_json(a) for a in cf.inputs],
            "outputs": [_argument_json(a) for a in cf.outputs],
        }
        for cf in view.concrete_functions
    ]


def _argument_json(arg: ConcreteArgument) -> dict:
    tensor = None
    if arg.tensor is not None:
        tensor = {"name": arg.tensor.name, "dtype": arg.tensor.dtype, "shape": arg.tensor.shape}
    return {"name": arg.name, "spec": arg.spec, "tensor": tensor, "default": arg.default}


def render_signatures(view: SignaturesView, out: Console, *, concrete: bool = True) -> None:
    if not view.signatures:
        if view.graphs == 0:
            out.print("No signatures: this artifact holds no graph.")
        elif not view.has_metagraph_proto:
            out.print("No signatures: a frozen GraphDef holds only a graph; SignatureDefs live in a "
                      "SavedModel's MetaGraphDef. Try `tfinspect io` for its likely inputs and outputs.")
        else:
            out.print("No signatures in this artifact.")
    for tagged in view.signatures:
        print_group(out, signature_renderable(tagged.signature, tagged.tags))
        out.print()
    if concrete and view.concrete_functions:
        render_concrete(view.concrete_functions, out)


def signature_renderable(sig: Signature, tags) -> Group:
    """One signature: its title line, the table of its tensors, and its defaults."""
    title = Text.assemble(("signature ", "bold"), (visible(sig.key), "bold green"),
                          "  ", ("{" + visible(",".join(tags)) + "}", "magenta"),
                          "  method ", plain(sig.method_name or "(none)"))
    if sig.internal:
        title.append("  (internal: run by the loader, not for serving)", style="yellow")
    parts: list = [title]
    rows = table(None, "", "alias", "tensor", "dtype", "shape", "encoding")
    for direction, tensors in (("input", sig.inputs), ("output", sig.outputs)):
        for tensor in tensors:
            rows.add_row(direction, plain(tensor.alias), _tensor_text(tensor), plain(tensor.dtype),
                         tensor.shape_label, plain(tensor.encoding))
    if sig.inputs or sig.outputs:
        parts.append(rows)
    else:
        parts.append(Text("  no inputs or outputs", style="dim"))
    for alias, summary in sig.defaults.items():
        parts.append(Text.assemble("  default ", plain(alias), " = ", plain(summary)))
    return Group(*parts)


def _tensor_text(tensor: SignatureTensor) -> Text:
    if tensor.encoding == "coo_sparse" and len(tensor.components) == 3:
        values, indices, shape = tensor.components
        return plain(f"values={values} indices={indices} dense_shape={shape}")
    if tensor.encoding == "composite_tensor":
        return plain("components: " + ", ".join(tensor.components))
    return plain(tensor.name)


def render_concrete(functions: list[ConcreteFunction], out: Console) -> None:
    out.print(Text("Concrete functions", style="bold underline"))
    for cf in functions:
        out.print(Text.assemble(("  ", ""), (visible(cf.path), "bold green"), "  ", plain(cf.function),
                                (f"  ({cf.kind})", "dim")))
        if not cf.known:
            out.print(Text("    not described in the object graph's concrete_functions", style="yellow"))
            continue
        if not cf.inputs:
            out.print(Text("    no arguments", style="dim"))
        for index, arg in enumerate(cf.inputs, 1):
            if "Spec(" in arg.spec:
                line = Text.assemble(f"    argument #{index} ", plain(arg.name), ": ", plain(arg.spec))
            else:  # a Python value traced into this function, not a tensor
                line = Text.assemble(f"    argument #{index} ", plain(arg.name), ": the Python value ",
                                     plain(arg.spec))
            if arg.default is not None:
                line.append_text(Text.assemble(" (default ", plain(arg.default), ")"))
            out.print(line)
        for arg in cf.outputs:
            out.print(Text.assemble("    returns ", plain(arg.name), ": ", plain(arg.spec)))
