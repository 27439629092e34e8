"""`tfinspect ops`: the operations TensorFlow itself imports, with their outputs."""

from __future__ import annotations

import re

import pytest
from conftest import assert_clean_failure, copy_fixture, fixture, run_cli
from helpers.proto_edits import BIG_CONST, frozen_graph_with_big_const, rename_node

from inspector.model.known_ops import KNOWN_OP_OUTPUTS
from inspector.model.outputs import known_op_outputs, op_def_outputs

META_GRAPHS = [("seed002", "model.meta"), ("seed003", "model.meta"),
               ("seed004", "results", "model.ckpt-10.meta")]


def import_meta(tf, path):
    graph = tf.Graph()
    with graph.as_default():
        tf.compat.v1.train.import_meta_graph(str(path))
    return graph


def import_graph_def(tf, path):
    from google.protobuf import text_format

    graph_def = tf.compat.v1.GraphDef()
    if path.suffix == ".pbtxt":
        text_format.Parse(path.read_text(), graph_def)
    else:
        graph_def.ParseFromString(path.read_bytes())
    graph = tf.Graph()
    with graph.as_default():
        tf.import_graph_def(graph_def, name="")
    return graph


def tensor_name(reference: str) -> str:
    return reference if ":" in reference else f"{reference}:0"


def assert_rows_are_tensorflows(tf, rows, graph):
    """Names, types, order, inputs, devices, output dtypes and shapes against TF's Graph."""
    operations = graph.get_operations()
    assert [(r["name"], r["op_type"]) for r in rows] == [(op.name, op.type) for op in operations]
    for row, op in zip(rows, operations):
        assert [tensor_name(i) for i in row["data_inputs"]] == [t.name for t in op.inputs], op.name
        assert sorted(row["control_inputs"]) == sorted(c.name for c in op.control_inputs), op.name
        assert row["inputs"] == list(op.node_def.input), op.name
        assert row["device"] == op.device, op.name
        assert row["function"] is None
        if row["outputs"] is None:
            continue
        assert len(row["outputs"]) == len(op.outputs), op.name
        for ours, tensor in zip(row["outputs"], op.outputs):
            if ours["dtype"] is not None:
                assert ours["dtype"] == _dt_name(tf, tensor.dtype), (op.name, ours, tensor)
            if ours["shape"] is not None:
                shape = [None if d < 0 else d for d in ours["shape"]]
                assert tensor.shape.is_compatible_with(shape), (op.name, ours, tensor.shape)


def _dt_name(tf, dtype) -> str:
    from tensorflow.core.framework import types_pb2

    return types_pb2.DataType.Name(dtype.base_dtype.as_datatype_enum)


@pytest.mark.parametrize("parts", META_GRAPHS, ids="/".join)
def test_operations_of_a_meta_graph_are_tensorflows(tf, parts):
    path = fixture(*parts)
    rows = run_cli("ops", path, "--json").json()["ops"]
    assert_rows_are_tensorflows(tf, rows, import_meta(tf, path))
    # a .meta carries the OpDefs: every operation's outputs are known
    assert all(r["outputs"] is not None and r["outputs_from"] == "op_def" for r in rows)
    assert sum(o["shape"] is not None for r in rows for o in r["outputs"]) > len(rows) // 2


@pytest.mark.parametrize("parts", [("seed003", "frozen_graph.pb"), ("seed002", "graphdef.pbtxt")],
                         ids="/".join)
def test_operations_of_a_graph_def_are_tensorflows(tf, parts):
    path = fixture(*parts)
    rows = run_cli("ops", path, "--json").json()["ops"]
    assert_rows_are_tensorflows(tf, rows, import_graph_def(tf, path))
    # no OpDefs in a GraphDef: tfinspect's table of common ops covers these graphs
    assert {r["outputs_from"] for r in rows} == {"known_ops"}


def test_operations_of_a_saved_model_are_tensorflows(tf):
    path = fixture("seed001", "mnist", "2")
    rows = run_cli("ops", path, "--json").json()["ops"]
    with tf.Graph().as_default() as graph, tf.compat.v1.Session(graph=graph) as sess:
        tf.compat.v1.saved_model.loader.load(sess, ["serve"], str(path))
    assert_rows_are_tensorflows(tf, rows, graph)
    (restore,) = [r for r in rows if r["op_type"] == "RestoreV2"]
    assert len(restore["outputs"]) == len(graph.get_operation_by_name(restore["name"]).outputs) > 1


def test_output_dtypes_and_shapes_of_chosen_nodes(tf):
    path = fixture("seed002", "model.meta")
    rows = {r["name"]: r for r in run_cli("ops", path, "--json").json()["ops"]}
    graph = import_meta(tf, path)
    assert rows["inputs/Placeholder"]["outputs"] == [{"dtype": "DT_DOUBLE", "shape": [-1, -1]}]
    assert rows["model_variables/slope"]["outputs"] == [{"dtype": "DT_DOUBLE", "shape": []}]
    restore = rows["save/RestoreV2"]["outputs"]
    tf_restore = graph.get_operation_by_name("save/RestoreV2").outputs
    assert [o["dtype"] for o in restore] == [_dt_name(tf, t.dtype) for t in tf_restore] == ["DT_DOUBLE"] * 2
    assert rows["save/SaveV2"]["outputs"] == []
    for name in ("loss/Square", "training/GradientDescent/update_model_variables/slope/ApplyGradientDescent"):
        tf_out = graph.get_operation_by_name(name).outputs
        assert [o["dtype"] for o in rows[name]["outputs"]] == [_dt_name(tf, t.dtype) for t in tf_out]


def test_the_table_of_common_ops_is_tensorflows(tf):
    from tensorflow.python.framework import op_def_registry

    for name in KNOWN_OP_OUTPUTS:
        op_def = op_def_registry.get(name)
        assert op_def is not None, f"{name} is not a TensorFlow op"
        assert known_op_outputs(name) == op_def_outputs(op_def), name


def test_filters_type_scope_and_match(tf):
    path = fixture("seed002", "model.meta")
    operations = import_meta(tf, path).get_operations()

    rows = run_cli("ops", path, "--type", "Const,Identity", "--json").json()["ops"]
    assert [r["name"] for r in rows] == [op.name for op in operations if op.type in ("Const", "Identity")]

    rows = run_cli("ops", path, "--scope", "model_variables/", "--json").json()["ops"]
    expected = [op.name for op in operations if op.name.startswith("model_variables/")]
    assert [r["name"] for r in rows] == expected and expected

    rows = run_cli("ops", path, "--match", r"Assign(_\d+)?$", "--json").json()["ops"]
    expected = [op.name for op in operations if re.search(r"Assign(_\d+)?$", op.name)]
    assert [r["name"] for r in rows] == expected and expected

    rows = run_cli("ops", path, "--scope", "save/", "--type", "Assign", "--json").json()["ops"]
    assert [r["name"] for r in rows] == [op.name for op in operations
                                         if op.name.startswith("save/") and op.type == "Assign"]


def test_the_table_ends_with_a_count_line():
    path = fixture("seed002", "model.meta")
    result = run_cli("ops", path, "--scope", "model_variables/")
    assert result.code == 0, result.err
    count = len(run_cli("ops", path, "--scope", "model_variables/", "--json").json()["ops"])
    assert re.search(rf"^{count} of 90 operations$", result.out, re.MULTILINE), result.out[-300:]
    assert "model_variables/slope/Assign" in result.out
    none = run_cli("ops", path, "--type", "Conv2D")
    assert "0 of 90 operations" in none.out and "no operation has the type Conv2D" in none.out


def test_a_bad_regular_expression_is_one_line():
    assert_clean_failure(run_cli("ops", fixture("seed002", "model.meta"), "--match", "slope("),
                         "--match", "regular expression")


def test_functions_adds_the_nodes_inside_library_functions(tf):
    from tensorflow.core.protobuf import saved_model_pb2

    path = fixture("tf2_module")
    saved = saved_model_pb2.SavedModel.FromString((path / "saved_model.pb").read_bytes())
    graph_def = saved.meta_graphs[0].graph_def
    library = {f.signature.name: f for f in graph_def.library.function}

    top = run_cli("ops", path, "--json").json()["ops"]
    assert [r["name"] for r in top] == [n.name for n in graph_def.node]
    assert all(r["function"] is None for r in top)

    rows = run_cli("ops", path, "--functions", "--json").json()["ops"]
    inside = [r for r in rows if r["function"] is not None]
    assert rows[:len(top)] == top
    assert len(inside) == sum(len(f.node_def) for f in library.values())
    assert {r["function"] for r in inside} == set(library)
    for row in inside:
        node = {n.name: n for n in library[row["function"]].node_def}[row["name"]]
        assert row["op_type"] == node.op and row["inputs"] == list(node.input)
    (loop,) = [r for r in inside if r["op_type"] == "While"]
    loop_node = {n.name: n for n in library[loop["function"]].node_def}[loop["name"]]
    assert [o["dtype"] for o in loop["outputs"]] == [_dt_name(tf, tf.dtypes.as_dtype(t))
                                                     for t in loop_node.attr["T"].list.type]

    table = run_cli("ops", path, "--functions", "--type", "While")
    assert table.code == 0 and loop["function"] in table.out
    assert "1 of" in table.out and f"(the graph and {len(library)} functions)" in table.out


def test_attrs_summarise_a_large_const(tmp_path, tf):
    path, _ = frozen_graph_with_big_const(tmp_path, tf)
    rows = run_cli("ops", path, "--attrs", "--match", f"^{BIG_CONST}$", "--json").json()["ops"]
    (row,) = rows
    assert row["attrs"]["dtype"] == "DT_FLOAT"
    assert row["attrs"]["value"].startswith("DT_FLOAT [10000] = [0, 0.142857, 0.285714,")
    assert row["attrs"]["value"].endswith(", ...]")
    assert row["outputs"] == [{"dtype": "DT_FLOAT", "shape": [10000]}]
    table = run_cli("ops", path, "--attrs")
    assert table.code == 0, table.err
    assert "value: DT_FLOAT [10000] = [0, 0.142857" in table.out
    assert len(table.out) < 4000 and "1428.43" not in table.out  # the 10,000th value is never printed
    plain = run_cli("ops", path, "--json").json()["ops"]
    assert all("attrs" not in r for r in plain)


def test_a_hostile_node_name_prints_literally(tmp_path, tf):
    graph_def = tf.compat.v1.GraphDef.FromString(fixture("seed003", "frozen_graph.pb").read_bytes())
    hostile = '[bold]x"<y>'
    rename_node(graph_def, "x", hostile)
    path = tmp_path / "hostile.pb"
    path.write_bytes(graph_def.SerializeToString())
    result = run_cli("ops", path)
    assert result.code == 0, result.err
    lines = [line for line in result.out.splitlines() if hostile in line]
    assert len(lines) == 2  # the Placeholder, and Mul's input
    rows = run_cli("ops", path, "--json").json()["ops"]
    assert [r["name"] for r in rows if r["op_type"] == "Placeholder"] == [hostile]
    assert hostile in next(r for r in rows if r["name"] == "Mul")["inputs"]


def test_a_checkpoint_with_its_meta_and_without(tmp_path):
    with_meta = run_cli("ops", fixture("seed004", "results"), "--json").json()["ops"]
    assert with_meta == run_cli("ops", fixture("seed004", "results", "model.ckpt-10.meta"), "--json").json()["ops"]
    assert_clean_failure(run_cli("ops", fixture("ckpt_sharded")), "has no graph", ".meta", "SavedModel")
    copy = copy_fixture(tmp_path, "seed003")
    (copy / "model.meta").unlink()
    assert_clean_failure(run_cli("ops", copy / "model"), "has no graph")


def test_an_unknown_tag_set_is_refused():
    assert_clean_failure(run_cli("ops", fixture("seed001", "mnist"), "--tag-set", "train"), "serve")


@pytest.mark.parametrize("parts", [("keras_export",), ("seed000", "exported_model"), ("ckpt_dtypes", "ckpt")],
                         ids="/".join)
def test_every_graph_command_on_other_kinds(parts):
    path = fixture(*parts[:-1]) / parts[-1] if len(parts) > 1 else fixture(*parts)
    has_graph = parts[0] != "ckpt_dtypes"
    for command in (["ops", "--functions"], ["collections"], ["dump"]):
        result = run_cli(command[0], path, *command[1:], "--json")
        if has_graph:
            assert result.code == 0, (command, result.err)
            assert result.json() is not None
        else:
            assert_clean_failure(result, "has no graph")


def test_type_filter_searches_functions_and_ignores_case(tf):
    # A TF2 export keeps its computation in library functions; TensorFlow's own
    # loaded concrete function holds the MatMuls under the same node names.
    path = fixture("keras_export")
    loaded = tf.saved_model.load(str(path))
    library = loaded.signatures["serving_default"].graph.as_graph_def().library
    tf_matmuls = sorted(n.name for f in library.function for n in f.node_def if n.op == "MatMul")
    assert len(tf_matmuls) == 2

    rows = run_cli("ops", path, "--type", "matmul", "--json").json()["ops"]
    assert sorted(r["name"] for r in rows) == tf_matmuls
    assert {r["op_type"] for r in rows} == {"MatMul"} and all(r["function"] for r in rows)

    table = run_cli("ops", path, "--type", "MATMUL,conv2d")
    assert table.code == 0, table.err
    assert re.search(r"^2 of \d+ operations \(the graph and 5 functions\)$", table.out, re.MULTILINE), table.out
    assert "no operation has the type conv2d" in table.out
    assert "no operation has the type MATMUL" not in table.out

    by_name = run_cli("ops", path, "--match", "MatMul")
    assert by_name.code == 0, by_name.err
    assert "2 more operations are inside library functions; add --functions to list them" in by_name.out
    listed = run_cli("ops", path, "--match", "MatMul", "--functions", "--json").json()["ops"]
    assert sorted(r["name"] for r in listed) == tf_matmuls


def test_ops_keep_the_order_get_operations_gives_after_an_import(tmp_path, tf):
    """TF1 tf.cond and while_loop write a GraphDef whose order the importer changes: ops follows the importer."""
    graph = tf.Graph()
    tf.compat.v1.disable_control_flow_v2()
    try:
        with graph.as_default():
            x = tf.compat.v1.placeholder(tf.float32, [None, 3], name="x")
            w = tf.compat.v1.get_variable("w", [3], initializer=tf.compat.v1.ones_initializer())
            flag = tf.compat.v1.placeholder_with_default(True, [], name="flag")
            y = tf.compat.v1.cond(flag, lambda: x * w + 1.0, lambda: x - w)
            tf.compat.v1.cond(y[0, 0] > 0, lambda: tf.reduce_sum(y), lambda: tf.reduce_mean(y * w))
            tf.compat.v1.while_loop(lambda i: i < 3, lambda i: i + 1, [tf.constant(0)])
            meta = tmp_path / "model.meta"
            tf.compat.v1.train.Saver().export_meta_graph(str(meta))
    finally:
        tf.compat.v1.enable_control_flow_v2()
    written = [node.name for node in graph.as_graph_def().node]
    imported = tf.Graph()
    with imported.as_default():
        tf.compat.v1.train.import_meta_graph(str(meta))
    expected = [op.name for op in imported.get_operations()]
    assert written != expected  # the importer reorders this graph
    result = run_cli("ops", meta, "--json")
    assert [row["name"] for row in result.json()["ops"]] == expected
