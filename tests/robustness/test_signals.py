"""Stopping tfinspect stops everything it started: checked from the outside, in /proc.

Each test starts tfinspect (or a script using the Python API or a process pool) with a
marker in its environment, which every process it starts inherits, waits until the
child it is about is busy, sends a signal, and then requires that no live process with
the marker remains: not Graphviz ``dot``, not the TensorFlow child of ``run``, not a
grandchild, not a pool worker, not the keeper.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from conftest import ROOT, fixture

from inspector import children
from inspector.report import render

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads /proc (Linux)")]

MARK = "TFINSPECT_SIGNAL_TEST"
HANDLED = {"SIGINT": 130, "SIGTERM": 143, "SIGHUP": 129}


@pytest.fixture(scope="module")
def slow(tmp_path_factory) -> Path:
    """tangle.pb (a layout dot needs minutes for) and loop/ (a signature that never ends)."""
    out = tmp_path_factory.mktemp("slow")
    proc = subprocess.run([sys.executable, str(ROOT / "tests" / "helpers" / "slow_models.py"), str(out)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


def _ours(mark: str) -> list[tuple[int, str]]:
    """Live processes (not zombies) whose environment holds the marker: (pid, command line)."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            environ = Path(entry.path, "environ").read_bytes().split(b"\0")
            state = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()[0]
            command = Path(entry.path, "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if f"{MARK}={mark}".encode() in environ and state != "Z":
            found.append((int(entry.name), command.strip()))
    return found


class Started:
    """A process started with a fresh marker, and a temporary folder of its own."""

    def __init__(self, argv: list[str], tmp: Path, extra_env: dict[str, str] | None = None):
        self.mark = uuid.uuid4().hex
        self.tmp = tmp / "tmp"
        self.tmp.mkdir()
        env = {**os.environ, MARK: self.mark, "TMPDIR": str(self.tmp), **(extra_env or {})}
        self.proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)

    def others(self) -> list[tuple[int, str]]:
        return [(pid, command) for pid, command in _ours(self.mark) if pid != self.proc.pid]

    def wait_for(self, what: str, count: int = 1, loaded: str | None = None, timeout: float = 120) -> list[int]:
        """The pids of ``count`` processes whose command line holds ``what`` (and which mapped ``loaded``)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.proc.communicate()
            pids = [pid for pid, command in self.others() if what in command and _maps(pid, loaded)]
            if len(pids) >= count:
                return pids
            time.sleep(0.05)
        raise AssertionError(f"no {what} started within {timeout} s: {self.others()}")

    def stop(self, name: str) -> tuple[int, str, str]:
        self.proc.send_signal(getattr(signal, name))
        out, err = self.proc.communicate(timeout=30)
        return self.proc.returncode, out, err

    def assert_nothing_left(self, timeout: float = 5) -> None:
        deadline = time.monotonic() + timeout
        while (left := _ours(self.mark)) and time.monotonic() < deadline:
            time.sleep(0.05)
        if left:
            for pid, _ in left:  # do not leave them to the next test either
                os.kill(pid, signal.SIGKILL)
        assert left == [], f"still running {timeout} s after tfinspect ended: {left}"


def _maps(pid: int, library: str | None) -> bool:
    if library is None:
        return True
    try:
        return library in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


def _tfinspect(*args) -> list[str]:
    return [sys.executable, "-m", "inspector", *map(str, args)]


def _assert_stopped(name: str, status: int, out: str, err: str) -> None:
    if name == "SIGKILL":
        assert status == -signal.SIGKILL
    else:
        assert (status, out, err) == (HANDLED[name], "", f"tfinspect: stopped by {name}\n")


@pytest.mark.parametrize("name", ["SIGINT", "SIGTERM", "SIGHUP", "SIGKILL"])
def test_stopping_graph_stops_dot(slow, tmp_path, name):
    out = tmp_path / "out"
    out.mkdir()
    started = Started(_tfinspect("graph", slow / "tangle.pb", "--max-nodes", "5000", "--timeout", "600",
                                 "-o", out / "model.svg"), tmp_path)
    started.wait_for("dot -Tsvg")
    _assert_stopped(name, *started.stop(name))
    started.assert_nothing_left()
    assert list(out.iterdir()) == []  # no model.svg, no half-written .model.svg.*.tmp


@pytest.mark.parametrize("name", ["SIGINT", "SIGTERM", "SIGKILL"])
def test_stopping_run_stops_the_tensorflow_child(slow, tmp_path, name):
    body = tmp_path / "body.json"
    body.write_text(json.dumps({"instances": [1.0, 2.0]}))
    started = Started(_tfinspect("run", slow / "loop", "--input", body), tmp_path)
    started.wait_for("inspector.execute.child", loaded="libtensorflow_framework")
    time.sleep(0.5)  # into the model's loop
    _assert_stopped(name, *started.stop(name))
    started.assert_nothing_left()
    assert list(started.tmp.iterdir()) == []  # the job's tfinspect-run-* folder is gone, even after SIGKILL


@pytest.mark.parametrize("name", ["SIGTERM", "SIGKILL"])
def test_what_a_child_started_goes_with_it(tmp_path, name):
    """A `dot` that starts a program of its own: the whole process group goes, not only dot."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "dot").write_text("#!/bin/sh\nsleep 300 &\nexec sleep 301\n")
    (bin_dir / "dot").chmod(0o755)
    started = Started(_tfinspect("graph", fixture("seed003", "SavedModel"), "-o", tmp_path / "m.svg"), tmp_path,
                      {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"})
    started.wait_for("sleep 300")
    started.wait_for("sleep 301")
    _assert_stopped(name, *started.stop(name))
    started.assert_nothing_left()


API_SCRIPT = """
import signal, sys, time
import inspector

drawing = inspector.graph(sys.argv[1], max_nodes=5000, timeout=600)
try:
    drawing.svg()
except KeyboardInterrupt:
    print("interrupted", signal.getsignal(signal.SIGTERM) is signal.SIG_DFL, flush=True)
    time.sleep(300)
"""


def test_api_graph_interrupted_stops_dot_without_a_signal_handler(slow, tmp_path):
    """KeyboardInterrupt in inspector.graph(...).svg() stops dot; the API sets no handler of its own."""
    started = Started([sys.executable, "-c", API_SCRIPT, str(slow / "tangle.pb")], tmp_path)
    started.wait_for("dot -Tsvg")
    started.proc.send_signal(signal.SIGINT)
    assert started.proc.stdout.readline() == "interrupted True\n"
    # The script goes on (sleeping): dot must already be gone; only the idle keeper remains.
    deadline = time.monotonic() + 5
    while (left := started.others()) and any("children.py --keep" not in command for _, command in left) \
            and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [command for _, command in left if "children.py --keep" not in command] == []
    started.stop("SIGKILL")
    started.assert_nothing_left()


def test_api_graph_in_a_process_killed_by_sigterm_stops_dot(slow, tmp_path):
    started = Started([sys.executable, "-c", API_SCRIPT, str(slow / "tangle.pb")], tmp_path)
    started.wait_for("dot -Tsvg")
    status, _, _ = started.stop("SIGTERM")
    assert status == -signal.SIGTERM  # Python's default action: the API left SIGTERM alone
    started.assert_nothing_left()


POOL_SCRIPT = """
import functools, sys
from inspector import children

if __name__ == "__main__":
    with children.signals_stop_children():
        try:
            with children.process_pool(2) as pool:
                jobs = [pool.submit(functools.partial(children.run, ["sleep", str(300 + i)])) for i in range(2)]
                [job.result() for job in jobs]
        except children.Interrupted as exc:
            sys.exit(exc.status)
"""


@pytest.mark.parametrize("name", ["SIGTERM", "SIGKILL"])
def test_pool_workers_and_their_children_die_with_the_pool_owner(tmp_path, name):
    script = tmp_path / "pool.py"
    script.write_text(POOL_SCRIPT)
    started = Started([sys.executable, str(script)], tmp_path)
    started.wait_for("sleep 300")
    started.wait_for("sleep 301")
    status, _, err = started.stop(name)
    assert status == (-signal.SIGKILL if name == "SIGKILL" else 143), err
    started.assert_nothing_left()


def test_a_write_interrupted_leaves_no_partial_file(tmp_path, monkeypatch):
    def interrupted(*_):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        render.write_atomic(tmp_path / "model.svg", b"<svg/>")
    assert list(tmp_path.iterdir()) == []
    assert children._temporary == set()


def test_a_signal_removes_registered_temporaries_and_stops_children(tmp_path):
    """The handler itself, in this process: the child's group is killed and the file removed before it raises."""
    temp = tmp_path / "half-written"
    temp.write_bytes(b"x")
    children.remember_temporary(temp)
    proc = children.start(["sleep", "300"])
    try:
        with children.signals_stop_children(), pytest.raises(children.Interrupted) as caught:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the handler raises here
        assert caught.value.status == 143
        assert proc.wait(timeout=5) == -signal.SIGKILL
        assert not temp.exists()
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the previous handler is back
    finally:
        children.stop(proc)


def test_a_pool_that_is_not_stopped_does_its_work_and_leaves_no_worker(tmp_path):
    script = tmp_path / "work.py"
    script.write_text("from inspector import children\n"
                      "if __name__ == '__main__':\n"
                      "    with children.process_pool(2) as pool:\n"
                      "        print(list(pool.map(abs, [-1, -2, -3])), flush=True)\n")
    started = Started([sys.executable, str(script)], tmp_path)
    out, err = started.proc.communicate(timeout=60)
    assert (started.proc.returncode, out) == (0, "[1, 2, 3]\n"), err
    started.assert_nothing_left()


STARTERS = {
    "subprocess": {"Popen", "run", "call", "check_call", "check_output", "getoutput", "getstatusoutput"},
    "os": {"system", "popen", "fork", "forkpty", "posix_spawn", "posix_spawnp", "spawnv", "spawnve", "spawnvp",
           "spawnl", "spawnlp", "execv", "execve", "execvp"},
    "multiprocessing": {"Process", "Pool", "get_context"},
    "futures": {"ProcessPoolExecutor"},
}


def test_every_child_is_started_by_children_py():
    """A program started any other way would not die with tfinspect: only inspector/children.py starts one."""
    import ast

    found = []
    for path in sorted((ROOT / "inspector").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                hit = node.attr in STARTERS.get(node.value.id, ())
            elif isinstance(node, ast.ImportFrom):
                module = (node.module or "").split(".")[-1]
                hit = any(alias.name in STARTERS.get(module, ()) for alias in node.names)
            else:
                hit = isinstance(node, ast.Import) and any(a.name == "multiprocessing" for a in node.names)
            if hit:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found and {place.split(":")[0] for place in found} == {"inspector/children.py"}, found
