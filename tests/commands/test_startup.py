"""Start-up loads only what the command needs: no numpy, graphviz or rule modules to list things."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import ROOT, fixture

HEAVY = ("numpy", "ml_dtypes", "graphviz", "inspector.checks")


def _heavy_modules_after(*argv: str) -> set[str]:
    code = (
        "import sys, contextlib, io\n"
        "from inspector.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    status = main({list(argv)!r})\n"
        "assert status == 0, status\n"
        f"print(' '.join(m for m in sys.modules if m.split('.')[0] in {HEAVY!r} or m.startswith({HEAVY!r})))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False)
    assert proc.returncode == 0, proc.stderr
    return set(proc.stdout.split())


@pytest.mark.parametrize("argv", [
    ("show", "keras_export"),  # reads the checkpoint's object graph (a string tensor)
    ("show", "seed003/SavedModel"),  # measures string constants
    ("ops", "keras_export", "--functions"),
    ("ckpt", "keras_export"),  # the listing and the audit against the graph
    ("variables", "tf2_module"),
])
def test_listing_commands_load_no_heavy_module(argv):
    command, path, *rest = argv
    assert _heavy_modules_after(command, str(fixture(*path.split("/"))), *rest) == set()


def test_values_still_load_numpy():
    loaded = _heavy_modules_after("ckpt", str(fixture("ckpt_dtypes")), "--stats")
    assert "numpy" in loaded
