"""Rules about what the export stores on disk (TFI2xx): a checkpoint that is incomplete or damaged, weights kept twice."""

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


@rule("TFI210", "incomplete-checkpoint", Severity.ERROR,
      "A checkpoint data shard is missing or shorter than its index says: an upload or copy did not finish")
def _incomplete_checkpoint(ctx: CheckContext) -> Iterator[Issue]:
    """Every data shard the checkpoint's index names must be there, and long enough.

    The index (`variables/variables.index`) says, for every tensor, which data shard
    holds its bytes and at which offset.  A copy that is still running, or an upload
    that failed, leaves a shard missing or cut short while the index looks whole, so
    every listing of the model looks fine.  TensorFlow fails when it restores the
    variables: `NotFoundError: ... Restoring from checkpoint failed` for a missing
    shard, `OutOfRangeError: Read less bytes than requested` for a short one, and TF
    Serving refuses the version.  The check needs no read: each shard's size (a
    `stat`, or the one listing of a URL) is compared with the largest `offset + size`
    the index gives it.  An index that cannot be read at all is reported here too.
    Copy the whole export again and wait for the copy to finish before serving.
    """
    found = ctx.integrity
    if found is None:
        return
    where = _checkpoint_place(ctx)
    if found.index_error is not None:
        yield Issue(f"{where}.index cannot be read: {found.index_error}",
                    "copy the checkpoint's .index again from where it was written", location=f"{where}.index")
    for damage in found.shards:
        yield Issue(damage.one_line(), "copy the whole export again, and wait until the copy has finished",
                    location=_relative(ctx, damage.shard_path))


@rule("TFI211", "checkpoint-checksum", Severity.ERROR,
      "A checkpoint tensor's bytes do not match the crc32c in its index (damaged or half-written data)")
def _checksum(ctx: CheckContext) -> Iterator[Issue]:
    """The bytes of a tensor differ from what was written: TensorFlow refuses to restore them.

    The index keeps a crc32c of every tensor's bytes.  A shard of the right length
    whose tail is zeros (a preallocated file an upload never filled) or whose bytes
    were flipped on the way passes the size check of TFI210; TensorFlow fails with
    `DataLossError: Checksum does not match` when it restores the variable.
    `check` reads and checksums a local checkpoint of up to 256 MiB on every run
    (about 6 GB/s); a larger one, or one at a URL, only with `--deep`, and without it
    this rule says, as an info finding, that the checksums were not compared.
    `--no-deep` skips them.  `tfinspect ckpt --verify` lists every mismatch.
    """
    found = ctx.integrity
    if found is None or found.index_error is not None:
        return
    where = _checkpoint_place(ctx)
    if not found.verified:
        if ctx.deep is None:
            yield Issue(f"the crc32c of {where}'s tensors were not compared (a large or remote checkpoint; "
                        "only the shard sizes were checked)", "run check --deep to read and checksum every tensor",
                        location=where, severity=Severity.INFO)
        return
    for problem in found.checksums or ():
        shard = _relative(ctx, problem.shard_path)
        what = f"tensor {problem.key!r} in {shard}" if problem.key is not None else shard
        sums = (f" (the index says {problem.expected:08x}, the bytes give {problem.actual:08x})"
                if problem.expected is not None and problem.actual is not None else "")
        yield Issue(f"{what}: {problem.problem}{sums}", "copy the whole export again; the data shard is damaged",
                    location=problem.key if problem.key is not None else shard)


def _checkpoint_place(ctx: CheckContext) -> str:
    return _relative(ctx, str(ctx.artifact.checkpoint_prefix))


def _relative(ctx: CheckContext, path: str) -> str:
    """A checkpoint file as a place in the artifact: ``variables/variables.data-00000-of-00001``."""
    root = str(ctx.artifact.root).rstrip("/") + "/"
    return path.removeprefix(root)
