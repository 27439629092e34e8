"""Control characters in names from an artifact never reach the terminal raw.

The names are planted in copies of real exports (node, op type, device,
signature key and alias, collection key, tag, checkpoint key, the folder of a
checkpoint state file).  Every command's table, error line, SARIF and DOT
output must show them as escapes (``\\x1b``); JSON keeps them exact.
"""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import fixture, run_cli
from helpers.hostile import HOSTILE, HOSTILE_SHOWN, hostile_saved_model, raw_controls, run_in_process


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return hostile_saved_model(tmp_path_factory.mktemp("names"))


TABLE_COMMANDS = [
    ["show"], ["signatures"], ["ops"], ["ops", "--attrs"], ["collections"], ["variables"], ["functions"],
    ["io"], ["check"], ["check", "--format", "sarif"], ["dump"], ["dump", "--json"], ["ckpt"],
    ["graph", "-o", "-"],
]


@pytest.mark.parametrize("command", TABLE_COMMANDS, ids=" ".join)
def test_no_raw_control_character_reaches_the_terminal(model, command):
    code, out, err = run_in_process(command[0], model, *command[1:])
    assert code in (0, 1), err
    assert not raw_controls(out), (command, raw_controls(out))
    assert not raw_controls(err), (command, raw_controls(err))


def test_tables_show_the_names_visibly(model):
    _, out, _ = run_in_process("show", model)
    assert f"sig{HOSTILE_SHOWN}" in out and f"coll{HOSTILE_SHOWN}" in out and f"in{HOSTILE_SHOWN}" in out
    _, out, _ = run_in_process("ops", model)
    assert f"x{HOSTILE_SHOWN}" in out and f"No{HOSTILE_SHOWN}" in out


def test_json_keeps_names_exact(model):
    code, out, _ = run_in_process("show", model, "--json")
    assert code == 0
    assert not raw_controls(out)
    meta = json.loads(out)["meta_graphs"][0]
    assert {s["signature_key"] for s in meta["signatures"]} == {"sig" + HOSTILE}
    assert "coll" + HOSTILE in {c["key"] for c in meta["collections"]}
    assert "tag" + HOSTILE in meta["tag_set"]


def test_a_subprocess_sees_no_raw_control_character(model):
    result = run_cli("signatures", model)
    assert result.code == 0, result.err
    assert not raw_controls(result.out) and f"sig{HOSTILE_SHOWN}" in result.out


def test_non_printable_op_type_is_loaded_and_flagged_as_unregistered(tmp_path, tf):
    graph_def = tf.compat.v1.GraphDef.FromString(fixture("seed003", "frozen_graph.pb").read_bytes())
    mul = next(node for node in graph_def.node if node.op == "Mul")
    mul.op = "Mu" + HOSTILE + "l"
    path = tmp_path / "frozen_graph.pb"
    path.write_bytes(graph_def.SerializeToString())
    # TensorFlow reads the graph and refuses the op: it is not registered.
    with tf.Graph().as_default(), pytest.raises(tf.errors.NotFoundError, match="Op type not registered"):
        tf.compat.v1.import_graph_def(graph_def, name="")
    code, out, err = run_in_process("show", path)
    assert code == 0, err  # no longer "a protobuf message but not a ... GraphDef"
    assert f"Mu{HOSTILE_SHOWN}" in out and not raw_controls(out)
    code, out, err = run_in_process("check", path, "--json")
    assert code == 1, err
    findings = json.loads(out)["findings"]
    assert any(f["severity"] == "error" and "Mu" + HOSTILE + "l" in f["message"] for f in findings), findings
    code, out, err = run_in_process("check", path)
    assert code == 1 and f"Mu{HOSTILE_SHOWN}" in out and not raw_controls(out + err)


def test_checkpoint_keys_are_shown_visibly(tmp_path, tf):
    prefix = tmp_path / "ckpt"
    tf.raw_ops.SaveV2(prefix=str(prefix), tensor_names=["w" + HOSTILE, "plain"], shape_and_slices=["", ""],
                      tensors=[tf.constant([1.0, 2.0]), tf.constant(3)])
    assert tf.train.list_variables(str(prefix))[1][0] == "w" + HOSTILE  # TensorFlow stores the name as is
    for command in (["ckpt"], ["ckpt", "--stats"], ["ckpt", "--verify"], ["show"]):
        code, out, err = run_in_process(command[0], prefix, *command[1:])
        assert code == 0, err
        assert not raw_controls(out + err), command
    _, out, _ = run_in_process("ckpt", prefix)
    assert f"w{HOSTILE_SHOWN}" in out
    code, out, err = run_in_process("ckpt", prefix, "--values", "missing" + HOSTILE)
    assert code == 2 and out == "" and not raw_controls(err)
    assert "\\rcr\\x00nul\\x7fdel\\x9bcsi\\u202erev" in err  # one line, nothing folded or dropped
    code, out, _ = run_in_process("ckpt", prefix, "--json")
    assert "w" + HOSTILE in {row["checkpoint_key"] for row in json.loads(out)["tensors"]}


def test_checkpoint_state_file_path_is_shown_visibly_in_errors_and_warnings(tmp_path):
    folder = tmp_path / ("ck" + HOSTILE.replace("/", "|").replace("\x00", ""))  # paths hold no NUL
    folder.mkdir()
    for name in ("model.index", "model.data-00000-of-00001", "model.meta"):
        shutil.copy(fixture("seed003", name), folder / name)
    (folder / "checkpoint").write_text('model_checkpoint_path: "gone"\nall_model_checkpoint_paths: "model"\n')
    code, out, err = run_in_process("ckpt", folder)
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and not raw_controls(err)
    assert "ck" + HOSTILE_SHOWN in err and "names checkpoint 'gone'" in err
    (folder / "checkpoint").write_text('model_checkpoint_path: "model"\nall_model_checkpoint_paths: "old"\n'
                                       'all_model_checkpoint_paths: "model"\n')
    code, out, err = run_in_process("ckpt", folder / "model")
    assert code == 0, err
    assert not raw_controls(out + err) and "ck" + HOSTILE_SHOWN in out  # the warning about 'old'
