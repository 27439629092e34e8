"""One fact, one number: show, variables and io agree, and TensorFlow agrees with them."""

from __future__ import annotations

import pytest
from conftest import fixture, run_cli
from helpers.proto_edits import BIG_CONST, BIG_CONST_SIZE, frozen_graph_with_big_const


def _tf_const_sizes(tf, graph_def) -> dict[str, tuple[int, int]]:
    """Const name -> (elements, bytes of the value TensorFlow builds; strings: their bytes)."""
    sizes = {}
    for node in graph_def.node:
        if node.op != "Const":
            continue
        value = tf.make_ndarray(node.attr["value"].tensor)
        nbytes = sum(len(v) for v in value.reshape(-1)) if value.dtype == object else value.nbytes
        sizes[node.name] = (int(value.size), int(nbytes))
    return sizes


def _json(*args):
    result = run_cli(*args, "--json")
    assert result.code == 0, result.err
    return result.json()


@pytest.fixture(scope="module")
def frozen_big(tmp_path_factory, tf):
    path, graph_def = frozen_graph_with_big_const(tmp_path_factory.mktemp("quantities"), tf)
    return path, _tf_const_sizes(tf, graph_def)


def test_const_bytes_of_a_frozen_graph_are_tensorflows_in_every_command(frozen_big):
    path, sizes = frozen_big
    assert sizes[BIG_CONST] == (BIG_CONST_SIZE, BIG_CONST_SIZE * 4)
    elements = sum(e for e, _ in sizes.values())
    nbytes = sum(b for _, b in sizes.values())

    shown = _json("show", path)["meta_graphs"][0]["constants"]
    assert (shown["count"], shown["elements"], shown["bytes"]) == (len(sizes), elements, nbytes)
    listed = _json("variables", path)["constants"]
    assert (listed["count"], listed["elements"], listed["bytes"]) == (len(sizes), elements, nbytes)
    assert {c["name"]: (c["elements"], c["bytes"]) for c in listed["largest"]} == sizes
    assert _json("io", path)["elements"] == elements  # every Const here is float32

    table = run_cli("show", path)
    assert f"constants: {len(sizes)} (" in table.out


def test_const_bytes_of_seed003_frozen_graph_match_between_show_and_variables(tf):
    # The case users met: show said 20 B (proto bytes) where variables said 8 B.
    path = fixture("seed003", "frozen_graph.pb")
    graph_def = tf.compat.v1.GraphDef.FromString(path.read_bytes())
    nbytes = sum(b for _, b in _tf_const_sizes(tf, graph_def).values())
    assert nbytes == 8
    assert _json("show", path)["meta_graphs"][0]["constants"]["bytes"] == nbytes
    assert _json("variables", path)["constants"]["bytes"] == nbytes
    assert "constants: 2 (2 values, 8 B; from Const nodes)" in run_cli("show", path).out


def test_const_bytes_of_a_saved_model_graph_count_strings_by_their_bytes(tf):
    path = fixture("seed000", "exported_model")
    with tf.compat.v1.Session(graph=tf.Graph()) as session:
        meta = tf.compat.v1.saved_model.loader.load(session, ["serve"], str(path))
        global_variables = [(v.shape.num_elements(), v.dtype.base_dtype.size)
                            for v in tf.compat.v1.global_variables()]
    sizes = _tf_const_sizes(tf, meta.graph_def)
    shown = _json("show", path)["meta_graphs"][0]
    assert shown["constants"]["bytes"] == sum(b for _, b in sizes.values())
    assert shown["constants"]["elements"] == sum(e for e, _ in sizes.values())

    parameters = sum(n for n, _ in global_variables)
    nbytes = sum(n * size for n, size in global_variables)
    totals = _json("variables", path)["totals"]
    assert (totals["count"], totals["elements"], totals["bytes"]) == (len(global_variables), parameters, nbytes)
    variables = shown["variables"]
    assert (variables["count"], variables["elements"], variables["bytes"]) == (len(global_variables),
                                                                                  parameters, nbytes)
    assert _json("io", path)["elements"] == parameters


def test_partitioned_checkpoint_tensors_count_their_slices_in_ckpt_and_show(tf):
    # MaxShardSizePolicy stored three of the four tensors as slices spread over shards;
    # ckpt listed those at 0 B while show counted the shards' bytes.
    path = fixture("ckpt_sharded")
    prefix = str(path / "ckpt")
    reader = tf.train.load_checkpoint(prefix)
    nbytes = {key: reader.get_tensor(key).nbytes for key, _ in tf.train.list_variables(prefix)
              if key != "_CHECKPOINTABLE_OBJECT_GRAPH"}
    rows = _json("ckpt", path)["tensors"]
    assert {r["checkpoint_key"]: r["bytes"] for r in rows if r["checkpoint_key"] != "_CHECKPOINTABLE_OBJECT_GRAPH"} \
        == nbytes
    assert len(rows) == len(tf.train.list_variables(prefix))  # the object graph is listed too, as TensorFlow lists it
    shards = sum(p.stat().st_size for p in path.glob("ckpt.data-*"))
    summary = _json("show", path)["checkpoint"]
    assert summary["bytes"] == shards  # every byte of the shards is tensor data here
    assert summary["tensor_count"] == len(tf.train.list_variables(prefix))
    assert f"5 tensors (0 optimizer slots), 32,769 values, {sum(r['bytes'] for r in rows) / 1024:.1f} KiB" \
        in run_cli("ckpt", path).out
