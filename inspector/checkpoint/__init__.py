"""TensorFlow V2 checkpoints (tensor bundles), read without the TensorFlow runtime.

* :class:`BundleReader` lists a bundle from its ``.index`` alone, reads tensor
  values on demand and verifies every checksum;
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
from inspector.checkpoint.bundle import (
    OBJECT_GRAPH_KEY,
    BundleHeader,
    BundleReader,
    Finding,
    TensorEntry,
    TensorNotFound,
    UnsupportedDtype,
)
from inspector.checkpoint.state import (
    CheckpointRef,
    CheckpointStateInfo,
    read_checkpoint_state,
    resolve_checkpoint,
)

__all__ = [
    "OBJECT_GRAPH_KEY",
    "AuditResult",
    "BundleHeader",
    "BundleReader",
    "CheckpointRef",
    "CheckpointStateInfo",
    "Finding",
    "Mismatch",
    "ObjectGraphSummary",
    "SlotKey",
    "TensorEntry",
    "TensorNotFound",
    "UnsupportedDtype",
    "audit",
    "is_bookkeeping",
    "parse_slot_key",
    "read_checkpoint_state",
    "readable_key",
    "resolve_checkpoint",
    "summarize_object_graph",
]
