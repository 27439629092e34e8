"""Op registries of real TensorFlow releases, read from the package's data without TensorFlow.

``data/ops.json.xz`` is made by ``python -m inspector.registry.generate`` from the
tensorflow-cpu wheels of each release (and the op libraries TF Serving links in:
tensorflow-text, tensorflow-decision-forests' inference ops).  It stores, for every op
name, the releases where its OpDef, its CPU kernel or its library changed, and the
OpDefs once each.  Nothing is read until a question needs it; an OpDef is parsed only
when its op is asked about.
"""

from __future__ import annotations

import base64
import json
import lzma
import re
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "ops.json.xz"
TF_SERVING_LIBRARIES = ("tensorflow-text", "tensorflow-decision-forests")


@lru_cache(maxsize=1)
def _stored() -> dict:
    return json.loads(lzma.decompress(DATA.read_bytes()))


def release_key(release: str) -> tuple[int, int]:
    major, minor = release.split(".")[:2]
    return int(major), int(minor)


def releases() -> list[str]:
    """The releases with a registry, oldest first ("2.12", ..., "2.21")."""
    return list(_stored()["releases"])


@dataclass(frozen=True)
class OpInRelease:
    """One op as a release registers it."""

    name: str
    op_def: object  # an OpDef proto
    kernels: tuple  # each CPU (or any-device) kernel's type constraints: ((attr, (DataType, ...)), ...)
    library: str  # "" for TensorFlow itself, else "tensorflow-text" or "tensorflow-decision-forests"

    @property
    def cpu_kernel(self) -> bool:
        """A kernel for CPU (or for any device) is registered, for some types."""
        return bool(self.kernels)

    def kernel_for(self, types: dict[str, list[int]]) -> bool:
        """Whether a CPU kernel takes these type attribute values (attr -> DataType values)."""
        return any(all(set(types.get(attr, ())) <= set(allowed) for attr, allowed in constraints)
                   for constraints in self.kernels)


class Release:
    """The op registry and facts of one TensorFlow release."""

    def __init__(self, name: str):
        stored = _stored()
        self.name = name
        self.index = stored["releases"].index(name)
        info = stored["info"][name]
        self.tensorflow: str = info["tensorflow"]
        self.keras: str | None = info["keras"]
        self.graph_def_version: int = info["graph_def_version"]
        self.graph_def_min_consumer: int = info["graph_def_min_consumer"]
        self.libraries: dict[str, str] = info["libraries"]
        self._ops: dict[str, OpInRelease | None] = {}

    def __repr__(self) -> str:
        return f"<Release TensorFlow {self.name}>"

    @cached_property
    def keras_major(self) -> int | None:
        """The Keras major version ``pip install tensorflow`` brings with this release (3 from 2.16)."""
        return int(self.keras.split(".")[0]) if self.keras else None

    def op(self, name: str) -> OpInRelease | None:
        """The op as this release (with its op libraries) registers it, or None."""
        if name not in self._ops:
            self._ops[name] = _op_state(name, self.index)
        return self._ops[name]

    def library_version(self, library: str) -> str | None:
        text = self.libraries.get(library)
        return text if text and "(" not in text else None


def _op_state(name: str, index: int) -> OpInRelease | None:
    stored = _stored()
    state = None
    for start, definition, kernel, library in stored["ops"].get(name, ()):
        if start <= index:
            state = (definition, kernel, library)
    if state is None or state[0] < 0:
        return None
    return OpInRelease(name, _op_def(state[0]), _kernels(state[1]), stored["libraries"][state[2]])


@cache
def _kernels(index: int) -> tuple:
    """One stored list of kernels' type constraints; the same object for every release that shares it."""
    return tuple(tuple((attr, tuple(types)) for attr, types in constraints)
                 for constraints in _stored()["kernels"][index])


@cache
def _op_def(index: int):
    """One stored OpDef, parsed once: releases that share it share the object (rules memoise on it)."""
    from ..protos import OpDef

    return OpDef.FromString(base64.b64decode(_stored()["defs"][index]))


@cache
def release(name: str) -> Release:
    return Release(name)


def registering(op: str) -> list[str]:
    """The releases that register the op (TensorFlow or a linked op library), oldest first."""
    names = releases()
    return [names[i] for i in range(len(names)) if _op_state(op, i) is not None]


def newest_ops() -> list[OpInRelease]:
    """Every op any shipped release registers (TensorFlow or a linked op library), as the newest one that has it."""
    count = len(releases())
    found = []
    for name in sorted(_stored()["ops"]):
        state = next((s for s in (_op_state(name, i) for i in reversed(range(count))) if s is not None), None)
        if state is not None:
            found.append(state)
    return found


def known_op(op: str) -> bool:
    return op in _stored()["ops"]


_RELEASE = re.compile(r"^(\d+)\.(\d+)(\.\d+)?([a-z0-9.+-]*)$")
# Vertex AI prebuilt prediction containers: us-docker.pkg.dev/vertex-ai/prediction/tf2-cpu.2-15:latest
_VERTEX = re.compile(r"(?:^|/)tf2?-(?:cpu|gpu)\.(\d+)-(\d+)(?::[\w.-]+)?$")


def release_of(text: str) -> str | None:
    """"2.12", "2.12.1" -> "2.12"; None when the text names no release."""
    match = _RELEASE.match(text.strip())
    return f"{match[1]}.{match[2]}" if match else None


def vertex_release(container: str) -> str | None:
    """The TensorFlow release of a Vertex AI prebuilt prediction container (tf2-cpu.2-15, ...)."""
    match = _VERTEX.search(container.strip())
    return f"{match[1]}.{match[2]}" if match else None


def serving_release(version: str) -> str | None:
    """TF Serving X.Y is built from TensorFlow X.Y (the two projects release together)."""
    return release_of(version)
