"""A venv holding one older tensorflow-cpu release, made once and kept between runs.

    python tests/releases/release_venv.py 2.12     # prints the venv's python, creating it when missing

The venvs live under $TFINSPECT_RELEASE_VENVS (default ~/.cache/tfinspect/release-venvs),
one ``tf-X.Y`` folder per release; a ``.ready`` file marks a finished install, so an
interrupted one is made again.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path


def venvs_root() -> Path:
    default = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "tfinspect" / "release-venvs"
    return Path(os.environ.get("TFINSPECT_RELEASE_VENVS") or default)


def release_python(release: str) -> Path:
    """The venv's interpreter, after installing tensorflow-cpu==RELEASE.* into it if needed."""
    folder = venvs_root() / f"tf-{release}"
    python = folder / "bin" / "python"
    if (folder / ".ready").exists() and python.exists():
        return python
    shutil.rmtree(folder, ignore_errors=True)
    folder.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    f"tensorflow-cpu=={release}.*"], check=True, timeout=1800)
    (folder / ".ready").write_text(release + "\n")
    return python


if __name__ == "__main__":
    print(release_python(sys.argv[1]))
