"""One check run: path and options in, findings out.  ``tfinspect check`` and ``inspector.check`` call it."""

from __future__ import annotations

import os
from collections.abc import Iterable

from ..errors import PartialSavedModel, SelectionError
from ..load import load
from ..model.artifact import Artifact, ArtifactKind
from ..source.location import as_path
from . import RULES, CheckContext, Finding, Rule, selected_rules
from .core import FAMILIES, run_rules


def parse_codes(text: str | Iterable[str] | None) -> list[str] | None:
    """Rule codes, prefixes or families (``security``), from ``"TFI1,TFI304"`` or a list; unknown ones are refused."""
    if not text:
        return None
    words = text.split(",") if isinstance(text, str) else list(text)
    codes = [FAMILIES.get(c.strip().upper(), c.strip().upper()) for c in words if c.strip()]
    for code in codes:
        if code == "TFI503":
            raise SelectionError(None, "rule TFI503 (file-system-op) is now the security family TFI801-TFI806",
                                 "use --select security (or TFI8)")
        if not any(c.startswith(code) for c in RULES):
            raise SelectionError(None, f"no rule code starts with {code!r}",
                                 "tfinspect check --list-rules; families: " + ", ".join(f.lower() for f in FAMILIES))
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
    artifact = load_for_check(path, rules, version=version)
    return check_artifact(artifact, rules, target=target, tf_version=tf_version, inputs=inputs,
                          outputs=outputs, deep=deep), rules


def load_for_check(path: str | os.PathLike, rules: list[Rule], *, version: int | None = None) -> Artifact:
    """The artifact the rules judge: with TFI101 among them, also a SavedModel folder without its graph file."""
    try:
        return load(path, version=version)
    except PartialSavedModel as exc:
        if not any(r.code == "TFI101" for r in rules):
            raise
        # The rules judge what is there: TFI101 reports the missing graph file.
        return Artifact(kind=ArtifactKind.SAVED_MODEL, path=as_path(path), root=as_path(exc.path),
                        parts_without_graph=exc.parts)


def check_artifact(artifact: Artifact, rules: list[Rule], *, target: str = "tf-serving",
                   tf_version: str | None = None, inputs: list[str] | None = None,
                   outputs: list[str] | None = None, deep: bool | None = None) -> list[Finding]:
    """The findings of ``rules`` on a loaded artifact."""
    context = CheckContext(artifact=artifact, target=target, tf_version=tf_version,
                           inputs=list(inputs or []), outputs=list(outputs or []), deep=deep)
    return run_rules(context, rules) if rules else []
