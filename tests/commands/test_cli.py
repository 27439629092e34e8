"""The command registry: only the dispatched command's module is imported."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT, fixture

from inspector.commands import COMMANDS


def _modules_after(*argv: str, block: str | None = None) -> tuple[int, set[str], str]:
    """Run the CLI in a child process; return its exit status, the command modules it imported, stderr."""
    blocker = (
        "import sys, importlib.abc\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path, target=None):\n"
        f"        if name == {block!r}: raise ModuleNotFoundError('No module named ' + repr(name), name=name)\n"
        "sys.meta_path.insert(0, Block())\n"
    ) if block else ""
    code = (
        blocker
        + "import sys, contextlib, io\n"
        "from inspector.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    try: status = main({list(argv)!r})\n"
        "    except SystemExit as exc: status = exc.code\n"
        "print(status, ' '.join(m for m in sys.modules if m.startswith('inspector.commands.')))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False)
    status, _, modules = proc.stdout.strip().partition(" ")
    return int(status), set(modules.split()), proc.stderr


def test_help_imports_no_command_module():
    status, modules, _ = _modules_after("--help")
    assert status == 0
    assert modules == set()


def test_only_the_dispatched_command_is_imported():
    status, modules, _ = _modules_after("signatures", str(fixture("seed001", "mnist")))
    assert status == 0
    assert "inspector.commands.signatures" in modules
    others = {f"inspector.commands.{info.module}" for info in COMMANDS if info.name != "signatures"}
    assert not modules & others


def test_a_command_that_cannot_import_leaves_the_others_working():
    status, _, err = _modules_after("graph", str(fixture("seed003")), "-o", "-", block="graphviz")
    assert status == 2
    assert err.count("\n") == 1 and "graph command cannot start" in err and "graphviz" in err
    status, modules, err = _modules_after("show", str(fixture("seed003")), block="graphviz")
    assert status == 0, err
    assert "inspector.commands.show" in modules


def test_every_registered_command_has_a_module_with_its_entry_points():
    for info in COMMANDS:
        module = info.load()
        assert callable(module.add_arguments) and callable(module.run), info.name


def test_the_command_list_names_every_format_graph_writes():
    from inspector.report.diagram import FORMATS

    summary = next(info for info in COMMANDS if info.name == "graph").summary
    for suffix, fmt in FORMATS.items():
        if fmt is not None:
            assert fmt.upper() in summary, f"{suffix} is missing from: {summary}"
