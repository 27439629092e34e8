"""Model registries for the audit tests, made of hard links to real exports (no disk cost)."""

from __future__ import annotations

import os
from pathlib import Path

from inspector.fleet.rows import audit_task


def link_tree(source: Path, target: Path) -> Path:
    """``target`` with the same files as ``source``, hard-linked (copied where linking is refused)."""
    for folder, _, files in os.walk(source):
        relative = Path(folder).relative_to(source)
        (target / relative).mkdir(parents=True, exist_ok=True)
        for name in files:
            try:
                os.link(Path(folder) / name, target / relative / name)
            except OSError:
                (target / relative / name).write_bytes((Path(folder) / name).read_bytes())
    return target


def dies_on_crash(task, verdicts):
    """The audit's task function, except that an artifact named ``crash`` kills its worker process."""
    if task[1].path.endswith("crash"):
        os._exit(9)
    return audit_task(task, verdicts)
