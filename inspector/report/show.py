"""Rich rendering of the `show` overview."""

from __future__ import annotations

from rich.console import Console, Group
from rich.text import Text

from ..analysis.overview import MetaGraphHeading, MetaGraphOverview, Overview, VariableTotals
from ..display import plural
from ..model.metagraph import Signature
from ..sanitize import visible
from .grid import print_group
from .style import human_bytes, human_count, plain, table

OP_TYPES_SHOWN = 12


def render_overview(view: Overview, out: Console) -> None:
    print_group(out, overview_renderable(view))


def overview_renderable(view: Overview) -> Group:
    """The overview as one rich renderable: what `show` prints, and what a notebook shows."""
    parts: list = [_header(view)]
    for note in view.notes:
        parts.append(Text.assemble(("  note  ", "yellow"), plain(note)))
    for warning in view.warnings:
        parts.append(Text.assemble(("  warning  ", "bold yellow"), plain(warning)))
    parts += [Text(), _files(view)]
    for meta in view.meta_graphs:
        parts += [Text(), _meta_graph(meta)]
    if view.checkpoint is not None:
        parts += [Text(), _checkpoint(view)]
    if view.fingerprint is not None:
        parts += [Text(), _fingerprint(view.fingerprint)]
    return Group(*parts)


def _header(view: Overview) -> Text:
    text = Text.assemble((view.kind.label, "bold green"), "  ", plain(view.path))
    details = []
    if view.graph_file:
        details.append(f"graph file {visible(view.graph_file)} ({view.encoding})")
    if view.saved_model_schema_version is not None:
        details.append(f"schema version {view.saved_model_schema_version}")
    if view.versions:
        others = [v for v in view.versions if v != view.version]
        details.append(f"version {view.version}" + (f" (the others: {', '.join(map(str, others))})" if others
                                                      else " (the only one)"))
    if details:
        text.append("\n  " + "; ".join(details), style="dim")
    return text


def _files(view: Overview):
    files = table("Files", "file", "what", "size")
    files.columns[2].justify = "right"
    for item in view.files:
        files.add_row(plain(item["path"]), plain(item["role"]), human_bytes(item["size"]))
    return files


def meta_graph_heading(meta: MetaGraphHeading) -> list[Text]:
    """The MetaGraph's tags, writer and size: the first lines of `show` and of a notebook's MetaGraph."""
    title = Text.assemble(("MetaGraph ", "bold"), (visible("{" + ",".join(meta.tags) + "}"), "bold magenta")
                          if meta.tags else ("(graph without tags)", "bold magenta"))
    return [title, _versions_line(meta), _size_line(meta)]


def _meta_graph(meta: MetaGraphOverview):
    parts: list = meta_graph_heading(meta)
    if meta.signatures:
        parts.append(_signatures(meta.signatures))
    else:
        parts.append(Text("  signatures: none (only a SavedModel has SignatureDefs)", style="dim"))
    parts.append(_variables_line("variables", meta.variables))
    if meta.frozen is not None:
        parts.append(Text("  frozen: " + ("yes, no variables; weights are in Const nodes" if meta.frozen
                                          else "no, the graph reads variables whose values are "
                                          "not in this file"), style="dim"))
    if meta.constants.count:
        parts.append(_variables_line("constants", meta.constants))
    if meta.collections:
        parts.append(_collections(meta))
    if meta.saver:
        saver = meta.saver
        parts.append(plain(f"  saver: {saver['version']}, restore op {saver['restore_op']}, "
                          f"filename tensor {saver['filename_tensor']}, sharded {str(saver['sharded']).lower()}, "
                          f"max_to_keep {saver['max_to_keep']}"))
    if meta.assets:
        parts.append(_assets(meta))
    if meta.object_graph_nodes is not None:
        parts.append(Text(f"  object graph: {meta.object_graph_nodes} objects, "
                          f"{meta.concrete_functions} concrete functions"))
    parts.append(_op_types(meta))
    return Group(*parts)


def _versions_line(meta: MetaGraphHeading) -> Text:
    git = f" ({meta.tensorflow_git_version})" if meta.tensorflow_git_version else ""
    if meta.tensorflow_version:
        writer = f"written by TensorFlow {meta.tensorflow_version}{git}"
    else:
        writer = "TensorFlow version not recorded"
    producer = "?" if meta.producer is None else meta.producer
    consumer = "?" if meta.min_consumer is None else meta.min_consumer
    return Text(f"  {writer}; GraphDef producer {producer}, min_consumer {consumer}")


def _size_line(meta: MetaGraphHeading) -> Text:
    return Text(f"  {human_count(meta.node_count)} {'node' if meta.node_count == 1 else 'nodes'} in the graph, "
                f"{plural(meta.function_count, 'function')} holding {human_count(meta.function_node_count)} more "
                f"{'node' if meta.function_node_count == 1 else 'nodes'}")


def _signatures(signatures: list[Signature]):
    grid = table(None, "signature", "method", "", "alias", "tensor", "dtype", "shape")
    grid.title = "Signatures"
    for sig in signatures:
        key = Text(visible(sig.key), style="dim" if sig.internal else "bold")
        if sig.internal:
            key.append(" (internal)", style="dim")
        rows = [("in", t) for t in sig.inputs] + [("out", t) for t in sig.outputs]
        if not rows:
            grid.add_row(key, plain(sig.method_name), "", Text("(no inputs or outputs)", style="dim"))
        for i, (direction, tensor) in enumerate(rows):
            name = tensor.name or ""
            if tensor.encoding != "name":
                name = f"{name} [{tensor.encoding}]"
            grid.add_row(key if i == 0 else "", plain(sig.method_name) if i == 0 else "", direction,
                         plain(tensor.alias), plain(name), plain(tensor.dtype), tensor.shape_label)
    return grid


def _variables_line(label: str, totals: VariableTotals) -> Text:
    unknown = f", {totals.unknown_size} of unknown size" if totals.unknown_size else ""
    if totals.copies:
        unknown += (f"; the export stores {totals.copies} of them twice, "
                    f"{human_bytes(totals.copies_bytes)} more on disk")
    return Text(f"  {label}: {totals.count} ({human_count(totals.parameters)} "
                f"{'value' if totals.parameters == 1 else 'values'}, "
                f"{human_bytes(totals.bytes)}{unknown}; from {totals.source})")


def _collections(meta: MetaGraphOverview):
    grid = table(None, "collection", "kind", "items")
    grid.title = "Collections"
    for item in meta.collections:
        grid.add_row(plain(item.key), plain(item.kind), str(item.size))
    return grid


def _assets(meta: MetaGraphOverview):
    grid = table(None, "asset", "tensor", "present")
    grid.title = "Assets"
    for asset in meta.assets:
        present = {True: "yes", False: "MISSING", None: "?"}[asset.present]
        grid.add_row(plain(asset.filename), plain(asset.tensor), present)
    return grid


def _op_types(meta: MetaGraphOverview) -> Text:
    shown = meta.op_histogram[:OP_TYPES_SHOWN]
    text = Text("  op types: ")
    text.append(visible(", ".join(f"{op} {count}" for op, count in shown)))
    rest = len(meta.op_histogram) - len(shown)
    if rest > 0:
        text.append(f", and {rest} more types (all of them with --json)", style="dim")
    return text


def _checkpoint(view: Overview) -> Text:
    ckpt = view.checkpoint
    text = Text.assemble(("Checkpoint ", "bold"), plain(ckpt.prefix))
    if ckpt.error:
        text.append(f"\n  cannot be read: {visible(ckpt.error)}", style="red")
    elif ckpt.tensors is not None:
        text.append(f"\n  {plural(ckpt.tensors, 'tensor')}, {human_bytes(ckpt.bytes)} in {plural(ckpt.shards, 'shard')}")
        for problem in ckpt.problems:
            text.append(f"\n  INCOMPLETE: {visible(problem)}; TensorFlow cannot restore it", style="bold red")
    return text


def _fingerprint(fingerprint: dict) -> Text:
    text = Text("Fingerprint", style="bold")
    for key, value in fingerprint.items():
        if value is not None:
            text.append(f"\n  {key}: {visible(value)}")
    return text
