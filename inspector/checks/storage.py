"""Rules about what the export stores on disk (TFI2xx): weights kept twice."""

from __future__ import annotations

from collections.abc import Iterator

from ..errors import InspectorError
from .context import CheckContext
from .core import Issue, Severity, rule

KERAS_COPY_PREFIX = "_all_variables/"  # Keras 3 model.export() tracks every weight again under this list


def _human(size: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.1f} {unit}" if unit != "B" else f"{size} B"
        size /= 1024
    return f"{size} B"


@rule("TFI207", "weights-stored-twice", Severity.WARNING,
      "The checkpoint stores the same weights twice (Keras model.export): bytes on disk that serve nothing")
def _stored_twice(ctx: CheckContext) -> Iterator[Issue]:
    """Keras 3's `model.export()` tracks every weight under two object paths, and the checkpoint keeps two copies.

    The exported object holds the model's variables in its `variables` list and
    again in `_all_variables`; `tf.train.Checkpoint` writes each path's value as
    its own tensor, so `variables/` is twice the size of the weights (a ResNet50
    export: about 200 MB instead of 100 MB), and downloads, uploads and server
    start-up read both.  Nothing is wrong when serving: both copies restore.  A
    tensor under `_all_variables/` counts as a copy when another key holds the
    same dtype, shape and bytes (the same crc32c in the checkpoint index).  To
    store each weight once, export with `tf.saved_model.save(model, path,
    signatures=...)` on a `tf.Module` that tracks the variables once.
    """
    if not ctx.is_saved_model:
        return
    try:
        reader = ctx.artifact.checkpoint
        entries = reader.entries() if reader is not None else []
    except InspectorError:
        return
    others: dict[tuple, str] = {}
    for entry in entries:
        if not entry.key.startswith(KERAS_COPY_PREFIX):
            others.setdefault(_fingerprint(entry), entry.key)
    pairs = [(entry, others[_fingerprint(entry)]) for entry in entries
             if entry.key.startswith(KERAS_COPY_PREFIX) and _fingerprint(entry) in others]
    if not pairs:
        return
    wasted = sum(entry.size for entry, _ in pairs)
    shown = ", ".join(f"{entry.key.split('/.ATTRIBUTES')[0]} = {twin.split('/.ATTRIBUTES')[0]}"
                      for entry, twin in pairs[:3])
    yield Issue(f"the checkpoint stores {len(pairs)} weights twice: {_human(wasted)} ({wasted} bytes) on disk "
                f"that serve nothing ({shown}{', ...' if len(pairs) > 3 else ''})",
                "export with tf.saved_model.save on a module that tracks each variable once, if the size matters",
                location="variables/variables")


def _fingerprint(entry) -> tuple:
    return entry.dtype_name, tuple(entry.shape or ()), entry.size, entry.crc32c
