"""Directories that are not quite a model, and paths that are URLs: what is there, what to do."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import assert_clean_failure, fixture, run_cli

from inspector.errors import InspectorError
from inspector.load import load


def _version_tree(tmp_path: Path, *folders: str) -> Path:
    """A TF Serving base path holding real SavedModel versions under the given folder names."""
    base = tmp_path / "model"
    base.mkdir()
    for name, version in zip(folders, ("1", "2", "1", "2"), strict=False):
        shutil.copytree(fixture("seed001", "mnist", version), base / name)
    return base


def test_directory_with_only_saved_model_companions_says_saved_model_pb_is_missing(tmp_path, tf):
    partial = tmp_path / "export"
    partial.mkdir()
    shutil.copy(fixture("keras_export", "fingerprint.pb"), partial / "fingerprint.pb")
    (partial / "keras_metadata.pb").write_bytes(b"")
    with pytest.raises(OSError, match="saved_model.pb"):
        tf.saved_model.load(str(partial))
    line = assert_clean_failure(run_cli("show", partial), str(partial), "keras_metadata.pb, fingerprint.pb",
                                "no saved_model.pb", "copy the whole export directory again")
    assert "holds no TensorFlow model" not in line


def test_version_folder_01_is_version_1(tmp_path, tf):
    base = _version_tree(tmp_path, "01")
    assert tf.saved_model.load(str(base / "01")) is not None
    shown = run_cli("show", base, "--json")
    assert shown.code == 0, shown.err
    data = shown.json()
    assert (data["versions"], data["version"]) == ([1], 1)
    assert data["graph_file"] == str(base / "01" / "saved_model.pb")
    assert any("'01' is version 1" in note for note in data["notes"]), data["notes"]
    assert run_cli("show", base, "--version", "1", "--json").json()["version"] == 1


def test_two_folders_with_one_version_number_name_the_one_tf_serving_loads(tmp_path):
    base = _version_tree(tmp_path, "01", "1")
    data = run_cli("show", base, "--json").json()
    assert data["graph_file"] == str(base / "1" / "saved_model.pb")
    assert any("'01' and '1' are both version 1" in w and "loads '1'" in w for w in data["warnings"])


def test_non_numeric_folders_in_a_version_tree_are_named(tmp_path):
    base = _version_tree(tmp_path, "1", "2")
    (base / "tmp").mkdir()
    (base / ".ipynb_checkpoints").mkdir()
    (base / "README").write_text("notes")
    result = run_cli("show", base)
    assert result.code == 0, result.err
    data = run_cli("show", base, "--json").json()
    (note,) = [n for n in data["notes"] if "not version numbers" in n]
    assert "'tmp'" in note and "'.ipynb_checkpoints'" in note and "README" not in note
    assert "not version numbers" in result.out


def test_newest_version_folder_without_a_model_is_a_warning(tmp_path):
    base = _version_tree(tmp_path, "1")
    (base / "7").mkdir()
    data = run_cli("show", base, "--json").json()
    assert data["version"] == 1
    assert any("'7' holds no saved_model.pb" in w and "newest" in w for w in data["warnings"])
    assert_clean_failure(run_cli("show", base, "--version", "7"), str(base),
                         "version folder '7' holds no saved_model.pb", "versions here: 1")


def test_version_folders_that_hold_no_model_are_refused_by_name(tmp_path):
    base = tmp_path / "model"
    (base / "1").mkdir(parents=True)
    (base / "2").mkdir()
    assert_clean_failure(run_cli("show", base), str(base), "version folders ('1', '2') hold no saved_model.pb")


def test_a_url_mangled_by_pathlib_is_still_recognised():
    with pytest.raises(InspectorError, match="gs:/my-bucket/model: is no local path.*write it as gs://my-bucket/model"):
        load(Path("gs://my-bucket/model"))
