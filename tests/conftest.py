"""Shared test helpers: fixture paths, running the CLI, asking real TensorFlow."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def fixture(*parts: str) -> Path:
    path = FIXTURES.joinpath(*parts)
    assert path.exists(), f"missing committed fixture {path}; run python fixtures/generate.py"
    return path


class Result:
    def __init__(self, code: int, out: str, err: str):
        self.code, self.out, self.err = code, out, err

    def json(self):
        return json.loads(self.out)


def run_cli(*args: str) -> Result:
    """Run ``tfinspect`` in a child process, as a user would."""
    proc = subprocess.run(
        [sys.executable, "-m", "inspector", *map(str, args)],
        check=False, capture_output=True, text=True, cwd=ROOT, timeout=300,
        env={**os.environ, "COLUMNS": "200"},
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def assert_clean_failure(result, *needles: str) -> str:
    """Exit 2, nothing on stdout, one error line on stderr that holds each needle; that line."""
    assert result.code == 2, (result.code, result.out, result.err)
    assert result.out == "", "nothing may be written to stdout on failure"
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert "Traceback" not in result.err
    line = lines[0]
    assert line.startswith("tfinspect: error: ")
    for needle in needles:
        assert needle in line, line
    return line


def check_findings(*args: str) -> tuple[int, list[dict]]:
    """Run ``tfinspect check ... --json``: its exit status (1 exactly when an error or a security finding
    (TFI8xx) was found) and findings."""
    result = run_cli("check", *map(str, args), "--json")
    assert result.code in (0, 1), result.err
    findings = result.json()["findings"]
    failing = any(f["severity"] == "error" or f["code"].startswith("TFI8") for f in findings)
    assert result.code == (1 if failing else 0), findings
    return result.code, findings


def each_place(findings: list[dict]) -> list[dict]:
    """Findings as one per place: a finding that folds repeats of its rule (``count`` > 1) becomes one
    for each of its ``places``, with that place's location and message (for tests of one rule's places)."""
    return [{**f, "location": place["location"], "message": place["message"], "count": 1, "places": [place]}
            for f in findings for place in f["places"]]


def copy_fixture(tmp_path: Path, *parts: str) -> Path:
    source = fixture(*parts)
    target = tmp_path / source.name
    if source.is_dir():
        shutil.copytree(source, target)
    else:
        shutil.copy2(source, target)
    return target


@pytest.fixture(scope="session")
def tf():
    """The real TensorFlow, for tests that ask it to confirm a fact."""
    import tensorflow

    return tensorflow


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Path:
    """A SavedModel version tree, .meta and frozen-graph pairs, and replay.json: TensorFlow
    serving each old request to the next export (see tests/helpers/diff_tree.py).  Built once."""
    out = tmp_path_factory.mktemp("diff_tree")
    proc = subprocess.run([sys.executable, str(ROOT / "tests" / "helpers" / "diff_tree.py"), str(out)],
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


@pytest.fixture(scope="session")
def replay(built) -> dict:
    return json.loads((built / "replay.json").read_text())


SLOW = os.environ.get("TFINSPECT_SLOW") == "1" or os.environ.get("CI") == "true"


def pytest_collection_modifyitems(config, items):
    """Tests marked ``slow`` run under CI (``.ci/run``) and with TFINSPECT_SLOW=1; a local run skips them,
    saying how to run them, so that the default run stays within ten minutes on two cores."""
    if SLOW:
        return
    skip = pytest.mark.skip(reason="slow: TensorFlow or whole processes for minutes; run with TFINSPECT_SLOW=1 "
                                   "(CI runs them)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
