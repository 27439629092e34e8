"""`tfinspect functions`: the function library and its call graph, confirmed by TensorFlow."""

from __future__ import annotations

import pytest
from conftest import fixture, run_cli

BRANCH_ATTRS = ("then_branch", "else_branch", "cond", "body")


def _library(path):
    from tensorflow.core.protobuf import saved_model_pb2

    proto = saved_model_pb2.SavedModel()
    proto.ParseFromString((path / "saved_model.pb").read_bytes())
    return proto.meta_graphs[0].graph_def.library


def test_function_names_equal_tensorflows(tf):
    path = fixture("tf2_module")
    data = run_cli("functions", path, "--json").json()["functions"]
    with tf.Graph().as_default() as graph, tf.compat.v1.Session(graph=graph) as sess:
        tf.compat.v1.saved_model.loader.load(sess, ["serve"], str(path))
        loaded_names = set(graph._functions)
    assert {f["name"] for f in data} == loaded_names
    assert loaded_names == {f.signature.name for f in _library(path).function}


def test_control_flow_branches_are_callees_of_their_function(tf):
    path = fixture("tf2_module")
    data = {f["name"]: f for f in run_cli("functions", path, "--json").json()["functions"]}
    found = 0
    for fdef in _library(path).function:
        for node in fdef.node_def:
            if node.op not in ("StatelessIf", "If", "While", "StatelessWhile"):
                continue
            for attr in BRANCH_ATTRS:
                if attr in node.attr:
                    callee = node.attr[attr].func.name
                    found += 1
                    assert callee in data[fdef.signature.name]["calls"]
                    assert {"caller": fdef.signature.name, "node": node.name, "attr": attr} in \
                        data[callee]["called_by"]
    assert found >= 6  # StatelessIf, While and the nested If, two functions each


def test_argument_types_and_node_counts_equal_the_functiondefs(tf):
    from tensorflow.core.framework import types_pb2

    path = fixture("tf2_module")
    data = {f["name"]: f for f in run_cli("functions", path, "--json").json()["functions"]}
    for fdef in _library(path).function:
        ours = data[fdef.signature.name]
        assert ours["node_count"] == len(fdef.node_def)
        assert [(a["name"], a["dtype"]) for a in ours["inputs"]] == \
            [(a.name, types_pb2.DataType.Name(a.type)) for a in fdef.signature.input_arg]
        assert [a["name"] for a in ours["outputs"]] == [a.name for a in fdef.signature.output_arg]
        assert ours["recursive"] is False


def test_signatures_reach_their_functions():
    data = {f["name"]: f for f in run_cli("functions", fixture("tf2_module"), "--json").json()["functions"]}
    # the fixture's classify runs the while loop; serving_default does not
    assert "classify" in data["while_body_64"]["signature_keys"]
    assert "serving_default" not in data["while_body_64"]["signature_keys"]
    assert data["__inference__traced_save_179"]["signature_keys"] == []


def test_one_function_lists_its_nodes(tf):
    path = fixture("tf2_module")
    for fdef in _library(path).function:
        if fdef.signature.name.startswith("while_body"):
            break
    (data,) = run_cli("functions", path, "--name", fdef.signature.name, "--json").json()["functions"]
    assert [n["name"] for n in data["nodes"]] == [n.name for n in fdef.node_def]
    assert [n["op_type"] for n in data["nodes"]] == [n.op for n in fdef.node_def]
    assert [n["inputs"] for n in data["nodes"]] == [list(n.input) for n in fdef.node_def]
    table = run_cli("functions", path, "--name", fdef.signature.name)
    assert table.code == 0 and fdef.node_def[0].name in table.out


def test_unknown_function_name_is_a_selection_error():
    bad = run_cli("functions", fixture("tf2_module"), "--name", "no_such_fn")
    assert bad.code == 2 and bad.out == ""
    assert "no_such_fn" in bad.err and "while_body_64" in bad.err and "Traceback" not in bad.err


@pytest.mark.parametrize("parts", [("seed003", "frozen_graph.pb"), ("seed002", "model.meta"),
                                   ("seed000", "exported_model")], ids="/".join)
def test_graphs_without_functions_say_so(tf, parts):
    path = fixture(*parts)
    table = run_cli("functions", path)
    assert table.code == 0, table.err
    assert "No functions" in table.out
    assert run_cli("functions", path, "--json").json()["functions"] == []
