"""tfinspect: look inside TensorFlow model artifacts without starting TensorFlow.

The Python API: ``inspector.load(path)``, ``inspector.check(path, target=...)``,
``inspector.compat(path)`` and ``inspector.graph(path, ...)`` return objects that show themselves as tables in Jupyter
and in a terminal (``rich.print``).  See docs/pages/python-api.md.
"""

from .api import CheckReport, Compatibility, Graph, check, compat, graph
from .errors import InspectorError
from .load import load
from .model.artifact import Artifact, ArtifactKind
from .model.metagraph import MetaGraph, Signature, SignatureTensor

__version__ = "0.1.0"

__all__ = [
    "Artifact",
    "ArtifactKind",
    "CheckReport",
    "Compatibility",
    "Graph",
    "InspectorError",
    "MetaGraph",
    "Signature",
    "SignatureTensor",
    "__version__",
    "check",
    "compat",
    "graph",
    "load",
]
