"""The import graph points down and has no loops: the contracts in pyproject.toml, checked by import-linter."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap

from conftest import ROOT


def _lint_imports(cwd) -> subprocess.CompletedProcess:
    exe = shutil.which("lint-imports")
    assert exe, "import-linter is part of the test extra: pip install -e '.[test]'"
    return subprocess.run([exe, "--no-cache"], check=False, cwd=cwd, capture_output=True, text=True, timeout=120)


def test_the_contracts_hold():
    proc = _lint_imports(ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for name in ("imports point down", "nothing below report/ imports rich or graphviz",
                 "no import loops between the modules of a package"):
        assert f"{name} KEPT" in proc.stdout


def test_an_import_up_breaks_the_contract(tmp_path):
    """The contract can fail: a copy of the package where model/ imports report/ is refused."""
    shutil.copytree(ROOT / "inspector", tmp_path / "inspector")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / "inspector" / "model" / "totals.py"
    target.write_text(target.read_text() + textwrap.dedent("""

        def _render():
            from ..report import style  # an arrow up, hidden in a function

            return style
    """))
    code = "import sys; sys.path.insert(0, '.'); from importlinter.cli import lint_imports_command; lint_imports_command()"
    proc = subprocess.run([sys.executable, "-c", code, "--no-cache"], check=False, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "imports point down BROKEN" in proc.stdout
    assert "inspector.model.totals -> inspector.report.style" in proc.stdout
    assert "nothing below report/ imports rich or graphviz BROKEN" in proc.stdout
