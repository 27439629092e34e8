"""Checkpoints older or less complete than the ones TensorFlow 2 writes, held against TensorFlow.

* indexes whose blocks are snappy-compressed (TF 1.x table builders compressed by default);
* V1 checkpoints (one ``model.ckpt`` table of ``SavedTensorSlices``, no ``.index``);
* checkpoints whose data shards are missing (listing needs only the index).

Every artifact is a copy of a real one in tmp_path; TensorFlow reads the same copy.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from conformance.artifacts import CORPUS, corpus_available, require_corpus
from conftest import FIXTURES, run_cli
from helpers.ckpt_compare import assert_listing_matches, assert_values_match
from helpers.table_edits import SNAPPY, block_handles, block_types, build_table, reseal, snappy_rewrite

from inspector import load, protos
from inspector.checkpoint import OBJECT_GRAPH_KEY, BundleReader, SliceReader, resolve_checkpoint
from inspector.checkpoint.table import read_table, read_varint
from inspector.errors import CorruptArtifact

ESTIMATOR = CORPUS / "tfx" / "estimator_training" / "model.ckpt-1000"


def copy_prefix(prefix: Path, dest: Path) -> Path:
    """Copy the ``.index`` and ``.data-*`` files of ``prefix`` into ``dest``; the new prefix."""
    dest.mkdir(parents=True, exist_ok=True)
    for path in prefix.parent.glob(f"{prefix.name}.*"):
        if path.name == f"{prefix.name}.index" or path.name.startswith(f"{prefix.name}.data-"):
            shutil.copy2(path, dest / path.name)
    return dest / prefix.name


# -- snappy-compressed index blocks ------------------------------------------------------
SNAPPY_SOURCES = [FIXTURES / "ckpt_dtypes" / "ckpt", FIXTURES / "ckpt_sharded" / "ckpt", ESTIMATOR]


@pytest.mark.parametrize("source", SNAPPY_SOURCES, ids=lambda p: p.parent.name)
def test_a_real_index_rewritten_with_snappy_blocks_reads_like_tensorflow(tmp_path, tf, source):
    if source == ESTIMATOR and not corpus_available():
        require_corpus()
        pytest.skip("the real-world corpus is not beside this clone")
    prefix = copy_prefix(source, tmp_path)
    index = Path(f"{prefix}.index")
    index.write_bytes(snappy_rewrite(index.read_bytes()))
    assert set(block_types(index.read_bytes())) == {SNAPPY}
    reader = BundleReader(prefix)
    assert reader.keys() == BundleReader(source).keys()
    assert_listing_matches(reader, str(prefix), tf)
    assert assert_values_match(reader, str(prefix), tf) == len(reader) > 0
    assert reader.verify() == []
    result = run_cli("ckpt", prefix, "--verify", "--json")
    assert result.code == 0, result.err
    assert result.json()["verify"] == []


@pytest.mark.parametrize("edit", ["length", "body"])
def test_a_snappy_block_that_does_not_decompress_is_corrupt_for_tensorflow_too(tmp_path, tf, edit):
    prefix = copy_prefix(FIXTURES / "ckpt_dtypes" / "ckpt", tmp_path)
    index = Path(f"{prefix}.index")
    data = bytearray(snappy_rewrite(index.read_bytes()))
    first = block_handles(bytes(data))[0]
    if edit == "length":  # the preamble claims ~2 GB where the block holds a few hundred bytes
        data[first.offset : first.offset + 2] = b"\xff\xff"
        data[first.offset + 2 : first.offset + 4] = b"\xff\x07"
    else:  # the first element copies from 16 bytes before the start of the output
        _, start = read_varint(data, first.offset, first.offset + first.size)
        data[start : start + 2] = b"\x01\x10"
    reseal(data, first)
    index.write_bytes(bytes(data))
    with pytest.raises(CorruptArtifact, match="snappy-compressed but does not decompress"):
        BundleReader(prefix)
    with pytest.raises(Exception, match="corrupted compressed block contents"):
        tf.train.list_variables(str(prefix))
    result = run_cli("ckpt", prefix)
    assert result.code == 2 and result.out == ""
    assert result.err.count("\n") == 1 and f"{prefix}.index" in result.err


def test_a_partitioned_tensor_counts_the_bytes_of_its_slices(tf):
    prefix = str(FIXTURES / "ckpt_sharded" / "ckpt")
    dtypes = tf.train.load_checkpoint(prefix).get_variable_to_dtype_map()
    result = run_cli("ckpt", prefix, "--json")
    assert result.code == 0, result.err
    rows = {row["checkpoint_key"]: row for row in result.json()["tensors"]}
    assert any(BundleReader(prefix).entry(key).has_slices for key in rows)  # split over shards
    for key, shape in tf.train.list_variables(prefix):
        if key != OBJECT_GRAPH_KEY:
            assert rows[key]["bytes"] == np.prod(shape) * dtypes[key].size, key


# -- data shards missing: list from the index ------------------------------------------------
@pytest.mark.parametrize(("source", "delete"), [
    (FIXTURES / "keras_export", "variables/variables.data-*"),  # the object graph's shard too
    (FIXTURES / "ckpt_sharded", "ckpt.data-00001-of-00004"),
], ids=["keras_export", "ckpt_sharded"])
def test_a_checkpoint_without_its_data_shards_is_listed_like_tensorflow_lists_it(tmp_path, tf, source, delete):
    copy = tmp_path / source.name
    shutil.copytree(source, copy)
    gone = sorted(copy.glob(delete))
    assert gone
    for shard in gone:
        shard.unlink()
    prefix = resolve_checkpoint(copy)
    listed = dict(tf.train.list_variables(prefix))  # TensorFlow lists from the index too
    assert OBJECT_GRAPH_KEY in listed
    assert_listing_matches(BundleReader(prefix), prefix, tf)

    result = run_cli("ckpt", copy, "--json")
    assert result.code == 1, result.err  # listed, and an incomplete checkpoint is a finding
    rows = {row["checkpoint_key"]: row["shape"] for row in result.json()["tensors"]}
    assert rows == listed
    assert any(gone[0].name in problem and "missing" in problem for problem in result.json()["problems"])
    warning, = result.err.splitlines()
    assert warning.startswith("tfinspect: warning: ") and gone[0].name in warning

    table = run_cli("ckpt", copy)
    assert table.code == 1, table.err
    assert gone[0].name in table.out and "listed from the .index alone" in table.out and "INCOMPLETE" in table.out

    for option in ("--stats", "--verify"):
        refused = run_cli("ckpt", copy, option)
        assert refused.code == 2 and refused.out == "", (option, refused.err)
        assert refused.err.count("\n") == 1 and str(gone[0]) in refused.err and option in refused.err


# -- V1 checkpoints (tensor slices) ------------------------------------------------------------
V1_DIR = FIXTURES / "ckpt_v1"
V1 = V1_DIR / "model.ckpt"


def restore_partitioned(tf, path: str):
    """The partitioned variable of the V1 fixture as TensorFlow restores it (its reader
    refuses to read a sliced tensor whole)."""
    v1 = tf.compat.v1
    with tf.Graph().as_default() as graph, v1.Session(graph=graph) as sess:
        var = v1.get_variable("embedding", shape=[6, 2], partitioner=v1.fixed_size_partitioner(2))
        v1.train.Saver([var]).restore(sess, path)
        return sess.run(var.as_tensor())


def test_a_v1_checkpoint_lists_and_reads_like_tensorflow(tf):
    artifact = load(V1_DIR)
    reader = artifact.checkpoint
    assert isinstance(reader, SliceReader) and reader.format_version == 1
    assert any("V1 checkpoint" in note for note in artifact.notes)
    assert_listing_matches(reader, str(V1), tf)
    whole = [key for key in reader if key != "embedding"]
    assert assert_values_match(reader, str(V1), tf, whole) == 7
    assert reader.entry("embedding").has_slices
    assert np.array_equal(reader.read("embedding"), restore_partitioned(tf, str(V1)))
    assert reader.verify() == []
    for path in (V1, f"{V1}.meta", V1_DIR / "checkpoint"):
        assert load(path).checkpoint.keys() == reader.keys(), path


def test_ckpt_on_a_v1_checkpoint(tf):
    listed = dict(tf.train.list_variables(str(V1)))
    result = run_cli("ckpt", V1_DIR, "--json")
    assert result.code == 0, result.err
    assert {row["checkpoint_key"]: row["shape"] for row in result.json()["tensors"]} == listed
    kernel = run_cli("ckpt", V1, "--values", "dense/kernel", "--json")
    assert kernel.code == 0, kernel.err
    expected = tf.train.load_checkpoint(str(V1)).get_tensor("dense/kernel")
    assert kernel.json()["shape"] == [3, 2]
    assert np.array_equal(np.array(kernel.json()["values"], dtype=np.float32).reshape(3, 2), expected)
    table = run_cli("ckpt", V1_DIR, "--verify", "--stats")
    assert table.code == 0, table.err
    assert "(V1)" in table.out and "they match" in table.out  # the .meta's saver restores it
    assert "decode to their shapes" in table.out
    shown = run_cli("show", V1)
    assert shown.code == 0 and "V1 checkpoint file" in shown.out and "8 tensors" in shown.out


def test_a_v1_checkpoint_with_snappy_blocks_reads_like_tensorflow(tmp_path, tf):
    copy = tmp_path / "model.ckpt"
    copy.write_bytes(snappy_rewrite(V1.read_bytes()))
    assert set(block_types(copy.read_bytes())) == {SNAPPY}
    reader = SliceReader(copy)
    assert_listing_matches(reader, str(copy), tf)
    assert assert_values_match(reader, str(copy), tf, [k for k in reader if k != "embedding"]) == 7
    assert np.array_equal(reader.read("embedding"), restore_partitioned(tf, str(copy)))


def test_a_sharded_v1_checkpoint_with_a_variable_split_over_its_files(tmp_path, tf):
    v1 = tf.compat.v1
    config = v1.ConfigProto(device_count={"CPU": 2})
    with tf.Graph().as_default() as graph, v1.Session(graph=graph, config=config) as sess:
        with graph.device("/cpu:0"):
            v1.Variable(np.arange(4, dtype=np.float32), name="a")
        with graph.device("/cpu:1"):
            v1.Variable(np.arange(3, dtype=np.int64), name="b")
        with graph.device(lambda op: "/cpu:1" if "part_1" in op.name else "/cpu:0"):
            split = v1.get_variable("e", shape=[4, 2], partitioner=v1.fixed_size_partitioner(2))
        sess.run(v1.global_variables_initializer())
        saver = v1.train.Saver(write_version=v1.train.SaverDef.V1, sharded=True)
        pattern = saver.save(sess, str(tmp_path / "model.ckpt"), write_meta_graph=False)
        whole = sess.run(split.as_tensor())
    assert pattern.endswith("model.ckpt-?????-of-00002") and len(list(tmp_path.glob("model.ckpt-*"))) == 2
    artifact = load(tmp_path)  # through the checkpoint state file, which records the pattern
    reader = artifact.checkpoint
    assert reader.header.num_shards == 2 and reader.missing_shards() == []
    assert reader.entry("e").has_slices and {reader.entry(k).shard_id for k in reader} == {0, 1}
    assert_listing_matches(reader, pattern, tf)
    assert assert_values_match(reader, pattern, tf, ["a", "b"]) == 2
    assert np.array_equal(reader.read("e"), whole)


def test_a_sharded_v1_pattern_with_a_shard_missing(tmp_path, tf):
    shutil.copy2(V1, tmp_path / "model.ckpt-00000-of-00002")
    pattern = str(tmp_path / "model.ckpt-?????-of-00002")
    assert dict(tf.train.list_variables(pattern)) == dict(tf.train.list_variables(str(V1)))
    result = run_cli("ckpt", pattern, "--json")
    assert result.code == 1, result.err  # listed; the missing shard is a finding
    assert {row["checkpoint_key"]: row["shape"] for row in result.json()["tensors"]} == dict(tf.train.list_variables(pattern))
    assert "1 of 2 data shards missing (model.ckpt-00001-of-00002)" in result.err
    assert ["model.ckpt-00001-of-00002" in p for p in result.json()["problems"]] == [True]
    refused = run_cli("ckpt", pattern, "--stats")
    assert refused.code == 2 and str(tmp_path / "model.ckpt-00001-of-00002") in refused.err


def test_files_that_are_tables_but_not_v1_checkpoints_or_are_cut(tmp_path, tf):
    renamed = tmp_path / "variables.bak"  # a V2 index without its .index name
    shutil.copy2(FIXTURES / "seed003" / "model.index", renamed)
    result = run_cli("ckpt", renamed)
    assert result.code == 2 and result.out == "" and result.err.count("\n") == 1
    assert str(renamed) in result.err and "name it PREFIX.index" in result.err
    cut = tmp_path / "model.ckpt"
    cut.write_bytes(V1.read_bytes()[:-20])
    result = run_cli("ckpt", cut)
    assert result.code == 2 and result.out == "" and result.err.count("\n") == 1 and str(cut) in result.err
    assert "no table footer at its end: the file is truncated" in result.err
    with pytest.raises(tf.errors.DataLossError, match="not an sstable"):
        tf.train.list_variables(str(cut))


def test_a_directory_with_a_v1_file_but_no_state_file_names_the_file(tmp_path, tf):
    shutil.copy2(V1, tmp_path / "model.ckpt")
    with pytest.raises(ValueError, match="Couldn't find 'checkpoint' file"):
        tf.train.list_variables(str(tmp_path))  # TensorFlow needs the state file or the file's path
    result = run_cli("ckpt", tmp_path)
    assert result.code == 2 and result.out == "" and "pass one of its files: model.ckpt" in result.err
    assert run_cli("ckpt", tmp_path / "model.ckpt", "--json").code == 0


def _edited_v1(tmp_path: Path, edit) -> Path:
    """A copy of the V1 fixture whose SavedTensorSlices entries went through ``edit(key, message)``."""
    items = []
    for key, value in read_table(V1):
        message = protos.SavedTensorSlices.FromString(value)
        edit(key, message)
        items.append((key, message.SerializeToString()))
    tmp_path.mkdir()
    target = tmp_path / "model.ckpt"
    target.write_bytes(build_table(items))
    return target


def test_a_v1_file_whose_values_do_not_fit_its_shapes(tmp_path):
    def inflate(key, message):
        for tensor in message.meta.tensor:
            if tensor.name == "dense/kernel":
                tensor.shape.dim[0].size = 3_000_000_000  # about 24 GB if believed

    def drop_value(key, message):
        if message.data.name == "counts":
            del message.data.data.int_val[-1]

    reader = SliceReader(_edited_v1(tmp_path / "a", inflate))
    assert reader.entry("dense/kernel").shape == (3_000_000_000, 2)  # listed as stored
    with pytest.raises(CorruptArtifact, match="claims shape .* but its slices hold only"):
        reader.read("dense/kernel")
    path = _edited_v1(tmp_path / "b", drop_value)
    result = run_cli("ckpt", path, "--values", "counts")
    assert result.code == 2 and result.out == "" and result.err.count("\n") == 1
    assert "stores 3 values where its shape needs 4" in result.err
    verify = run_cli("ckpt", path, "--verify", "--json")
    assert verify.code == 1 and [f["checkpoint_key"] for f in verify.json()["verify"]] == ["counts"]


def test_a_damaged_value_block_of_a_v1_checkpoint_is_found_when_values_are_read(tmp_path, tf):
    v1 = tf.compat.v1
    with tf.Graph().as_default() as graph, v1.Session(graph=graph) as sess:
        v1.Variable(np.ones((400, 400), dtype=np.float32), name="big")  # 640 KB: a block of its own
        v1.Variable(3, dtype=tf.int64, name="step")
        sess.run(v1.global_variables_initializer())
        path = v1.train.Saver(write_version=v1.train.SaverDef.V1).save(sess, str(tmp_path / "model.ckpt"),
                                                                      write_meta_graph=False)
    data = bytearray(Path(path).read_bytes())
    big = max(block_handles(bytes(data)), key=lambda h: h.size)
    assert big.size > 600_000
    data[big.offset + big.size // 2] ^= 0xFF
    Path(path).write_bytes(bytes(data))
    assert dict(tf.train.list_variables(path)) == {"big": [400, 400], "step": []}  # listing still works
    with pytest.raises(tf.errors.NotFoundError, match="big not found"):  # its reader hides the checksum
        tf.train.load_checkpoint(path).get_tensor("big")
    listed = run_cli("ckpt", path, "--json")
    assert listed.code == 0 and {r["checkpoint_key"]: r["shape"] for r in listed.json()["tensors"]} == {"big": [400, 400], "step": []}
    assert SliceReader(path).read("step") == 3
    values = run_cli("ckpt", path, "--values", "big")
    assert values.code == 2 and values.out == "" and "fails its checksum" in values.err
    verify = run_cli("ckpt", path, "--verify", "--json")
    assert verify.code == 1 and [f["checkpoint_key"] for f in verify.json()["verify"]] == ["big"]


def test_a_verify_finding_prints_the_tensor_name_literally(tmp_path, tf):
    v1 = tf.compat.v1
    name = "[bold red]w\x1b[2J"  # rich markup and a terminal escape, as a checkpoint key
    with tf.Graph().as_default() as graph, v1.Session(graph=graph) as sess:
        var = v1.Variable(np.arange(8, dtype=np.float32), name="w")
        sess.run(v1.global_variables_initializer())
        prefix = v1.train.Saver({name: var}).save(sess, str(tmp_path / "model"), write_meta_graph=False)
    assert [k for k, _ in tf.train.list_variables(prefix)] == [name]
    shard = next(tmp_path.glob("model.data-*"))
    data = bytearray(shard.read_bytes())
    data[0] ^= 0xFF
    shard.write_bytes(bytes(data))
    result = run_cli("ckpt", prefix, "--verify")
    assert result.code == 1, result.err
    line = next(line for line in result.out.splitlines() if line.startswith("crc32c"))
    assert "'[bold red]w\\x1b[2J'" in line and "\x1b" not in result.out
