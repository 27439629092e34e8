"""The checkpoint reader (inspector.checkpoint) against real TensorFlow checkpoints.

Every committed fixture checkpoint is listed and read with our reader and with
TensorFlow, and must agree exactly.  Damaged inputs are made by copying a
fixture into tmp_path and editing the copy.  Tests that do not need
TensorFlow do not import it.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import google_crc32c
import ml_dtypes
import numpy as np
import pytest
from helpers.ckpt_compare import assert_listing_matches, assert_values_match
from helpers.table_edits import build_table, varint

from inspector import protos
from inspector.checkpoint import (
    OBJECT_GRAPH_KEY,
    BundleReader,
    TensorNotFound,
    UnsupportedDtype,
    audit,
    is_bookkeeping,
    parse_slot_key,
    read_checkpoint_state,
    readable_key,
    resolve_checkpoint,
    summarize_object_graph,
)
from inspector.checkpoint.bundle import TensorEntry
from inspector.checkpoint.slice_keys import decode_slice_key
from inspector.checkpoint.table import Table, mask_crc, read_table, unmask_crc
from inspector.errors import CorruptArtifact, InspectorError, NotFound, SelectionError, UnreadableInput

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
PREFIXES = sorted(str(p)[: -len(".index")] for p in FIXTURES.glob("**/*.index"))
DTYPES = FIXTURES / "ckpt_dtypes" / "ckpt"
SHARDED = FIXTURES / "ckpt_sharded" / "ckpt"
TF1 = FIXTURES / "seed004" / "results" / "model.ckpt-10"
EXPECTED_FIXTURES = [
    "ckpt_dtypes/ckpt",
    "ckpt_sharded/ckpt",
    "keras_export/variables/variables",
    "seed000/exported_model/variables/variables",
    "seed002/model",
    "seed003/model",
    "seed004/results/model.ckpt-10",
    "tf2_module/variables/variables",
]


def _id(prefix: str) -> str:
    return os.path.relpath(prefix, FIXTURES)


@pytest.fixture(scope="module")
def tf():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow

    return tensorflow


def copy_checkpoint(prefix: str | Path, dest: Path) -> str:
    """Copy the .index and .data-* files of ``prefix`` into ``dest``; the new prefix."""
    prefix = str(prefix)
    dest.mkdir(parents=True, exist_ok=True)
    name = os.path.basename(prefix)
    for path in Path(prefix).parent.glob(f"{name}.*"):
        if path.name == f"{name}.index" or path.name.startswith(f"{name}.data-"):
            shutil.copy2(path, dest / path.name)
    return str(dest / name)


def flip_byte(path: str | Path, offset: int) -> None:
    with open(path, "r+b") as f:
        f.seek(offset)
        byte = f.read(1)
        f.seek(offset)
        f.write(bytes([byte[0] ^ 0xFF]))


def rewrite_index(prefix: str, edit) -> None:
    """Re-encode ``prefix.index`` after ``edit(list of (key, value))`` changes it."""
    items = read_table(f"{prefix}.index")
    items = edit(items)
    Path(f"{prefix}.index").write_bytes(build_table(items))


# -- every committed fixture agrees with TensorFlow ------------------------------------
def test_the_committed_fixtures_are_all_found():
    found = {_id(p) for p in PREFIXES}
    assert set(EXPECTED_FIXTURES) <= found, sorted(set(EXPECTED_FIXTURES) - found)


@pytest.mark.parametrize("prefix", PREFIXES, ids=_id)
def test_listing_matches_tensorflow(prefix, tf):
    reader = BundleReader(prefix)
    assert_listing_matches(reader, prefix, tf)
    keys = reader.keys()
    assert keys == sorted(keys, key=lambda k: k.encode())  # index order is byte order


@pytest.mark.parametrize("prefix", PREFIXES, ids=_id)
def test_values_match_tensorflow(prefix, tf):
    reader = BundleReader(prefix)
    assert assert_values_match(reader, prefix, tf) == len(reader)


@pytest.mark.parametrize("prefix", PREFIXES, ids=_id)
def test_verify_finds_nothing_wrong_in_a_good_checkpoint(prefix):
    assert BundleReader(prefix).verify() == []


def test_the_dtype_fixture_covers_every_plain_dtype():
    reader = BundleReader(DTYPES)
    names = {e.dtype_name for e in reader.entries()}
    wanted = {"DT_FLOAT", "DT_DOUBLE", "DT_HALF", "DT_BFLOAT16", "DT_BOOL", "DT_STRING", "DT_COMPLEX64"}
    wanted |= {"DT_COMPLEX128", "DT_INT8", "DT_INT16", "DT_INT32", "DT_INT64", "DT_UINT8", "DT_UINT16"}
    wanted |= {"DT_UINT32", "DT_UINT64"}
    assert wanted <= names
    bf16 = next(e for e in reader.entries() if e.dtype_name == "DT_BFLOAT16")
    assert reader.read(bf16.key).dtype == np.dtype(ml_dtypes.bfloat16)
    strings = reader.read("string/.ATTRIBUTES/VARIABLE_VALUE")
    assert strings.dtype == object and strings.shape == (5,)
    assert reader.read("empty_string/.ATTRIBUTES/VARIABLE_VALUE").shape == (0,)
    assert reader.read("scalar_string/.ATTRIBUTES/VARIABLE_VALUE").shape == ()


def test_float8_and_int4_tensors_match_tensorflow(tmp_path, tf):
    dtypes = pytest.importorskip("tensorflow.python.framework.dtypes")
    values = {}
    for name in ["int4", "uint4", "float8_e4m3fn", "float8_e5m2"]:
        if not hasattr(dtypes, name):
            continue
        array = np.array([[1, 2], [3, 7]], dtype=getattr(ml_dtypes, name))
        values[name] = tf.Variable(tf.constant(array, dtype=getattr(dtypes, name)))
    if not values:
        pytest.skip("this TensorFlow has no float8 or int4 dtypes")
    prefix = tf.train.Checkpoint(**values).write(str(tmp_path / "low"))
    reader, tf_reader = BundleReader(prefix), tf.train.load_checkpoint(prefix)
    for name in values:
        key = f"{name}/.ATTRIBUTES/VARIABLE_VALUE"
        ours, theirs = reader.read(key), tf_reader.get_tensor(key)
        assert reader[key].dtype_name == "DT_" + name.upper()
        assert ours.dtype == theirs.dtype and np.array_equal(ours, theirs), name


def test_a_multi_shard_checkpoint_reads_from_every_shard():
    reader = BundleReader(SHARDED)
    assert reader.header.num_shards > 1
    assert len(reader.shard_paths()) == reader.header.num_shards
    assert all(os.path.exists(p) for p in reader.shard_paths())
    used = {p.shard_id for parts in reader._slices.values() for p in parts.values()}
    used |= {e.shard_id for e in reader.entries() if not e.has_slices}
    assert used == set(range(reader.header.num_shards))


def test_a_partitioned_tensor_is_assembled_from_its_slices():
    reader = BundleReader(SHARDED)
    sliced = [e for e in reader.entries() if e.has_slices]
    assert sliced and all(e.shard_path is None for e in sliced)
    for entry in sliced:
        value = reader.read(entry.key)
        assert value.shape == entry.shape
        pieces = reader._slices[entry.key]
        covered = sum(
            int(np.prod([n if n >= 0 else d for (_, n), d in zip(ext, entry.shape)])) for ext in pieces
        )
        assert covered == entry.num_elements
    # the slices' own keys are not listed, as TensorFlow does not list them
    assert not any(k.startswith("\x00") for k in reader)


def test_slices_with_whole_dimensions_are_assembled(tmp_path):
    """TensorFlow's slice format spells "the whole dimension" as a missing length
    in the entry and -1 in the key; rewrite the fixture's explicit (0, 128) so."""
    prefix = copy_checkpoint(SHARDED, tmp_path)
    key = "block_1/.ATTRIBUTES/VARIABLE_VALUE"

    def whole_columns(items):
        out = []
        for raw, value in items:
            if raw.startswith(b"\x00" + key.encode()):
                assert raw.endswith(b"\x80\xc0\x80")  # start 0, length 128
                raw = raw[: -len(b"\xc0\x80")] + b"\x7f"  # length -1
            elif raw == key.encode():
                entry = protos.BundleEntryProto.FromString(value)
                for piece in entry.slices:
                    piece.extent[1].ClearField("length")
                value = entry.SerializeToString()
            out.append((raw, value))
        return out

    rewrite_index(prefix, whole_columns)
    reader = BundleReader(prefix)
    assert any(e[1] == -1 for part in reader._slices[key] for e in part[1:])
    assert np.array_equal(reader.read(key), BundleReader(SHARDED).read(key))
    assert reader.verify() == []


def test_slice_keys_decode():
    assert decode_slice_key(b"\x00part\x00\x01\x01\x02\x80\x84\x80\x83") == ("part", ((0, 4), (0, 3)))
    # escaped 0x00 / 0xff in the name, a full extent (-1) and a two-byte number (256)
    name, extents = decode_slice_key(b"\x00a\x00\xffb\xff\x00\x00\x01\x01\x02\x80\x7f\x80\xc1\x00")
    assert name == "a\x00b\udcff" and extents == ((0, -1), (0, 256))
    with pytest.raises(ValueError):
        decode_slice_key(b"\x00unterminated")


def test_an_index_with_many_blocks_and_shared_prefixes_matches_tensorflow(tmp_path, tf):
    # TensorFlow's index blocks hold 256 KiB; 1500 keys of ~230 bytes that share
    # only their first few bytes fill two
    tail = "_" + "abcdefghij" * 20
    root = tf.train.Checkpoint(
        **{f"v{i:04d}{tail}": tf.Variable(np.full((2,), i, np.float32)) for i in range(1500)}
    )
    prefix = root.write(str(tmp_path / "many"))
    table = Table(f"{prefix}.index")
    index_block = table.read_block(table.index_handle)
    assert len(list(table.block_entries(index_block, 0))) > 1  # more than one data block
    reader = BundleReader(prefix)
    assert reader.keys() == sorted(k for k, _ in tf.train.list_variables(prefix))
    key = next(k for k in reader if "v0123" in k)
    assert reader.read(key).tolist() == [123.0, 123.0]
    assert tf.train.load_checkpoint(prefix).get_tensor(key).tolist() == [123.0, 123.0]


# -- object-based keys -----------------------------------------------------------------
def test_readable_key_and_slot_keys():
    assert readable_key("layer/kernel/.ATTRIBUTES/VARIABLE_VALUE") == "layer/kernel"
    assert readable_key("loss/global_step") == "loss/global_step"
    slot = parse_slot_key("model/layer/kernel/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES/VARIABLE_VALUE")
    assert (slot.variable, slot.optimizer, slot.slot) == ("model/layer/kernel", "optimizer", "m")
    assert parse_slot_key("model/layer/kernel/.ATTRIBUTES/VARIABLE_VALUE") is None
    assert is_bookkeeping("save_counter/.ATTRIBUTES/VARIABLE_VALUE") and is_bookkeeping(OBJECT_GRAPH_KEY)
    assert is_bookkeeping("loss/global_step") and not is_bookkeeping("dense/kernel")


def test_slot_keys_of_a_real_checkpoint(tmp_path, tf):
    var = tf.Variable(np.ones((3, 2), np.float32))
    optimizer = tf.compat.v1.train.AdamOptimizer(0.1)
    optimizer.apply_gradients([(tf.ones((3, 2)), var)])
    prefix = tf.train.Checkpoint(model=tf.train.Checkpoint(w=var), opt=optimizer).write(str(tmp_path / "c"))
    slots = {s.slot for k in BundleReader(prefix) if (s := parse_slot_key(k))}
    assert slots == {"m", "v"}
    parsed = [parse_slot_key(k) for k in BundleReader(prefix)]
    assert {(s.variable, s.optimizer) for s in parsed if s} == {("model/w", "opt")}
    summary = summarize_object_graph(BundleReader(prefix))
    assert summary.num_slot_variables == 2


def test_object_graph_summary_counts_the_variables():
    reader = BundleReader(DTYPES)
    summary = summarize_object_graph(reader)
    saved = [k for k in reader if k.endswith("/.ATTRIBUTES/VARIABLE_VALUE")]
    assert summary.num_variables == len(saved) == 21
    assert summary.num_objects == len(saved) + 1  # plus the root object
    assert summarize_object_graph(BundleReader(TF1)) is None


# -- listing touches only the index ------------------------------------------------
def test_listing_needs_no_data_shards(tmp_path):
    prefix = copy_checkpoint(SHARDED, tmp_path)
    for shard in Path(tmp_path).glob("*.data-*"):
        shard.unlink()
    reader = BundleReader(prefix)
    assert len(reader.entries()) == len(BundleReader(SHARDED).entries())
    with pytest.raises(NotFound, match=r"data shard \d of 4 is missing"):
        reader.read("block_0/.ATTRIBUTES/VARIABLE_VALUE")


def test_listing_and_reading_do_not_start_tensorflow():
    code = (
        "import sys; from inspector.checkpoint import BundleReader, resolve_checkpoint\n"
        f"r = BundleReader(resolve_checkpoint({str(DTYPES) + '.index'!r}))\n"
        "keys = [e.key for e in r.entries()]; r.read(keys[1]); r.verify()\n"
        "assert 'tensorflow.python' not in sys.modules, 'tensorflow.python imported'\n"
        "assert 'tensorflow' not in sys.modules, 'tensorflow imported'\n"
        "print(len(keys))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], check=False, capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(len(BundleReader(DTYPES)))


# -- damaged index files -------------------------------------------------------------
def test_truncated_index(tmp_path):
    prefix = copy_checkpoint(TF1, tmp_path)
    index = Path(f"{prefix}.index")
    data = index.read_bytes()
    index.write_bytes(data[:30])
    with pytest.raises(CorruptArtifact, match="truncated") as info:
        BundleReader(prefix)
    assert str(index) in str(info.value) and "\n" not in str(info.value)
    # the footer survives but bytes before it are gone: a block runs past the end
    index.write_bytes(data[: len(data) - 48 - 10] + data[-48:])
    with pytest.raises(CorruptArtifact, match="runs past the end .* the index is truncated"):
        BundleReader(prefix)


def test_flipped_byte_in_an_index_block_fails_its_checksum(tmp_path):
    prefix = copy_checkpoint(TF1, tmp_path)
    flip_byte(f"{prefix}.index", 3)
    with pytest.raises(
        CorruptArtifact, match="block at offset 0 .* fails its checksum: the index is corrupt"
    ) as info:
        BundleReader(prefix)
    assert f"{prefix}.index" in str(info.value)


def test_bad_footer_magic(tmp_path):
    prefix = copy_checkpoint(TF1, tmp_path)
    flip_byte(f"{prefix}.index", os.path.getsize(f"{prefix}.index") - 1)
    with pytest.raises(CorruptArtifact, match="bad magic number .*not a tensor-bundle index"):
        BundleReader(prefix)


def test_a_file_that_is_not_an_index(tmp_path):
    (tmp_path / "x.index").write_bytes(
        b"{'this': 'is json, not a checkpoint index', 'pad': '" + b"x" * 80 + b"'}"
    )
    with pytest.raises(CorruptArtifact, match="bad magic number"):
        BundleReader(tmp_path / "x")


def test_our_table_builder_round_trips():  # the helper the tests below rely on
    items = read_table(f"{DTYPES}.index")
    assert list(Table("mem", build_table(items)).items()) == items


def test_an_index_without_a_header_entry(tmp_path):
    items = read_table(f"{TF1}.index")[1:]
    (tmp_path / "h.index").write_bytes(build_table(items))
    with pytest.raises(CorruptArtifact, match="no header entry"):
        BundleReader(tmp_path / "h")


def test_a_bundle_from_a_newer_format_version(tmp_path):
    prefix = copy_checkpoint(TF1, tmp_path)

    def newer(items):
        header = protos.BundleHeaderProto.FromString(items[0][1])
        header.version.min_consumer = 7
        return [(b"", header.SerializeToString()), *items[1:]]

    rewrite_index(prefix, newer)
    with pytest.raises(UnreadableInput, match="format version 7"):
        BundleReader(prefix)


def test_an_entry_that_is_not_a_bundle_entry(tmp_path):
    prefix = copy_checkpoint(TF1, tmp_path)
    rewrite_index(prefix, lambda items: [*items[:2], (items[2][0], b"\xff\xff\xff"), *items[3:]])
    with pytest.raises(CorruptArtifact, match="not a valid BundleEntryProto"):
        BundleReader(prefix)


def test_variant_and_resource_tensors_are_listed_but_not_decoded(tmp_path):
    prefix = copy_checkpoint(TF1, tmp_path)
    variant = protos.DataType.Value("DT_VARIANT")

    def to_variant(items):
        entry = protos.BundleEntryProto.FromString(items[1][1])
        entry.dtype = variant
        return [items[0], (items[1][0], entry.SerializeToString()), *items[2:]]

    rewrite_index(prefix, to_variant)
    reader = BundleReader(prefix)
    key = reader.keys()[0]
    assert reader[key].dtype_name == "DT_VARIANT"
    with pytest.raises(UnsupportedDtype, match="DT_VARIANT"):
        reader.read(key)
    assert reader.read(reader.keys()[1]).shape == (8,)


def test_a_big_endian_bundle_decodes_to_the_same_values(tmp_path):
    """Rewrite the dtype fixture as a big-endian machine would have written it."""
    source = BundleReader(DTYPES)
    items = read_table(f"{DTYPES}.index")
    header = protos.BundleHeaderProto.FromString(items[0][1])
    header.endianness = protos.BundleHeaderProto.BIG
    data, new_items = bytearray(), [(b"", header.SerializeToString())]
    for raw_key, value in items[1:]:
        key = raw_key.decode()
        entry = protos.BundleEntryProto.FromString(value)
        array = source.read(key)
        if entry.dtype == protos.DataType.Value("DT_STRING"):
            flat = list(array.reshape(-1))
            lengths = b"".join(varint(len(s)) for s in flat)
            length_crc = google_crc32c.value(b"".join(struct.pack(">I", len(s)) for s in flat))
            stored = struct.pack(">I", mask_crc(length_crc))
            blob = lengths + stored + b"".join(flat)
            crc = google_crc32c.extend(google_crc32c.extend(length_crc, stored), b"".join(flat))
        else:
            unit = array.dtype.itemsize // (2 if array.dtype.kind == "c" else 1)
            blob = np.ascontiguousarray(array).view(np.uint8).reshape(-1, unit)[:, ::-1].tobytes()
            crc = google_crc32c.value(blob)
        entry.offset, entry.size, entry.crc32c = len(data), len(blob), mask_crc(crc)
        data.extend(blob)
        new_items.append((raw_key, entry.SerializeToString()))
    (tmp_path / "be.index").write_bytes(build_table(new_items))
    (tmp_path / "be.data-00000-of-00001").write_bytes(bytes(data))
    big = BundleReader(tmp_path / "be")
    assert big.header.big_endian and big.verify() == []
    for key in source:
        ours, expected = big.read(key), source.read(key)
        assert ours.dtype == expected.dtype and ours.shape == expected.shape
        if ours.dtype == object:
            assert ours.tolist() == expected.tolist()
        else:
            assert ours.tobytes() == expected.tobytes()


# -- damaged data shards ----------------------------------------------------------------
def test_a_missing_data_shard(tmp_path):
    prefix = copy_checkpoint(SHARDED, tmp_path)
    missing = f"{prefix}.data-00003-of-00004"
    os.remove(missing)
    reader = BundleReader(prefix)
    with pytest.raises(NotFound, match="data shard 4 of 4 is missing") as info:
        reader.read(OBJECT_GRAPH_KEY)
    assert missing in str(info.value)
    findings = reader.verify()
    assert [(f.key, f.shard_path) for f in findings] == [(None, missing)]
    assert "missing" in findings[0].problem
    assert reader.read("block_0/.ATTRIBUTES/VARIABLE_VALUE").shape == (64, 128)  # other shards still read


def test_a_shard_shorter_than_an_entry(tmp_path):
    prefix = copy_checkpoint(TF1, tmp_path)
    reader = BundleReader(prefix)
    last = max(reader.entries(), key=lambda e: e.offset)
    shard = last.shard_path
    os.truncate(shard, last.offset + last.size // 2)
    with pytest.raises(
        CorruptArtifact, match="too short for tensor .*sunday_net/output/kernel.* truncated"
    ) as info:
        reader.read(last.key)
    assert shard in str(info.value)
    findings = reader.verify()
    assert [(f.key, f.shard_path) for f in findings] == [(last.key, shard)]
    assert findings[0].problem.startswith("shard too short")
    assert reader.read("sunday_net/hidden/kernel").shape == (4, 8)


@pytest.mark.parametrize(
    "key", ["sunday_net/hidden/kernel", "sunday_net/output/bias"], ids=["matrix", "one-element"]
)
def test_a_flipped_byte_in_a_data_shard(tmp_path, key):
    prefix = copy_checkpoint(TF1, tmp_path)
    reader = BundleReader(prefix)
    entry = reader[key]
    flip_byte(entry.shard_path, entry.offset + entry.size - 1)
    findings = reader.verify()
    assert [(f.key, f.shard_path) for f in findings] == [(key, entry.shard_path)]
    assert findings[0].expected == unmask_crc(entry.crc32c) != findings[0].actual
    assert key in findings[0].one_line() and entry.shard_path in findings[0].one_line()
    with pytest.raises(CorruptArtifact, match=f"{key}.*crc32c mismatch") as info:
        reader.read(key)
    assert entry.shard_path in str(info.value)
    others = [k for k in reader if k != key]
    assert all(reader.read(k) is not None for k in others)


def test_a_flipped_byte_in_a_string_tensor(tmp_path):
    prefix = copy_checkpoint(DTYPES, tmp_path)
    reader = BundleReader(prefix)
    entry = reader["string/.ATTRIBUTES/VARIABLE_VALUE"]
    flip_byte(entry.shard_path, entry.offset + entry.size - 3)  # inside the string bytes
    findings = reader.verify()
    assert [f.key for f in findings] == [entry.key] and findings[0].problem == "crc32c mismatch"
    with pytest.raises(CorruptArtifact, match="crc32c mismatch"):
        reader.read(entry.key)
    flip_byte(entry.shard_path, entry.offset)  # now the first varint length is wrong too
    with pytest.raises(CorruptArtifact, match=r"string/\.ATTRIBUTES/VARIABLE_VALUE"):
        reader.read(entry.key)
    assert [f.key for f in reader.verify()] == [entry.key]


def test_verify_reports_progress_up_to_the_total(monkeypatch):
    monkeypatch.setattr("inspector.checkpoint.verify.CHUNK_SIZE", 4096)  # many reports, chunked reads
    reader = BundleReader(SHARDED)
    calls: list[tuple[int, int]] = []
    assert reader.verify(progress=lambda done, total: calls.append((done, total))) == []
    total = sum(os.path.getsize(p) for p in reader.shard_paths())
    assert calls[-1] == (reader.stored_bytes(), reader.stored_bytes())
    assert sum(e.size for e in reader.entries()) == reader.stored_bytes() <= total  # slices counted once
    assert len(calls) > 10 and [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_an_unknown_key():
    reader = BundleReader(TF1)
    assert "sunday_net/hidden/bias" in reader and "nope" not in reader
    with pytest.raises(KeyError):
        reader["nope"]
    with pytest.raises(TensorNotFound, match="no tensor named 'nope'") as info:
        reader.read("nope")
    assert isinstance(info.value, SelectionError) and f"{TF1}.index" in str(info.value)


# -- the checkpoint state file and resolving paths ------------------------------------
def test_state_file_with_relative_paths_and_timestamps(tmp_path):
    copy_checkpoint(FIXTURES / "seed004" / "results" / "model.ckpt-5", tmp_path)
    copy_checkpoint(TF1, tmp_path)
    (tmp_path / "checkpoint").write_text(
        'model_checkpoint_path: "model.ckpt-10"\n'
        'all_model_checkpoint_paths: "model.ckpt-5"\nall_model_checkpoint_paths: "model.ckpt-10"\n'
        "all_model_checkpoint_timestamps: 100.5\nall_model_checkpoint_timestamps: 200.25\n"
        "last_preserved_timestamp: 50.0\n"
    )
    info = read_checkpoint_state(tmp_path)
    assert info.current.prefix == str(tmp_path / "model.ckpt-10") and info.current.timestamp == 200.25
    assert [(r.prefix, r.timestamp) for r in info.all] == [
        (str(tmp_path / "model.ckpt-5"), 100.5),
        (str(tmp_path / "model.ckpt-10"), 200.25),
    ]
    assert info.last_preserved_timestamp == 50.0 and info.warnings == []
    assert resolve_checkpoint(tmp_path) == str(tmp_path / "model.ckpt-10")


def test_state_file_naming_a_prefix_that_does_not_exist(tmp_path):
    copy_checkpoint(TF1, tmp_path)
    (tmp_path / "checkpoint").write_text('model_checkpoint_path: "/old/place/model.ckpt-99"\n')
    with pytest.raises(NotFound) as info:
        read_checkpoint_state(tmp_path / "checkpoint")
    message = str(info.value)
    assert str(tmp_path / "checkpoint") in message and "/old/place/model.ckpt-99" in message
    with pytest.raises(NotFound, match="model.ckpt-99"):
        resolve_checkpoint(tmp_path)


def test_state_file_with_an_absolute_path_that_was_moved(tmp_path):
    copy_checkpoint(TF1, tmp_path)
    (tmp_path / "checkpoint").write_text(
        'model_checkpoint_path: "/somewhere/else/results/model.ckpt-10"\n'
        'all_model_checkpoint_paths: "/somewhere/else/results/model.ckpt-5"\n'
        'all_model_checkpoint_paths: "/somewhere/else/results/model.ckpt-10"\n'
    )
    info = read_checkpoint_state(tmp_path)
    assert info.current.prefix == str(tmp_path / "model.ckpt-10")
    assert info.current.recorded == "/somewhere/else/results/model.ckpt-10"
    assert [r.prefix for r in info.all] == [str(tmp_path / "model.ckpt-10")]  # ckpt-5 was not copied
    moved = [w for w in info.warnings if "moved" in w]
    assert len(moved) == 1 and "/somewhere/else/results/model.ckpt-10" in moved[0]
    assert any("model.ckpt-5" in w for w in info.warnings)
    assert resolve_checkpoint(tmp_path / "checkpoint") == str(tmp_path / "model.ckpt-10")


def test_the_committed_state_files_resolve_wherever_the_repository_is():
    for directory in ["seed002", "seed003", "seed004/results"]:
        prefix = resolve_checkpoint(FIXTURES / directory)
        assert os.path.dirname(os.path.realpath(prefix)) == os.path.realpath(FIXTURES / directory)
        assert os.path.isfile(f"{prefix}.index")
    assert os.path.basename(resolve_checkpoint(FIXTURES / "seed004" / "results")) == "model.ckpt-10"


def test_a_corrupt_state_file(tmp_path):
    (tmp_path / "checkpoint").write_text("model_checkpoint_path: {{ not a proto")
    with pytest.raises(CorruptArtifact, match="not a valid checkpoint state file"):
        read_checkpoint_state(tmp_path)


def test_resolve_checkpoint_accepts_every_form(tmp_path):
    prefix = str(TF1)
    assert resolve_checkpoint(prefix) == prefix
    assert resolve_checkpoint(prefix + ".index") == prefix
    assert resolve_checkpoint(prefix + ".data-00000-of-00001") == prefix
    assert resolve_checkpoint(FIXTURES / "ckpt_sharded") == str(SHARDED)  # the only *.index
    assert resolve_checkpoint(FIXTURES / "tf2_module") == str(
        FIXTURES / "tf2_module" / "variables" / "variables"
    )
    assert BundleReader(prefix + ".index").prefix == prefix


def test_resolve_checkpoint_errors(tmp_path):
    with pytest.raises(NotFound, match="did you mean .*model.ckpt-10"):
        resolve_checkpoint(FIXTURES / "seed004" / "results" / "model.ckpt")
    with pytest.raises(NotFound, match="holds no checkpoint"):
        resolve_checkpoint(tmp_path)
    copy_checkpoint(TF1, tmp_path / "two")
    copy_checkpoint(FIXTURES / "seed004" / "results" / "model.ckpt-5", tmp_path / "two")
    with pytest.raises(SelectionError, match="holds 2 checkpoints"):
        resolve_checkpoint(tmp_path / "two")
    with pytest.raises(NotFound, match="not part of a TensorFlow checkpoint: no .index file beside it, and not a V1"):
        resolve_checkpoint(FIXTURES / "seed003" / "frozen_graph.pb")
    with pytest.raises(NotFound, match="no tensor-bundle index"):
        BundleReader(tmp_path / "nothing")


# -- auditing expected variables -------------------------------------------------------
def test_audit_against_a_real_checkpoint():
    expected = [
        ("sunday_net/hidden/bias", "float32", (8,)),
        ("sunday_net/hidden/kernel", "DT_FLOAT_REF", (4, 9)),
        ("sunday_net/output/bias", "DT_INT32", None),
        ("sunday_net/output/kernel", None, (None, 1)),
        ("not/in/checkpoint", "DT_FLOAT", (1,)),
    ]
    result = audit(expected, BundleReader(TF1))
    assert result.missing == ["not/in/checkpoint"]
    assert result.unused == ["loss/global_step"]
    assert result.unused_bookkeeping == ["loss/global_step"] and result.unused_variables == []
    assert [(m.key, m.expected, m.found) for m in result.dtype_mismatches] == [
        ("sunday_net/output/bias", "DT_INT32", "DT_FLOAT")
    ]
    assert [(m.key, m.expected, m.found) for m in result.shape_mismatches] == [
        ("sunday_net/hidden/kernel", "[4, 9]", "[4, 8]")
    ]
    assert not result.ok


def test_audit_of_a_matching_list_is_ok():
    def entry(key: str, dtype: str, shape: tuple[int, ...]) -> TensorEntry:
        value = protos.DataType.Value(dtype)
        return TensorEntry(key, value, dtype, shape, 0, 0, 0, 0, False, "x")

    class Fake:
        def entries(self):
            return [
                entry("a", "DT_FLOAT", (2, 3)),
                entry("b", "DT_INT64", ()),
                entry("extra", "DT_FLOAT", (1,)),
            ]

    result = audit([("a", "float", (2, 3)), ("b", "int64", ())], Fake())
    assert result.ok and result.unused == ["extra"] and result.unused_variables == ["extra"]
    assert not audit([("b", None, (1,))], Fake()).ok


def test_an_index_path_that_is_a_directory(tmp_path):
    (tmp_path / "d.index").mkdir()
    with pytest.raises(UnreadableInput, match="is a directory"):
        BundleReader(tmp_path / "d")


def test_errors_are_inspector_errors_on_one_line(tmp_path):
    prefix = copy_checkpoint(TF1, tmp_path)
    flip_byte(f"{prefix}.index", 3)
    with pytest.raises(InspectorError) as info:
        BundleReader(prefix)
    assert "\n" not in str(info.value) and info.value.path == f"{prefix}.index" and info.value.hint


# -- the benchmark script runs ------------------------------------------------------------
def test_the_benchmark_runs_small(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench_checkpoint.py"), "--size-mb", "4", "--tensors", "12"]
        + ["--repeats", "1", "--dir", str(tmp_path)],
        check=False,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "list tensors" in proc.stdout and "verify()" in proc.stdout and "MB/s" in proc.stdout
    assert (tmp_path / "bench.index").exists()
