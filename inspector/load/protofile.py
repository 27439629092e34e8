"""Read a graph proto file (binary or text) into the message it really holds."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from google.protobuf import message as pb_message
from google.protobuf import text_format

from .. import protos
from ..errors import CorruptArtifact, NotAnArtifact
from ..source.files import PROTO_LIMIT, read_regular
from . import sniff, wire

EXPECTED = "expected a SavedModel directory, a .meta file, a frozen GraphDef (.pb/.pbtxt) or a checkpoint"

_CLASSES = {
    "SavedModel": protos.SavedModel,
    "MetaGraphDef": protos.MetaGraphDef,
    "GraphDef": protos.GraphDef,
    "CheckpointState": protos.CheckpointState,
}


@dataclass
class ParsedFile:
    path: Path
    message_type: str  # SavedModel | MetaGraphDef | GraphDef | CheckpointState
    message: object
    encoding: str  # binary | text
    size: int


def read_bytes(path: Path) -> bytes:
    return read_regular(path, PROTO_LIMIT, "protobuf or text proto file")


def parse_file(path: Path, data: bytes | None = None) -> ParsedFile:
    """Parse ``path`` as whichever TensorFlow message its content holds."""
    if data is None:
        data = read_bytes(path)
    if not data:
        raise CorruptArtifact(path, "is empty (0 bytes)", "the export or copy was interrupted; export it again")
    head = data[:4096]
    foreign = sniff.foreign_format(path, head, data if head.lstrip()[:1] in (b"{", b"[") else None)
    if foreign:
        raise NotAnArtifact(path, f"is {foreign}, not a TensorFlow graph artifact", _foreign_hint(foreign))
    if data.endswith(sniff.TABLE_MAGIC):
        raise NotAnArtifact(path, "is a checkpoint index (tensor bundle), not a graph proto",
                            "inspect the checkpoint prefix or its directory instead")
    text_type = sniff.text_message_type(head)
    if text_type is not None:
        return _parse_text(path, data, text_type)
    return _parse_binary(path, data)


def _foreign_hint(description: str) -> str:
    if "Keras" in description or "HDF5" in description:
        return ("load it with keras.models.load_model() and write a SavedModel with "
                "model.export(DIR), then inspect DIR")
    if "SavedModel" in description:
        return "unzip it and pass the folder holding saved_model.pb"
    return EXPECTED


def _parse_text(path: Path, data: bytes, message_type: str) -> ParsedFile:
    message = _CLASSES[message_type]()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CorruptArtifact(path, f"text proto is not valid UTF-8 at byte {exc.start}") from None
    try:
        text_format.Parse(text, message, allow_unknown_extension=True)
    except text_format.ParseError as exc:
        line, column = exc.GetLine(), exc.GetColumn()
        reason = str(exc).split(" : ", 1)[-1] if line else str(exc)
        where = f"line {line} column {column}" if line else "unknown position"
        raise CorruptArtifact(
            path, f"text {message_type} has a syntax error at {where}: {reason}",
            "fix the text or re-export it with tf.io.write_graph(..., as_text=True)",
        ) from None
    return ParsedFile(path, message_type, message, "text", len(data))


def _parse_binary(path: Path, data: bytes) -> ParsedFile:
    try:
        candidates = wire.guess_message(data)
    except wire.WireError as exc:
        if exc.truncated:
            raise CorruptArtifact(
                path, f"is a truncated protobuf: {exc} (the file is cut short at {len(data)} bytes)",
                "copy or export the file again",
            ) from None
        if _looks_like_text(data):
            raise NotAnArtifact(path, "looks like text, not a binary protobuf, and its first field is not one a "
                                "text SavedModel, MetaGraphDef or GraphDef (pbtxt) starts with",
                                "if it is a pbtxt, check what it holds; " + EXPECTED) from None
        raise NotAnArtifact(path, f"is not a protobuf message ({exc} at byte {exc.offset})", EXPECTED) from None
    last_error = None
    doubts: list[str] = []
    for message_type in candidates:
        message = _CLASSES[message_type]()
        try:
            message.ParseFromString(data)
        except pb_message.DecodeError as exc:
            last_error = exc
            continue
        doubt = _doubt(message_type, message, data)
        if doubt is None:
            return ParsedFile(path, message_type, message, "binary", len(data))
        doubts.append(doubt)
    if last_error is not None and len(candidates) == 1:
        raise CorruptArtifact(
            path, f"looks like a {candidates[0]} but cannot be parsed ({last_error})",
            "the file is damaged or truncated inside; copy or export it again",
        )
    if len(doubts) == 1 and len(candidates) == 1:
        raise CorruptArtifact(path, doubts[0], "the file is damaged, or was not written by TensorFlow")
    raise NotAnArtifact(path, "is a protobuf message but not a SavedModel, MetaGraphDef or GraphDef", EXPECTED)


def _looks_like_text(data: bytes) -> bool:
    """UTF-8 text without control characters other than whitespace (a binary protobuf has them)."""
    head = data[:4096]
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the end of the sample
            return False
        text = head[:exc.start].decode("utf-8")
    return bool(text.strip()) and all(ch.isprintable() or ch in "\t\n\r" for ch in text)


def _doubt(message_type: str, message, data: bytes) -> str | None:
    """Why a successful parse is not believable (protobuf is permissive), or None."""
    if message_type == "SavedModel":
        if not message.meta_graphs:
            if set(wire.scan(data).fields) == {(1, wire.VARINT)}:  # only saved_model_schema_version
                return (f"is a SavedModel with no MetaGraphs (schema version "
                        f"{message.saved_model_schema_version}): TensorFlow cannot load it "
                        "(\"MetaGraphDef associated with tags ... could not be found\"); export it again")
            return "parses as a SavedModel but holds nothing"
        doubts = [_doubt_meta(mg) for mg in message.meta_graphs]
        return next((f"SavedModel MetaGraph {i}: {d}" for i, d in enumerate(doubts) if d), None)
    if message_type == "MetaGraphDef":
        return _doubt_meta(message)
    if message_type == "GraphDef":
        return _doubt_graph(message)
    return None


def _doubt_meta(meta) -> str | None:
    if not (meta.HasField("graph_def") or meta.HasField("meta_info_def")):
        return "parses as a MetaGraphDef but has neither a graph nor meta_info_def"
    return _doubt_graph(meta.graph_def)


def _doubt_graph(graph) -> str | None:
    if not graph.node and not graph.HasField("library") and not graph.HasField("versions"):
        return "parses as a GraphDef but has no nodes, functions or versions"
    sample = graph.node[:50]
    if sample and not any(node.op.isprintable() and node.op for node in sample):
        return (f"parses as a GraphDef but none of its first {len(sample)} op types is printable text "
                f"(the first is {sample[0].op!r}); TensorFlow would refuse it: Op type not registered")
    return None
