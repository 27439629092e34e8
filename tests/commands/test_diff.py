"""`tfinspect diff`: every change it calls breaking, TensorFlow shows breaking; every
change it calls compatible, TensorFlow still serves the old request.

The exports and TensorFlow's verdicts come from one child process
(``tests/helpers/diff_tree.py``) run once per session.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import fixture, run_cli

from inspector import load
from inspector.analysis.diff import BREAKING, COMPATIBLE, diff_artifacts, shape_change
from inspector.checks.op_registry import registered_ops


def _diff(old: Path, new: Path, **kwargs):
    return diff_artifacts(load(old), load(new), **kwargs)


# What each step of tests/helpers/diff_tree.py changes, the change kind the diff must report
# for it, and how a client of the old version fares.
EXPECTED = {
    1: ("input_renamed", BREAKING),
    2: ("input_dtype_changed", BREAKING),
    3: ("output_added", COMPATIBLE),
    4: ("vocabulary_changed", COMPATIBLE),
    5: ("vocabulary_changed", BREAKING),
    6: ("output_removed", BREAKING),
    7: ("input_shape_changed", COMPATIBLE),
    8: ("input_added", BREAKING),
    9: ("input_shape_changed", BREAKING),
}


@pytest.mark.parametrize("step", sorted(EXPECTED))
def test_diff_severity_matches_what_tensorflow_serves(built, replay, step):
    outcome = replay["steps"][step - 1]
    result = _diff(built / "tree" / str(step), built / "tree" / str(step + 1))
    kind, severity = EXPECTED[step]
    found = [c for c in result.changes if c.kind == kind]
    assert [c.severity for c in found] == [severity], (outcome["change"], result.changes)
    # TensorFlow's verdict: the old request fails (or its answer is missing or different)
    # exactly when the diff reports a breaking change.
    assert outcome["client_ok"] is (severity == COMPATIBLE), outcome
    assert bool(result.breaking) is (severity == BREAKING)


def test_rename_of_same_tensor_is_one_change_not_a_removal_and_an_addition(built):
    result = _diff(built / "tree" / "1", built / "tree" / "2")
    kinds = [c.kind for c in result.changes]
    assert "input_removed" not in kinds and "input_added" not in kinds
    renamed = next(c for c in result.changes if c.kind == "input_renamed")
    assert renamed.where == {"tag_set": "serve", "signature_key": "serving_default", "alias": "features"}
    assert renamed.old["alias"] == "x" and renamed.new["alias"] == "features"
    assert renamed.old["tensor_name"] == renamed.new["tensor_name"] == "x:0"


def test_reordered_vocabulary_names_an_entry_that_moved(built):
    change = next(c for c in _diff(built / "tree" / "5", built / "tree" / "6").changes
                  if c.kind == "vocabulary_changed")
    # version 5 has a,b,c,d; version 6 has c,a,b,d: 'a' moved from line 0 to line 1
    assert "'a' was line 0, is now line 1" in change.message
    assert change.where == {"asset": "assets/vocab.txt"}
    assert change.old["lines"] == change.new["lines"] == 4


def test_identical_exports_have_no_changes(built):
    assert _diff(built / "tree" / "3", built / "tree" / "3").changes == []


def test_cli_exit_status_json_and_markdown(built):
    tree = built / "tree"
    breaking = run_cli("diff", tree / "1", tree / "2", "--json")
    assert breaking.code == 1, breaking.err
    data = breaking.json()
    assert data["schema_version"] == 1 and data["breaking"] is True
    assert {c["kind"] for c in data["changes"]} == {"input_renamed"}
    assert set(data["changes"][0]) == {"kind", "severity", "where", "old", "new", "message"}
    compatible = run_cli("diff", tree / "3", tree / "4", "--format", "markdown")
    assert compatible.code == 0, compatible.err
    assert "| ✅ compatible | output_added | {serve} / serving_default / probability |" in compatible.out
    table = run_cli("diff", tree, tree, "--old-version", "6", "--new-version", "7")
    assert table.code == 1 and "output_removed" in table.out and "BREAKING" in table.out
    assert "OLD is version 6 of the version tree" in table.out and "NEW is version 7" in table.out


def test_meta_pair_new_required_placeholder(built, replay):
    graphs = built / "graphs"
    result = _diff(graphs / "a.meta", graphs / "b.meta")
    added = [c for c in result.changes if c.kind == "input_added"]
    assert [(c.severity, c.where["alias"]) for c in added] == [(BREAKING, "scale:0")]
    # TensorFlow: a.meta runs with the feed {x}, b.meta does not.
    assert replay["graphs"]["meta_a"]["ran"] is True
    assert replay["graphs"]["meta_b"]["ran"] is False
    assert "must feed a value for placeholder tensor 'scale'" in replay["graphs"]["meta_b"]["error"]


def test_frozen_pair_input_dtype(built, replay):
    graphs = built / "graphs"
    result = _diff(graphs / "a.pb", graphs / "b.pb")
    assert [(c.kind, c.severity, c.old, c.new) for c in result.breaking] == [
        ("input_dtype_changed", BREAKING, "DT_FLOAT", "DT_DOUBLE")]
    assert replay["graphs"]["frozen_a"]["ran"] is True
    assert replay["graphs"]["frozen_b"]["ran"] is False


def test_checkpoint_values_match_tensorflow(tf):
    old = fixture("seed004", "results", "model.ckpt-5.index").with_suffix("")
    new = fixture("seed004", "results", "model.ckpt-10.index").with_suffix("")
    result = _diff(old, new, values=True)
    reported = {c.where["checkpoint_key"]: c.new for c in result.changes if c.kind == "tensor_values_changed"}
    a, b = tf.train.load_checkpoint(str(old)), tf.train.load_checkpoint(str(new))
    expected = {}
    for key in a.get_variable_to_shape_map():
        delta = np.abs(np.asarray(a.get_tensor(key), np.float64) - np.asarray(b.get_tensor(key), np.float64))
        if delta.size and delta.max() > 0:
            expected[key] = float(delta.max())
    assert sorted(reported) == sorted(expected)
    for key, biggest in expected.items():
        assert reported[key]["max_abs_diff"] == pytest.approx(biggest)
    # Without --values, the indexes' crc32c tell which tensors changed, nothing read: the ones TensorFlow
    # shows differing, and only as info.
    plain = _diff(old, new)
    assert sorted(c.where["checkpoint_key"] for c in plain.changes if c.kind == "tensor_bytes_changed") \
        == sorted(expected)
    assert {c.severity for c in plain.changes} == {"info"}
    assert [c for c in plain.changes if c.kind == "tensor_bytes_not_compared"] == []


def test_checkpoint_tensor_removed_is_breaking_for_restore():
    result = _diff(fixture("seed003", "model.index"), fixture("seed002", "model.index"))
    removed = {c.where["checkpoint_key"]: c.severity for c in result.changes if c.kind == "checkpoint_tensor_removed"}
    assert removed == {"m": BREAKING, "b": BREAKING}


def test_new_unregistered_op_type_is_breaking(built, tmp_path, tf):
    """A graph gaining an op TensorFlow does not register cannot be loaded by a stock server."""
    graphs = built / "graphs"
    graph_def = tf.compat.v1.GraphDef.FromString((graphs / "a.pb").read_bytes())
    node = graph_def.node.add()
    node.name, node.op = "custom", "MyCustomZeroOp"
    target = tmp_path / "custom.pb"
    target.write_bytes(graph_def.SerializeToString())
    known = registered_ops()
    assert known is not None
    result = _diff(graphs / "a.pb", target, registered_ops=known[0])
    assert [(c.kind, c.where["op_type"]) for c in result.breaking] == [("op_type_added", "MyCustomZeroOp")]
    # TensorFlow agrees: the op is unknown to it.
    with pytest.raises(Exception, match="MyCustomZeroOp"), tf.Graph().as_default():
        tf.compat.v1.import_graph_def(graph_def, name="")


def test_names_from_the_artifact_are_not_markup(built, tmp_path, tf):
    """An alias holding rich markup and an escape sequence is printed as visible text."""
    export = tmp_path / "odd"
    shutil.copytree(built / "tree" / "4", export)
    from tensorflow.core.protobuf import saved_model_pb2

    proto = saved_model_pb2.SavedModel.FromString((export / "saved_model.pb").read_bytes())
    outputs = proto.meta_graphs[0].signature_def["serving_default"].outputs
    outputs["[red]p\x1b[2J"].CopyFrom(outputs["probability"])
    (export / "saved_model.pb").write_bytes(proto.SerializeToString())
    result = run_cli("diff", built / "tree" / "4", export)
    assert result.code == 0, result.err
    assert "[red]p\\x1b[2J" in result.out and "\x1b" not in result.out
    markdown = run_cli("diff", built / "tree" / "4", export, "--format", "markdown")
    assert "[red]p\\\\x1b[2J" in markdown.out and "\x1b" not in markdown.out


def test_unreadable_input_exits_2_with_one_line(built, tmp_path):
    result = run_cli("diff", built / "tree" / "1", tmp_path / "missing")
    assert result.code == 2 and result.out == ""
    assert result.err.count("\n") == 1 and "missing" in result.err


@pytest.mark.parametrize(("old", "new", "is_input", "severity"), [
    ([-1, 3], [-1, -1], True, COMPATIBLE),   # relaxed
    ([-1, 3], None, True, COMPATIBLE),       # rank relaxed
    ([-1, -1], [5, -1], True, BREAKING),     # narrowed (TensorFlow: tree step 9)
    ([-1, 3], [-1, 4], True, BREAKING),      # resized
    ([-1, 3], [-1, 3, 1], True, BREAKING),   # dimension added
    (None, [-1, 3], True, BREAKING),         # rank fixed
    ([-1, 1], [5, 1], False, COMPATIBLE),    # an output narrowed still fits what clients expect
    ([-1, 1], [-1, 2], False, BREAKING),     # an output resized
])
def test_shape_rules(old, new, is_input, severity):
    assert shape_change(old, new, is_input=is_input)[0] == severity


def test_values_progress_reaches_the_total():
    calls = []
    old = fixture("seed004", "results", "model.ckpt-5.index").with_suffix("")
    new = fixture("seed004", "results", "model.ckpt-10.index").with_suffix("")
    artifact = load(old)
    _diff(old, new, values=True, progress=lambda done, total: calls.append((done, total)))
    total = sum(e.size for e in artifact.checkpoint.entries())
    assert calls and calls[-1] == (total, total)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


def test_tf2_renamed_argument_is_a_rename(built, replay):
    """tf.saved_model.save names the placeholder after the argument: alias and tensor change
    together, and the one input removed and the one added with the same dtype and shape
    are reported as a rename."""
    result = _diff(built / "tf2" / "1", built / "tf2" / "2")
    assert [(c.kind, c.old["alias"], c.new["alias"]) for c in result.breaking] == [("input_renamed", "x", "inputs")]
    assert result.breaking[0].old["tensor_name"] != result.breaking[0].new["tensor_name"]
    assert replay["tf2"]["ran"] is False and "missing a required argument: 'inputs'" in replay["tf2"]["error"]


def test_a_fingerprint_only_one_side_has_is_called_added_or_removed(tmp_path):
    without = tmp_path / "without"
    shutil.copytree(fixture("keras_export"), without)
    (without / "fingerprint.pb").unlink()
    removed = [c for c in _diff(fixture("keras_export"), without).changes if c.kind == "fingerprint_changed"]
    assert [c.message for c in removed] == ["fingerprint.pb removed: NEW has none"]
    added = [c for c in _diff(without, fixture("keras_export")).changes if c.kind == "fingerprint_changed"]
    assert [c.message for c in added] == ["fingerprint.pb added: OLD had none"]


def test_a_fact_one_side_does_not_record_is_named_so_not_as_none():
    changes = _diff(fixture("seed003", "frozen_graph.pb"), fixture("seed003", "SavedModel")).changes
    (version,) = [c for c in changes if c.kind == "tensorflow_version_changed"]
    assert version.message == "TensorFlow version not recorded -> 2.21.0"
    assert version.old is None
