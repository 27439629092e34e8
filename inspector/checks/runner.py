"""One check run: path and options in, findings out.  ``tfinspect check`` and ``inspector.check`` call it."""

from __future__ import annotations

import os
from collections.abc import Iterable

from ..errors import PartialSavedModel, SelectionError
from ..load import load
from ..model.artifact import Artifact, ArtifactKind
from ..source.location import as_path
from . import RULES, CheckContext, Finding, Rule, run_checks, selected_rules
from .core import run_rules


def parse_codes(text: str | Iterable[str] | None) -> list[str] | None:
    """Rule codes or prefixes, from ``"TFI1,TFI304"`` or a list; unknown ones are refused."""
    if not text:
        return None
    words = text.split(",") if isinstance(text, str) else list(text)
    codes = [c.strip().upper() for c in words if c.strip()]
    for code in codes:
        if not any(c.startswith(code) for c in RULES):
            raise SelectionError(None, f"no rule code starts with {code!r}", "tfinspect check --list-rules")
    return codes or None


def names(text: str | Iterable[str] | None) -> list[str]:
    """Tensor names from ``"a:0,b:0"`` or a list."""
    words = (text or "").split(",") if isinstance(text, str) or text is None else list(text)
    return [t.strip() for t in words if t.strip()]


def find(path: str | os.PathLike, *, version: int | None = None, target: str = "tf-serving",
         select: list[str] | None = None, ignore: list[str] | None = None, tf_version: str | None = None,
         inputs: list[str] | None = None, outputs: list[str] | None = None,
         deep: bool | None = None) -> tuple[list[Finding], list[Rule]]:
    """The findings of the rules chosen by target/select/ignore, and those rules (for SARIF)."""
    rules = selected_rules(target, select, ignore)
    try:
        artifact = load(path, version=version)
    except PartialSavedModel as exc:
        if not any(r.code == "TFI101" for r in rules):
            raise
        # The rules judge what is there: TFI101 reports the missing graph file.
        artifact = Artifact(kind=ArtifactKind.SAVED_MODEL, path=as_path(path), root=as_path(exc.path),
                            parts_without_graph=exc.parts)
    context = CheckContext(artifact=artifact, target=target, tf_version=tf_version,
                           inputs=list(inputs or []), outputs=list(outputs or []), deep=deep)
    findings = run_rules(context, rules) if rules else run_checks(context, select, ignore)
    return findings, rules
