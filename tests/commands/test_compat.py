"""The shipped op registries, `check --tf-version/--serving-version/--vertex-container`, `compat`, and the API.

The registries are held to the installed TensorFlow (2.21) op by op; what older
releases do is held to TensorFlow 2.12 itself in tests/conformance/test_releases.py.
"""

from __future__ import annotations

import shutil

import pytest
from conformance.artifacts import CORPUS, require_corpus
from conftest import check_findings, fixture, run_cli

import inspector
from inspector.registry import reader as registry

KERAS_2_EXPORT = CORPUS / "tfx" / "keras_serving"  # a Keras 2 model.save() with optimizer slots


def test_every_release_from_2_12_to_2_21_is_shipped_within_the_size_budget():
    assert registry.releases() == [f"2.{minor}" for minor in range(12, 22)]
    assert registry.DATA.stat().st_size < 2 * 1024 * 1024
    assert registry.release("2.15").keras_major == 2 and registry.release("2.16").keras_major == 3


def test_the_2_21_registry_is_the_installed_tensorflow_s(tf):
    """Every op of the installed TensorFlow: the same attributes, defaults, allowed values and arguments."""
    from tensorflow.python.framework import kernels, op_def_registry

    shipped = registry.release("2.21")
    assert shipped.tensorflow == tf.__version__
    compared = 0
    for name in dir(tf.raw_ops):
        if name.startswith("_"):
            continue
        real = op_def_registry.get(name)
        found = shipped.op(name)
        assert (real is None) == (found is None), name
        if real is None:
            continue
        mine = found.op_def
        assert [(a.name, a.type, a.default_value, a.allowed_values) for a in mine.attr] == \
            [(a.name, a.type, a.default_value, a.allowed_values) for a in real.attr], name
        assert [(a.name, a.type, a.type_attr, a.number_attr, a.type_list_attr) for a in mine.input_arg] == \
            [(a.name, a.type, a.type_attr, a.number_attr, a.type_list_attr) for a in real.input_arg], name
        assert mine.is_stateful == real.is_stateful, name
        cpu = any(k.device_type in ("CPU", "DEFAULT") and not k.label
                  for k in kernels.get_registered_kernels_for_op(name).kernel)
        assert found.cpu_kernel == cpu, name
        compared += 1
    assert compared > 1400


def test_an_op_s_history_across_releases():
    assert registry.registering("Conv")[0] == "2.14"
    range_op = registry.release("2.12").op("Range")
    bfloat16 = 14  # DataType DT_BFLOAT16
    assert not range_op.kernel_for({"Tidx": [bfloat16]})
    assert [r for r in registry.releases() if registry.release(r).op("Range").kernel_for({"Tidx": [bfloat16]})] \
        == ["2.18", "2.19", "2.20", "2.21"]
    assert registry.release("2.12").op("WhitespaceTokenizeWithOffsets").library == "tensorflow-text"


@pytest.mark.parametrize(("text", "release"), [
    ("us-docker.pkg.dev/vertex-ai/prediction/tf2-cpu.2-15:latest", "2.15"),
    ("europe-docker.pkg.dev/vertex-ai/prediction/tf2-gpu.2-12:latest", "2.12"), ("tf2-cpu.2-17", "2.17"),
    ("pytorch-cpu.2-1", None), ("tf2-cpu", None)])
def test_vertex_prebuilt_containers_name_their_tensorflow(text, release):
    assert registry.vertex_release(text) == release


def test_serving_version_and_vertex_container_are_the_tensorflow_release_they_ship(tmp_path):
    require_corpus()
    for option in (["--tf-version", "2.15"], ["--serving-version", "2.15.1"],
                   ["--vertex-container", "us-docker.pkg.dev/vertex-ai/prediction/tf2-cpu.2-15:latest"]):
        _, findings = check_findings(KERAS_2_EXPORT, "--target", "python", *option)
        assert "TFI206" not in {f["code"] for f in findings}, option
    _, findings = check_findings(KERAS_2_EXPORT, "--target", "python", "--serving-version", "2.16")
    assert "TFI206" in {f["code"] for f in findings}


@pytest.mark.parametrize("option", [["--vertex-container", "pytorch-cpu.2-1"], ["--tf-version", "two"]])
def test_a_release_option_that_names_no_release_is_refused_in_one_line(option):
    result = run_cli("check", fixture("tf2_module"), *option)
    assert result.code == 2 and result.out == ""
    assert len(result.err.strip().splitlines()) == 1 and "Traceback" not in result.err


def test_one_release_option_at_a_time():
    result = run_cli("check", fixture("tf2_module"), "--tf-version", "2.12", "--serving-version", "2.13")
    assert result.code == 2 and result.out == "" and "not allowed with" in result.err


def test_the_producer_warning_gives_way_to_precise_rules_for_shipped_releases():
    _, old = check_findings(fixture("tf2_module"), "--tf-version", "2.4")
    assert {"TFI508", "TFI706"} <= {f["code"] for f in old}
    _, shipped = check_findings(fixture("tf2_module"), "--tf-version", "2.12")
    assert not {"TFI508", "TFI706"} & {f["code"] for f in shipped}


def test_compat_names_the_range_and_the_reason_at_each_bound():
    require_corpus()
    result = run_cli("compat", KERAS_2_EXPORT, "--json")
    assert result.code == 0, result.err
    units = {u["loader"]: u for u in result.json()["units"]}
    python = units["python"]
    assert python["summary"] == "TensorFlow <= 2.15" and python["ranges"] == [{"from": "2.12", "to": "2.15"}]
    assert python["upper_bound_reason"]["code"] == "TFI206" and python["upper_bound_reason"]["release"] == "2.16"
    assert python["lower_bound_reason"] is None
    assert units["tf-serving"]["releases"] == registry.releases()
    table = run_cli("compat", KERAS_2_EXPORT)
    assert "TensorFlow <= 2.15" in table.out and "fails in 2.16: TFI206" in table.out


def test_compat_fails_everywhere_for_what_no_release_runs():
    result = run_cli("compat", fixture("fault_py_func"), "--json", "--loader", "tf-serving")
    assert result.code == 1, result.err
    (unit,) = result.json()["units"]
    assert unit["releases"] == [] and unit["summary"] == "no release"
    assert {r["release"] for r in unit["failures"].values()} == {None}  # the same reason in every release


@pytest.mark.parametrize("path", ["missing", "fixtures/ckpt_dtypes/ckpt.index"])
def test_compat_bad_input_is_one_line_and_exit_2(path):
    result = run_cli("compat", path)
    assert result.code == 2 and result.out == ""
    assert len(result.err.strip().splitlines()) == 1 and "Traceback" not in result.err


def test_the_python_api_is_the_command(tmp_path):
    require_corpus()
    report = inspector.compat(KERAS_2_EXPORT)
    assert report.releases("python") == ["2.12", "2.13", "2.14", "2.15"]
    assert report.releases("tf-serving", "serving_default") == registry.releases()
    assert report.to_json()["units"] == run_cli("compat", KERAS_2_EXPORT, "--json").json()["units"]
    assert "python: TensorFlow <= 2.15" in repr(report) and "<table" in report._repr_html_()
    with pytest.raises(inspector.InspectorError):
        inspector.compat(KERAS_2_EXPORT, loaders="tfserving")


def test_versions_has_a_tf_serving_releases_column(tmp_path):
    require_corpus()
    root = tmp_path / "model"
    shutil.copytree(fixture("tf2_module"), root / "1")
    shutil.copytree(KERAS_2_EXPORT, root / "2")
    data = run_cli("versions", root, "--json").json()
    assert [v["tf_serving_summary"] for v in data["versions"]] == ["every release 2.12 to 2.21"] * 2
    assert "TF Serving releases" in run_cli("versions", root).out
