"""Audit many artifacts with a process pool on one machine.

Workers are started once (from a fork server that has already imported tfinspect, so
a worker costs no start-up of its own) and each inspects one artifact after another.
At most a few tasks per worker are in flight, so memory stays bounded whatever the
size of the registry, and a worker is replaced after ``MAX_TASKS_PER_CHILD`` artifacts
so that what one large model left behind is given back.  A worker that dies (a crash
in a native library, the kernel's out-of-memory killer) costs a row, not the run: the
artifacts it may have been working on are inspected again one at a time, and the one
that kills its worker gets a row whose ``error`` says so.  Ctrl-C or SIGTERM stops the
workers and returns control to the caller, which keeps the rows written so far.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from ..analysis.audit import failed_row
from .rows import Task, audit_task

MAX_TASKS_PER_CHILD = 500
IN_FLIGHT_PER_WORKER = 4
WORKER_MODULE = "inspector.fleet.worker"  # imported once by the fork server, inherited by every worker
TaskFunction = Callable[[Task, str], dict]


def worker_setup() -> None:
    """Runs first in every worker: the parent alone answers Ctrl-C (it stops the workers).

    The hook for anything else a worker must do when it starts (dying with its parent)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def run_pool(tasks: Iterable[Task], on_row: Callable[[dict], None], *, jobs: int, target: str = "tf-serving",
             function: TaskFunction = audit_task, max_tasks_per_child: int = MAX_TASKS_PER_CHILD) -> None:
    """Call ``on_row`` with the row of every task, in the order they finish.

    ``jobs`` 1 runs in this process (no pool).  ``function`` must be importable by name
    (it is sent to the workers), as ``audit_task`` is."""
    with _stop_on_sigterm():
        if jobs <= 1:
            for task in tasks:
                on_row(function(task, target))
            return
        _Pool(jobs, target, function, max_tasks_per_child).run(iter(tasks), on_row)


class _Stopped(KeyboardInterrupt):
    """SIGTERM, handled as Ctrl-C is."""


class _stop_on_sigterm:
    def __enter__(self):
        try:
            self.previous = signal.signal(signal.SIGTERM, self._raise)
        except ValueError:  # not the main thread: leave signals alone
            self.previous = None
        return self

    @staticmethod
    def _raise(signum, frame):
        raise _Stopped

    def __exit__(self, *exc) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGTERM, self.previous)


def prepare(jobs: int) -> None:
    """Start the fork server now, so it loads what workers need while the caller lists the roots."""
    if jobs > 1 and _context().get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


def _context():
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([WORKER_MODULE])
        return context
    return multiprocessing.get_context("spawn")


class _Pool:
    def __init__(self, jobs: int, target: str, function: TaskFunction, max_tasks_per_child: int):
        self.jobs, self.target, self.function = jobs, target, function
        self.max_tasks_per_child = max_tasks_per_child
        self.context = _context()

    def _executor(self, workers: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(workers, mp_context=self.context, initializer=worker_setup,
                                   max_tasks_per_child=self.max_tasks_per_child)

    def run(self, tasks: Iterator[Task], on_row: Callable[[dict], None]) -> None:
        window = self.jobs * IN_FLIGHT_PER_WORKER
        executor = self._executor(self.jobs)
        pending: dict[Future, Task] = {}
        try:
            while True:
                for task in tasks:
                    pending[executor.submit(self.function, task, self.target)] = task
                    if len(pending) >= window:
                        break
                if not pending:
                    return
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                broken = []
                for future in done:
                    task = pending.pop(future)
                    try:
                        on_row(future.result())
                    except BrokenProcessPool:
                        broken.append(task)
                if broken:  # a worker died: every task in flight is lost with it
                    broken += list(pending.values())
                    pending.clear()
                    _stop(executor)
                    for task in broken:
                        on_row(self._alone(task))
                    executor = self._executor(self.jobs)
        except BaseException:
            _stop(executor)
            raise
        finally:
            executor.shutdown(wait=True, cancel_futures=True)

    def _alone(self, task: Task) -> dict:
        """The row of one task run in a worker of its own: a row saying so when that worker dies too."""
        executor = self._executor(1)
        try:
            return executor.submit(self.function, task, self.target).result()
        except BrokenProcessPool:
            root, found = task
            return failed_row(root, found, "the inspection ended its worker process (a crash in a native "
                              "library, or the out-of-memory killer); inspect it alone with tfinspect show")
        finally:
            _stop(executor)
            executor.shutdown(wait=True, cancel_futures=True)


def _stop(executor: ProcessPoolExecutor) -> None:
    """Stop the workers now: pending tasks are cancelled, running ones killed."""
    for process in list((getattr(executor, "_processes", None) or {}).values()):
        if process.is_alive():
            process.terminate()
    executor.shutdown(wait=False, cancel_futures=True)
