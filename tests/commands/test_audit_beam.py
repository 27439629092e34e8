"""`tfinspect audit --runner beam`: the same rows as the process pool, from Beam's local runner.

Beam is an optional extra (``pip install "tfinspect[beam]"``); without it this test is
skipped, except under CI (``CI=true``, what ``.ci/run`` sets after installing the extra),
where a missing Beam fails it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
from pathlib import Path

import pytest
from conformance.artifacts import CORPUS, corpus_available, require_corpus
from conftest import ROOT, fixture
from helpers.registry import link_tree

from inspector.cli import main

if importlib.util.find_spec("apache_beam") is None:
    if os.environ.get("CI") == "true":
        raise AssertionError('apache_beam is not installed; CI installs it with pip install -e ".[test,beam]"')
    pytest.skip('apache_beam is not installed (pip install "tfinspect[beam]")', allow_module_level=True)


def run(*argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def roots(tmp_path) -> list:
    require_corpus()
    models = tmp_path / "models"
    link_tree(fixture("keras_export"), models / "keras" / "1")
    (models / "keras" / "2").mkdir()  # an empty newest version
    (models / "broken").mkdir()
    (models / "broken" / "graph.pb").write_bytes(b"\x00\xff" * 50)
    return [ROOT / "fixtures", models, *([CORPUS] if corpus_available() else [])]


def test_beam_local_runner_gives_the_pool_rows(roots, tmp_path):
    pool, beam = tmp_path / "pool.jsonl", tmp_path / "beam.jsonl"
    code, pool_summary, err = run("audit", *roots, "-o", pool, "--jobs", "2", "--json")
    assert (code, err) == (1, "")
    code, beam_summary, err = run("audit", *roots, "-o", beam, "--runner", "beam", "--json",
                                  "--beam-args=--runner=DirectRunner --direct_running_mode=in_memory")
    assert (code, err) == (1, "")
    rows = [json.loads(line) for line in pool.read_text().splitlines()]
    assert len(rows) >= 30 and any(r["error"] for r in rows) and any(r["check"]["errors"] for r in rows if r["check"])
    assert beam.read_text() == pool.read_text()
    assert json.loads(beam_summary) == json.loads(pool_summary)


def test_beam_options_it_refuses_are_one_line(roots, tmp_path):
    code, out, err = run("audit", roots[1], "-o", tmp_path / "rows.jsonl", "--runner", "beam",
                         "--beam-args=--runner=NoSuchRunner")
    assert (code, out) == (2, "")
    assert err.startswith("tfinspect: error: ") and err.count("\n") == 1
    assert not (tmp_path / "rows.jsonl").exists()  # nothing written
    log = Path(err.rsplit("Beam's log is in ", 1)[1].rstrip(")\n"))
    assert "NoSuchRunner" in log.read_text()  # the log kept for the user holds Beam's own account
    log.unlink()


def test_sigterm_stops_the_pipeline_and_its_workers(roots, tmp_path):
    import signal
    import subprocess
    import sys
    import time
    import uuid

    from test_audit import _processes_marked

    marker = uuid.uuid4().hex
    proc = subprocess.Popen([sys.executable, "-m", "inspector", "audit", *map(str, roots), "-o",
                             str(tmp_path / "rows.jsonl"), "--runner", "beam", "--jobs", "2"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "TFINSPECT_TEST_MARK": marker})
    deadline = time.monotonic() + 120
    while len(_processes_marked(marker)) < 4 and time.monotonic() < deadline:  # tfinspect, the pipeline, workers
        time.sleep(0.1)
    assert len(_processes_marked(marker)) >= 4
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=60)
    assert (proc.returncode, stdout) == (143, "")
    assert stderr.startswith("tfinspect: stopped by SIGTERM after 0 of ") and stderr.count("\n") == 1
    deadline = time.monotonic() + 10
    while _processes_marked(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _processes_marked(marker)
    assert not (tmp_path / "rows.jsonl").exists()
