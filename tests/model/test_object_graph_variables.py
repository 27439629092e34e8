"""TF2 variables: checkpoint keys through the checkpoint's own object graph (optimizer slots),
Keras exports that store every weight twice, and Keras layer-path names.  TensorFlow confirms."""

from __future__ import annotations

import numpy as np
import pytest
from conformance.artifacts import CORPUS, require_corpus
from conftest import copy_fixture, fixture, run_cli

import inspector

KERAS_SERVING = CORPUS / "tfx" / "keras_serving"


@pytest.fixture(scope="module")
def keras_serving():
    require_corpus()
    if not KERAS_SERVING.is_dir():
        pytest.skip("the real-world corpus is not beside this clone")
    return KERAS_SERVING


def _restored(tf, path) -> dict[str, np.ndarray]:
    """Every resource variable's value after TensorFlow's loader restored the SavedModel."""
    with tf.Graph().as_default() as graph, tf.compat.v1.Session(graph=graph) as sess:
        tf.compat.v1.saved_model.loader.load(sess, ["serve"], str(path))
        handles = [op for op in graph.get_operations() if op.type == "VarHandleOp"]
        reads = {op.name: tf.raw_ops.ReadVariableOp(resource=op.outputs[0], dtype=op.get_attr("dtype"))
                 for op in handles}
        return {name: value for name, value in zip(reads, sess.run(list(reads.values())), strict=True)}


def test_optimizer_slots_are_keyed_and_named_as_tensorflow_restores_them(tf, keras_serving):
    rows = run_cli("variables", keras_serving, "--json").json()["variables"]
    slots = [row for row in rows if row["slot_of"] is not None]
    listed = dict(tf.train.list_variables(str(keras_serving / "variables" / "variables")))
    slot_keys = {key for key in listed if "/.OPTIMIZER_SLOT/" in key}
    assert len(slot_keys) == 12 and {row["checkpoint_key"] for row in slots} == slot_keys
    assert not [row["name"] for row in rows if row["name"].startswith("<object")]
    restored = _restored(tf, keras_serving)
    reader = inspector.load(keras_serving).checkpoint
    for row in slots:
        # Named after the variable (its Keras layer path) and the slot, never "<object 96>".
        assert row["name"] == f"{row['slot_of']}/.OPTIMIZER_SLOT/optimizer/{row['name'].rsplit('/', 1)[1]}"
        assert row["name"].rsplit("/", 1)[1] in ("m", "v")
        # The value TensorFlow restored into the slot's variable is the one stored under our key.
        assert np.array_equal(restored[row["node"]], reader.read(row["checkpoint_key"])), row
    # m and v differ, so a swapped pairing could not pass the check above.
    firsts = {row["name"]: reader.read(row["checkpoint_key"]) for row in slots}
    assert not np.array_equal(firsts["dense/kernel/.OPTIMIZER_SLOT/optimizer/m"],
                              firsts["dense/kernel/.OPTIMIZER_SLOT/optimizer/v"])


def test_graph_and_checkpoint_match_with_slots(keras_serving):
    result = run_cli("ckpt", keras_serving, "--audit", "--json")
    assert result.code == 0, result.err
    audit = result.json()["audit"]
    assert audit["ok"] and audit["missing"] == [] and len(audit["restored"]) == 27
    assert sum("/.OPTIMIZER_SLOT/" in key for key in audit["restored"]) == 12


def test_ckpt_names_keras_variables_by_layer_path(keras_serving):
    tensors = {row["checkpoint_key"]: row for row in run_cli("ckpt", keras_serving, "--json").json()["tensors"]}
    row = tensors["layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE"]
    assert row["name"] == "dense/kernel"
    slot = tensors["layer_with_weights-0/kernel/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES/VARIABLE_VALUE"]
    assert (slot["slot_of"], slot["slot"]) == ("dense/kernel", "optimizer/m")


# -- a Keras 3 model.export, made here ------------------------------------------------------
@pytest.fixture(scope="module")
def keras_model(tf, tmp_path_factory):
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(5, name="conv1_conv"),
                              keras.layers.Dense(3, name="predictions")])
    path = tmp_path_factory.mktemp("keras") / "export"
    model.export(str(path), verbose=False)
    return model, path


def test_keras_export_counts_each_weight_once(tf, keras_model):
    model, path = keras_model
    expected = sum(int(np.prod(v.shape)) for v in model.variables)
    loaded = tf.saved_model.load(str(path))
    distinct = {id(v): v for v in loaded.variables}.values()
    assert sum(int(np.prod(v.shape)) for v in distinct) == expected
    data = run_cli("variables", path, "--json").json()
    assert data["totals"]["elements"] == expected and data["totals"]["count"] == len(model.variables)
    # The checkpoint really holds every weight twice (TensorFlow lists both copies).
    stored = sum(int(np.prod(shape)) for key, shape in tf.train.list_variables(str(path / "variables" / "variables"))
                 if key != "_CHECKPOINTABLE_OBJECT_GRAPH")
    assert stored == 2 * expected
    assert data["totals"]["copies"]["elements"] == expected
    assert data["totals"]["copies"]["bytes"] == 4 * expected
    assert run_cli("io", path, "--json").json()["elements"] == expected
    shown = run_cli("show", path, "--json").json()["meta_graphs"][0]["variables"]
    assert (shown["elements"], shown["copies"]) == (expected, len(model.variables))
    table = run_cli("variables", path).out
    assert f"{len(model.variables)} variables, {expected} parameters" in table
    assert "stores 4 of these variables twice" in table


def test_keras_export_variables_are_named_by_layer_path(keras_model):
    model, path = keras_model
    rows = run_cli("variables", path, "--json").json()["variables"]
    originals = {row["name"]: row for row in rows if row["copy_of"] is None}
    assert set(originals) == {v.path for v in model.variables}
    assert {row["copy_of"] for row in rows if row["copy_of"]} == set(originals)
    listed = {row["name"] for row in run_cli("ckpt", path, "--json").json()["tensors"]}
    assert {v.path for v in model.variables} <= listed
    for variable in model.variables:
        values = run_cli("ckpt", path, "--values", variable.path, "--json").json()
        assert values["shape"] == list(variable.shape)
        assert np.allclose(np.array(values["values"]).reshape(variable.shape), variable.numpy())


def test_an_unknown_name_suggests_close_ones(keras_model):
    model, path = keras_model
    kernel = model.get_layer("conv1_conv").kernel.path  # e.g. sequential/conv1_conv/kernel
    result = run_cli("ckpt", path, "--values", kernel.replace("kernel", "kernal"))
    assert result.code == 2 and result.out == ""
    assert len(result.err.splitlines()) == 1 and f"did you mean '{kernel}'" in result.err


def test_fixture_keras_export_counts_each_weight_once(tf):
    path = fixture("keras_export")
    loaded = tf.saved_model.load(str(path))
    expected = sum(int(np.prod(v.shape)) for v in {id(v): v for v in loaded.variables}.values())
    assert run_cli("variables", path, "--json").json()["totals"]["elements"] == expected == 58


def test_without_a_readable_checkpoint_names_and_counts_come_from_the_graph(tmp_path):
    path = copy_fixture(tmp_path, "keras_export")
    index = path / "variables" / "variables.index"
    index.write_bytes(index.read_bytes()[:40])  # cut: the checkpoint cannot be read
    assert run_cli("ckpt", path).code == 2
    result = run_cli("variables", path, "--json")
    assert result.code == 0, result.err
    data = result.json()
    assert data["totals"]["elements"] == 58 and data["totals"]["copies"]["count"] == 4
    assert {row["checkpoint_key"] for row in data["variables"]} == {
        f"{prefix}/{i}/.ATTRIBUTES/VARIABLE_VALUE" for prefix in ("variables", "_all_variables") for i in range(4)}
