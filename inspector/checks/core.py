"""The rule catalogue: stable codes, severities, targets, and the engine that runs them.

A rule is a function that looks at a CheckContext and yields Issues; the
engine stamps each with its rule's code and severity.  Codes never change
meaning once published; `tfinspect check --explain CODE` prints a rule's
explanation, `--select` / `--ignore` take codes or code prefixes.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from ..display import Displayed

TARGETS = ("tf-serving", "vertex", "python", "python-v1")
# The loaders `tfinspect compat` judges (vertex loads as tf-serving does).
LOADERS = ("python", "python-v1", "tf-serving")
SERVING = frozenset({"tf-serving", "vertex"})
EVERY_TARGET = frozenset(TARGETS)
# What each target means, word for word in `check --explain TARGET`, `--help` and the README.
TARGET_MEANING = {
    "python": "tf.saved_model.load(path) (the TF2 API), then calling .signatures[key]",
    "python-v1": "tf.compat.v1.saved_model.loader.load(session, tags, path) for each MetaGraph, then "
                 "Session.run of each signature's outputs fed its inputs",
    "tf-serving": "TF Serving: its C++ loader (which loads like python-v1, MetaGraph {serve} only) plus what "
                  "its Predict, Classify, Regress and REST APIs require",
    "vertex": "Vertex AI prediction: tf-serving plus Vertex AI's request rules (base64 only under *_bytes aliases)",
}
LOAD, RUN = "load", "run"
# Rule families a selection can name instead of codes: `check --select security`.
FAMILIES = {"SECURITY": "TFI8"}
SECURITY = FAMILIES["SECURITY"]


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 0, "warning": 1, "info": 2}[self.value]


@dataclass(frozen=True)
class Issue:
    """What a rule found: one line naming the place, and how to fix it."""

    message: str
    hint: str
    tag_set: str | None = None  # "serve" or "serve,gpu"; None for the whole artifact
    signature: str | None = None
    location: str | None = None  # the node, tensor or alias concerned
    severity: Severity | None = None  # overrides the rule's default when set
    stage: str | None = None  # "load" or "run": where TensorFlow fails; default: run when a signature is named


@dataclass(frozen=True)
class Finding(Displayed):
    code: str
    severity: Severity
    message: str
    hint: str
    tag_set: str | None
    signature: str | None
    location: str | None
    rule: str  # the rule's short name
    stage: str = LOAD  # "load": the model does not load; "run": the signature named fails when it runs
    # Repeats of one rule at one place with one fix, folded into this finding: (location, message)
    # of every one of them, this finding's own first; empty when it stands alone.
    places: tuple[tuple[str | None, str], ...] = ()

    @property
    def count(self) -> int:
        """How many places this finding stands for (1 unless repeats were folded into it)."""
        return len(self.places) or 1

    def each(self) -> list[Finding]:
        """One finding per place: what a folded finding stands for, for SARIF and callers that count."""
        if not self.places:
            return [self]
        return [replace(self, location=location, message=message, places=()) for location, message in self.places]

    def __repr__(self) -> str:
        where = "/".join(p for p in ("{" + self.tag_set + "}" if self.tag_set else "", self.signature or "") if p)
        times = f" x{self.count}" if self.count > 1 else ""
        return (f"<Finding {self.code} {self.severity.value}{times}{' at ' + repr(where) if where else ''}: "
                f"{self.message!r}>")



@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity
    summary: str
    explanation: str
    targets: frozenset[str]
    check: Callable = field(repr=False, compare=False)


RULES: dict[str, Rule] = {}


def rule(code: str, name: str, severity: Severity, summary: str, *,
         targets: Iterable[str] = EVERY_TARGET, explanation: str = ""):
    """Register a check function under a stable code."""

    def register(function: Callable) -> Callable:
        if code in RULES:
            raise ValueError(f"rule code {code} is registered twice")
        text = explanation or (function.__doc__ or summary)
        RULES[code] = Rule(code, name, severity, summary, _dedent(text), frozenset(targets), function)
        return function

    return register


def _dedent(text: str) -> str:
    import textwrap

    lines = text.strip("\n").splitlines()
    if not lines:
        return ""
    return (lines[0].strip() + "\n" + textwrap.dedent("\n".join(lines[1:]))).strip()


def _matches(code: str, patterns: Iterable[str]) -> bool:
    return any(code.startswith(p.strip().upper()) for p in patterns if p.strip())


def selected_rules(target: str, select: list[str] | None = None, ignore: list[str] | None = None) -> list[Rule]:
    result = []
    for code in sorted(RULES):
        item = RULES[code]
        if target not in item.targets:
            continue
        if select and not _matches(code, select):
            continue
        if ignore and _matches(code, ignore):
            continue
        result.append(item)
    return result


def fails(findings, strict: bool = False) -> bool:
    """Whether these findings make `check` exit 1: an error, any security finding, a warning under --strict.

    A security finding (TFI8xx) fails whatever its severity: the gate asks "may this
    model touch the file system or the network?", and every finding answers yes.
    """
    return any(f.severity is Severity.ERROR or f.code.startswith(SECURITY)
               or (strict and f.severity is Severity.WARNING) for f in findings)


def run_rules(context, rules: list[Rule]) -> list[Finding]:
    findings: list[Finding] = []
    seen: set[tuple] = set()
    for item in rules:
        for issue in item.check(context):
            stage = issue.stage or (RUN if issue.signature else LOAD)
            finding = Finding(item.code, issue.severity or item.severity, issue.message, issue.hint,
                              issue.tag_set, issue.signature, issue.location, item.name, stage)
            key = (finding.code, finding.tag_set, finding.signature, finding.location, finding.message)
            if key not in seen:
                seen.add(key)
                findings.append(finding)
    findings.sort(key=lambda f: (f.severity.rank, f.tag_set or "", f.signature or "", f.code, f.message))
    return fold_repeats(findings)


def fold_repeats(findings: list[Finding]) -> list[Finding]:
    """Fold the findings of one rule at one place (tag-set, signature, stage) with one fix into one
    finding that lists every location: 28 file-system ops are one warning with 28 places."""
    groups: dict[tuple, list[Finding]] = {}
    for finding in findings:
        key = (finding.code, finding.severity, finding.tag_set, finding.signature, finding.stage, finding.hint)
        groups.setdefault(key, []).append(finding)
    folded = []
    for members in groups.values():
        first = members[0]
        if len(members) == 1:
            folded.append(first)
        else:
            folded.append(replace(first, places=tuple((m.location, m.message) for m in members)))
    return folded
