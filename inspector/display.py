"""The rendering protocol: objects of the lower layers show themselves without importing ``report/``.

The model and check objects (an :class:`~inspector.model.artifact.Artifact`, a MetaGraph, a
Signature, a Finding) inherit :class:`Displayed`.  Rich recognises an object that has a
``__rich__`` method as a renderable (duck typing, no base class of rich's), and Jupyter shows an
object's ``_repr_html_``.  Both methods here look the object's type up in a registry that the
report layer fills when it is imported (``inspector.report.notebook`` registers a renderer per
type and the HTML writer), so arrows keep pointing down: ``model/`` knows this module, ``report/``
knows ``model/``, and this module knows neither.

The Python API (``inspector.load``, ``inspector.check``, ``inspector.graph``) imports the report
layer, so every object it returns renders.  An object made without it (``inspector.load.load``
called directly in a program that never imports ``inspector.report``) prints its short repr.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_RENDERERS: dict[type, Callable[[Any], Any]] = {}
_HTML: list[Callable[[Any], str]] = []


def register(cls: type, renderer: Callable[[Any], Any]) -> None:
    """Show instances of ``cls`` (and its subclasses) as ``renderer(obj)``, a rich renderable."""
    _RENDERERS[cls] = renderer


def register_html(writer: Callable[[Any], str]) -> None:
    """Write a rich renderable as an HTML fragment for notebooks."""
    _HTML[:] = [writer]


def renderer_for(obj: object) -> Callable[[Any], Any] | None:
    for cls in type(obj).__mro__:
        if cls in _RENDERERS:
            return _RENDERERS[cls]
    return None


class Displayed:
    """Gives ``__rich__`` and ``_repr_html_`` from the registered renderer of the object's type."""

    __slots__ = ()

    def __rich__(self):
        render = renderer_for(self)
        return repr(self) if render is None else render(self)

    def _repr_html_(self) -> str | None:
        if not _HTML:
            return None  # Jupyter falls back to the repr
        return _HTML[0](self.__rich__())


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``1 tensor``, ``2 tensors``, ``1,024 values``: a count with its noun in the right number."""
    return f"{count:,} {noun if count == 1 else (nouns or noun + 's')}"
