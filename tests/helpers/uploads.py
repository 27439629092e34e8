"""Damaged uploads: copies of real exports as a copy that is still running, or a failed upload, leaves them.

Each damage is made on a copy of a SavedModel whose ``variables/`` holds a checkpoint:

* ``shard-deleted``: the data shard is gone (the index is there);
* ``shard-half``: the data shard is cut to half its size;
* ``tail-zeroed``: the data shard has its full size but its second half is zeros (a preallocated
  file an upload never filled);
* ``index-deleted``: ``variables.index`` is gone (the data shard is there).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

DAMAGES = ("shard-deleted", "shard-half", "tail-zeroed", "index-deleted")


def data_shards(export: Path) -> list[Path]:
    return sorted((export / "variables").glob("variables.data-*"))


def damage(export: Path, how: str) -> None:
    """Damage the SavedModel at ``export`` (a copy) in place."""
    shards = data_shards(export)
    assert shards, f"{export} has no data shard to damage"
    biggest = max(shards, key=lambda p: p.stat().st_size)
    size = biggest.stat().st_size
    if how == "shard-deleted":
        biggest.unlink()
    elif how == "shard-half":
        os.truncate(biggest, size // 2)
    elif how == "tail-zeroed":
        with biggest.open("r+b") as handle:
            handle.seek(size // 2)
            handle.write(bytes(size - size // 2))
    elif how == "index-deleted":
        (export / "variables" / "variables.index").unlink()
    else:
        raise ValueError(how)


def damaged_copy(export: Path, how: str, into: Path) -> Path:
    """A damaged copy of ``export`` under ``into`` (created)."""
    target = into / how
    shutil.copytree(export, target)
    damage(target, how)
    return target
