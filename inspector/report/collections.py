"""Rendering of `tfinspect collections`: one block per collection, or an object keyed by key."""

from __future__ import annotations

import math

from rich.console import Console, Group
from rich.text import Text

from ..analysis.collections import Collection, Undecoded
from ..model.attrs import short_bytes
from ..sanitize import visible
from .jsonout import bytes_json, document
from .style import plain, table

MAX_FIELD_TEXT = 60

NO_COLLECTIONS_IN_GRAPH_DEF = ("a GraphDef has no collections (collections live in a MetaGraphDef: "
                               "pass the .meta file or the SavedModel)")


def render_collections(collections: list[Collection], label: str, out: Console) -> None:
    if not collections:
        out.print(Text(f"{label} has no collections"))
        return
    out.print(Text.assemble((f"{len(collections)} collections", "bold"), " in ", plain(label)))
    for collection in collections:
        out.print()
        out.print(_collection(collection))


def _collection(collection: Collection):
    count = len(collection.items)
    what = collection.kind + (f" of {collection.type}" if collection.type else "")
    title = Text.assemble((visible(collection.key), "bold magenta"), f"  {what}, {count} item{'s' * (count != 1)}")
    if not collection.items:
        return title
    if collection.type == "VariableDef":
        return Group(title, _variable_defs(collection.items))
    lines = Text("\n".join("  " + visible(_item_line(item)) for item in collection.items))
    return Group(title, lines)


def _variable_defs(items: list) -> object:
    grid = table(None, "variable", "initializer", "snapshot", "initial value", "trainable", "resource")
    for item in items:
        if isinstance(item, Undecoded):
            grid.add_row(Text(f"(not a VariableDef) {visible(_undecoded(item))}", style="red"))
            continue
        grid.add_row(plain(item["variable_name"]), plain(item["initializer_name"]), plain(item["snapshot_name"]),
                     plain(item["initial_value_name"]), _yes(item["trainable"]), _yes(item["is_resource"]))
    grid.padding = (0, 1, 0, 2)
    grid.pad_edge = True
    return grid


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def _item_line(item) -> str:
    if isinstance(item, Undecoded):
        return _undecoded(item)
    if isinstance(item, dict):
        return ", ".join(f"{key}: {_short(value)}" for key, value in item.items()) or "(all fields empty)"
    if isinstance(item, float):
        return f"{item:.9g}"
    return str(item)


def _undecoded(item: Undecoded) -> str:
    return f"{len(item.data)} bytes: {short_bytes(item.data, 40)}"


def _short(value) -> str:
    text = str(value)
    return text if len(text) <= MAX_FIELD_TEXT else text[:MAX_FIELD_TEXT] + "..."


def collections_json(collections: list[Collection], notes: list[str] | None = None) -> dict:
    return document(
        collections=[{"key": c.key, "kind": c.kind, "type": c.type, "items": [_item_json(item) for item in c.items]}
                     for c in collections],
        notes=list(notes or []),
    )


def _item_json(item):
    if isinstance(item, Undecoded):
        return bytes_json(item.data)
    if isinstance(item, float) and not math.isfinite(item):
        return "NaN" if math.isnan(item) else ("Infinity" if item > 0 else "-Infinity")
    return item
