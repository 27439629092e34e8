"""Mutations of real exports for the fuzz tests: byte-level damage and structure-aware edits.

Structure-aware edits parse the artifact's proto with TensorFlow's own classes
(``inspector.protos``), change it the way a broken exporter or an attacker
could, and write it back.  Every edit keeps the message serialisable.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
from dataclasses import dataclass
from pathlib import Path

from conftest import fixture
from hypothesis import strategies as st

from helpers.proto_edits import rename_node
from inspector import protos

MAX_DEPTH = 3000  # name scopes this deep once made the DOT emitter recurse past Python's limit


@dataclass(frozen=True)
class Subject:
    """A real artifact to damage: what to copy, which file holds its proto, what to pass."""

    name: str
    source: tuple[str, ...]  # under fixtures/
    proto_file: str  # relative to the copy
    message: str  # SavedModel | MetaGraphDef | GraphDef | text | index
    argument: str = ""  # relative to the copy; "" = the copy itself


SUBJECTS = [
    Subject("tf1_saved_model", ("seed003", "SavedModel"), "saved_model.pb", "SavedModel"),
    Subject("tf2_saved_model", ("tf2_module",), "saved_model.pb", "SavedModel"),
    Subject("frozen_graph", ("seed003",), "frozen_graph.pb", "GraphDef", "frozen_graph.pb"),
    Subject("meta_graph", ("seed003",), "model.meta", "MetaGraphDef", "model.meta"),
    Subject("text_graph", ("seed002",), "graphdef.pbtxt", "text", "graphdef.pbtxt"),
    Subject("checkpoint_index", ("seed003",), "model.index", "index", "model"),
    Subject("checkpoint_data", ("seed003",), "model.data-00000-of-00001", "index", "model"),
    Subject("checkpoint_state", ("seed003",), "checkpoint", "text", ""),
    Subject("saved_model_variables", ("seed003", "SavedModel"), "variables/variables.index", "index"),
]

COMMANDS = [
    ["show"], ["show", "--json"], ["signatures"], ["signatures", "--json"], ["ops"], ["ops", "--attrs"],
    ["ops", "--json"], ["collections"], ["variables"], ["functions"], ["io"], ["check"],
    ["check", "--format", "sarif"], ["dump"], ["dump", "--json"], ["ckpt"], ["ckpt", "--verify"],
    ["ckpt", "--stats"], ["graph", "-o", "-"],
]

# Names: any character but surrogates (protobuf strings are UTF-8), control characters favoured.
CONTROL = st.sampled_from(["\x1b[31m", "\x1b]0;title\x07", "\x1b]8;;http://x/\x1b\\", "\r", "\x00", "\x7f",
                           "\x9b", "\n", "\u202e", "\t", "[red]", "\\", '"', "/", ":", "^"])
NAMES = st.lists(st.one_of(CONTROL, st.text(st.characters(exclude_categories=("Cs",)), max_size=8)),
                 min_size=1, max_size=6).map("".join)
BIG_INT = st.one_of(st.integers(-(2**63), 2**63 - 1), st.sampled_from([-2, -1, 0, 2**31, 2**62, 2**63 - 1]))
ENUM = st.one_of(st.integers(0, 2**31 - 1), st.sampled_from([0, 24, 99, 101, 122, 2**31 - 1]))


def copy_subject(subject: Subject, where: Path) -> tuple[Path, Path]:
    """A fresh copy of the subject in ``where``: (the argument to pass, the file to damage)."""
    source = fixture(*subject.source)
    copy = where / source.name
    if source.is_dir():
        shutil.copytree(source, copy)
    else:
        shutil.copy2(source, copy)
    argument = copy / subject.argument if subject.argument else copy
    return argument, copy / subject.proto_file


# -- byte-level damage ------------------------------------------------------------------
@st.composite
def byte_damage(draw, data: bytes) -> bytes:
    kind = draw(st.sampled_from(["flip", "truncate", "insert", "duplicate", "zero"]))
    size = len(data)
    if kind == "truncate":
        return data[: draw(st.integers(0, max(0, size - 1)))]
    at = draw(st.integers(0, max(0, size - 1)))
    if kind == "flip":
        mutable = bytearray(data)
        for _ in range(draw(st.integers(1, 8))):
            position = draw(st.integers(0, max(0, size - 1)))
            if mutable:
                mutable[position] ^= 1 << draw(st.integers(0, 7))
        return bytes(mutable)
    if kind == "insert":
        return data[:at] + draw(st.binary(min_size=1, max_size=64)) + data[at:]
    if kind == "zero":
        length = draw(st.integers(1, 64))
        return data[:at] + bytes(min(length, size - at)) + data[at + length:]
    length = draw(st.integers(1, 256))
    return data[:at] + data[at:at + length] * draw(st.integers(2, 50)) + data[at:]


# -- structure-aware edits ----------------------------------------------------------------
def graphs_of(message, kind: str) -> list:
    if kind == "SavedModel":
        return [meta.graph_def for meta in message.meta_graphs]
    if kind == "MetaGraphDef":
        return [message.graph_def]
    return [message]


def metas_of(message, kind: str) -> list:
    if kind == "SavedModel":
        return list(message.meta_graphs)
    return [message] if kind == "MetaGraphDef" else []


@st.composite
def structure_edit(draw, data: bytes, kind: str) -> tuple[bytes, str]:
    """The proto with one to three edits, and what they were (for the failure report)."""
    message = getattr(protos, kind).FromString(data)
    done = []
    for _ in range(draw(st.integers(1, 3))):
        edit = draw(st.sampled_from(sorted(EDITS)))
        if EDITS[edit](draw, message, kind):
            done.append(edit)
    return message.SerializeToString(), ",".join(done)


def _node(draw, message, kind):
    graphs = [g for g in graphs_of(message, kind) if g.node]
    if not graphs:
        return None, None
    graph = draw(st.sampled_from(graphs))
    return graph, graph.node[draw(st.integers(0, len(graph.node) - 1))]


def on_a_node(change):
    """An edit of one node drawn from the message's graphs: ``change(draw, graph, node)``."""

    def edit(draw, message, kind) -> bool:
        graph, node = _node(draw, message, kind)
        if node is None:
            return False
        change(draw, graph, node)
        return True

    return edit


@on_a_node
def edit_node_name(draw, graph, node) -> None:
    if draw(st.booleans()):  # rename the references too, or leave them dangling
        rename_node(graph, node.name, draw(NAMES))
    else:
        node.name = draw(NAMES)


@on_a_node
def edit_op_type(draw, graph, node) -> None:
    node.op = draw(st.one_of(NAMES, st.just(""), st.sampled_from(["Const", "PartitionedCall", "NoOp"])))


@on_a_node
def edit_device(draw, graph, node) -> None:
    node.device = draw(NAMES)


@on_a_node
def edit_dangling_input(draw, graph, node) -> None:
    node.input.append(draw(st.sampled_from(["", "^", ":", "missing", "^missing", "missing:7", "x:-1",
                                            "x:99999999999999999999", "a:b:c"])) + draw(st.sampled_from(["", "/z"])))


@on_a_node
def edit_cycle(draw, graph, node) -> None:
    other = graph.node[draw(st.integers(0, len(graph.node) - 1))]
    node.input.append(other.name)
    other.input.append(node.name + ":0")


@on_a_node
def edit_deep_scope(draw, graph, node) -> None:
    depth = draw(st.integers(100, MAX_DEPTH))
    node.name = "/".join(f"s{i % 10}" for i in range(depth))


@on_a_node
def edit_huge_attr(draw, graph, node) -> None:
    what = draw(st.sampled_from(["string", "list", "shape", "tensor"]))
    attr = node.attr[draw(st.sampled_from(["value", "shape", "dtype", "T", "_output_shapes", "huge"]))]
    if what == "string":
        attr.s = b"\x1b[2J" * draw(st.integers(1, 1 << 18))
    elif what == "list":
        attr.list.i.extend(range(draw(st.integers(1, 200_000))))
    elif what == "shape":
        attr.shape.Clear()
        for _ in range(draw(st.integers(0, 40))):
            attr.shape.dim.add().size = draw(BIG_INT)
    else:
        attr.tensor.Clear()
        attr.tensor.dtype = draw(ENUM)
        for _ in range(draw(st.integers(0, 6))):
            attr.tensor.tensor_shape.dim.add().size = draw(BIG_INT)
        attr.tensor.tensor_content = draw(st.binary(max_size=64))


@on_a_node
def edit_dtype_enum(draw, graph, node) -> None:
    node.attr[draw(st.sampled_from(["dtype", "T", "DstT", "Tout"]))].type = draw(ENUM)


def edit_signature(draw, message, kind) -> bool:
    metas = [m for m in metas_of(message, kind) if m.signature_def]
    if not metas:
        return False
    meta = draw(st.sampled_from(metas))
    key = draw(st.sampled_from(sorted(meta.signature_def)))
    signature = meta.signature_def[key]
    tensors = list(signature.inputs.values()) + list(signature.outputs.values())
    change = draw(st.sampled_from(["key", "name", "dtype", "shape", "method"]))
    if change == "key":
        meta.signature_def[draw(NAMES)].CopyFrom(signature)
        del meta.signature_def[key]
    elif change == "method":
        signature.method_name = draw(NAMES)
    elif tensors:
        tensor = draw(st.sampled_from(tensors))
        if change == "name":
            tensor.name = draw(NAMES)
        elif change == "dtype":
            tensor.dtype = draw(ENUM)
        else:
            tensor.tensor_shape.Clear()
            for _ in range(draw(st.integers(0, 10))):
                tensor.tensor_shape.dim.add().size = draw(BIG_INT)
    return True


def on_a_meta_graph(change):
    """An edit of one MetaGraphDef of the message: ``change(draw, meta)``."""

    def edit(draw, message, kind) -> bool:
        metas = metas_of(message, kind)
        if not metas:
            return False
        change(draw, draw(st.sampled_from(metas)))
        return True

    return edit


@on_a_meta_graph
def edit_collection(draw, meta) -> None:
    meta.collection_def[draw(NAMES)].bytes_list.value.append(draw(st.binary(max_size=64)))


@on_a_meta_graph
def edit_tags(draw, meta) -> None:
    meta.meta_info_def.tags.append(draw(NAMES))


def edit_function_library(draw, message, kind) -> bool:
    graphs = [g for g in graphs_of(message, kind) if g.library.function]
    if not graphs:
        return False
    library = draw(st.sampled_from(graphs)).library
    function = library.function[draw(st.integers(0, len(library.function) - 1))]
    change = draw(st.sampled_from(["self_call", "rename", "chain", "dangling_ret"]))
    if change == "self_call" and function.node_def:
        function.node_def[0].op = function.signature.name  # the function calls itself
    elif change == "rename":
        function.signature.name = draw(NAMES)
    elif change == "chain":  # a long call chain: f_0 -> f_1 -> ... -> f_n
        length = draw(st.integers(10, 2000))
        for i in range(length):
            added = library.function.add()
            added.signature.name = f"chain_{i}"
            if i + 1 < length:
                call = added.node_def.add()
                call.name, call.op = "call", f"chain_{i + 1}"
    elif function.ret:
        function.ret[min(function.ret)] = draw(NAMES)
    return True


EDITS = {
    "node_name": edit_node_name, "op_type": edit_op_type, "device": edit_device,
    "dangling_input": edit_dangling_input, "cycle": edit_cycle, "deep_scope": edit_deep_scope,
    "huge_attr": edit_huge_attr, "dtype_enum": edit_dtype_enum, "signature": edit_signature,
    "collection": edit_collection, "tags": edit_tags, "function_library": edit_function_library,
}


# -- checks -------------------------------------------------------------------------------
def snapshot(folder: Path) -> dict[str, tuple[int, str]]:
    """Every file under ``folder`` with its size and digest (FIFOs and such by type only)."""
    found = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            found[str(path)] = (path.stat().st_size, hashlib.sha1(path.read_bytes()).hexdigest())
        else:
            found[str(path)] = (0, "dir" if path.is_dir() else "other")
    return found


class Overtime(BaseException):
    """A command ran past the fuzz deadline (a BaseException, so the CLI cannot swallow it)."""


@contextlib.contextmanager
def time_limit(seconds: float):
    def expire(signum, frame):
        raise Overtime(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def examples(default: int) -> int:
    """How many examples a fuzz test runs: ``default``, times TFINSPECT_FUZZ_SCALE when set."""
    return max(1, int(default * float(os.environ.get("TFINSPECT_FUZZ_SCALE", "1"))))
