"""tfinspect: look inside TensorFlow model artifacts without starting TensorFlow.

The Python API: ``inspector.load(path)``, ``inspector.check(path, target=...)``,
``inspector.compat(path)`` and ``inspector.graph(path, ...)`` return objects that show
themselves as tables in Jupyter and in a terminal (``rich.print``).  See docs/pages/python-api.md.

The package root is lazy: ``import inspector`` imports nothing but this file and the
version; each name below is imported the first time it is used, so ``tfinspect --help``
and ``python -m inspector --help`` start without the proto classes or the loaders.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING

from .version import __version__

# name -> the module that defines it
_LAZY = {
    "Artifact": "inspector.model.artifact",
    "ArtifactKind": "inspector.model.artifact",
    "CheckReport": "inspector.api",
    "Compatibility": "inspector.api",
    "Graph": "inspector.api",
    "InspectorError": "inspector.errors",
    "MetaGraph": "inspector.model.metagraph",
    "Signature": "inspector.model.metagraph",
    "SignatureTensor": "inspector.model.metagraph",
    "check": "inspector.api",
    "compat": "inspector.api",
    "graph": "inspector.api",
    "load": "inspector.api",
}

__all__ = [
    "Artifact", "ArtifactKind", "CheckReport", "Compatibility", "Graph", "InspectorError", "MetaGraph",
    "Signature", "SignatureTensor", "__version__", "check", "compat", "graph", "load",
]

if TYPE_CHECKING:
    from .api import CheckReport, Compatibility, Graph, check, compat, graph, load
    from .errors import InspectorError
    from .model.artifact import Artifact, ArtifactKind
    from .model.metagraph import MetaGraph, Signature, SignatureTensor


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'inspector' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


class _Root(types.ModuleType):
    """``inspector.load`` is the API function, also after the subpackage of that name is imported.

    Importing a submodule sets it as an attribute of its package; for ``inspector.load`` that would
    hide the function whenever the subpackage happened to be imported first.  The subpackage stays
    where imports look for it, in ``sys.modules``.
    """

    def __setattr__(self, name: str, value) -> None:
        if name == "load" and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Root
