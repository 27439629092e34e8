"""Child processes that end when tfinspect ends, however it ends.

Every program tfinspect starts (Graphviz ``dot``, the TensorFlow child of ``run``, the
workers of a process pool) is started through this module, which makes three promises:

- **SIGINT, SIGTERM, SIGHUP**: inside :func:`signals_stop_children` (the command line
  runs every command in it) the signal stops every live child with its whole process
  tree, removes the registered temporary files, and raises :class:`Interrupted`, which
  the command line turns into one stderr line and exit status 128 + the signal number
  (130, 143, 129).
- **SIGKILL, or any death**: on Linux each child asks the kernel, between ``fork`` and
  ``exec``, to be sent SIGKILL when its parent dies (``prctl(PR_SET_PDEATHSIG)``).  And
  a *keeper*, a small process started with the first child, holds a pipe from tfinspect:
  when tfinspect is gone, however it went, the pipe closes and the keeper kills the
  process group of every child still registered, which also stops what a child started
  in turn (PDEATHSIG alone does not: the kernel clears it across ``fork``).  The keeper
  works on every POSIX system, so on macOS too a SIGKILL of tfinspect stops its
  children, within a few milliseconds.
- **An exception** (KeyboardInterrupt in a notebook, a timeout, a bug) while waiting for
  a child stops its process group before the exception goes on.

Each child runs in a session of its own, so its process group holds its whole tree and
a Ctrl-C typed at the terminal reaches tfinspect only, which then stops the children.

This module sits on the ground floor: it imports nothing from the package, so every
layer (``report/`` for Graphviz, ``execute/`` for ``run``, a command's process pool) can
use it.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import subprocess
    from concurrent.futures import ProcessPoolExecutor

# The signals that stop tfinspect cleanly; the exit status is 128 + the signal number.
STOPPING = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>

_live: dict[int, subprocess.Popen] = {}  # pid (= process group id) -> the child
_pools: set[ProcessPoolExecutor] = set()
_temporary: set[str] = set()
_keeper: subprocess.Popen | None = None
_keeper_owner = 0
_keeper_lock = threading.Lock()
_prctl_function = None


class Interrupted(BaseException):
    """tfinspect was asked to stop by a signal; its children are already stopped.

    A BaseException, as KeyboardInterrupt is, so that no ``except Exception`` swallows it.
    """

    def __init__(self, signum: int):
        self.signum = signum
        self.status = 128 + signum
        super().__init__(f"stopped by {signal.Signals(signum).name}")


# -- dying with the parent -----------------------------------------------------------------------------------


def _prctl():
    """libc's prctl on Linux (looked up once, before any fork), else None."""
    global _prctl_function
    if _prctl_function is None and sys.platform.startswith("linux"):
        import ctypes

        try:
            function = ctypes.CDLL(None, use_errno=True).prctl
        except (OSError, AttributeError):
            function = False
        else:
            function.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
            function.restype = ctypes.c_int
        _prctl_function = function
    return _prctl_function or None


def die_with_parent(parent_pid: int | None = None) -> bool:
    """Ask the kernel to SIGKILL this process when its parent ends (Linux); True if it will.

    Call it first thing in a child: as the ``initializer`` of a process pool, with
    ``initargs=(os.getpid(),)`` given in the parent, or between fork and exec (what
    :func:`start` does).  With ``parent_pid``, a parent that died before the request was
    made (the child has already been handed to another process) stops this process at
    once, so the race between fork and prctl cannot leave it behind.

    The kernel sends the signal when the *thread* that started the child ends, not the
    whole parent process: start children from a thread that outlives them (tfinspect
    starts them from the thread that waits for them).  It returns False on other
    systems, where the keeper (see the module's notes) is what stops children.
    """
    prctl = _prctl()
    if prctl is None or prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        return False
    if parent_pid is not None and os.getppid() != parent_pid:
        os.kill(os.getpid(), signal.SIGKILL)
    return True


# -- starting and stopping children --------------------------------------------------------------------------


def start(argv: list[str], **popen_options) -> subprocess.Popen:
    """``subprocess.Popen(argv, ...)`` in a session of its own, dying with tfinspect, registered."""
    import subprocess

    parent = os.getpid()
    preexec = (lambda: die_with_parent(parent)) if _prctl() else None
    _ensure_keeper()
    # The preexec function makes one prctl call through a function looked up before the fork: it takes
    # no lock a thread of the parent could hold, which is what makes preexec_fn unsafe with threads.
    proc = subprocess.Popen(argv, start_new_session=True, preexec_fn=preexec, **popen_options)  # noqa: PLW1509
    _live[proc.pid] = proc
    _tell_keeper(f"+g {proc.pid}")
    return proc


def run(argv: list[str], *, input: bytes | str | None = None, timeout: float | None = None,
        text: bool = False, env: dict[str, str] | None = None, cwd: str | os.PathLike | None = None,
        ) -> subprocess.CompletedProcess:
    """``subprocess.run(argv, capture_output=True)``, the child started with :func:`start`.

    On a timeout (``subprocess.TimeoutExpired``), a signal or any other exception, the
    child's whole process group is stopped before the exception goes on; after a normal
    exit, what the child left running in its group is stopped too.
    """
    import subprocess

    proc = start(argv, stdin=subprocess.DEVNULL if input is None else subprocess.PIPE, stdout=subprocess.PIPE,
                 stderr=subprocess.PIPE, text=text, env=env, cwd=cwd)
    try:
        out, err = proc.communicate(input, timeout=timeout)
    finally:
        stop(proc)
    return subprocess.CompletedProcess(argv, proc.returncode, out, err)


def stop(proc: subprocess.Popen) -> None:
    """Kill the child's process group (the child and all it started) and reap the child."""
    _kill_group(proc.pid)
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()
    proc.wait()
    _forget(proc.pid)


def _kill_group(pgid: int) -> None:
    killpg = getattr(os, "killpg", None)  # POSIX; elsewhere only the child itself can be stopped
    try:
        if killpg is not None:
            killpg(pgid, signal.SIGKILL)
        else:
            os.kill(pgid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        pass


def _forget(pid: int) -> None:
    if _live.pop(pid, None) is not None:
        _tell_keeper(f"-g {pid}")


def stop_all() -> None:
    """Kill every live child's process group and every pool's workers; safe inside a signal handler.

    It takes no lock and waits for nothing: the code that started each child reaps it
    when the exception raised after this unwinds through it.
    """
    for pgid in list(_live):
        _kill_group(pgid)
    for pool in list(_pools):
        _kill_workers(pool)


# -- the keeper ------------------------------------------------------------------------------------------------

def _keep() -> None:
    """The keeper (``python -I -S children.py --keep``): stop what is registered once tfinspect is gone.

    It reads "+g PGID" / "-g PGID" (a child's process group) and "+t PATH" / "-t PATH" (a
    temporary file or folder, as JSON) until its stdin closes, which happens when
    tfinspect has ended, however it ended; then it kills the groups and removes the
    paths still registered.  -I -S: no site, no environment variables, no folder of the
    package on the path; it needs the standard library only.
    """
    import json

    for signum in STOPPING:  # tfinspect decides; its end is what stops the keeper
        signal.signal(signum, signal.SIG_IGN)
    groups: set[int] = set()
    paths: set[str] = set()
    for line in sys.stdin:
        try:
            chosen, value = (groups, int(line[3:])) if line[1:2] == "g" else (paths, json.loads(line[3:]))
        except ValueError:
            continue
        if line[:1] == "+":
            chosen.add(value)
        else:
            chosen.discard(value)
    for pgid in groups:
        _kill_group(pgid)
    for path in paths:
        _remove(path)


def _ensure_keeper() -> None:
    """Start the keeper once per process (a forked process gets its own: it does not own its parent's)."""
    global _keeper, _keeper_owner
    import subprocess

    with _keeper_lock:
        if _keeper is not None and _keeper_owner == os.getpid():
            return
        _keeper = subprocess.Popen([sys.executable, "-I", "-S", os.path.abspath(__file__), "--keep"],
                                   stdin=subprocess.PIPE,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   start_new_session=True, text=True, bufsize=1)
        _keeper_owner = os.getpid()


def _tell_keeper(line: str) -> None:
    keeper = _keeper
    if keeper is None or keeper.stdin is None or _keeper_owner != os.getpid():
        return
    try:
        with _keeper_lock:
            keeper.stdin.write(line + "\n")
    except (OSError, ValueError):  # the keeper is gone: PDEATHSIG still holds on Linux
        pass


# -- process pools -----------------------------------------------------------------------------------------------


@contextmanager
def process_pool(max_workers: int | None = None, *, preload: tuple[str, ...] = (),
                 max_tasks_per_child: int | None = None) -> Iterator[ProcessPoolExecutor]:
    """A ``ProcessPoolExecutor`` whose workers die with tfinspect.

    Workers are started with the ``spawn`` method (a fresh interpreter, safe in a process
    with threads) and :func:`worker_initializer`.  With ``preload`` (module names) they
    are forked instead from a fork server that imported those modules once (see
    :func:`start_fork_server`), so a worker costs no imports of its own; the fork server
    ends when tfinspect does, and its workers with it.  ``max_tasks_per_child`` replaces
    a worker after that many tasks.  A signal inside :func:`signals_stop_children` kills
    the workers; an exception leaving the ``with`` block kills them and cancels what is
    queued; a normal exit waits for the work, as the executor's own ``with`` does.  A
    worker that starts a program should do it with :func:`run` or :func:`start`, so that
    the program dies with the worker.
    """
    from concurrent.futures import ProcessPoolExecutor

    context = _pool_context(preload)
    # A forked worker's parent is the fork server, which lives as long as any worker does: the
    # worker watches this process instead.
    forked = context.get_start_method() == "forkserver"
    initargs = (None, os.getpid()) if forked else (os.getpid(),)
    pool = ProcessPoolExecutor(max_workers, mp_context=context, initializer=worker_initializer,
                               initargs=initargs, max_tasks_per_child=max_tasks_per_child)
    _pools.add(pool)
    try:
        yield pool
    except BaseException:
        _kill_workers(pool)
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    else:
        pool.shutdown(wait=True)
    finally:
        _pools.discard(pool)


def _pool_context(preload: tuple[str, ...]):
    import multiprocessing

    if preload and "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(list(preload))
        return context
    return multiprocessing.get_context("spawn")


def start_fork_server(preload: tuple[str, ...]) -> None:
    """Start the fork server of ``process_pool(preload=...)`` now, so that it imports ``preload``
    while this process does other work (a no-op where there is no fork server)."""
    if _pool_context(preload).get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


def worker_initializer(parent_pid: int | None, owner_pid: int | None = None) -> None:
    """The initializer of a pool's workers: ``initializer=worker_initializer, initargs=(os.getpid(),)``.

    The worker leaves the terminal's process group (a Ctrl-C reaches tfinspect, which
    stops the workers, instead of printing a KeyboardInterrupt traceback from each) and
    dies with its parent (:func:`die_with_parent`).  ``parent_pid`` is the process that
    creates the pool, which is the workers' parent with the ``spawn`` and ``fork`` start
    methods; None with ``forkserver``, whose server is their parent and outlives tfinspect
    as long as a worker lives: the worker then watches ``owner_pid``, the process that
    created the pool, and ends when it ends (:func:`die_with`).
    """
    os.setsid()
    if parent_pid is not None:
        die_with_parent(parent_pid)
    if owner_pid is not None:
        die_with(owner_pid)


def die_with(pid: int) -> None:
    """End this process (SIGKILL) when process ``pid`` ends, which need not be its parent.

    A daemon thread waits on a pidfd (Linux 5.3 and later) or, elsewhere, checks every
    half second; a process already gone ends this one at once."""
    import time

    try:
        handle = os.pidfd_open(pid)
    except ProcessLookupError:
        os.kill(os.getpid(), signal.SIGKILL)
        return
    except (AttributeError, OSError):
        handle = None

    def watch() -> None:
        if handle is not None:
            import select

            select.select([handle], [], [])  # readable once the process has ended
        else:
            while True:
                time.sleep(0.5)
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                except PermissionError:
                    continue
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=watch, name="die-with", daemon=True).start()


def _kill_workers(pool: ProcessPoolExecutor) -> None:
    workers = getattr(pool, "_processes", None) or {}  # pid -> Process; the executor offers no public list
    for pid in list(workers):  # each worker leads its own process group, once worker_initializer ran
        _kill_group(pid)
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


# -- temporary files ---------------------------------------------------------------------------------------------


def remember_temporary(path: str | os.PathLike) -> None:
    """Remove this file or folder if a signal stops tfinspect before :func:`forget_temporary`.

    With a keeper running (one is, once a child or a :func:`temporary_directory` was
    started), it is removed after a SIGKILL too.
    """
    import json

    _temporary.add(os.fspath(path))
    _tell_keeper(f"+t {json.dumps(os.fspath(path))}")


def forget_temporary(path: str | os.PathLike) -> None:
    import json

    _temporary.discard(os.fspath(path))
    _tell_keeper(f"-t {json.dumps(os.fspath(path))}")


@contextmanager
def temporary_directory(prefix: str) -> Iterator[Path]:
    """A new folder in the system's temporary directory, removed on leaving, on an exception or a signal."""
    import shutil
    import tempfile

    _ensure_keeper()
    path = tempfile.mkdtemp(prefix=prefix)
    remember_temporary(path)
    try:
        yield Path(path)
    finally:
        forget_temporary(path)
        shutil.rmtree(path, ignore_errors=True)


def remove_temporaries() -> None:
    """Remove every registered temporary file and folder (what a signal does)."""
    for path in list(_temporary):
        _remove(path)
        _temporary.discard(path)


def _remove(path: str) -> None:
    import shutil

    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        try:
            os.unlink(path)
        except OSError:
            pass


# -- signals -------------------------------------------------------------------------------------------------------


@contextmanager
def signals_stop_children() -> Iterator[None]:
    """Within this block SIGINT, SIGTERM and SIGHUP stop the children and raise :class:`Interrupted`.

    The previous handlers come back on leaving.  A signal ignored when the block starts
    (``nohup`` ignores SIGHUP, a shell's background job SIGINT) stays ignored.  Outside
    the main thread, where Python cannot set handlers, it does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}
    for signum in STOPPING:
        if signal.getsignal(signum) is not signal.SIG_IGN:
            previous[signum] = signal.signal(signum, _on_signal)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _on_signal(signum: int, frame) -> None:
    for other in STOPPING:  # a second signal must not interrupt the clean-up this one starts
        if signal.getsignal(other) is _on_signal:
            signal.signal(other, signal.SIG_IGN)
    stop_all()
    remove_temporaries()
    raise Interrupted(signum)


if __name__ == "__main__" and sys.argv[1:] == ["--keep"]:
    _keep()
