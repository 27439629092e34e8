"""Audit many artifacts with a process pool on one machine.

Workers are started once, through ``children.process_pool`` (so they die with
tfinspect, however it ends), forked from a server that has already imported what a
worker needs (``fleet/worker.py``), so a worker costs no start-up of its own; each
inspects one artifact after another.  At most a few tasks per worker are in flight, so
memory stays bounded whatever the size of the registry, and a worker is replaced after
``MAX_TASKS_PER_CHILD`` artifacts so that what one large model left behind is given
back.  A worker that dies (a crash in a native library, the kernel's out-of-memory
killer) costs a row, not the run: the artifacts it may have been working on are
inspected again one at a time, and the one that kills its worker gets a row whose
``error`` says so.  A signal (Ctrl-C, SIGTERM) stops the workers and reaches the
caller, which keeps the rows it has.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool

from .. import children
from ..analysis.audit import failed_row
from .rows import DEFAULT, Task, Verdicts, audit_task

MAX_TASKS_PER_CHILD = 500
IN_FLIGHT_PER_WORKER = 4
PRELOAD = ("inspector.fleet.worker",)  # imported once by the fork server, inherited by every worker
TaskFunction = Callable[[Task, Verdicts], dict]


def prepare(jobs: int) -> None:
    """Start the fork server now, so it loads what workers need while the caller lists the roots."""
    if jobs > 1:
        children.start_fork_server(PRELOAD)


def run_pool(tasks: Iterable[Task], on_row: Callable[[dict], None], *, jobs: int, verdicts: Verdicts = DEFAULT,
             function: TaskFunction = audit_task, max_tasks_per_child: int = MAX_TASKS_PER_CHILD) -> None:
    """Call ``on_row`` with the row of every task, in the order they finish.

    ``jobs`` 1 runs in this process (no pool).  ``function`` must be importable by name
    (it is sent to the workers), as ``audit_task`` is."""
    if jobs <= 1:
        for task in tasks:
            on_row(function(task, verdicts))
        return
    _Pool(jobs, verdicts, function, max_tasks_per_child).run(iter(tasks), on_row)


class _Pool:
    def __init__(self, jobs: int, verdicts: Verdicts, function: TaskFunction, max_tasks_per_child: int):
        self.jobs, self.verdicts, self.function = jobs, verdicts, function
        self.max_tasks_per_child = max_tasks_per_child

    def _pool(self, workers: int):
        return children.process_pool(workers, preload=PRELOAD, max_tasks_per_child=self.max_tasks_per_child)

    def run(self, tasks: Iterator[Task], on_row: Callable[[dict], None]) -> None:
        while True:
            lost = self._until_broken(tasks, on_row)
            if not lost:
                return
            for task in lost:  # a worker died: find which artifact it was, one at a time
                on_row(self._alone(task))

    def _until_broken(self, tasks: Iterator[Task], on_row: Callable[[dict], None]) -> list[Task]:
        """Run tasks until none is left (returns []) or a worker dies (returns the tasks then in flight)."""
        window = self.jobs * IN_FLIGHT_PER_WORKER
        with self._pool(self.jobs) as executor:
            pending: dict[Future, Task] = {}
            while True:
                for task in tasks:
                    pending[executor.submit(self.function, task, self.verdicts)] = task
                    if len(pending) >= window:
                        break
                if not pending:
                    return []
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                lost = []
                for future in done:
                    task = pending.pop(future)
                    try:
                        row = future.result()
                    except BrokenProcessPool:
                        lost.append(task)
                        continue
                    on_row(row)
                if lost:
                    return lost + list(pending.values())

    def _alone(self, task: Task) -> dict:
        """The row of one task run in a worker of its own: a row saying so when that worker dies too."""
        with self._pool(1) as executor:
            try:
                return executor.submit(self.function, task, self.verdicts).result()
            except BrokenProcessPool:
                root, found = task
                return failed_row(root, found, "the inspection ended its worker process (a crash in a native "
                                  "library, or the out-of-memory killer); inspect it alone with tfinspect show")
