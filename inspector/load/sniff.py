"""Recognise files by their first bytes: ours, and the ones users confuse with ours."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
ZIP_MAGIC = b"PK\x03\x04"
TABLE_MAGIC = (0xDB4775248B80FB57).to_bytes(8, "little")  # ends every tensor-bundle .index

# Top-level field names that start a text proto of each message type.
TEXT_FIELDS = {
    "SavedModel": ("saved_model_schema_version", "meta_graphs"),
    "MetaGraphDef": ("meta_info_def", "graph_def", "saver_def", "collection_def",
                     "signature_def", "asset_file_def", "object_graph_def"),
    "GraphDef": ("node", "library", "versions", "version", "debug_info"),
    "CheckpointState": ("model_checkpoint_path", "all_model_checkpoint_paths",
                        "all_model_checkpoint_timestamps", "last_preserved_timestamp"),
}


def foreign_format(path: Path, head: bytes, data: bytes | None = None) -> str | None:
    """A description of a file that is not a TensorFlow graph artifact, or None."""
    if head.startswith(HDF5_MAGIC):
        return "an HDF5 file (a Keras .h5 model or weights file)"
    if head.startswith(ZIP_MAGIC):
        return _describe_zip(path)
    if len(head) >= 8 and head[4:8] == b"TFL3":
        return "a TensorFlow Lite flatbuffer (.tflite)"
    if head.startswith(b"\x08") and b"onnx" in head[:64].lower():
        return "an ONNX model"
    stripped = head.lstrip()
    if stripped[:1] in (b"{", b"[") and data is not None:
        try:
            value = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            return None
        if isinstance(value, dict) and "modelTopology" in value:
            return "a TensorFlow.js model.json"
        if isinstance(value, dict) and "class_name" in value and "config" in value:
            return "a Keras model configuration in JSON"
        return "a JSON document"
    return None


def _describe_zip(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return "a ZIP archive"
    if {"config.json", "metadata.json"} <= names:
        return "a Keras v3 archive (.keras)"
    if any(n.endswith("saved_model.pb") for n in names):
        return "a ZIP archive that contains a SavedModel (unzip it and inspect the folder)"
    return "a ZIP archive"


def text_message_type(head: bytes) -> str | None:
    """The message a text proto holds, judged by its first field name."""
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = head[:-4].decode("utf-8")  # a multi-byte character cut at the end
        except UnicodeDecodeError:
            return None
    if any(ch in text for ch in "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f"):
        return None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word = ""
        for ch in line:
            if ch.isalnum() or ch == "_":
                word += ch
            else:
                break
        for message, fields in TEXT_FIELDS.items():
            if word in fields:
                return message
        return None
    return None
