"""Regression tests for what the fuzz tests found: each one a minimal edit of a real export."""

from __future__ import annotations

import pytest
from conftest import fixture
from helpers.hostile import raw_controls, run_in_process

from inspector import protos


def frozen_with(tmp_path, edit) -> str:
    graph = protos.GraphDef.FromString(fixture("seed003", "frozen_graph.pb").read_bytes())
    edit(graph)
    path = tmp_path / "frozen_graph.pb"
    path.write_bytes(graph.SerializeToString())
    return str(path)


def const(graph, dtype: int):
    node = graph.node.add()
    node.name, node.op = "hostile_const", "Const"
    node.attr["dtype"].type = dtype
    node.attr["value"].tensor.dtype = dtype
    return node.attr["value"].tensor


def ragged_content(graph):
    """A float Const whose packed bytes are not a whole number of floats."""
    tensor = const(graph, protos.DataType.Value("DT_FLOAT"))
    tensor.tensor_shape.dim.add().size = 1
    tensor.tensor_content = b"\x00\x01\x02"


def huge_string_splat(graph):
    """One string repeated (TensorFlow's splat rule) over 2**40 elements."""
    tensor = const(graph, protos.DataType.Value("DT_STRING"))
    tensor.tensor_shape.dim.add().size = 1 << 40
    tensor.string_val.append(b"x")


@pytest.mark.parametrize("edit", [ragged_content, huge_string_splat], ids=lambda f: f.__name__)
@pytest.mark.parametrize("command", [["ops", "--attrs"], ["show"], ["show", "--json"], ["dump"], ["check"],
                                     ["io"], ["variables"]], ids=" ".join)
def test_damaged_constant_values_are_not_an_internal_error(tmp_path, edit, command):
    code, out, err = run_in_process(command[0], frozen_with(tmp_path, edit), *command[1:])
    assert code in (0, 1), err
    assert not raw_controls(out + err)


@pytest.mark.parametrize("field", ["model_checkpoint_path", "all_model_checkpoint_paths"])
def test_nul_in_a_checkpoint_state_path_is_not_an_internal_error(tmp_path, field):
    folder = tmp_path / "ckpt"
    folder.mkdir()
    for name in ("model.index", "model.data-00000-of-00001"):
        (folder / name).write_bytes(fixture("seed003", name).read_bytes())
    state = {"model_checkpoint_path": "model", "all_model_checkpoint_paths": "model"}
    state[field] = "/\x00work/model"
    (folder / "checkpoint").write_text("".join(f'{key}: "{value}"\n' for key, value in state.items()))
    code, out, err = run_in_process("show", folder)
    assert not raw_controls(out + err)
    if field == "model_checkpoint_path":  # the newest checkpoint cannot be found
        assert code == 2 and out == "" and "names checkpoint '/\\x00work/model' as the latest" in err
    else:  # an older one is left out, with a warning
        assert code == 0, err
        assert "'/\\x00work/model', which is not a valid path" in out
