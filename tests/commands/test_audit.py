"""`tfinspect audit`: every artifact of a registry, one row each, with the verdicts `check` gives."""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import jsonschema
import pytest
from conformance.artifacts import CORPUS, all_artifacts, corpus_available, require_corpus
from conftest import ROOT, fixture, run_cli
from helpers.registry import dies_on_crash, link_tree

from inspector.analysis.audit import discover
from inspector.cli import main
from inspector.fleet.pool import run_pool

ROW_SCHEMA = json.loads((ROOT / "docs" / "schemas" / "audit-row.schema.json").read_text())
SUMMARY_SCHEMA = json.loads((ROOT / "docs" / "schemas" / "audit.schema.json").read_text())


def run(*argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


def rows_of(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def valid_row(row: dict) -> dict:
    errors = list(jsonschema.Draft202012Validator(ROW_SCHEMA).iter_errors(row))
    assert not errors, f"{row['path']}: {errors[0].json_path}: {errors[0].message[:200]}"
    return row


def _roots() -> list[Path]:
    require_corpus()
    return [ROOT / "fixtures", *([CORPUS] if corpus_available() else [])]


@pytest.fixture(scope="module")
def inventory(tmp_path_factory) -> tuple[list[dict], dict]:
    """The fixtures and the corpus audited by two worker processes: rows and --json summary."""
    out = tmp_path_factory.mktemp("audit") / "inventory.jsonl"
    code, stdout, err = run("audit", *_roots(), "--jobs", "2", "-o", out, "--json")
    assert code == 1 and err == "", err  # some fixtures are made to fail check
    return rows_of(out), json.loads(stdout)


def test_rows_agree_with_check_signatures_and_show(inventory):
    rows, _ = inventory
    assert rows == sorted(rows, key=lambda r: (r["root"], r["path"]))
    for row in rows:
        valid_row(row)
        path = row["root"] if row["path"] == "." else f"{row['root']}/{row['path']}"
        code, out, _err = run("check", path, "--json")
        assert row["error"] is None, row
        findings = json.loads(out)["findings"]
        assert row["check"] == {
            "target": "tf-serving",
            "errors": sorted({f["code"] for f in findings if f["severity"] == "error"}),
            "warnings": sorted({f["code"] for f in findings if f["severity"] == "warning"}),
        }, path
        assert code == (1 if row["check"]["errors"] else 0)
        show = json.loads(run("show", path, "--json")[1])
        assert row["kind"] == show["kind"]
        assert row["tag_sets"] == [m["tag_set"] for m in show["meta_graphs"]]
        assert row["op_types"] == sorted({op for m in show["meta_graphs"] for op in m["op_types"]})
        assert row["fingerprint"] == show["fingerprint"]
        served = [m for m in show["meta_graphs"] if m["tag_set"] == ["serve"]] or show["meta_graphs"][:1]
        assert row["tensorflow_version"] == (served[0]["tensorflow_version"] if served else None)
        signatures = json.loads(run("signatures", path, "--json")[1])["signatures"]
        assert row["signatures"] == [
            {"tag_set": s["tag_set"], "signature_key": s["signature_key"], "method_name": s["method_name"],
             "inputs": [{k: t[k] for k in ("alias", "dtype", "shape")} for t in s["inputs"]],
             "outputs": [{k: t[k] for k in ("alias", "dtype", "shape")} for t in s["outputs"]]}
            for s in signatures if not s["internal"]]
        assert row["compat"] is None and row["security"] is None and row["integrity"] is None


def test_rows_are_the_artifacts_files(inventory):
    rows, _ = inventory
    for row in rows:
        base = Path(row["root"]) / row["path"]
        files = [p for p in base.rglob("*") if p.is_file()] if base.is_dir() else \
            [p for p in base.parent.iterdir() if p.name.startswith(base.name.removesuffix(".meta"))
             and p.name != "checkpoint"]
        assert row["size"] == sum(p.stat().st_size for p in files), row["path"]
        assert row["file_count"] == len(files), row["path"]


def test_every_artifact_the_conformance_suite_knows_is_in_the_inventory(inventory):
    rows, _ = inventory
    listed = {Path(r["root"]).resolve() / r["path"]: r for r in rows}
    for artifact in all_artifacts():
        path = artifact.path.resolve()
        if artifact.kind != "checkpoint":
            assert listed[path.resolve()]["kind"] == artifact.kind, path
            continue
        covered = path in listed or Path(f"{path}.meta") in listed or any(
            row["kind"] == "saved_model" and path.is_relative_to(where) for where, row in listed.items())
        assert covered, f"no row for the checkpoint {path}"


def test_the_summary_counts_the_rows(inventory):
    rows, summary = inventory
    jsonschema.Draft202012Validator(SUMMARY_SCHEMA).validate(summary)
    assert summary["artifacts"] == len(rows)
    assert summary["failing"] == sum(1 for r in rows if r["check"]["errors"])
    writers = {}
    for row in rows:
        writers[row["tensorflow_version"] or "unknown"] = writers.get(row["tensorflow_version"] or "unknown", 0) + 1
    assert summary["writers"] == writers
    codes = [c for r in rows for c in r["check"]["errors"]]
    assert summary["error_rules"] == {c: codes.count(c) for c in set(codes)}
    assert summary["compat"] == {"not computed": len(rows)}
    assert summary["security"] is None and summary["integrity"] is None


@pytest.fixture
def registry(tmp_path) -> Path:
    """Two models with version trees, an interrupted upload, an empty newest version, a stray file."""
    root = tmp_path / "models"
    link_tree(fixture("seed003", "SavedModel"), root / "alpha" / "1")
    link_tree(fixture("keras_export"), root / "alpha" / "2")
    (root / "alpha" / "3").mkdir()  # an export still being written: TF Serving serves it and fails
    link_tree(fixture("fault_unfed_placeholder"), root / "beta" / "1")
    link_tree(fixture("keras_export") / "variables", root / "beta" / "2" / "variables")  # lost saved_model.pb
    link_tree(fixture("tf2_module"), root / "beta" / "007")
    link_tree(fixture("seed002"), root / "legacy" / "seed002")
    (root / "README.txt").write_text("not a model\n")
    return root


def test_a_registry_of_version_trees(registry, tmp_path):
    out = tmp_path / "rows.jsonl"
    code, stdout, err = run("audit", registry, "-o", out, "--jobs", "2", "--json")
    assert (code, err) == (1, "")
    rows = {r["path"]: valid_row(r) for r in rows_of(out)}
    assert sorted(rows) == ["alpha/1", "alpha/2", "alpha/3", "beta/007", "beta/1", "beta/2",
                            "legacy/seed002/graphdef.pbtxt", "legacy/seed002/model.meta"]
    assert {p: (r["model"], r["version"], r["served"]) for p, r in rows.items() if r["model"]} == {
        "alpha/1": ("alpha", 1, False), "alpha/2": ("alpha", 2, False), "alpha/3": ("alpha", 3, True),
        "beta/1": ("beta", 1, False), "beta/2": ("beta", 2, False), "beta/007": ("beta", 7, True)}
    assert "holds no TensorFlow model" in rows["alpha/3"]["error"] and rows["alpha/3"]["check"] is None
    assert rows["beta/2"]["check"]["errors"] == ["TFI101"] and "saved_model.pb" in rows["beta/2"]["error"]
    assert rows["beta/1"]["check"]["errors"] == ["TFI304"]
    assert rows["alpha/2"]["fingerprint"] is not None and rows["alpha/2"]["tensorflow_version"]
    summary = json.loads(stdout)
    assert (summary["served"], summary["served_failing"], summary["unreadable"]) == (2, 1, 2)


def test_broken_artifacts_are_rows_and_the_rest_is_audited(registry, tmp_path):
    pb = registry / "alpha" / "2" / "saved_model.pb"
    data = pb.read_bytes()
    pb.unlink()  # a hard link: write a new file, leave the fixture alone
    pb.write_bytes(data[: len(data) // 2])
    (registry / "junk").mkdir()
    (registry / "junk" / "frozen.pb").write_bytes(b"\x00\xff" * 100)
    os.mkfifo(registry / "junk" / "pipe.pb")  # not a regular file: never opened
    (registry / "junk" / "gone.pb").symlink_to(registry / "nowhere.pb")
    out = tmp_path / "rows.jsonl"
    code, _stdout, err = run("audit", registry, "-o", out, "--jobs", "2")
    assert (code, err) == (1, "")
    rows = {r["path"]: r for r in rows_of(out)}
    assert "truncated" in rows["alpha/2"]["error"] and "\n" not in rows["alpha/2"]["error"]
    assert rows["junk/frozen.pb"]["error"] and rows["junk/frozen.pb"]["check"] is None
    assert "junk/pipe.pb" not in rows and "junk/gone.pb" not in rows
    assert rows["alpha/1"]["error"] is None and rows["alpha/1"]["check"]["errors"] == []


def test_a_worker_that_dies_costs_one_row(registry):
    tasks = [(str(registry), found) for found in discover(str(registry))]
    crash = next(f for _, f in tasks if f.path == "alpha/1")
    tasks.append((str(registry), type(crash)("alpha/crash", "saved_model", crash.files)))
    rows = []
    run_pool(tasks, rows.append, jobs=2, function=dies_on_crash)
    by_path = {r["path"]: r for r in rows}
    assert sorted(by_path) == sorted(f.path for _, f in tasks) and len(rows) == len(tasks)
    assert "ended its worker process" in by_path["alpha/crash"]["error"]
    assert by_path["alpha/1"]["error"] is None and by_path["beta/1"]["check"]["errors"] == ["TFI304"]


def test_resume_keeps_unchanged_rows_and_inspects_changed_ones(registry, tmp_path):
    out = tmp_path / "rows.jsonl"
    assert run("audit", registry, "-o", out, "--jobs", "1")[0] == 1
    first = {r["path"]: r for r in rows_of(out)}
    # alpha/1: new bytes, same size and times: unchanged to --resume, so its row is kept as it was
    pb = registry / "alpha" / "1" / "saved_model.pb"
    _same_size_same_time(pb, b"\x00" * pb.stat().st_size)
    # beta/1: a file rewritten (new time): inspected again
    other = registry / "beta" / "1" / "saved_model.pb"
    data = other.read_bytes()
    other.unlink()
    other.write_bytes(data[:100])
    code, _, err = run("audit", registry, "-o", out, "--jobs", "1", "--resume")
    assert (code, err) == (1, "")
    second = {r["path"]: r for r in rows_of(out)}
    assert second["alpha/1"] == first["alpha/1"] and second["alpha/1"]["error"] is None
    assert second["beta/1"]["error"] and not first["beta/1"]["error"]
    assert set(second) == set(first)
    assert run("audit", registry, "-o", out, "--jobs", "1")[0] == 1  # without --resume: everything read again
    assert "alpha/1" in {r["path"] for r in rows_of(out) if r["error"]}


def _audit_under_way(tmp_path: Path, versions: int) -> tuple[Path, Path, str, subprocess.Popen]:
    """An audit of ``versions`` versions with two workers, in its own session, once it has written 3 rows;
    its processes carry a marker in their environment."""
    root = tmp_path / "models"
    for number in range(1, versions + 1):
        link_tree(fixture("keras_export"), root / f"m{number % 7}" / str(number))
    out = tmp_path / "rows.jsonl"
    marker = uuid.uuid4().hex
    proc = subprocess.Popen([sys.executable, "-m", "inspector", "audit", str(root), "-o", str(out), "--jobs", "2"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "TFINSPECT_TEST_MARK": marker}, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not out.exists() or out.read_text().count("\n") < 3):
        time.sleep(0.05)
    return root, out, marker, proc


def test_a_killed_audit_leaves_no_process_behind(tmp_path):
    """SIGKILL: no clean-up runs in tfinspect, yet its workers and their fork server end with it."""
    _, _, marker, proc = _audit_under_way(tmp_path, 300)
    assert len(_processes_marked(marker)) >= 3  # tfinspect, the fork server, workers
    proc.kill()
    proc.communicate(timeout=30)
    deadline = time.monotonic() + 10
    while _processes_marked(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _processes_marked(marker)


@pytest.mark.parametrize("how", ["SIGTERM to the process", "Ctrl-C: SIGINT to its process group"])
def test_a_stopped_run_leaves_rows_that_resume_completes(tmp_path, how):
    root, out, marker, proc = _audit_under_way(tmp_path, 120)
    if how.startswith("SIGTERM"):
        proc.send_signal(signal.SIGTERM)
    else:  # what a terminal does: every process of the foreground group gets SIGINT
        os.killpg(proc.pid, signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    signum = signal.SIGTERM if how.startswith("SIGTERM") else signal.SIGINT
    assert proc.returncode == 128 + signum and stdout == ""
    assert stderr.startswith(f"tfinspect: stopped by {signum.name} after ") and stderr.count("\n") == 1
    assert f"-o {out} --resume continues" in stderr
    time.sleep(0.5)
    assert not _processes_marked(marker), "worker processes outlived the stopped audit"
    partial = rows_of(out)
    assert 3 <= len(partial) < 120
    code, _, err = run("audit", root, "-o", out, "--jobs", "2", "--resume")
    assert (code, err) == (0, "")
    rows = rows_of(out)
    assert len(rows) == 120 and {r["path"] for r in partial} <= {r["path"] for r in rows}


def _processes_marked(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if marker.encode() in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
    return found


def test_parquet_holds_the_same_rows(registry, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet", reason="Parquet output needs pyarrow (the parquet or beam extra)")
    assert run("audit", registry, "-o", tmp_path / "rows.jsonl", "--jobs", "1")[0] == 1
    assert run("audit", registry, "-o", tmp_path / "rows.parquet", "--jobs", "1")[0] == 1
    table = pq.read_table(tmp_path / "rows.parquet")
    assert table.schema.field("fingerprint").type.field("saved_model_checksum").type == "uint64"
    expected = rows_of(tmp_path / "rows.jsonl")
    assert [{**r, "compat": None} for r in table.to_pylist()] == expected
    assert not (tmp_path / "rows.parquet.partial.jsonl").exists()


def _same_size_same_time(path: Path, data: bytes) -> None:
    """Rewrite a (hard-linked) file with other bytes of the same size, keeping its times."""
    info = path.stat()
    assert len(data) == info.st_size
    path.unlink()
    path.write_bytes(data)
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))


def test_parquet_resume_keeps_unchanged_rows(registry, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet", reason="Parquet output needs pyarrow (the parquet or beam extra)")
    out = tmp_path / "rows.parquet"
    assert run("audit", registry, "-o", out, "--jobs", "1")[0] == 1
    pb = registry / "alpha" / "1" / "saved_model.pb"
    _same_size_same_time(pb, b"\x00" * pb.stat().st_size)
    assert run("audit", registry, "-o", out, "--jobs", "1", "--resume")[0] == 1
    assert {r["path"]: r["error"] for r in pq.read_table(out).to_pylist()}["alpha/1"] is None  # not read again
    assert run("audit", registry, "-o", out, "--jobs", "1")[0] == 1
    assert {r["path"]: r["error"] for r in pq.read_table(out).to_pylist()}["alpha/1"] is not None


def test_parquet_without_pyarrow_is_one_line(registry, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    code, out, err = run("audit", registry, "-o", tmp_path / "rows.parquet")
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and 'tfinspect[parquet]' in err
    assert [p.name for p in tmp_path.iterdir()] == ["models"]  # nothing written


@pytest.mark.parametrize("case", ["missing", "fifo", "output-folder", "resume-without-output", "bad-suffix",
                                  "jobs"])
def test_bad_input_is_one_line_and_exit_2(case, registry, tmp_path):
    args = [registry, "-o", tmp_path / "rows.jsonl"]
    if case == "missing":
        args[0] = tmp_path / "nowhere"
    elif case == "fifo":
        os.mkfifo(tmp_path / "pipe")
        args[0] = tmp_path / "pipe"
    elif case == "output-folder":
        args[2] = tmp_path / "no" / "rows.jsonl"
    elif case == "resume-without-output":
        args = [registry, "--resume"]
    elif case == "bad-suffix":
        args[2] = tmp_path / "rows.csv"
    else:
        args += ["--jobs", "0"]
    before = sorted(tmp_path.rglob("*"))
    code, out, err = run("audit", *args)
    assert (code, out) == (2, ""), err
    assert err.startswith("tfinspect: error: ") and err.count("\n") == 1
    assert sorted(tmp_path.rglob("*")) == before


def test_summaries_show_registry_names_as_text(registry, tmp_path):
    hostile = registry / "evil\x1b[31m|<script>alert(1)</script>"
    link_tree(fixture("fault_unfed_placeholder"), hostile / "1")
    code, out, err = run("audit", registry, "--summary", tmp_path / "s.md", "--jobs", "1")
    assert code == 1 and err == "" and "\x1b" not in out
    assert run("audit", registry, "--summary", tmp_path / "s.html", "--jobs", "1")[0] == 1
    markdown, page = (tmp_path / "s.md").read_text(), (tmp_path / "s.html").read_text()
    assert "\x1b" not in markdown and "\x1b" not in page
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert r"evil\\x1b[31m\|&lt;script>alert(1)&lt;/script>/1 | check: TFI304 |" in markdown  # renders as text
    assert "| TFI304 | 2 |" in markdown and "<td>TFI304</td>" in page


def test_quiet_on_a_pipe_and_rows_on_standard_output(registry):
    result = run_cli("audit", registry, "-o", "-", "--jobs", "2")
    assert result.code == 1 and result.err == ""
    rows = [json.loads(line) for line in result.out.splitlines()]
    assert [r["path"] for r in rows] == sorted(r["path"] for r in rows) and len(rows) == 8


def test_a_progress_bar_on_a_terminal(registry):
    """With standard error on a terminal: a bar with the count and the rate; the rows and summary unchanged."""
    import pty

    primary, secondary = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "inspector", "audit", str(registry), "--jobs", "1", "--json"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=secondary, env={**os.environ, "COLUMNS": "120"})
    os.close(secondary)
    shown = b""
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # the other end is closed
            break
        if not chunk:
            break
        shown += chunk
    stdout, _ = proc.communicate(timeout=120)
    os.close(primary)
    assert proc.returncode == 1 and json.loads(stdout)["artifacts"] == 8
    text = shown.decode("utf-8", "replace")
    assert "auditing" in text and "/8" in text and "/s" in text
