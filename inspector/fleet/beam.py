"""Audit a registry with an Apache Beam pipeline: the same per-artifact function as the pool.

Imported only for ``tfinspect audit --runner beam`` (``pip install "tfinspect[beam]"``).
The artifacts are found where the command runs (one listing per root); the pipeline
maps ``rows.audit_task`` over them on Beam's workers (DirectRunner on this machine,
Dataflow, Flink or Spark through Beam's own pipeline options) and writes the rows as
JSON lines to a temporary location (``--temp_location``, which Dataflow requires, or a
local temporary folder); the command reads them back and writes the same inventory the
pool would.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import Callable

from ..analysis.audit import Found
from ..errors import InspectorError, SelectionError
from .rows import Task, audit_task


def local_arguments(jobs: int) -> list[str]:
    """Beam options for this machine: the DirectRunner with one worker process per job."""
    if jobs <= 1:
        return ["--runner=DirectRunner", "--direct_running_mode=in_memory"]
    return ["--runner=DirectRunner", "--direct_running_mode=multi_processing", f"--direct_num_workers={jobs}"]


def run_beam(tasks: list[Task], on_row: Callable[[dict], None], *, target: str, arguments: list[str]) -> None:
    """Run the audit as a Beam pipeline with ``arguments`` (Beam's command-line options)."""
    log = tempfile.NamedTemporaryFile(prefix="tfinspect-beam-", suffix=".log", delete=False)  # noqa: SIM115
    log.close()
    failed = True
    try:
        with _stderr_to(log.name):  # Beam and its workers log to stderr: kept for when something fails
            _run(tasks, on_row, target=target, arguments=arguments, log=log.name)
        failed = False
    finally:
        if not failed or os.path.getsize(log.name) == 0:
            os.unlink(log.name)


@contextlib.contextmanager
def _stderr_to(path: str):
    """Send file descriptor 2 (this process's and its children's standard error) to ``path``."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(path, "ab") as target:
            os.dup2(target.fileno(), 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def _run(tasks: list[Task], on_row: Callable[[dict], None], *, target: str, arguments: list[str], log: str) -> None:
    try:
        import apache_beam as beam
        from apache_beam.io.filesystems import FileSystems
        from apache_beam.options.pipeline_options import GoogleCloudOptions, PipelineOptions
    except ImportError as exc:
        raise SelectionError(None, f"--runner beam needs Apache Beam, which cannot be imported ({exc})",
                             'pip install "tfinspect[beam]"') from None
    try:
        options = PipelineOptions(arguments)
        temp_location = options.view_as(GoogleCloudOptions).temp_location
    except (SystemExit, ValueError) as exc:
        raise SelectionError(None, f"Beam refuses the pipeline options {' '.join(arguments)!r}: {exc}",
                             f"see Beam's pipeline options for the runner you use; Beam's log is in {log}") from None
    local = None if temp_location else tempfile.mkdtemp(prefix="tfinspect-audit-")
    prefix = FileSystems.join(temp_location or local, f"tfinspect-audit-{uuid.uuid4().hex}", "rows")
    payloads = [(root, dataclasses.astuple(found)) for root, found in tasks]
    try:
        with beam.Pipeline(options=options) as pipeline:
            (pipeline
             | "Artifacts" >> beam.Create(payloads, reshuffle=True)
             | "Audit" >> beam.Map(audit_payload, target)
             | "JSON" >> beam.Map(json.dumps)
             | "Write" >> beam.io.WriteToText(prefix, file_name_suffix=".jsonl"))
        matched = FileSystems.match([prefix + "*"])[0].metadata_list
        for item in matched:
            with FileSystems.open(item.path) as handle:
                for line in handle:
                    if line.strip():
                        on_row(json.loads(line))
        FileSystems.delete([item.path for item in matched])
    except InspectorError:
        raise
    except Exception as exc:  # noqa: BLE001 - a pipeline that fails is one line, as any input error
        raise InspectorError(None, f"the Beam pipeline failed: {' '.join(str(exc).split())[:500]}",
                             f"check the pipeline options; Beam's log is in {log}") from None
    finally:
        if local is not None:
            shutil.rmtree(local, ignore_errors=True)


def audit_payload(payload: tuple, target: str) -> dict:
    """``audit_task`` on a task sent as plain tuples (what any Beam coder carries unchanged)."""
    root, fields = payload
    path, kind, files, *rest = fields
    found = Found(path, kind, tuple(tuple(f) for f in files), *rest)
    return audit_task((root, found), target)
