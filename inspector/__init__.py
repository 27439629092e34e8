"""tfinspect: look inside TensorFlow model artifacts without starting TensorFlow."""

from .errors import InspectorError
from .load import load
from .model.artifact import Artifact, ArtifactKind
from .model.metagraph import MetaGraph, Signature, SignatureTensor

__version__ = "0.1.0"

__all__ = [
           "Artifact",
           "ArtifactKind",
           "InspectorError",
           "MetaGraph",
           "Signature",
           "SignatureTensor",
           "__version__",
           "load",
]
