"""Checkpoints older or less complete than the ones TensorFlow 2 writes, held against TensorFlow.

* indexes whose blocks are snappy-compressed (TF 1.x table builders compressed by default);
* V1 checkpoints (one ``model.ckpt`` table of ``SavedTensorSlices``, no ``.index``);
* checkpoints whose data shards are missing (listing needs only the index).

Every artifact is a copy of a real one in tmp_path; TensorFlow reads the same copy.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from ckpt_compare import assert_listing_matches, assert_values_match
from conformance.artifacts import CORPUS, corpus_available, require_corpus
from conftest import FIXTURES, run_cli
from table_edits import SNAPPY, block_handles, block_types, reseal, snappy_rewrite

from inspector.checkpoint import OBJECT_GRAPH_KEY, BundleReader, resolve_checkpoint
from inspector.checkpoint.table import read_varint
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
    assert result.code == 0, result.err
    rows = {row["key"]: row["shape"] for row in result.json()}
    assert rows == {k: v for k, v in listed.items() if k != OBJECT_GRAPH_KEY}
    warning, = result.err.splitlines()
    assert warning.startswith("tfinspect: warning: ") and gone[0].name in warning

    table = run_cli("ckpt", copy)
    assert table.code == 0, table.err
    assert gone[0].name in table.out and "listed from the .index alone" in table.out

    for option in ("--stats", "--verify"):
        refused = run_cli("ckpt", copy, option)
        assert refused.code == 2 and refused.out == "", (option, refused.err)
        assert refused.err.count("\n") == 1 and str(gone[0]) in refused.err and option in refused.err
