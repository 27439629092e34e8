"""Audit a registry with an Apache Beam pipeline: the same per-artifact function as the pool.

Used by ``tfinspect audit --runner beam`` (``pip install "tfinspect[beam]"``).  The
artifacts are found where the command runs (one listing per root); the pipeline maps
``rows.audit_task`` over them on Beam's workers (the DirectRunner on this machine,
Dataflow, Flink or Spark through Beam's own pipeline options) and writes the rows as
JSON lines to a temporary location (``--temp_location``, which Dataflow requires, or a
local temporary folder); they are read back and the command writes the same inventory
the pool would.

The pipeline runs in a child process (``python -m inspector.fleet.beam JOB``) started
through ``children``, so that a signal or the end of tfinspect stops it with every
worker process Beam's local runner started, and so that Beam's logs (written to the
child's standard error) go to a file instead of the terminal.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import sys
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

from .. import children
from ..analysis.audit import Found
from ..errors import InspectorError, SelectionError
from .rows import Task, Verdicts, audit_task

INSTALL = 'pip install "tfinspect[beam]"'


def local_arguments(jobs: int) -> list[str]:
    """Beam options for this machine: the DirectRunner with one worker process per job."""
    if jobs <= 1:
        return ["--runner=DirectRunner", "--direct_running_mode=in_memory"]
    return ["--runner=DirectRunner", "--direct_running_mode=multi_processing", f"--direct_num_workers={jobs}"]


def run_beam(tasks: list[Task], on_row: Callable[[dict], None], *, verdicts: Verdicts, arguments: list[str]) -> None:
    """Run the audit as a Beam pipeline with ``arguments`` (Beam's command-line options)."""
    if importlib.util.find_spec("apache_beam") is None:
        raise SelectionError(None, "--runner beam needs Apache Beam, which is not installed", INSTALL)
    with children.temporary_directory("tfinspect-audit-") as work:
        job = work / "job.json"
        rows = work / "rows.jsonl"
        job.write_text(json.dumps({"tasks": [(root, dataclasses.astuple(found)) for root, found in tasks],
                                   "verdicts": dataclasses.asdict(verdicts), "arguments": arguments, "rows": str(rows),
                                   "local": str(work)}), encoding="utf-8")
        done = children.run([sys.executable, "-m", __name__, str(job)], text=True)
        if done.returncode != 0:
            log = _keep_log(done.stderr)
            problem = (done.stdout.strip().splitlines() or [(f"the pipeline's process ended with status "
                                                            f"{done.returncode}")])[-1]
            raise InspectorError(None, problem, f"check the pipeline options; Beam's log is in {log}")
        with open(rows, encoding="utf-8", errors="surrogateescape") as handle:
            for line in handle:
                if line.strip():
                    on_row(json.loads(line))


def _keep_log(text: str) -> str:
    with tempfile.NamedTemporaryFile("w", prefix="tfinspect-beam-", suffix=".log", delete=False,
                                     encoding="utf-8", errors="replace") as handle:
        handle.write(text)
        return handle.name


def audit_payload(payload: tuple, verdicts: dict) -> dict:
    """``audit_task`` on a task sent as plain lists (what any Beam coder carries unchanged)."""
    root, fields = payload
    path, kind, files, *rest = fields
    found = Found(path, kind, tuple(tuple(f) for f in files), *rest)
    return audit_task((root, found), Verdicts(**verdicts))


# -- the child process -------------------------------------------------------------------------------
def main(argv: list[str]) -> int:
    """Run the pipeline a job file describes; on failure print one line on stdout and exit 2."""
    job = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    try:
        _pipeline(job)
    except Exception as exc:  # noqa: BLE001 - the parent turns this into its one error line
        import traceback

        traceback.print_exc()  # into Beam's log, which the parent keeps for the user
        print(f"the Beam pipeline failed: {' '.join(str(exc).split())[:500] or type(exc).__name__}")
        return 2
    return 0


def _pipeline(job: dict) -> None:
    import importlib

    import apache_beam as beam
    from apache_beam.io.filesystems import FileSystems
    from apache_beam.options.pipeline_options import GoogleCloudOptions, PipelineOptions

    arguments = job["arguments"]
    try:
        options = PipelineOptions(arguments)
        temp_location = options.view_as(GoogleCloudOptions).temp_location
    except SystemExit:
        raise ValueError(f"Beam refuses the pipeline options {' '.join(arguments)!r}") from None
    # by its module's name, not this process's __main__, so that Beam's workers can import it
    function = importlib.import_module("inspector.fleet.beam").audit_payload
    prefix = FileSystems.join(temp_location or job["local"], f"tfinspect-audit-{uuid.uuid4().hex}", "rows")
    with beam.Pipeline(options=options) as pipeline:
        (pipeline
         | "Artifacts" >> beam.Create(job["tasks"], reshuffle=True)
         | "Audit" >> beam.Map(function, job["verdicts"])
         | "JSON" >> beam.Map(json.dumps)
         | "Write" >> beam.io.WriteToText(prefix, file_name_suffix=".jsonl"))
    matched = FileSystems.match([prefix + "*"])[0].metadata_list
    with open(job["rows"], "w", encoding="utf-8", errors="surrogateescape") as out:
        for item in matched:
            with FileSystems.open(item.path) as handle:
                out.writelines(line.decode("utf-8", "surrogateescape") for line in handle)
    FileSystems.delete([item.path for item in matched])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
