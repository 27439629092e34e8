"""`tfinspect collections`: what tf.compat.v1.get_collection gives back, without TensorFlow."""

from __future__ import annotations

import base64

from conftest import assert_clean_failure, copy_fixture, fixture, run_cli


def by_key(document: dict) -> dict:
    """``collections --json`` as a mapping from collection key to the rest of its entry."""
    return {c["key"]: {k: v for k, v in c.items() if k != "key"} for c in document["collections"]}


def import_meta(tf, path):
    graph = tf.Graph()
    with graph.as_default():
        tf.compat.v1.train.import_meta_graph(str(path))
    return graph


def names(items) -> list[str]:
    return [item.name for item in items]


def test_seed002_keys_and_node_lists_are_tensorflows(tf):
    path = fixture("seed002", "model.meta")
    data = by_key(run_cli("collections", path, "--json").json())
    graph = import_meta(tf, path)
    assert set(data) == set(graph.get_all_collection_keys())
    assert set(data) == {"train_op", "summaries", "variables", "trainable_variables"}
    for key in ("train_op", "summaries"):
        assert data[key]["kind"] == "node_list" and data[key]["type"] is None
        assert data[key]["items"] == names(graph.get_collection(key))
    assert data["train_op"]["items"] == ["training/GradientDescent"] * 2  # listed twice, as TF keeps it


def test_variable_defs_are_tensorflows_variables(tf):
    path = fixture("seed002", "model.meta")
    data = by_key(run_cli("collections", path, "--json").json())
    graph = import_meta(tf, path)
    with graph.as_default():
        variables = tf.compat.v1.global_variables()
        trainable = tf.compat.v1.trainable_variables()
    collection = data["variables"]
    assert collection["kind"] == "bytes_list" and collection["type"] == "VariableDef"
    assert [(v["variable_name"], v["initializer_name"], v["snapshot_name"], v["initial_value_name"])
            for v in collection["items"]] == \
        [(v.name, v.initializer.name, v.value().name, v.initial_value.name) for v in variables]
    assert all(v["is_resource"] is False for v in collection["items"])
    assert [v["variable_name"] for v in data["trainable_variables"]["items"]] == names(trainable)
    assert all(v["trainable"] for v in data["trainable_variables"]["items"])


def test_seed004_hyperparameters_and_global_step(tf):
    path = fixture("seed004", "results", "model.ckpt-10.meta")
    data = by_key(run_cli("collections", path, "--json").json())
    graph = import_meta(tf, path)
    assert set(data) == set(graph.get_all_collection_keys())
    assert data["hyperparameters"]["kind"] == "node_list"
    assert data["hyperparameters"]["items"] == names(graph.get_collection("hyperparameters"))
    assert data["hyperparameters"]["items"] == ["hyperparameters/learning_rate:0",
                                                "hyperparameters/batch_size:0"]
    (step,) = data["global_step"]["items"]
    assert data["global_step"]["type"] == "VariableDef"
    assert step["variable_name"] == graph.get_collection("global_step")[0].name == "loss/global_step:0"
    assert step["trainable"] is False
    # the checkpoint prefix reads the .meta saved with it
    assert by_key(run_cli("collections", fixture("seed004", "results"), "--json").json()) == data


def test_seed001_saved_model_collections(tf):
    path = fixture("seed001", "mnist")
    data = by_key(run_cli("collections", path, "--json").json())
    with tf.Graph().as_default() as graph, tf.compat.v1.Session(graph=graph) as sess:
        tf.compat.v1.saved_model.loader.load(sess, ["serve"], str(path / "2"))
        keys = set(graph.get_all_collection_keys())
        expected = {key: names(graph.get_collection(key)) for key in
                    ("saved_model_main_op", "table_initializer", "train_op")}
    assert set(data) == keys
    for key, items in expected.items():
        assert data[key]["items"] == items, key
    assert data["saved_model_main_op"]["items"] == ["init_all_tables"]
    assert data["table_initializer"]["items"] == ["index_to_string/table_init/LookupTableImportV2"]
    table = run_cli("collections", path)
    assert table.code == 0 and "MetaGraph {serve}" in table.out and "init_all_tables" in table.out


def test_one_key_and_an_unknown_key():
    path = fixture("seed002", "model.meta")
    data = by_key(run_cli("collections", path, "--key", "summaries", "--json").json())
    assert list(data) == ["summaries"]
    line = assert_clean_failure(run_cli("collections", path, "--key", "losses"), "no collection named 'losses'")
    assert "summaries, train_op, trainable_variables, variables" in line


def test_a_graph_def_has_no_collections():
    path = fixture("seed003", "frozen_graph.pb")
    result = run_cli("collections", path)
    assert result.code == 0 and result.err == ""
    assert result.out.startswith("a GraphDef has no collections")
    assert run_cli("collections", path, "--json").json()["collections"] == []
    assert_clean_failure(run_cli("collections", path, "--key", "variables"), "GraphDef has no collections")


def test_a_checkpoint_without_a_graph():
    assert_clean_failure(run_cli("collections", fixture("ckpt_sharded")), "has no graph", ".meta")


def test_other_kinds_and_undecodable_bytes(tmp_path, tf):
    """Edits of a copy of seed002's .meta: collections of every kind, and bytes nobody can decode."""
    path = copy_fixture(tmp_path, "seed002", "model.meta")
    meta = tf.compat.v1.MetaGraphDef.FromString(path.read_bytes())
    raw = b"\x00\xff[red]boom\x1b[0m"
    meta.collection_def["custom_bytes"].bytes_list.value.append(raw)
    meta.collection_def["counts"].int64_list.value.extend([3, -1])
    meta.collection_def["rates"].float_list.value.extend([0.5, 0.25])
    meta.collection_def["anys"].any_list.value.add().type_url = "type.googleapis.com/tensorflow.Example"
    meta.collection_def["variables"].bytes_list.value.append(b"\xff\xff\xff")  # not a VariableDef
    hostile = "[bold]x\"<y>"
    meta.collection_def[hostile].node_list.value.append(hostile)
    path.write_bytes(meta.SerializeToString())

    data = by_key(run_cli("collections", path, "--json").json())
    assert data["custom_bytes"] == {"kind": "bytes_list", "type": None,
                                    "items": [{"base64": base64.b64encode(raw).decode("ascii")}]}
    assert data["counts"] == {"kind": "int64_list", "type": None, "items": [3, -1]}
    assert data["rates"] == {"kind": "float_list", "type": None, "items": [0.5, 0.25]}
    assert data["anys"]["items"] == ["type.googleapis.com/tensorflow.Example"]
    variables = data["variables"]["items"]
    assert data["variables"]["type"] == "VariableDef"
    assert variables[-1] == {"base64": base64.b64encode(b"\xff\xff\xff").decode("ascii")}
    assert [v["variable_name"] for v in variables[:-1]] == ["model_variables/slope:0",
                                                           "model_variables/intercept:0"]

    table = run_cli("collections", path)
    assert table.code == 0, table.err
    assert "\x1b" not in table.out  # the escape byte is shown escaped, never sent to the terminal
    assert f"{len(raw)} bytes: '\\x00\\xff[red]boom\\x1b[0m'" in table.out
    assert f"{hostile}  node_list, 1 item" in table.out
    assert "(not a VariableDef) 3 bytes" in table.out
