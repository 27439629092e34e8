"""TensorFlow checkpoints, read without the TensorFlow runtime.

* :class:`BundleReader` lists a V2 checkpoint (tensor bundle) from its
  ``.index`` alone, reads tensor values on demand and verifies every checksum;
* :class:`SliceReader` does the same for a V1 checkpoint (``model.ckpt``, one
  table of tensor slices); :func:`open_checkpoint` picks the reader;
* :func:`resolve_checkpoint` and :func:`read_checkpoint_state` turn what a
  user typed (prefix, ``.index``, ``.data-…``, directory, ``checkpoint`` file)
  into a bundle prefix;
* :func:`audit` compares the variables a graph expects with a checkpoint.
"""

from inspector.checkpoint.audit import (
    AuditResult,
    Mismatch,
    ObjectGraphSummary,
    SlotKey,
    audit,
    is_bookkeeping,
    parse_slot_key,
    readable_key,
    summarize_object_graph,
)
from inspector.checkpoint.bundle import OBJECT_GRAPH_KEY, BundleReader
from inspector.checkpoint.entries import (
    BundleHeader,
    CheckpointIndex,
    TensorEntry,
    TensorNotFound,
    UnsupportedDtype,
    VerifyProblem,
)
from inspector.checkpoint.slices import SliceReader
from inspector.checkpoint.state import (
    CheckpointRef,
    CheckpointStateInfo,
    open_checkpoint,
    read_checkpoint_state,
    resolve_checkpoint,
)

__all__ = [
    "OBJECT_GRAPH_KEY",
    "AuditResult",
    "BundleHeader",
    "BundleReader",
    "CheckpointIndex",
    "CheckpointRef",
    "CheckpointStateInfo",
    "Mismatch",
    "ObjectGraphSummary",
    "SliceReader",
    "SlotKey",
    "TensorEntry",
    "TensorNotFound",
    "UnsupportedDtype",
    "VerifyProblem",
    "audit",
    "is_bookkeeping",
    "open_checkpoint",
    "parse_slot_key",
    "read_checkpoint_state",
    "readable_key",
    "resolve_checkpoint",
    "summarize_object_graph",
]
