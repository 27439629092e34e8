"""The vocabulary of a diff: a change, its severity, and the result that collects them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

BREAKING, COMPATIBLE, INFO = "breaking", "compatible", "info"
SEVERITIES = (BREAKING, COMPATIBLE, INFO)


@dataclass(frozen=True)
class Change:
    kind: str  # e.g. input_renamed, output_removed, op_type_added
    severity: str  # breaking | compatible | info
    message: str
    where: dict = field(default_factory=dict)  # tag_set, signature_key, alias, tensor_name, ...
    old: object = None
    new: object = None


@dataclass
class DiffResult:
    old_path: str
    new_path: str
    old_kind: str
    new_kind: str
    changes: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def breaking(self) -> list[Change]:
        return [c for c in self.changes if c.severity == BREAKING]

    def counts(self) -> dict[str, int]:
        return {s: sum(1 for c in self.changes if c.severity == s) for s in SEVERITIES}


Progress = Callable[[int, int], None]
