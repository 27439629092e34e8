"""Objects that show themselves in Jupyter as the HTML of their rich renderable.

A class that defines ``__rich__`` (the renderable the command line prints) and
inherits :class:`Displayed` gets ``_repr_html_``.  The renderers live in
``inspector.report`` and are imported only when an object is first shown, so the
model layer stays free of presentation imports.
"""

from __future__ import annotations


class Displayed:
    __slots__ = ()

    def _repr_html_(self) -> str:
        from .report.notebook import to_html

        return to_html(self.__rich__())
