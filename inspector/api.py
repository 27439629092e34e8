"""The Python API for notebooks and scripts: ``load``, ``check`` and ``graph``.

Each returns an object that renders itself: a table in Jupyter (``_repr_html_``),
the same table in a terminal (``__rich__``: ``rich.print(obj)``), and a one-line
``repr``.  They run the same code as ``tfinspect show``, ``check`` and ``graph``,
without starting the TensorFlow runtime.  Imports are deferred so that
``import inspector`` stays as quick as the command line.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from .display import Displayed
from .load import load
from .report import notebook as _notebook  # noqa: F401  (registers how model and check objects render)

if TYPE_CHECKING:
    from .checks.core import Finding, Rule
    from .checks.verdicts import CompatReport, Unit
    from .report.diagram import Drawing

__all__ = ["CheckReport", "Compatibility", "Graph", "check", "compat", "graph", "load"]


def check(path: str | os.PathLike, *, target: str = "tf-serving", select: str | Iterable[str] | None = None,
          ignore: str | Iterable[str] | None = None, tf_version: str | None = None,
          inputs: str | Iterable[str] | None = None, outputs: str | Iterable[str] | None = None,
          version: int | None = None, deep: bool | None = None) -> CheckReport:
    """Run ``tfinspect check`` on ``path``: why the model will fail under ``target``.

    ``select`` / ``ignore`` take rule codes, prefixes or families (``"TFI3"``, ``["TFI304"]``, ``"security"``);
    ``inputs`` / ``outputs`` name the tensors of a graph without signatures;
    ``deep=True`` checksums every checkpoint tensor (done anyway for a local checkpoint
    up to 256 MiB), ``deep=False`` checks the data shards' sizes only.
    Raises :class:`inspector.InspectorError` for a path it cannot read or an unknown code.
    """
    from .checks import TARGETS, runner
    from .errors import SelectionError

    if target not in TARGETS:
        raise SelectionError(None, f"no target {target!r}", f"targets: {', '.join(TARGETS)}")
    findings, rules = runner.find(path, version=version, target=target, select=runner.parse_codes(select),
                                  ignore=runner.parse_codes(ignore), tf_version=tf_version,
                                  inputs=runner.names(inputs), outputs=runner.names(outputs), deep=deep)
    return CheckReport(str(path), target, findings, rules)


def compat(path: str | os.PathLike, *, loaders: str | Iterable[str] | None = None,
           version: int | None = None) -> Compatibility:
    """Run ``tfinspect compat`` on ``path``: the TensorFlow releases that load and run each signature.

    ``loaders`` picks among ``"python"`` (``tf.saved_model.load``), ``"python-v1"`` and
    ``"tf-serving"`` (default: all three).
    """
    from .checks.core import LOADERS
    from .checks.verdicts import compat_report
    from .errors import SelectionError

    chosen = (loaders,) if isinstance(loaders, str) else tuple(loaders or LOADERS)
    unknown = [name for name in chosen if name not in LOADERS]
    if unknown:
        raise SelectionError(None, f"no loader {unknown[0]!r}", f"loaders: {', '.join(LOADERS)}")
    return Compatibility(compat_report(load(path, version=version), str(path), chosen))


class Compatibility(Displayed):
    """Which releases run an export: iterate it for its units (one per loader and signature)."""

    def __init__(self, report: CompatReport):
        self.report = report

    def __iter__(self) -> Iterator[Unit]:
        return iter(self.report.units)

    def releases(self, loader: str = "tf-serving", signature: str | None = None) -> list[str]:
        """The releases where ``loader`` loads the export and runs ``signature`` (every signature when None)."""
        from .checks.verdicts import every_signature

        if signature is None:
            return list(every_signature(self.report, loader).runs_on)
        unit = next((u for u in self.report.units if u.loader == loader and u.signature == signature), None)
        return list(unit.runs_on) if unit else []

    @property
    def ok(self) -> bool:
        """True when every signature runs on some shipped release under every loader."""
        return self.report.ok

    def to_json(self) -> dict:
        """The document ``tfinspect compat --json`` prints."""
        from .report.compat import compat_json

        return compat_json(self.report)

    def __repr__(self) -> str:
        loaders = dict.fromkeys(unit.loader for unit in self.report.units)
        from .checks.verdicts import every_signature

        parts = [f"{name}: {every_signature(self.report, name).summary()}" for name in loaders]
        return f"<Compatibility {self.report.path!r}: {'; '.join(parts)}>"

    def __rich__(self):
        from .report.compat import compat_renderable

        return compat_renderable(self.report)


class CheckReport(Displayed):
    """The findings of one check run; iterate it for :class:`~inspector.checks.Finding` objects."""

    def __init__(self, path: str, target: str, findings: list[Finding], rules: list[Rule]):
        self.path = path
        self.target = target
        self.findings = findings
        self.rules = rules

    def __iter__(self) -> Iterator[Finding]:
        return iter(self.findings)

    def __len__(self) -> int:
        return len(self.findings)

    def count(self, severity: str) -> int:
        """How many findings have this severity: ``"error"``, ``"warning"`` or ``"info"``."""
        return sum(1 for f in self.findings if f.severity.value == severity)

    @property
    def ok(self) -> bool:
        """True when no finding is an error or a security finding (what makes ``tfinspect check`` exit 0)."""
        from .checks.core import fails

        return not fails(self.findings)

    def __repr__(self) -> str:
        counts = ", ".join(f"{self.count(s)} {s}{'' if self.count(s) == 1 else 's'}"
                           for s in ("error", "warning", "info"))
        return f"<CheckReport {self.path!r} target {self.target}: {counts}>"

    def __rich__(self):
        from .report.check import findings_renderable

        return findings_renderable(self.findings, self.target, self.path)


def graph(path: str | os.PathLike, *, tag_set: str | None = None, version: int | None = None,
          timeout: float = 120.0, **options) -> Graph:
    """The diagram ``tfinspect graph`` draws, with the same options (``view="layers"``, ``depth=2``...).

    The keywords are the command's options with ``_`` for ``-`` (``signature``, ``view``,
    ``all``, ``depth``, ``max_nodes``, ``edge_labels``...; see
    :class:`inspector.analysis.diagram_options.DiagramOptions`); ``inputs`` and ``outputs`` also
    take lists.  A wrong value raises the error the command prints.  ``.source`` is the
    DOT text, ``.svg()`` lays it out with Graphviz ``dot``, and ``.save("model.svg")``
    writes a file as ``-o`` does (.dot, .svg, .png, .pdf, .html).
    """
    from .analysis.diagram_options import DiagramOptions
    from .errors import SelectionError
    from .report import diagram

    for key in ("inputs", "outputs"):
        if options.get(key) is not None and not isinstance(options[key], str):
            options[key] = ",".join(options[key])
    try:
        chosen = DiagramOptions(**options, path=str(path))
    except TypeError as exc:
        raise SelectionError(None, f"graph() got an unknown option: {exc}",
                             "see help(inspector.analysis.diagram_options.DiagramOptions)") from None
    drawing = diagram.draw(load(path, version=version), tag_set, chosen.validate())
    return Graph(drawing, str(path), timeout)


class Graph:
    """A chosen diagram: DOT in ``.source``, SVG from ``.svg()``, files from ``.save(path)``."""

    def __init__(self, drawing: Drawing, path: str, timeout: float = 120.0):
        self.drawing = drawing
        self.path = path
        self.timeout = timeout
        self._svg: str | None = None
        self._source: str | None = None
        self._page: str | None = None

    @property
    def title(self) -> str:
        return self.drawing.title

    @property
    def view(self) -> str:
        return self.drawing.plan.kind

    @property
    def notes(self) -> list[str]:
        """What the user should know about the drawing (collapsed scopes, hidden edges, ...)."""
        return list(dict.fromkeys(self.drawing.notes))  # each layout may add the same note again

    @property
    def source(self) -> str:
        """The DOT text (what ``tfinspect graph -o -`` prints)."""
        if self._source is None:
            self._source = self.drawing.dot()
        return self._source

    def svg(self) -> str:
        """The diagram laid out by Graphviz ``dot`` as an SVG document."""
        if self._svg is None:
            self._svg = self._encode("svg", self.path).decode("utf-8")
        return self._svg

    def save(self, path: str | os.PathLike) -> Path:
        """Write the diagram; the extension picks the format, as with ``tfinspect graph -o``."""
        from .report import diagram, render

        out = Path(path)
        data = self._encode(diagram.output_format(str(out)), str(out))
        render.write_atomic(out, data)
        return out

    def _encode(self, fmt: str | None, out: str) -> bytes:
        from .report import diagram

        return self.drawing.encode(fmt, diagram.dot_program(fmt, out), self.timeout, out)

    def __repr__(self) -> str:
        return f"<Graph {self.title!r}: {self.view} view>"

    def __rich__(self):
        from rich.console import Group
        from rich.text import Text

        from .sanitize import visible

        lines = [Text.assemble(("Graph ", "bold"), visible(self.title), (f"  ({self.view} view)", "dim"))]
        lines += [Text.assemble(("  note  ", "yellow"), visible(note)) for note in self.notes]
        lines.append(Text("  .source is the DOT text; .svg() renders it; .save(path) writes a file", style="dim"))
        return Group(*lines)

    def page(self) -> str:
        """The interactive page ``-o model.html`` writes: laid out in the browser, no Graphviz needed."""
        if self._page is None:
            self._page = self.drawing.encode("html", None, self.timeout, self.path).decode("utf-8")
        return self._page

    def _repr_html_(self) -> str:
        """The interactive page, inline (in an iframe, so its script and style stay its own)."""
        import html

        from .report.notebook import to_html

        notes = to_html(self.__rich__()) if self.notes else ""
        return (notes + f'<iframe srcdoc="{html.escape(self.page(), quote=True)}" title="tfinspect graph" '
                'style="width:100%;height:640px;border:1px solid #ccc"></iframe>')
