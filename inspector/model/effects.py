"""What a graph can do outside its tensors: read, list or write files, reach the network.

The catalogue (``effects.json``, made by ``python -m inspector.model.generate_effects``
from TensorFlow's whole op registry) says which ops have which effects and on what
they depend.  ``effect_sites`` walks everything a MetaGraph can execute and yields
one ``EffectSite`` per node with an effect:

- the graph and every function of its library (cond and while branches, dataset
  map functions, functions only the object graph exposes);
- graphs serialized into strings: every string constant (and string attribute)
  that looks like a GraphDef is parsed, bounded by size, count and depth, and its
  nodes and functions are walked the same way (a dataset made into a
  ``DatasetFromGraph`` constant, a graph kept in a constant to import later);
- a ``DatasetFromGraph`` whose graph is not a constant the walk can read is a site
  of its own (effect ``hidden``): what it runs cannot be known without running it;
- an op the catalogue does not know (a custom op) is a site with effect ``unknown``.

Hostile input is normal input: a string is parsed only when its first bytes are
those of a GraphDef, at most ``MAX_NESTED_BYTES`` each, ``MAX_NESTED_GRAPHS`` per
MetaGraph, ``MAX_DEPTH`` graphs deep.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from google.protobuf.message import DecodeError

from .. import protos

CATALOGUE = Path(__file__).with_name("effects.json")
RANK = {"write": 0, "network": 1, "hidden": 2, "read": 3, "list": 4, "unknown": 5}
# A path with one of these schemes goes through a remote file system: the network.
REMOTE = re.compile(r"^(gs|s3|hdfs|viewfs|http|https|ftp|az|abfs|abfss|oss|wasb|wasbs)://", re.IGNORECASE)
MAX_NESTED_BYTES = 64 << 20
MAX_NESTED_GRAPHS = 64
MAX_DEPTH = 4
MAX_STRINGS = 64  # string values of one constant tried as GraphDefs
_OP_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_>.]*$")
# A serialized GraphDef starts with one of its fields: node (1), versions (4), library (2), version (3).
_GRAPHDEF_START = (0x0A, 0x22, 0x12, 0x18)
_PASS_THROUGH = frozenset({"Identity", "IdentityN", "StopGradient", "Snapshot"})
GRAPH_TAKING_OPS = frozenset({"DatasetFromGraph"})


@dataclass(frozen=True)
class Catalogue:
    tensorflow: str
    ops: dict[str, dict]
    no_effect: frozenset[str]

    def known(self, op: str) -> bool:
        return op in self.ops or op in self.no_effect


@lru_cache(maxsize=1)
def catalogue() -> Catalogue:
    data = json.loads(CATALOGUE.read_text(encoding="utf-8"))
    quiet = frozenset(data["no_effect"]) | frozenset(data["reviewed_no_effect"])
    return Catalogue(data["tensorflow"], data["ops"], quiet | _INTERNAL_OPS)


# Ops TensorFlow's runtime adds or rewrites that its op registry does not list.
_INTERNAL_OPS = frozenset({"_Arg", "_Retval", "_DeviceArg", "_DeviceRetval", "_ListToArray", "_ArrayToList",
                           "_If", "_While", "_FusedConv2D", "_FusedMatMul", "_MklMatMul"})


@dataclass(frozen=True)
class EffectSite:
    """One node that can touch files or the network (or whose effect cannot be known)."""

    op: str
    node: str
    function: str | None  # the library function holding the node, None for the graph itself
    nested: tuple[str, ...]  # the constants holding the serialized graphs around it, outermost first
    host_function: str | None  # where the MetaGraph holds the node, or the outermost constant
    host_node: str
    effects: tuple[str, ...]  # from "write", "network", "hidden", "read", "list", "unknown"
    target: str  # the path or address when the graph holds it, else how it is given
    note: str
    source: str = ""  # how the path input is given: "constant", "placeholder", "argument", "computed"...
    source_node: str = ""  # the Const, Placeholder or function argument giving it
    source_chain: tuple[str, ...] = ()  # every node from the op's input to the source

    @property
    def effect(self) -> str:
        """The gravest effect."""
        return min(self.effects, key=RANK.__getitem__)

    @property
    def where(self) -> str:
        """``outer -> function -> node``: every frame from the MetaGraph down to the node."""
        frames = list(self.nested) + ([self.function] if self.function else []) + [self.node]
        return " -> ".join(frames)


@dataclass
class _Body:
    nodes: list
    function: str | None
    args: frozenset[str]
    nested: tuple[str, ...]
    host: tuple[str | None, str] | None  # None: the body is the MetaGraph's own
    library: frozenset[str]
    depth: int


@dataclass
class _Budget:
    graphs: int = MAX_NESTED_GRAPHS


def effect_sites(graph_def: protos.GraphDef) -> Iterator[EffectSite]:
    """Every site of this graph, its functions and the graphs serialized inside them."""
    yield from _walk_graph(graph_def, (), None, 0, _Budget())


def _walk_graph(graph_def, nested, host, depth, budget) -> Iterator[EffectSite]:
    library = frozenset(f.signature.name for f in graph_def.library.function)
    bodies = [_Body(list(graph_def.node), None, frozenset(), nested, host, library, depth)]
    for fdef in graph_def.library.function:
        args = frozenset(a.name for a in fdef.signature.input_arg)
        bodies.append(_Body(list(fdef.node_def), fdef.signature.name, args, nested, host, library, depth))
    for body in bodies:
        yield from _walk_body(body, budget)


def _walk_body(body: _Body, budget: _Budget) -> Iterator[EffectSite]:
    nodes = {node.name: node for node in body.nodes}
    known = catalogue()
    for node in body.nodes:
        host = body.host or (body.function, node.name)
        site = _site(node, nodes, body, known, host)
        if site is not None:
            yield site
        for label, data in _graph_strings(node):
            graph = as_graph(data)
            if graph is None:
                continue
            where = f"{_frame(body, node.name)} ({label}: a serialized GraphDef)"
            if body.depth + 1 > MAX_DEPTH or budget.graphs <= 0:
                yield _hidden(node, body, host, f"{where} is nested too deep or too many times to scan")
                continue
            budget.graphs -= 1
            yield from _walk_graph(graph, body.nested + (where,), host, body.depth + 1, budget)


def _frame(body: _Body, node: str) -> str:
    return node if body.function is None else f"{body.function}/{node}"


def _site(node, nodes: dict, body: _Body, known: Catalogue, host) -> EffectSite | None:
    op = node.op
    if op in body.library:
        return None
    if op in GRAPH_TAKING_OPS:
        source = resolve_input(node, 0, nodes, body.args)
        if not (source.kind == "constant" and source.raw and all(as_graph(v) is not None for v in source.raw)):
            return _hidden(node, body, host, f"runs a graph given {source.describe()}, which cannot be scanned "
                                             "without running it", source)
        return None
    entry = known.ops.get(op)
    if entry is None:
        if known.known(op):
            return None
        return EffectSite(op, node.name, body.function, body.nested, host[0], host[1], ("unknown",), "",
                          f"op {op} is not in TensorFlow {known.tensorflow}'s registry: a custom op can do "
                          "anything")
    effects = list(entry["effects"])
    target = ""
    source = _Source("", ())
    path = entry.get("path", {})
    when = entry.get("when")
    if "attr" in path:
        values = _attr_strings(node, path["attr"])
        target = ", ".join(repr(v) for v in values[:3]) if values else ""
        if when and "attr" in when:
            effects = _by_attribute(when, values, effects)
            if not effects:
                return None
        elif not values and when:
            return None
    elif "input" in path:
        source = resolve_input(node, path.get("index"), nodes, body.args) if "index" in path else _Source("given", ())
        if when and when.get("nonempty") and source.kind == "constant" and not any(source.values):
            return None
        target = source.describe()
        if any(REMOTE.match(v) for v in source.values):
            effects.append("network")
    if when and when.get("devices") == "different-task":
        if _task(_attr_strings(node, "send_device")) == _task(_attr_strings(node, "recv_device")):
            return None
        target = f"from {_attr_strings(node, 'send_device')} to {_attr_strings(node, 'recv_device')}"
    return EffectSite(op, node.name, body.function, body.nested, host[0], host[1],
                      tuple(sorted(set(effects), key=RANK.__getitem__)), target, entry.get("note", ""),
                      source.kind, source.name, source.chain)


def _hidden(node, body: _Body, host, note: str, source: _Source | None = None) -> EffectSite:
    source = source or _Source("", ())
    return EffectSite(node.op, node.name, body.function, body.nested, host[0], host[1], ("hidden",), "", note,
                      source.kind, source.name, source.chain)


def _by_attribute(when: dict, values: list[str], effects: list[str]) -> list[str]:
    if "prefixes" in when:
        return [effect for value in values for prefix, effect in when["prefixes"].items()
                if value.lower().startswith(prefix)]
    if "except" in when:
        kept = [v for v in values if v not in when["except"]
                and not any(v.startswith(p) for p in when.get("except_prefixes", ()))]
        return effects if kept else []
    if when.get("nonempty"):
        return effects if any(values) else []
    return effects


def _task(devices: list[str]) -> str:
    """The ``/job:x/replica:n/task:m`` part of a device name ('' for the local task)."""
    text = devices[0].lower() if devices else ""
    parts = [p for p in text.split("/") if p.startswith(("job:", "replica:", "task:"))]
    return "/".join(parts)


def _attr_strings(node, name: str) -> list[str]:
    if name not in node.attr:
        return []
    value = node.attr[name]
    kind = value.WhichOneof("value")
    if kind == "s":
        return [value.s.decode("utf-8", "replace")]
    if kind == "list":
        return [s.decode("utf-8", "replace") for s in value.list.s]
    return []


@dataclass(frozen=True)
class _Source:
    kind: str  # "constant", "placeholder", "argument", "computed", "given", "missing"
    values: tuple[str, ...]
    name: str = ""
    raw: tuple[bytes, ...] = ()
    chain: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.kind == "constant":
            shown = ", ".join(repr(v) for v in self.values[:3])
            return shown + (f" and {len(self.values) - 3} more" if len(self.values) > 3 else "")
        if self.kind == "placeholder" and self.values:
            return f"by the caller (placeholder {self.name}, default {self.values[0]!r})"
        return {"placeholder": f"by the caller (placeholder {self.name})",
                "argument": f"by the caller (function argument {self.name})",
                "computed": f"by the graph at run time (computed by {self.name})",
                "given": "by an input of the node",
                "missing": "by an input the graph lacks"}[self.kind]


def resolve_input(node, index: int | None, nodes: dict, args: frozenset[str], hops: int = 16) -> _Source:
    """Where the node's data input ``index`` comes from: a string constant, the caller, or a computation."""
    data = [i for i in node.input if not i.startswith("^")]
    if index is None or index >= len(data):
        return _Source("given", ())
    name = data[index].split(":")[0]
    chain: list[str] = []
    for _ in range(hops):
        chain.append(name)
        producer = nodes.get(name)
        if producer is None:
            kind = "argument" if name in args else "missing"
            return _Source(kind, (), name, chain=tuple(chain))
        if producer.op == "Const":
            raw = tuple(producer.attr["value"].tensor.string_val[:MAX_STRINGS])
            return _Source("constant", tuple(v.decode("utf-8", "replace") for v in raw), name, raw, tuple(chain))
        if producer.op == "Placeholder":
            return _Source("placeholder", (), name, chain=tuple(chain))
        if producer.op == "PlaceholderWithDefault":
            default = resolve_input(producer, 0, nodes, args, hops - 1) if producer.input else _Source("given", ())
            return _Source("placeholder", default.values, name, default.raw, tuple(chain))
        if producer.op not in _PASS_THROUGH:
            return _Source("computed", (), f"{producer.op} {name}", chain=tuple(chain))
        inputs = [i for i in producer.input if not i.startswith("^")]
        if not inputs:
            return _Source("computed", (), f"{producer.op} {name}", chain=tuple(chain))
        name = inputs[0].split(":")[0]
    return _Source("computed", (), name, chain=tuple(chain))


def _graph_strings(node) -> Iterator[tuple[str, bytes]]:
    """Byte strings of a node that may hold a serialized GraphDef: string constants and string attributes."""
    for key in sorted(node.attr):
        value = node.attr[key]
        kind = value.WhichOneof("value")
        if kind == "tensor" and value.tensor.dtype == protos.DataType.Value("DT_STRING"):
            for data in value.tensor.string_val[:MAX_STRINGS]:
                yield f"string constant {key}", data
        elif kind == "s":
            yield f"attribute {key}", value.s


def as_graph(data) -> protos.GraphDef | None:
    """The GraphDef ``data`` holds, when it looks like one and parses into real nodes."""
    if len(data) < 4 or len(data) > MAX_NESTED_BYTES or data[0] not in _GRAPHDEF_START:
        return None
    try:
        graph = protos.GraphDef.FromString(data)
    except (DecodeError, RecursionError, ValueError):
        return None
    named = list(graph.node) + [n for f in graph.library.function for n in f.node_def]
    if not named or not all(n.name and _OP_NAME.match(n.op) for n in named):
        return None
    return graph
