"""`check --tf-version 2.12` and `compat` against TensorFlow 2.12 itself.

Exports made by the installed TensorFlow (2.21) exercise each release rule
(tests/releases/make_exports.py); TensorFlow 2.12, installed in its own venv
(tests/releases/release_venv.py, kept between runs), loads and runs each of them and
every SavedModel of fixtures/ and the corpus, with both loaders.  `check
--tf-version 2.12` must report an error for a unit (a load, or a signature)
exactly where 2.12 fails, and `compat` must put 2.12 and 2.21 in or out of
each range as those releases do.

The group needs a venv with TensorFlow 2.12 (about 600 MB, made once): it runs
under CI (`.ci/run` sets TFINSPECT_RELEASES=1) and locally with
`TFINSPECT_RELEASES=1 python -m pytest -m releases`; otherwise it is skipped.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run_cli

from .artifacts import ROOT, require_corpus, saved_models
from .check_truth import check_findings, confusion, run_tensorflow, units

ENABLED = os.environ.get("TFINSPECT_RELEASES") == "1" or os.environ.get("CI") == "true"
pytestmark = [pytest.mark.releases,
              pytest.mark.skipif(not ENABLED, reason="needs TensorFlow 2.12 in its own venv (about 600 MB, made "
                                                     "once): run with TFINSPECT_RELEASES=1, as .ci/run does")]
RELEASE = "2.12"
HERE = ROOT / "tests" / "releases"
TARGETS = ("python", "python-v1")
GRAPH_FILES = ("new_op.meta", "new_op_frozen.pb")


@pytest.fixture(scope="module")
def old_python() -> str:
    sys.path.insert(0, str(HERE))
    from release_venv import release_python  # tests/releases/release_venv.py

    return str(release_python(RELEASE))


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("release-exports")
    proc = subprocess.run([sys.executable, str(HERE / "make_exports.py"), str(out)], capture_output=True, text=True,
                          timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


def _export_dirs(exports: Path) -> list[Path]:
    return sorted(p for p in exports.iterdir() if p.is_dir())


@pytest.fixture(scope="module")
def verdicts(old_python, exports, tmp_path_factory) -> dict:
    """TensorFlow 2.12's verdicts on the exports and on every SavedModel of fixtures/ and the corpus."""
    require_corpus()
    paths = _export_dirs(exports) + [a.path for a in saved_models()]
    return run_tensorflow(paths, tmp_path_factory.mktemp("tf-2.12"), python=old_python, timeout=1200)


@pytest.fixture(scope="module")
def installed_verdicts(exports, tmp_path_factory) -> dict:
    """The installed TensorFlow (2.21) on the exports it wrote."""
    return run_tensorflow(_export_dirs(exports), tmp_path_factory.mktemp("tf-installed"))


def _model(verdicts: dict, target: str, path: Path) -> dict:
    result = verdicts[target][str(path)]
    return result[""] if target == "python" else result["serve"]


@pytest.mark.parametrize("target", TARGETS)
def test_check_errors_exactly_where_the_old_release_fails(verdicts, target):
    found = [u for path, result in verdicts[target].items()
             for u in units(target, path, result, check_findings(target, Path(path), RELEASE))]
    wrong = [f"{u.kind}: {u.model} {u.tag_set} {u.name}: TensorFlow {RELEASE} {u.tf_error or 'runs'}; "
             f"check {', '.join(u.check_codes) or 'nothing'}" for u in found if u.kind in ("false alarm", "miss")]
    counts = confusion(found)
    print(f"\n{target} on TensorFlow {RELEASE}: {len(found)} units: {counts}")
    assert wrong == []
    assert counts["both fail"] >= 6 and counts["both run"] >= 30


def _codes(target: str, path: Path, severity: str = "error", stage: str | None = None) -> set[str]:
    return {f["code"] for f in check_findings(target, path, RELEASE)
            if f["severity"] == severity and (stage is None or f["stage"] == stage)}


def test_a_new_op_in_a_signature_fails_both_loaders(verdicts, exports):
    path = exports / "new_op_in_signature"
    for target in TARGETS:
        assert "Op type not registered 'Conv'" in _model(verdicts, target, path)["load"]
        assert "TFI701" in _codes(target, path, stage="load")
    message = next(f["message"] for f in check_findings("tf-serving", path, RELEASE) if f["code"] == "TFI701")
    assert "Conv " in message and "first release with it is 2.14" in message


def test_a_new_op_in_an_uncalled_function_fails_only_tf_saved_model_load(verdicts, exports):
    path = exports / "new_op_unused_function"
    assert "Op type not registered 'Conv'" in _model(verdicts, "python", path)["load"]
    v1 = _model(verdicts, "python-v1", path)
    assert v1["load"] is None and set(v1["signatures"].values()) == {None}
    assert "TFI701" in _codes("python", path, stage="load")
    assert _codes("python-v1", path) == set() and _codes("tf-serving", path) == set()


def test_a_new_attribute_that_decides_a_dtype_fails_the_import(verdicts, exports):
    path = exports / "new_type_attr"
    for target in TARGETS:
        assert "int64" in _model(verdicts, target, path)["load"]
        assert _codes(target, path) == {"TFI702"}


@pytest.mark.parametrize("name", ["new_attr_set", "new_policy_set", "new_attr_default"])
def test_other_new_attributes_are_dropped_and_the_model_runs(verdicts, exports, name):
    path = exports / name
    for target in TARGETS:
        verdict = _model(verdicts, target, path)
        assert verdict["load"] is None and set(verdict["signatures"].values()) == {None}
        assert _codes(target, path) == set()
        assert ("TFI705" in _codes(target, path, "warning")) == (name != "new_attr_default")


def test_a_dtype_without_a_kernel_fails_the_signature(verdicts, exports):
    path = exports / "kernel_dtype"
    for target in TARGETS:
        verdict = _model(verdicts, target, path)
        assert verdict["load"] is None and "No OpKernel" in verdict["signatures"]["serving_default"]
        assert _codes(target, path, stage="run") == {"TFI704"}


def test_keras_2_optimizer_slots_load_up_to_keras_2(verdicts):
    """The corpus's Keras 2 export with optimizer slots: 2.12 (Keras 2) revives it, 2.21 (Keras 3) cannot."""
    keras = next(a.path for a in saved_models() if a.path.name == "keras_serving")
    assert _model(verdicts, "python", keras)["load"] is None
    assert "TFI206" not in _codes("python", keras)
    errors = {f["code"] for f in check_findings("python", keras, "2.21") if f["severity"] == "error"}
    assert "TFI206" in errors


def test_graph_files_follow_import_graph_def_and_import_meta_graph(old_python, exports, tmp_path):
    out = tmp_path / "imports.json"
    items = [f"{exports / name}|x:0|y:0" for name in GRAPH_FILES]
    proc = subprocess.run([old_python, str(HERE / "tf_import.py"), str(out), *items], capture_output=True,
                          text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(out.read_text())
    for name in GRAPH_FILES:
        path = exports / name
        assert "Op type not registered 'Conv'" in result[str(path)]["load"]
        for target in TARGETS:
            assert "TFI701" in _codes(target, path, stage="load")
            errors = [f for f in check_findings(target, path, "2.21") if f["code"].startswith("TFI7")]
            assert errors == []


def test_compat_puts_each_release_where_it_belongs(verdicts, installed_verdicts, exports):
    """compat's ranges contain 2.12 and 2.21 exactly where those releases load and run each signature."""
    for path in _export_dirs(exports):
        result = run_cli("compat", path, "--json", "--loader", "python", "--loader", "python-v1")
        assert result.code in (0, 1), result.err
        for unit in result.json()["units"]:
            for release, tf_verdicts in ((RELEASE, verdicts), ("2.21", installed_verdicts)):
                verdict = _model(tf_verdicts, unit["loader"], path)
                runs = verdict["load"] is None and verdict["signatures"].get(unit["signature_key"]) is None
                assert (release in unit["releases"]) == runs, (path.name, unit["loader"], release, unit["summary"])
