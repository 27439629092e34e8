"""Rules whose truth depends on the loader, each confirmed by TensorFlow on edited copies of real exports.

One TensorFlow child per target (tests/conformance/tf_run.py) runs every edited copy,
once for the module.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from conftest import ROOT, check_findings, fixture, run_cli
from tensorflow.core.protobuf import meta_graph_pb2, saved_model_pb2

from inspector.checks.ops import NO_KERNEL_OPS
from tests.conformance.artifacts import CORPUS, require_corpus
from tests.conformance.check_truth import run_tensorflow

SEED000 = ("seed000", "exported_model")


def _edit(base, name: str, parts: tuple[str, ...], change):
    target = base / name
    shutil.copytree(fixture(*parts), target)
    model = saved_model_pb2.SavedModel.FromString((target / "saved_model.pb").read_bytes())
    change(model.meta_graphs[0])
    if change in (_second_meta_graph, _broken_train_meta_graph):
        second = model.meta_graphs.add()
        second.CopyFrom(model.meta_graphs[0])
        second.meta_info_def.tags[:] = ["serve", "gpu"] if change is _second_meta_graph else ["train"]
        if change is _broken_train_meta_graph:
            second.signature_def["serving_default"].outputs["earnings"].name = "no_such_node:0"
    (target / "saved_model.pb").write_bytes(model.SerializeToString())
    return target


def _variable_output(dtype: int):
    def change(meta):
        info = meta.signature_def["serving_default"].outputs["weights"]
        info.name, info.dtype = "layer_1/weights1:0", dtype
        for size in (9, 50):
            info.tensor_shape.dim.add().size = size
    return change


def _drop_output_shape(meta):
    meta.signature_def["serving_default"].outputs["earnings"].ClearField("tensor_shape")


def _drop_input_shape(meta):
    meta.signature_def["serving_default"].inputs["input"].ClearField("tensor_shape")


def _unread_asset(meta):
    """An asset nothing reads: a new Const named by an extra AssetFileDef whose file is absent."""
    node = meta.graph_def.node.add()
    node.CopyFrom(next(n for n in meta.graph_def.node if n.op == "Const" and n.attr["dtype"].type == 7))
    node.name = "unused_asset_path"
    asset = meta_graph_pb2.AssetFileDef(filename="unused.txt")
    asset.tensor_info.name = "unused_asset_path:0"
    # The TF1 builder records assets in this collection (the MetaGraph field stays empty).
    meta.collection_def["saved_model_assets"].any_list.value.add().Pack(asset)


def _second_meta_graph(meta):
    """Done on the SavedModel, not the MetaGraph: see _edit."""


def _broken_train_meta_graph(meta):
    """A second MetaGraph tagged train whose signature names a missing tensor (see _edit)."""


EDITS = {
    "ref_output": (SEED000, _variable_output(101)),  # DT_FLOAT_REF, as builders wrote for TF1 variables
    "variable_output": (SEED000, _variable_output(1)),  # the same tensor, recorded as DT_FLOAT
    "output_no_shape": (SEED000, _drop_output_shape),
    "input_no_shape": (SEED000, _drop_input_shape),
    "unread_asset": (("fault_asset_vocab",), _unread_asset),
    "two_meta_graphs": (SEED000, _second_meta_graph),
    "broken_train_graph": (SEED000, _broken_train_meta_graph),
}


@pytest.fixture(scope="module")
def edited(tmp_path_factory):
    base = tmp_path_factory.mktemp("edited")
    paths = {name: _edit(base, name, parts, change) for name, (parts, change) in EDITS.items()}
    verdicts = run_tensorflow(list(paths.values()), base)
    return paths, verdicts


def _errors(path, target):
    return [f for f in check_findings(path, "--target", target)[1] if f["severity"] == "error"]


@pytest.mark.parametrize("name", ["ref_output", "variable_output"])
def test_tfi310_reference_output_fails_only_the_tf2_loader(edited, name):
    paths, verdicts = edited
    path = paths[name]
    assert "has a reference type" in verdicts["python"][str(path)][""]["load"]
    assert verdicts["python-v1"][str(path)]["serve"]["signatures"]["serving_default"] is None
    (error,) = _errors(path, "python")
    assert (error["code"], error["stage"], error["location"]) == ("TFI310", "load", "weights")
    assert _errors(path, "python-v1") == []


def test_tfi311_output_without_shape_fails_the_tf2_loader(edited):
    paths, verdicts = edited
    path = paths["output_no_shape"]
    assert "Shapes must be equal rank" in verdicts["python"][str(path)][""]["load"]
    assert verdicts["python-v1"][str(path)]["serve"]["load"] is None
    (error,) = _errors(path, "python")
    assert (error["code"], error["stage"], error["location"]) == ("TFI311", "load", "earnings")
    assert "rank 2" in error["message"]
    assert _errors(path, "python-v1") == []


def test_input_without_shape_loads_everywhere(edited):
    paths, verdicts = edited
    path = paths["input_no_shape"]
    assert verdicts["python"][str(path)][""] == {"load": None, "signatures": {"serving_default": None}}
    assert _errors(path, "python") == [] and _errors(path, "python-v1") == []


def test_tfi204_asset_nothing_reads_is_a_warning(edited):
    paths, verdicts = edited
    path = paths["unread_asset"]
    assert not (path / "assets" / "unused.txt").exists()
    assert verdicts["python-v1"][str(path)]["serve"] == {"load": None, "signatures": {"serving_default": None}}
    assert verdicts["python"][str(path)][""]["load"] is None
    found = [f for f in check_findings(path)[1] if f["code"] == "TFI204"]
    assert [(f["severity"], f["location"]) for f in found] == [("warning", "unused.txt")]


def test_no_kernel_ops_have_no_kernel_in_tensorflow():
    script = (
        "import sys, tensorflow as tf\n"
        "from tensorflow.python.framework import kernels\n"
        "names = sys.argv[1:]\n"
        "print(sum(1 for n in names if not kernels.get_registered_kernels_for_op(n).kernel))\n"
        "print(len(kernels.get_registered_kernels_for_op('MatMul').kernel) > 0)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script, *sorted(NO_KERNEL_OPS)], capture_output=True, text=True,
                          cwd=ROOT, timeout=300, check=True)
    assert proc.stdout.split() == [str(len(NO_KERNEL_OPS)), "True"]


def test_tfi506_names_the_op_in_the_signature_that_runs_it():
    require_corpus()
    corpus = CORPUS / "tfx" / "tft_tf2_saved_model"
    if not corpus.is_dir():
        pytest.skip("corpus missing (the conformance suite fails under CI=true)")
    found = [f for f in check_findings(corpus, "--target", "python-v1")[1] if f["code"] == "TFI506"]
    assert found and {f["signature_key"] for f in found} == {"serving_default"}
    assert all("BoostedTreesBucketize" in f["message"] for f in found)


def test_tfi312_several_meta_graphs_need_tags_for_the_tf2_loader(edited):
    paths, verdicts = edited
    path = paths["two_meta_graphs"]
    assert "tags=" in verdicts["python"][str(path)][""]["load"]
    assert set(verdicts["python-v1"][str(path)]) == {"serve", "serve,gpu"}
    assert all(v["load"] is None for v in verdicts["python-v1"][str(path)].values())
    (error,) = _errors(path, "python")
    assert (error["code"], error["stage"]) == ("TFI312", "load")
    assert _errors(path, "python-v1") == []


def test_unfed_placeholder_is_a_load_error_for_the_tf2_loader_only():
    # TensorFlow's verdicts for this fixture are asserted in tests/conformance/test_check_targets.py.
    path = fixture("fault_unfed_placeholder")
    (tf2,) = _errors(path, "python")
    (v1,) = _errors(path, "python-v1")
    assert (tf2["code"], tf2["stage"], tf2["signature_key"]) == ("TFI304", "load", "serving_default")
    assert (v1["code"], v1["stage"], v1["signature_key"]) == ("TFI304", "run", "serving_default")
    table = run_cli("check", path, "--target", "python")
    assert table.code == 1 and "(the model does not load)" in table.out
    assert "(the model does not load)" not in run_cli("check", path, "--target", "python-v1").out


def test_servers_are_judged_on_the_serve_meta_graph_only(edited):
    paths, verdicts = edited
    path = paths["broken_train_graph"]
    v1 = verdicts["python-v1"][str(path)]
    assert v1["serve"] == {"load": None, "signatures": {"serving_default": None}}
    assert v1["train"]["signatures"]["serving_default"] is not None  # TensorFlow fails on the train graph
    (error,) = _errors(path, "python-v1")
    assert (error["code"], error["tag_set"], error["signature_key"]) == ("TFI302", ["train"], "serving_default")
    assert _errors(path, "tf-serving") == []  # a server loads {serve} only
