"""An incomplete upload (TFI210, TFI211): every command reports it from one model fact, where TensorFlow fails."""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import check_findings, copy_fixture, fixture, run_cli
from helpers.uploads import DAMAGES, damage, data_shards

import inspector

# What TensorFlow's TF1 loader (TF Serving's way of loading) raises for each damage.
TF_ERRORS = {
    "shard-deleted": "NotFoundError",
    "shard-half": "OutOfRangeError",
    "tail-zeroed": "DataLossError",
    "index-deleted": "ValueError",  # Saver.restore: "The passed save_path is not a valid checkpoint"
}
CODES = {"shard-deleted": "TFI210", "shard-half": "TFI210", "tail-zeroed": "TFI211", "index-deleted": "TFI201"}


def _damaged(tmp_path, how):
    folder = copy_fixture(tmp_path, "seed000", "exported_model")
    damage(folder, how)
    return folder


def _tf1_load_error(tf, folder) -> str | None:
    graph = tf.Graph()
    with tf.compat.v1.Session(graph=graph) as session:
        try:
            tf.compat.v1.saved_model.loader.load(session, ["serve"], str(folder))
        except Exception as exc:  # noqa: BLE001 - the class name is the fact
            return type(exc).__name__
    return None


@pytest.mark.parametrize("how", DAMAGES)
def test_tensorflow_fails_to_load_and_check_reports_the_damage(tmp_path, tf, how):
    folder = _damaged(tmp_path, how)
    assert _tf1_load_error(tf, folder) == TF_ERRORS[how]
    for target in ("tf-serving", "vertex", "python", "python-v1"):
        code, items = check_findings(folder, "--target", target)
        errors = [f for f in items if f["severity"] == "error"]
        assert code == 1 and [f["code"] for f in errors] == [CODES[how]], (target, errors)
        assert errors[0]["stage"] == "load"


def test_the_undamaged_copy_loads_and_passes(tmp_path, tf):
    folder = copy_fixture(tmp_path, "seed000", "exported_model")
    assert _tf1_load_error(tf, folder) is None
    code, items = check_findings(folder, "--select", "TFI2")
    assert code == 0 and items == []


def test_short_shard_names_the_shard_and_sizes(tmp_path):
    folder = _damaged(tmp_path, "shard-half")
    shard = data_shards(folder)[0]
    _code, items = check_findings(folder)
    [finding] = [f for f in items if f["code"] == "TFI210"]
    assert shard.name in finding["message"] and f"{shard.stat().st_size:,} bytes" in finding["message"]
    assert finding["location"] == f"variables/{shard.name}"


def test_zeroed_tail_needs_the_checksums(tmp_path):
    folder = _damaged(tmp_path, "tail-zeroed")
    code, items = check_findings(folder, "--no-deep")
    assert code == 0 and not [f for f in items if f["code"].startswith("TFI21")]
    code, items = check_findings(folder, "--deep")
    [finding] = [f for f in items if f["code"] == "TFI211"]
    # every tensor whose bytes changed is one place of the one finding, as ckpt --verify lists them
    verify = run_cli("ckpt", folder, "--verify", "--json")
    assert verify.code == 1
    assert sorted(p["location"] for p in finding["places"]) == sorted(v["checkpoint_key"]
                                                                       for v in verify.json()["verify"])
    assert finding["count"] == len(finding["places"]) > 1


def test_a_large_checkpoint_says_its_checksums_were_not_compared(tmp_path, monkeypatch):
    from inspector.checks import context

    folder = _damaged(tmp_path, "tail-zeroed")
    monkeypatch.setattr(context, "DEEP_BY_DEFAULT", 10)
    report = inspector.check(folder)
    assert [(f.code, f.severity.value) for f in report] == [("TFI211", "info")]
    assert "not compared" in report.findings[0].message
    assert [f.code for f in inspector.check(folder, deep=True)] == ["TFI211"]


def test_show_ckpt_and_the_api_report_the_same_fact(tmp_path):
    folder = _damaged(tmp_path, "shard-half")
    artifact = inspector.load(folder)
    [problem] = artifact.checkpoint_integrity().problems()
    shown = run_cli("show", folder, "--json")
    assert shown.code == 0 and shown.json()["checkpoint"]["problems"] == [problem]
    table = run_cli("show", folder)
    assert "INCOMPLETE" in table.out and "cut short" in table.out
    listed = run_cli("ckpt", folder, "--json")
    assert listed.code == 1 and listed.json()["problems"] == [problem]
    audited = run_cli("ckpt", folder)
    assert audited.code == 1 and "they match" not in audited.out and "INCOMPLETE" in audited.out


def test_versions_marks_a_broken_served_version_and_exits_1(tmp_path):
    root = tmp_path / "model"
    root.mkdir()
    shutil.copytree(fixture("seed000", "exported_model"), root / "1")
    shutil.copytree(fixture("seed000", "exported_model"), root / "2")
    assert run_cli("versions", root).code == 0
    damage(root / "2", "shard-deleted")
    result = run_cli("versions", root, "--json")
    assert result.code == 1
    by_number = {v["version"]: v for v in result.json()["versions"]}
    assert by_number[2]["served"] and not by_number[2]["healthy"]
    assert by_number[2]["check_errors"][0].startswith("TFI210")
    assert by_number[1]["healthy"]
    assert "SERVED, BROKEN" in run_cli("versions", root).out


def test_diff_to_a_damaged_copy_is_breaking(tmp_path):
    folder = _damaged(tmp_path, "shard-deleted")
    result = run_cli("diff", fixture("seed000", "exported_model"), folder, "--json")
    assert result.code == 1
    changes = [c for c in result.json()["changes"] if c["kind"] == "checkpoint_incomplete"]
    assert [c["severity"] for c in changes] == ["breaking"]


def test_sarif_keeps_one_result_per_place(tmp_path):
    folder = _damaged(tmp_path, "tail-zeroed")
    report = json.loads(run_cli("check", folder, "--format", "sarif").out)
    results = [r for r in report["runs"][0]["results"] if r["ruleId"] == "TFI211"]
    _code, items = check_findings(folder)
    [finding] = [f for f in items if f["code"] == "TFI211"]
    assert len(results) == finding["count"] > 1
