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


# What --help may not import: the proto classes, the loaders, the model, the renderers, and the
# TensorFlow wheel's packages (a light module of analysis/ or checks/ that declares a choice is fine).
_NOT_FOR_HELP = ("inspector.protos", "inspector.load", "inspector.model", "inspector.checkpoint",
                 "inspector.report", "inspector.execute", "inspector.source", "inspector.tensors",
                 "tensorflow", "google.protobuf", "numpy", "rich", "graphviz")


def _imported_by_help(*argv: str, block_tensorflow: bool = False) -> tuple[int, str, set[str]]:
    code = (
        "import sys, contextlib, io\n"
        + ("sys.modules['tensorflow'] = None\n" if block_tensorflow else "")
        + "out = io.StringIO()\n"
        "from inspector.cli import main\n"
        "with contextlib.redirect_stdout(out):\n"
        "    try:\n"
        f"        main({list(argv)!r})\n"
        "    except SystemExit as exc:\n"
        "        status = exc.code\n"
        "print(status, file=sys.stderr)\n"
        f"print(' '.join(m for m in sys.modules if m.startswith({_NOT_FOR_HELP!r})))\n"
        "print(out.getvalue().splitlines()[0], file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False)
    assert proc.returncode == 0, proc.stderr
    status, usage = proc.stderr.splitlines()[:2]
    return int(status), usage, set(proc.stdout.split())


def _command_names() -> list[str]:
    from inspector.commands import COMMANDS

    return [info.name for info in COMMANDS]


@pytest.mark.parametrize("argv", [("--help",), *[(name, "--help") for name in _command_names()]])
def test_help_imports_no_loader_model_or_renderer(argv):
    status, usage, loaded = _imported_by_help(*argv)
    assert status == 0
    assert usage.startswith("usage: tfinspect")
    assert loaded == set()


@pytest.mark.parametrize("argv", [("--help",), ("show", "--help"), ("check", "--help")])
def test_help_works_without_tensorflow(argv):
    status, usage, _ = _imported_by_help(*argv, block_tensorflow=True)
    assert (status, usage.split()[:2]) == (0, ["usage:", "tfinspect"])


def test_without_tensorflow_a_command_says_what_to_install():
    code = ("import sys, runpy\nsys.modules['tensorflow'] = None\n"
            "sys.argv = ['tfinspect', 'show', sys.argv[1]]\nrunpy.run_module('inspector', run_name='__main__')\n")
    proc = subprocess.run([sys.executable, "-c", code, str(fixture("seed003", "SavedModel"))],
                          capture_output=True, text=True, cwd=ROOT, check=False)
    assert proc.returncode == 2
    assert proc.stdout == ""
    [line] = proc.stderr.splitlines()
    assert line.startswith("tfinspect: error: ") and "pip install" in line and "tensorflow" in line
