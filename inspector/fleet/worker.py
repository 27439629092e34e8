"""What a worker needs before its first artifact, loaded once in the fork server that forks the workers.

The first artifact a fresh process inspects would otherwise pay for numpy and
ml_dtypes (loaded when a constant is decoded) and the registry of TensorFlow's op
names: seconds on a busy machine, in every worker.  Importing this module loads them;
the pool's fork server imports it before it forks any worker, so each worker starts
with them in memory (copy-on-write), and a replaced worker too.
"""

from __future__ import annotations

from ..checks.op_registry import registered_ops
from ..tensors.values import numpy_types
from . import rows

numpy_types()
registered_ops()
rows.options()
