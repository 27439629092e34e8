"""`tfinspect ckpt` and the checkpoint view of artifacts, checked against TensorFlow."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from conftest import FIXTURES, copy_fixture, fixture, run_cli

import inspector
from inspector.analysis.checkpoint import listing

PREFIXES = sorted(str(p)[: -len(".index")] for p in FIXTURES.rglob("*.index"))


@pytest.mark.parametrize("prefix", PREFIXES, ids=lambda p: p.split("fixtures/")[-1])
def test_ckpt_json_lists_what_tensorflow_lists(tf, prefix):
    result = run_cli("ckpt", prefix, "--json")
    assert result.code == 0, result.err
    ours = {t["checkpoint_key"]: (t["dtype"], t["shape"]) for t in result.json()["tensors"]}
    reader = tf.train.load_checkpoint(prefix)
    dtypes = reader.get_variable_to_dtype_map()
    expected = {name: (dtypes[name].as_datatype_enum, shape) for name, shape in tf.train.list_variables(prefix)}
    from tensorflow.core.framework import types_pb2

    assert ours == {k: (types_pb2.DataType.Name(d), s) for k, (d, s) in expected.items()}


@pytest.mark.parametrize("key", ["float32/.ATTRIBUTES/VARIABLE_VALUE", "bfloat16", "string", "complex64"])
def test_ckpt_values_match_tensorflow(tf, key):
    prefix = str(fixture("ckpt_dtypes") / "ckpt")
    result = run_cli("ckpt", prefix, "--values", key, "--json")
    assert result.code == 0, result.err
    data = result.json()
    expected = tf.train.load_checkpoint(prefix).get_tensor(data["checkpoint_key"])
    flat = np.asarray(expected).reshape(-1)
    if flat.dtype == object:
        assert [_from_json(v) for v in data["values"]] == list(flat)
    elif np.iscomplexobj(flat):
        assert data["values"] == [[float(v.real), float(v.imag)] for v in flat]
    else:
        assert data["values"] == [float(v) for v in flat.astype(np.float64)]


def _from_json(value) -> bytes:
    import base64

    return base64.b64decode(value["base64"]) if isinstance(value, dict) else value.encode("utf-8")


def test_artifact_checkpoint_view_reads_values_like_tensorflow(tf):
    artifact = inspector.load(fixture("seed002", "model.meta"))
    reader = tf.train.load_checkpoint(str(fixture("seed002") / "model"))
    for name in ("model_variables/slope", "model_variables/intercept"):
        assert np.array_equal(artifact.checkpoint.read(name), reader.get_tensor(name))
    assert inspector.load(fixture("seed003", "frozen_graph.pb")).checkpoint is None


def test_ckpt_stats_agree_with_numpy_on_tensorflows_values(tf):
    prefix = str(fixture("seed000", "exported_model", "variables") / "variables")
    data = run_cli("ckpt", prefix, "--stats", "--json").json()
    assert data["stats"], "every tensor here is numeric"
    reader = tf.train.load_checkpoint(prefix)
    for row in data["stats"]:
        key = next(t["checkpoint_key"] for t in data["tensors"] if t["name"] == row["name"])
        values = reader.get_tensor(key).astype(np.float64)
        assert row["min"] == pytest.approx(values.min())
        assert row["max"] == pytest.approx(values.max())
        assert row["mean"] == pytest.approx(values.mean())
        assert row["zeros"] == int((values == 0).sum())


def test_ckpt_groups_tf1_optimizer_slots_under_their_variable():
    rows = run_cli("ckpt", fixture("seed000", "exported_model"), "--json").json()["tensors"]
    slots = [r for r in rows if r["slot_of"] == "layer_1/weights1"]
    assert sorted(r["slot"] for r in slots) == ["Adam", "Adam_1"]


def test_ckpt_groups_slots_of_keras_optimizers_in_a_tf1_graph_under_their_variable():
    """An Estimator training with Keras optimizers (OptimizerV2 in graph mode) names a slot
    ``training/<Optimizer>/<variable>/<slot>``; the optimizer's own hyperparameters
    (``training/Ftrl/learning_rate``) are not slots."""
    model_dir = FIXTURES.parent.parent / "shared" / "corpus" / "tfx" / "estimator_training"
    rows = {r.key: r for r in listing(inspector.load(model_dir).checkpoint).rows}
    adagrad = rows["training/Adagrad/dnn/logits/kernel/accumulator"]
    assert (adagrad.slot_of, adagrad.slot) == ("dnn/logits/kernel", "Adagrad/accumulator")
    ftrl = rows["training/Ftrl/linear/linear_model/bias_weights/linear"]
    assert (ftrl.slot_of, ftrl.slot) == ("linear/linear_model/bias_weights", "Ftrl/linear")
    assert rows["training/Ftrl/learning_rate"].slot_of is None
    slots = [k for k, r in rows.items() if r.slot_of]
    assert len(slots) == sum(1 for k in rows if k.startswith("training/") and k.rsplit("/", 1)[1]
                             in ("accumulator", "linear"))
    assert all(rows[k].slot_of in rows for k in slots)
    assert f"({len(slots)} optimizer slots)" in run_cli("ckpt", model_dir).out


def test_ckpt_verify_passes_on_real_checkpoints_and_names_a_corrupt_tensor(tmp_path):
    assert run_cli("ckpt", fixture("ckpt_sharded"), "--verify").code == 0
    folder = copy_fixture(tmp_path, "seed002")
    shard = folder / "model.data-00000-of-00001"
    data = bytearray(shard.read_bytes())
    data[3] ^= 0xFF  # inside the first tensor
    shard.write_bytes(bytes(data))
    result = run_cli("ckpt", folder / "model", "--verify")
    assert result.code == 1
    assert "model.data-00000-of-00001" in result.out and "crc32c" in result.out
    assert "model_variables/" in result.out


def test_graph_and_checkpoint_that_belong_together_match():
    for path in ("seed003/model.meta", "seed004/results", "seed001/mnist", "tf2_module", "keras_export"):
        result = run_cli("ckpt", FIXTURES / path, "--json", "--audit")
        assert result.code == 0, (path, result.err)
        assert result.json()["audit"]["ok"] is True


def test_graph_with_the_wrong_checkpoint_is_reported_and_tensorflow_fails_too(tf):
    meta, other = fixture("seed003", "model.meta"), fixture("seed002") / "model"
    result = run_cli("ckpt", meta, "--checkpoint", other, "--json")
    assert result.code == 1
    audit = result.json()["audit"]
    assert sorted(audit["missing"]) == ["b", "m"]
    assert "model_variables/slope" in audit["unused"]
    with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
        saver = tf.compat.v1.train.import_meta_graph(str(meta))
        with pytest.raises(tf.errors.NotFoundError, match="not found in checkpoint"):
            saver.restore(sess, str(other))


def test_ckpt_on_a_graph_without_checkpoint_says_what_to_do():
    result = run_cli("ckpt", fixture("seed003", "frozen_graph.pb"))
    assert result.code == 2 and result.out == ""
    assert "--checkpoint" in result.err and "Traceback" not in result.err


def test_ckpt_unknown_tensor_name():
    result = run_cli("ckpt", fixture("seed003") / "model", "--values", "nope")
    assert result.code == 2 and "has no tensor named 'nope'" in result.err


def test_checkpoint_option_that_names_no_checkpoint():
    other = fixture("seed003", "frozen_graph.pb")
    result = run_cli("ckpt", fixture("seed003", "model.meta"), "--checkpoint", other)
    assert result.code == 2 and result.out == ""
    assert f"{other}: is a GraphDef, not a checkpoint" in result.err


def test_the_listing_title_prints_a_path_with_brackets_literally(tmp_path):
    folder = tmp_path / "[red]x"
    shutil.copytree(fixture("ckpt_sharded"), folder)
    result = run_cli("ckpt", folder)
    assert result.code == 0, result.err
    assert result.out.splitlines()[0].strip() == f"Checkpoint {folder}/ckpt"
