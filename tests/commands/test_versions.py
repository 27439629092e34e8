"""`tfinspect versions ROOT`: what TF Serving finds in a model base path and serves."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import ROOT, check_findings, fixture, run_cli

from inspector.load.versions import parse_version

CHICAGO = ROOT.parent / "shared" / "corpus" / "tfx" / "estimator_training" / "export" / "chicago-taxi"


@pytest.mark.parametrize(("name", "number"), [
    ("7", 7), ("007", 7), (" 7\t", 7), ("-3", -3), ("9223372036854775807", 9223372036854775807),
    ("+3", None), ("7a", None), ("1.5", None), ("", None), ("-", None), ("temp-1234", None),
    ("9223372036854775808", None), ("-9223372036854775808", -9223372036854775808), ("1_000", None),
])
def test_version_names_parse_as_tf_serving_parses_them(name, number):
    """safe_strto64 in tensorflow/core/lib/strings/numbers.cc: spaces, optional '-', digits, int64."""
    assert parse_version(name) == number


@pytest.fixture
def messy_tree(built, tmp_path) -> Path:
    """Versions 1-3 of the diff tree, an interrupted export 4 (empty folder) and a stray folder."""
    root = tmp_path / "model"
    root.mkdir()
    for number in (1, 2, 3):
        shutil.copytree(built / "tree" / str(number), root / str(number))
    (root / "4").mkdir()
    shutil.copytree(built / "tree" / "3", root / "3.backup")
    return root


def test_broken_newest_version_is_served_and_fails(messy_tree):
    result = run_cli("versions", messy_tree, "--json")
    assert result.code == 1, result.err
    data = result.json()
    assert data["schema_version"] == 1 and data["policy"] == "latest 1"
    assert data["served"] == [4]
    by_number = {v["version"]: v for v in data["versions"]}
    assert sorted(by_number) == [1, 2, 3, 4]
    assert "no saved_model.pb" in by_number[4]["error"]
    assert data["skipped"] == ["3.backup"]
    assert by_number[1]["signatures"][0]["input_aliases"] == ["words", "x"]
    assert by_number[2]["signatures"][0]["input_aliases"] == ["features", "words"]
    assert all(by_number[n]["error"] is None and by_number[n]["check_errors"] == [] for n in (1, 2, 3))
    # Each version against the next: 1 -> 2 renames x, 2 -> 3 changes its dtype (tests/helpers/diff_tree.py).
    assert [(c["old"], c["new"], c["kinds"]) for c in data["changes"]] == [
        (1, 2, ["input_renamed"]), (2, 3, ["input_dtype_changed", "op_type_added", "node_count_changed"])]
    assert data["changes"][0]["counts"]["breaking"] == 1


def test_policies_choose_what_is_served(messy_tree):
    everything = run_cli("versions", messy_tree, "--policy", "all", "--json")
    assert everything.json()["served"] == [1, 2, 3, 4] and everything.code == 1
    specific = run_cli("versions", messy_tree, "--policy", "specific", "1,3", "--json")
    assert specific.code == 0, specific.err
    assert specific.json()["served"] == [1, 3]
    latest = run_cli("versions", messy_tree, "--policy", "latest", "2", "--json")
    assert latest.json()["served"] == [3, 4]
    missing = run_cli("versions", messy_tree, "--policy", "specific", "9", "--json")
    assert missing.code == 1 and missing.json()["served"] == []
    assert any("version 9 is asked for but not on disk" in n for n in missing.json()["notes"])
    bad = run_cli("versions", messy_tree, "--policy", "newest")
    assert bad.code == 2 and bad.out == "" and "unknown policy" in bad.err


def test_table_names_the_stray_folder_and_the_broken_version(messy_tree):
    result = run_cli("versions", messy_tree)
    assert result.code == 1
    assert "skipped by TF Serving (not a version number): '3.backup'" in result.out
    assert "cannot load: no saved_model.pb" in result.out
    assert "version 4, which TF Serving would serve, cannot load" in result.out


def test_duplicate_numbers_and_nested_export(built, tmp_path):
    root = tmp_path / "model"
    root.mkdir()
    shutil.copytree(built / "tree" / "1", root / "007")
    shutil.copytree(built / "tree" / "2", root / "7")
    shutil.copytree(built / "tree" / "3", root / "8" / "1")  # exported one level too deep
    data = run_cli("versions", root, "--policy", "latest", "2", "--json").json()
    by_folder = {v["folder"]: v for v in data["versions"]}
    assert by_folder["007"]["shadowed_by"] == "7" and by_folder["007"]["served"] is False
    assert by_folder["7"]["served"] is True and by_folder["8"]["served"] is True
    assert "nested in 1/" in by_folder["8"]["error"]


def test_served_version_with_check_errors_exits_1(built, tmp_path):
    root = tmp_path / "model"
    root.mkdir()
    shutil.copytree(built / "tree" / "1", root / "1")
    shutil.copytree(fixture("fault_table_no_init"), root / "2")
    code, findings = check_findings(root / "2")
    assert code == 1
    result = run_cli("versions", root, "--json")
    assert result.code == 1
    served = next(v for v in result.json()["versions"] if v["served"])
    assert served["version"] == 2
    assert [e.split()[0] for e in served["check_errors"]] == [f["code"] for f in findings if f["severity"] == "error"]
    # Serving version 1 only is fine.
    assert run_cli("versions", root, "--policy", "specific", "1").code == 0


def test_chicago_taxi_export(tf):
    assert CHICAGO.is_dir()
    result = run_cli("versions", CHICAGO, "--json")
    assert result.code == 0, result.err
    data = result.json()
    folders = [p.name for p in CHICAGO.iterdir()]
    assert [v["folder"] for v in data["versions"]] == folders == ["1646034756"]
    version = data["versions"][0]
    assert data["served"] == [1646034756] and version["served"] is True
    # TensorFlow's own proto parser reads the same facts.
    from tensorflow.core.protobuf import saved_model_pb2

    proto = saved_model_pb2.SavedModel.FromString((CHICAGO / folders[0] / "saved_model.pb").read_bytes())
    serving = next(m for m in proto.meta_graphs if set(m.meta_info_def.tags) == {"serve"})
    assert version["tensorflow_version"] == serving.meta_info_def.tensorflow_version
    assert sorted(s["signature_key"] for s in version["signatures"]) == sorted(
        k for k in serving.signature_def if not k.startswith("__"))
    assert version["size"] == sum(p.stat().st_size for p in (CHICAGO / folders[0]).rglob("*") if p.is_file())
    assert data["skipped"] == [] and data["changes"] == []


def test_not_a_base_path_exits_2(built, tmp_path):
    saved_model = run_cli("versions", built / "tree" / "1")
    assert saved_model.code == 2 and saved_model.out == ""
    assert "is a SavedModel, not a model base path" in saved_model.err
    missing = run_cli("versions", tmp_path / "nothing")
    assert missing.code == 2 and missing.err.count("\n") == 1
    assert "no such file or directory" in missing.err and "not a directory" not in missing.err
    (tmp_path / "model.pb").write_bytes(b"")
    a_file = run_cli("versions", tmp_path / "model.pb")
    assert a_file.code == 2 and "is not a directory" in a_file.err


@pytest.fixture
def odd_names(tmp_path) -> Path:
    """Version folders TF Serving reads by safe_strto64: '01' is 1, '-9223372036854775808' is -2^63, '1e3' no version."""
    root = tmp_path / "mymodel"
    root.mkdir()
    for name in ("01", "-9223372036854775808", "1e3"):
        shutil.copytree(fixture("seed003", "SavedModel"), root / name)
    return root


def test_odd_version_names_mean_the_same_to_every_command(odd_names):
    served = run_cli("versions", odd_names, "--json").json()
    assert served["served"] == [1] and served["skipped"] == ["1e3"]
    assert sorted(v["version"] for v in served["versions"]) == [-9223372036854775808, 1]
    shown = run_cli("show", odd_names, "--json").json()
    assert shown["version"] == 1 and shown["versions"] == [-9223372036854775808, 1]
    assert "version 1 (the others: -9223372036854775808)" in run_cli("show", odd_names).out
    for command in ("signatures", "check", "request"):
        assert run_cli(command, odd_names, "--json").code == 0, command
    assert run_cli("request", odd_names, "--json").json()["model_name"] == "mymodel"
    spec = run_cli("metadata", odd_names).json()["model_spec"]
    assert spec == {"name": "mymodel", "signature_name": "", "version": "1"}
    # A version folder read on its own: its name is the version, the folder above names the model.
    low = run_cli("metadata", odd_names / "-9223372036854775808")
    assert low.json()["model_spec"]["version"] == "-9223372036854775808"
    assert low.json()["model_spec"]["name"] == "mymodel" and low.err == ""
    skipped = run_cli("metadata", odd_names / "1e3")
    assert skipped.json()["model_spec"] == {"name": "1e3", "signature_name": "", "version": "1"}
    assert "not a numbered version folder" in skipped.err
    # --version picks a folder of the tree, or names the version a single SavedModel is served as
    picked = run_cli("metadata", odd_names, "--version=-9223372036854775808")
    assert picked.json()["model_spec"]["version"] == "-9223372036854775808"
    assert run_cli("metadata", odd_names / "01", "--version", "7").json()["model_spec"]["version"] == "7"
    assert run_cli("request", odd_names / "01", "--version", "7", "--json").json()["url_path"] \
        == "/v1/models/mymodel/versions/7:predict"
