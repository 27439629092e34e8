"""Which TensorFlow releases can load and run an export: `tfinspect compat`, per loader and signature.

For each loader (``python``: ``tf.saved_model.load``; ``python-v1``: the
``tf.compat.v1`` loader; ``tf-serving``: TF Serving's C++ loader) the rules of
that target run once without a release (what fails everywhere), then the rules
that depend on the release (TFI505, TFI70x, TFI206) once per release tfinspect
ships a registry for.  A unit is one signature of one MetaGraph; an error at
load fails every signature of its MetaGraph.  The releases a unit runs on are
summarised as ranges, each bound with the reason the release beyond it fails.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..model.artifact import Artifact, ArtifactKind
from ..registry import reader as registry
from .context import CheckContext, tag_label
from .core import LOAD, LOADERS, Finding, Severity, run_rules, selected_rules

LOADER_NAMES = {"python": "tf.saved_model.load", "python-v1": "tf.compat.v1 loader",
                "tf-serving": "TF Serving"}
# Rules whose verdict depends on the release; the rules that judge the installed TensorFlow instead.
RELEASE_RULES = ("TFI505", "TFI701", "TFI702", "TFI703", "TFI704", "TFI206")
INSTALLED_RULES = ("TFI501", "TFI506", "TFI508")


@dataclass(frozen=True)
class Reason:
    """Why one release fails a unit: the first error there."""

    release: str | None  # None: every release
    code: str
    message: str


@dataclass
class Unit:
    loader: str
    tag_set: str | None
    signature: str | None  # None for a MetaGraph without signatures
    runs_on: list[str] = field(default_factory=list)  # releases that load and run it
    fails: dict[str, Reason] = field(default_factory=dict)  # release -> reason

    @property
    def ranges(self) -> list[tuple[str, str]]:
        """Contiguous runs of releases (in the shipped order) where the unit loads and runs."""
        result: list[tuple[str, str]] = []
        names = registry.releases()
        start = previous = None
        for name in names:
            if name in self.runs_on:
                start = start or name
                previous = name
            elif start:
                result.append((start, previous))
                start = None
        if start:
            result.append((start, previous))
        return result

    def bounds(self) -> tuple[Reason | None, Reason | None]:
        """The reasons the release just below the first range, and just above the last, fail."""
        ranges = self.ranges
        if not ranges:
            return None, None
        names = registry.releases()
        low, high = names.index(ranges[0][0]), names.index(ranges[-1][1])
        below = self.fails.get(names[low - 1]) if low > 0 else None
        above = self.fails.get(names[high + 1]) if high + 1 < len(names) else None
        return below, above

    def summary(self) -> str:
        """'TensorFlow >= 2.14 and <= 2.15', 'every release 2.12 to 2.21', 'no release'."""
        ranges = self.ranges
        names = registry.releases()
        if not ranges:
            return "no release"
        parts = []
        for low, high in ranges:
            if low == names[0] and high == names[-1]:
                parts.append(f"every release {low} to {high}")
            elif low == high:
                parts.append(f"TensorFlow {low} only")
            elif low == names[0]:
                parts.append(f"TensorFlow <= {high}")
            elif high == names[-1]:
                parts.append(f"TensorFlow >= {low}")
            else:
                parts.append(f"TensorFlow >= {low} and <= {high}")
        return "; ".join(parts)


@dataclass
class CompatReport:
    path: str
    written_by: str | None  # the TensorFlow release that wrote the (serving) MetaGraph
    producer: int | None
    releases: list[str]
    units: list[Unit]
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(unit.runs_on for unit in self.units)


def _errors(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity is Severity.ERROR]


def _applies(finding: Finding, unit: Unit) -> bool:
    if finding.tag_set is not None and unit.tag_set is not None and finding.tag_set != unit.tag_set:
        return False
    if finding.stage == LOAD or finding.signature is None:
        return True
    return finding.signature == unit.signature


def _units(context: CheckContext, loader: str) -> list[Unit]:
    units: list[Unit] = []
    for meta in context.meta_graphs:
        keys = [s.key for s in meta.signatures.values() if not s.internal]
        for key in keys or [None]:
            units.append(Unit(loader, tag_label(meta), key))
    return units


def compat_report(artifact: Artifact, path: str, loaders: tuple[str, ...] = LOADERS,
                  releases: list[str] | None = None) -> CompatReport:
    """The releases each signature loads and runs on, per loader."""
    from . import RULES  # registers every rule

    names = releases or registry.releases()
    units: list[Unit] = []
    for loader in loaders:
        everywhere_rules = [r for r in selected_rules(loader)
                            if r.code not in RELEASE_RULES and r.code not in INSTALLED_RULES
                            and r.severity is Severity.ERROR]
        release_rules = [RULES[code] for code in RELEASE_RULES if loader in RULES[code].targets]
        base = CheckContext(artifact=artifact, target=loader)
        loader_units = _units(base, loader)
        everywhere = _errors(run_rules(base, everywhere_rules))
        for release in names:
            context = CheckContext(artifact=artifact, target=loader, tf_version=release)
            context.__dict__["meta_graphs"] = base.meta_graphs  # the same views, reach caches included
            found = everywhere + _errors(run_rules(context, release_rules))
            for unit in loader_units:
                reason = next((f for f in found if _applies(f, unit)), None)
                if reason is None:
                    unit.runs_on.append(release)
                else:
                    where = None if reason in everywhere else release
                    unit.fails[release] = Reason(where, reason.code, reason.message)
        units.extend(loader_units)
    metas = list(artifact.meta_graphs)
    serving = next((m for m in metas if m.tag_set == {"serve"}), metas[0] if metas else None)
    notes = []
    if artifact.exports and artifact.kind is not ArtifactKind.SAVED_MODEL:
        notes.append(f"a training model_dir's graph is not what is served; its newest export is "
                     f"{artifact.exports[-1]}: run tfinspect compat on it")
    return CompatReport(path, serving.tensorflow_version if serving else None,
                        serving.producer if serving else None, list(names), units, notes)


def every_signature(report: CompatReport, loader: str = "tf-serving") -> Unit:
    """One unit for the whole export under a loader: the releases that run all of its signatures."""
    units = [unit for unit in report.units if unit.loader == loader]
    runs_on = [name for name in report.releases if all(name in unit.runs_on for unit in units)]
    fails = {}
    for unit in units:
        for name, reason in unit.fails.items():
            fails.setdefault(name, reason)
    return Unit(loader, None, None, runs_on, fails)
