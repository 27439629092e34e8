"""The model layer: tensor references, the graph index, the function library."""

from __future__ import annotations

import pytest
from conftest import fixture

import inspector
from inspector.model.graph import TensorRef


@pytest.mark.parametrize("text, node, output, index, control", [
    ("x", "x", None, 0, False),
    ("x:1", "x", None, 1, False),
    ("^init", "init", None, 0, True),
    ("MatMul:product:0", "MatMul", "product", 0, False),
    ("scope/while/body:output:3", "scope/while/body", "output", 3, False),
])
def test_tensor_reference_forms(text, node, output, index, control):
    ref = TensorRef.parse(text)
    assert (ref.node, ref.output, ref.index, ref.control) == (node, output, index, control)


def test_graph_index_against_tensorflow(tf):
    path = fixture("seed002", "model.meta")
    meta = inspector.load(path).meta_graphs[0]
    with tf.Graph().as_default() as graph:
        tf.compat.v1.train.import_meta_graph(str(path))
        for op in graph.get_operations():
            consumers = {e.consumer for e in meta.graph.consumers.get(op.name, []) if not e.ref.control}
            assert consumers == {c.name for out in op.outputs for c in out.consumers()}, op.name
            control = {e.consumer for e in meta.graph.consumers.get(op.name, []) if e.ref.control}
            assert control == {c.name for c in op._control_outputs}, op.name


def test_name_scopes_of_the_seed002_graph():
    graph = inspector.load(fixture("seed002", "model.meta")).meta_graphs[0].graph
    scopes = graph.top_level_scopes()
    assert "inputs" in scopes and "model_variables" in scopes
    assert graph.scope_of("model_variables/slope/read") == "model_variables/slope"
    assert graph.scope_counts["inputs"] == sum(1 for n in graph.nodes if n.startswith("inputs/"))


def test_function_calls_follow_branch_and_loop_attributes():
    meta = inspector.load(fixture("tf2_module")).meta_graph()
    library = meta.functions
    attrs = {call.attr for call in library.calls}
    assert {"then_branch", "else_branch"} <= attrs, attrs
    assert {"cond", "body"} <= attrs, attrs
    assert "f" in attrs
    reachable = library.reachable([None])
    assert set(reachable) <= set(library.names())
    # every function called from the top level or from another function is reachable
    called = {call.callee for call in library.calls if call.callee in library}
    assert called <= set(reachable) | set(library.names())


def test_a_cycle_in_the_call_graph_terminates(tf):
    from tensorflow.core.protobuf import saved_model_pb2

    saved = saved_model_pb2.SavedModel.FromString(fixture("tf2_module", "saved_model.pb").read_bytes())
    graph_def = saved.meta_graphs[0].graph_def
    funcs = graph_def.library.function
    # Make the first function call itself and the second, and the second call the first.
    first, second = funcs[0], funcs[1]
    node = first.node_def.add(name="self_call", op="PartitionedCall")
    node.attr["f"].func.name = first.signature.name
    node = second.node_def.add(name="back_call", op="PartitionedCall")
    node.attr["f"].func.name = first.signature.name
    from inspector.model.metagraph import MetaGraph

    meta = MetaGraph(graph_def, saved.meta_graphs[0])
    recursive = meta.functions.recursive()
    assert first.signature.name in recursive
    assert meta.functions.reachable([first.signature.name])  # returns, does not hang
