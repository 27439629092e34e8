"""Regenerate ``effects.json``, the catalogue of what each TensorFlow op can do outside its tensors.

``python -m inspector.model.generate_effects`` asks the installed TensorFlow for its whole
op registry (``TF_GetAllOpList``, in a child process: this package never imports
TensorFlow's runtime), adds every op of the registries tfinspect ships
(``inspector/registry``: TensorFlow 2.12 to 2.21 with tensorflow-text and
tensorflow-decision-forests, the op libraries TF Serving links in) that the installed
release lacks, and classifies every op.  The classification is explicit:

1. ``REVIEWED`` below names, op by op, every op that reads, lists or writes files
   or reaches the network, with the argument or attribute that names the path or
   address and, when the effect depends on an attribute or input, the condition.
2. An op is a *suspect* when its OpDef shows a sign of input/output: an input
   argument whose name is one TensorFlow uses for paths and addresses
   (``PATH_INPUTS``), an attribute with such a name (``PATH_ATTRS``), or an op name
   with a word of ``IO_WORDS`` (File, Reader, Summary, Dataset, Save, Send...).
   Every suspect must be in ``REVIEWED`` or ``REVIEWED_NO_EFFECT``.
3. Every other op is recorded as having no effect ("no sign of I/O in its OpDef").

Run against a newer TensorFlow, the generator lists the suspects nobody reviewed
and exits 1 without writing, so a new release's new file or network ops cannot
slip into the catalogue as harmless; ``--check`` compares the file with the
registry without writing.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from .. import children, protos

CATALOGUE = Path(__file__).with_name("effects.json")
EFFECTS = ("write", "network", "read", "list")

PATH_INPUTS = frozenset({
    "address", "basename", "checkpoint_prefixes", "chunk_file", "ckpt_path", "data_source_name", "db_uri",
    "destination_prefix", "directory", "file_pattern", "filename", "filenames", "logdir", "new_vocab_file",
    "old_vocab_file", "path", "pattern", "patterns", "prefix", "server_address", "shard_dir", "snapshot_path",
    "target",
})
PATH_ATTRS = frozenset({
    "debug_urls", "descriptor_source", "file_name", "file_pattern", "filename", "log_dir_path",
    "memory_region_name", "output_file_path", "output_stream", "reader_path_prefix", "reader_prefix",
    "recv_device", "send_device", "target_workers", "vocab_file", "writer_path_prefix", "writer_prefix",
})
IO_WORDS = re.compile(
    r"File|Reader|Summary|Checkpoint|Save|Restore|Snapshot|Debug|Dump|Rpc|Send|Recv|Collective|DataService|"
    r"Nccl|Remote|Sql|LMDB|Record|TextLine|CSV|Load|Cache|Print|Immutable|Proto|Vocab|Register|Distributed|"
    r"Host|Dataset")


def _op(effects, path=None, when=None, note=""):
    entry = {"effects": list(effects)}
    if path:
        entry["path"] = path
    if when:
        entry["when"] = when
    if note:
        entry["note"] = note
    return entry


def _words(text: str) -> list[str]:
    return text.split()


def _same(names: str, *args, **kwargs) -> dict[str, dict]:
    return {name: _op(*args, **kwargs) for name in names.split()}


_DEBUG_URLS = {"attr": "debug_urls", "prefixes": {"file://": "write", "grpc://": "network"}}
_CLUSTER = "only when the serving process belongs to a TensorFlow cluster with other tasks"

# The reviewed classification: op -> effects, the argument naming the path or address, the condition.
REVIEWED: dict[str, dict] = {
    "ReadFile": _op(["read"], "filename"),
    "ImmutableConst": _op(["read"], "@memory_region_name", note="memory-maps the file named by the attribute"),
    **_same("Restore RestoreSlice", ["read"], "file_pattern", note="a checkpoint read outside the graph's saver"),
    **_same("RestoreV2 DTensorRestoreV2", ["read"], "prefix", note="a checkpoint read outside the graph's saver"),
    "LoadAndRemapMatrix": _op(["read"], "ckpt_path"),
    "GenerateVocabRemapping": _op(["read"], "new_vocab_file", note="reads both vocabulary files"),
    **_same("InitializeTableFromTextFile InitializeTableFromTextFileV2", ["read"], "filename",
            note="a table initialised from a text file; from the SavedModel's own assets it is not reported"),
    **_same("SimpleMLLoadModelFromPath SimpleMLLoadModelFromPathWithHandle", ["read"], "path",
            note="tensorflow-decision-forests loads a model's files from this folder; from the SavedModel's own "
                 "assets it is not reported"),
    "FixedUnigramCandidateSampler": _op(["read"], "@vocab_file", when={"attr": "vocab_file", "nonempty": True}),
    "Skipgram": _op(["read"], "@filename"),
    "RecordInput": _op(["read"], "@file_pattern", note="lists the files matching the pattern and reads them"),
    **_same("TFRecordDataset TFRecordDatasetV2 TextLineDataset FixedLengthRecordDataset FixedLengthRecordDatasetV2 "
            "CSVDataset CSVDatasetV2 ExperimentalCSVDataset LMDBDataset ExperimentalLMDBDataset",
            ["read"], "filenames", note="a tf.data source reading files"),
    "LoadDataset": _op(["read"], "path", note="a tf.data source reading a dataset saved with tf.data's save"),
    "SnapshotDatasetReader": _op(["read"], "shard_dir"),
    "SnapshotChunkDataset": _op(["read"], "chunk_file"),
    **_same("SqlDataset ExperimentalSqlDataset", ["read"], "data_source_name",
            note="opens the SQLite database file named by data_source_name"),
    **_same("ReaderRead ReaderReadV2 ReaderReadUpTo ReaderReadUpToV2", ["read"],
            note="reads the files whose names a queue hands to the reader"),
    **_same("WholeFileReader WholeFileReaderV2 TextLineReader TextLineReaderV2 FixedLengthRecordReader "
            "FixedLengthRecordReaderV2 TFRecordReader TFRecordReaderV2 LMDBReader", ["read"],
            note="a TF1 reader: opens each file a queue names when ReaderRead runs"),
    **_same("DecodeProtoV2 EncodeProto", ["read"], "@descriptor_source",
            when={"attr": "descriptor_source", "except": ["", "local://"], "except_prefixes": ["bytes://"]},
            note="reads a FileDescriptorSet from the file descriptor_source names (not local:// or bytes://)"),
    **_same("MatchingFiles", ["list"], "pattern"),
    **_same("MatchingFilesDataset ExperimentalMatchingFilesDataset", ["list"], "patterns"),
    "ListSnapshotChunksDataset": _op(["list"], "snapshot_path"),
    "WriteFile": _op(["write"], "filename", note="creates or overwrites the file"),
    **_same("Save SaveSlices", ["write"], "filename", note="a checkpoint write outside the graph's saver"),
    "SaveV2": _op(["write"], "prefix", note="a checkpoint write outside the graph's saver"),
    "MergeV2Checkpoints": _op(["write"], "destination_prefix",
                              note="writes the merged checkpoint and deletes the source files"),
    "CalibrationStatisticsSaver": _op(["write"], "@output_file_path"),
    "DumpTensor": _op(["write"], "@log_dir_path", note="dumps the tensor into a file under log_dir_path"),
    **_same("DatasetToTFRecord ExperimentalDatasetToTFRecord", ["write"], "filename",
            note="a tf.data sink writing a TFRecord file"),
    **_same("SaveDataset SaveDatasetV2", ["write"], "path", note="a tf.data sink writing a dataset to disk"),
    **_same("SnapshotDataset SnapshotDatasetV2", ["write", "read"], "path",
            note="writes the dataset under path on a first run, reads it back later"),
    **_same("CacheDataset CacheDatasetV2", ["write", "read"], "filename",
            when={"input": "filename", "nonempty": True},
            note="caches to files under filename unless it is empty (an in-memory cache)"),
    "CreateSummaryFileWriter": _op(["write"], "logdir", note="creates an event file under logdir"),
    "CreateSummaryDbWriter": _op(["write"], "db_uri", note="creates or opens an SQLite database"),
    **_same("WriteSummary WriteScalarSummary WriteHistogramSummary WriteImageSummary WriteAudioSummary "
            "WriteGraphSummary WriteRawProtoSummary FlushSummaryWriter CloseSummaryWriter "
            "StatsAggregatorSetSummaryWriter", ["write"], note="writes through a summary writer"),
    "PrintV2": _op(["write"], "@output_stream", when={"attr": "output_stream", "prefixes": {"file://": "write"}},
                   note="appends to a file when output_stream is file://PATH; stderr, stdout and log otherwise"),
    **_same("DebugIdentity DebugNanCount DebugNumericSummary DebugIdentityV2 DebugIdentityV3", ["write", "network"],
            "@debug_urls", when=_DEBUG_URLS,
            note="dumps tensors to the debug_urls: files for file://, a gRPC server for grpc://"),
    "FileSystemSetConfiguration": _op(["write"], "scheme",
                                      note="changes a file system's configuration for the whole process"),
    **_same("DataServiceDataset DataServiceDatasetV2 DataServiceDatasetV3 DataServiceDatasetV4", ["network"],
            "address", note="reads elements from a tf.data service at address"),
    **_same("RegisterDataset RegisterDatasetV2", ["network"], "address",
            note="registers a dataset with a tf.data service at address"),
    "DistributedSave": _op(["network", "write"], "address",
                           note="asks a tf.data service at address to write the dataset under directory"),
    **_same("RpcClient RpcServer", ["network"], "server_address"),
    **_same("RpcCall RpcServerStart RpcServerRegister", ["network"],
            note="calls or serves functions over gRPC (tf.distribute.experimental.rpc)"),
    "RemoteCall": _op(["network"], "target", note="runs a function on the device named by target: " + _CLUSTER),
    **_same("Send Recv _Send _Recv _HostSend _HostRecv", ["network"], "@recv_device",
            when={"devices": "different-task"},
            note="moves a tensor between devices; another process when send_device and recv_device name "
                 "different tasks"),
    **_same("CollectiveReduce CollectiveReduceV2 CollectiveReduceV3 CollectiveGather CollectiveGatherV2 "
            "CollectiveBcastSend CollectiveBcastSendV2 CollectiveBcastRecv CollectiveBcastRecvV2 "
            "CollectivePermute CollectiveAllToAllV2 CollectiveAllToAllV3 CollectiveReduceScatterV2 "
            "CollectiveInitializeCommunicator CollectiveAssignGroupV2", ["network"],
            note="exchanges tensors with the other members of its group: " + _CLUSTER),
}

# Suspects reviewed as touching neither files nor the network, with the reason.
REVIEWED_NO_EFFECT: dict[str, str] = {
    "SentencepieceVocabSizeOp": "tensorflow-text: the vocabulary size of a SentencePiece model held in a resource "
                                "(the model arrives as bytes, not a path)",
    **dict.fromkeys(
        _words("AssertCardinalityDataset AssertNextDataset AssertPrevDataset AutoShardDataset BatchDataset BatchDatasetV2 "
        "BytesProducedStatsDataset ChooseFastestBranchDataset ChooseFastestDataset ConcatenateDataset "
        "DatasetCardinality DatasetFingerprint DatasetToGraph DatasetToGraphV2 DatasetToSingleElement "
        "DenseToSparseBatchDataset DirectedInterleaveDataset ExperimentalAssertNextDataset "
        "ExperimentalAutoShardDataset ExperimentalBytesProducedStatsDataset ExperimentalChooseFastestDataset "
        "ExperimentalDatasetCardinality ExperimentalDenseToSparseBatchDataset "
        "ExperimentalDirectedInterleaveDataset ExperimentalGroupByReducerDataset ExperimentalGroupByWindowDataset "
        "ExperimentalIgnoreErrorsDataset ExperimentalLatencyStatsDataset ExperimentalMapAndBatchDataset "
        "ExperimentalMapDataset ExperimentalMaxIntraOpParallelismDataset ExperimentalNonSerializableDataset "
        "ExperimentalParallelInterleaveDataset ExperimentalParseExampleDataset "
        "ExperimentalPrivateThreadPoolDataset ExperimentalRandomDataset ExperimentalRebatchDataset "
        "ExperimentalScanDataset ExperimentalSetStatsAggregatorDataset ExperimentalSleepDataset "
        "ExperimentalSlidingWindowDataset ExperimentalStatsAggregatorSummary ExperimentalTakeWhileDataset "
        "ExperimentalThreadPoolDataset ExperimentalUnbatchDataset ExperimentalUniqueDataset "
        "FilterByLastComponentDataset FilterDataset FinalizeDataset FlatMapDataset GeneratorDataset "
        "GlobalShuffleDataset GroupByReducerDataset GroupByWindowDataset IgnoreErrorsDataset IndexFlatMapDataset "
        "InterleaveDataset LatencyStatsDataset LegacyParallelInterleaveDatasetV2 ListDataset MapAndBatchDataset "
        "MapDataset MaxIntraOpParallelismDataset ModelDataset NonSerializableDataset OptimizeDataset "
        "OptimizeDatasetV2 OptionsDataset PaddedBatchDataset PaddedBatchDatasetV2 ParallelBatchDataset "
        "ParallelFilterDataset ParallelInterleaveDataset ParallelInterleaveDatasetV2 ParallelInterleaveDatasetV3 "
        "ParallelInterleaveDatasetV4 ParallelMapDataset ParallelMapDatasetV2 ParseExampleDataset "
        "ParseExampleDatasetV2 PrefetchDataset PrivateThreadPoolDataset RandomDataset RandomDatasetV2 "
        "RangeDataset RebatchDataset RebatchDatasetV2 ReduceDataset RepeatDataset RewriteDataset "
        "SamplingDataset ScanDataset SetStatsAggregatorDataset ShardDataset ShuffleAndRepeatDataset "
        "ShuffleAndRepeatDatasetV2 ShuffleDataset ShuffleDatasetV2 ShuffleDatasetV3 SkipDataset SleepDataset "
        "SlidingWindowDataset SnapshotNestedDatasetReader SparseTensorSliceDataset TakeDataset TakeWhileDataset "
        "TensorDataset TensorSliceDataset ThreadPoolDataset UnbatchDataset UniqueDataset UnwrapDatasetVariant "
        "WeightedFlatMapDataset WindowDataset WrapDatasetVariant ZipDataset InitializeTableFromDataset "
        "IteratorGetModelProto"),
        "a tf.data op over tensors or other datasets; its functions are scanned as library functions"),
    "DatasetFromGraph": "builds a dataset from a serialized GraphDef, which the scan opens and scans as well",
    **dict.fromkeys(_words("AnonymousMemoryCache DeleteMemoryCache DummyMemoryCache"), "an in-memory cache"),
    **dict.fromkeys(
        _words("AudioSummary AudioSummaryV2 HistogramSummary ImageSummary MergeSummary ScalarSummary TensorSummary "
        "TensorSummaryV2 SummaryWriter StatsAggregatorSummary BoostedTreesMakeStatsSummary"),
        "builds a Summary protobuf or a writer handle in memory; the Write*Summary ops write"),
    "Snapshot": "copies a tensor in memory (not tf.data's snapshot)",
    "Print": "prints to standard error (TFI507 is the serving advice about it)",
    **dict.fromkeys(_words("DebugGradientIdentity DebugGradientRefIdentity DebugNumericSummaryV2"),
                    "an in-graph debugging value; it writes nowhere"),
    "BoostedTreesExampleDebugOutputs": "computes debugging tensors in memory",
    **dict.fromkeys(_words("ShardedFilename ShardedFilespec"), "formats a file name; it opens nothing"),
    **dict.fromkeys(_words("RegexFullMatch RegexReplace DecodeCSV"), "string processing; 'pattern' is a regex"),
    **dict.fromkeys(
        _words("ReaderNumRecordsProduced ReaderNumRecordsProducedV2 ReaderNumWorkUnitsCompleted "
        "ReaderNumWorkUnitsCompletedV2 ReaderReset ReaderResetV2 ReaderRestoreState ReaderRestoreStateV2 "
        "ReaderSerializeState ReaderSerializeStateV2 IdentityReader IdentityReaderV2"),
        "a TF1 reader's bookkeeping in memory"),
    **dict.fromkeys(_words("RpcCheckStatus RpcGetValue DeleteRpcFutureResource"),
                    "reads the result of an RpcCall already made"),
    **dict.fromkeys(
        _words("NcclAllReduce NcclBroadcast NcclReduce _NcclBroadcastRecv _NcclBroadcastSend _NcclReduceRecv "
        "_NcclReduceSend"), "exchanges tensors between the GPUs of one machine"),
    **dict.fromkeys(
        _words("ConfigureDistributedTPU ConfigureTPUEmbeddingHost ConnectTPUEmbeddingHosts ShutdownDistributedTPU "
        "_ConfigureDistributedTPU _DisconnectHostFromDistributedTPUSystem _InitializeHostForDistributedTPU "
        "_ShutdownDistributedTPU _WaitForDistributedTPU LoadAllTPUEmbeddingParameters "
        "LoadTPUEmbeddingADAMParameters LoadTPUEmbeddingAdadeltaParameters "
        "LoadTPUEmbeddingAdagradMomentumParameters LoadTPUEmbeddingAdagradParameters "
        "LoadTPUEmbeddingCenteredRMSPropParameters LoadTPUEmbeddingFTRLParameters "
        "LoadTPUEmbeddingFrequencyEstimatorParameters LoadTPUEmbeddingMDLAdagradLightParameters "
        "LoadTPUEmbeddingMomentumParameters LoadTPUEmbeddingProximalAdagradParameters "
        "LoadTPUEmbeddingProximalYogiParameters LoadTPUEmbeddingRMSPropParameters "
        "LoadTPUEmbeddingStochasticGradientDescentParameters RecvTPUEmbeddingActivations "
        "SendTPUEmbeddingGradients TpuHandleToProtoKey XlaHostCompute XlaRecv XlaRecvFromHost "
        "XlaRecvTPUEmbeddingActivations XlaRecvTPUEmbeddingActivationsV2 XlaRecvTPUEmbeddingDeduplicationData "
        "XlaRecvTPUEmbeddingDeduplicationDataV2 XlaSend XlaSendTPUEmbeddingGradients "
        "XlaSendTPUEmbeddingGradientsV2 XlaSendToHost _XlaHostComputeMlir _XlaRecvAtHost _XlaRecvAtHostV2 "
        "_XlaSendFromHost _XlaSendFromHostV2 CopyHost HostConst _CopyFromGpuToHost _CopyFromHostToGpu "
        "_HostCast"),
        "moves tensors between a host and its own accelerators (TPU, GPU, XLA) or configures them"),
}

_DUMP = """
import sys
from tensorflow.python.client import pywrap_tf_session as s
buffer = s.TF_GetAllOpList()
sys.stdout.buffer.write(s.TF_GetBuffer(buffer))
"""


def installed_registry() -> tuple[list, str]:
    """Every OpDef the installed TensorFlow registers, read in a child process, and its version."""
    import importlib.metadata

    done = children.run([sys.executable, "-c", _DUMP], timeout=600)
    if done.returncode != 0:
        raise SystemExit(f"TensorFlow could not list its op registry: {done.stderr.decode(errors='replace')[-2000:]}")
    ops = protos.OpList.FromString(done.stdout).op
    return sorted(ops, key=lambda op: op.name), importlib.metadata.version("tensorflow")


def shipped_ops(installed: set[str]) -> list:
    """The OpDefs of the shipped registries' ops that the installed TensorFlow does not register."""
    from ..registry import reader

    return [state.op_def for state in reader.newest_ops() if state.name not in installed]


def suspect(op) -> list[str]:
    """The signs of input/output in an OpDef (empty: none)."""
    signs = [f"input {a.name}" for a in op.input_arg if a.name in PATH_INPUTS]
    signs += [f"attribute {a.name}" for a in op.attr if a.name in PATH_ATTRS]
    if IO_WORDS.search(op.name):
        signs.append("name")
    return signs


def _path(op, spec: str | None) -> dict | None:
    """Where the path or address is: an attribute, or an input with its position when it is fixed."""
    if not spec:
        return None
    if spec.startswith("@"):
        return {"attr": spec[1:]}
    for index, arg in enumerate(op.input_arg):
        if arg.name == spec:
            return {"input": spec, "index": index}
        if arg.number_attr or arg.type_list_attr:
            break  # positions after a list argument depend on the node
    return {"input": spec}


def classify(ops) -> tuple[dict, list[str]]:
    """(the catalogue, unreviewed suspects)."""
    names = {op.name for op in ops}
    effect_ops, reviewed_none, unsignalled, unreviewed = {}, {}, [], []
    for op in ops:
        if op.name in REVIEWED:
            entry = dict(REVIEWED[op.name])
            path = _path(op, entry.pop("path", None))
            if path:
                entry["path"] = path
            entry["stateful"] = op.is_stateful
            effect_ops[op.name] = entry
        elif op.name in REVIEWED_NO_EFFECT:
            reviewed_none[op.name] = REVIEWED_NO_EFFECT[op.name]
        elif suspect(op):
            unreviewed.append(f"{op.name} ({', '.join(suspect(op))})")
        else:
            unsignalled.append(op.name)
    catalogue = {
        "registry": "tensorflow, and the op registries inspector/registry ships",
        "classification": {
            "effects": list(EFFECTS),
            "path_inputs": sorted(PATH_INPUTS),
            "path_attrs": sorted(PATH_ATTRS),
            "io_words": IO_WORDS.pattern,
            "rule": "an op with a path-like input or attribute, or an I/O word in its name, is reviewed by hand "
                    "(ops, reviewed_no_effect); every other op is recorded in no_effect",
        },
        "ops": effect_ops,
        "reviewed_no_effect": reviewed_none,
        "no_effect": unsignalled,
        "not_in_registry": sorted(set(REVIEWED) - names),
    }
    return catalogue, unreviewed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m inspector.model.generate_effects", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="compare effects.json with the registry; write nothing")
    parser.add_argument("--output", type=Path, default=CATALOGUE)
    args = parser.parse_args(argv)
    ops, version = installed_registry()
    ops = ops + shipped_ops({op.name for op in ops})
    catalogue, unreviewed = classify(ops)
    catalogue = {"tensorflow": version, "op_count": len(ops), **catalogue}
    if unreviewed:
        print(f"{len(unreviewed)} ops of TensorFlow {version} show signs of file or network access and are not "
              "reviewed; classify each in REVIEWED or REVIEWED_NO_EFFECT:", file=sys.stderr)
        for line in unreviewed:
            print("  " + line, file=sys.stderr)
        return 1
    text = json.dumps(catalogue, indent=1, sort_keys=True) + "\n"
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is stale for TensorFlow {version}; run without --check", file=sys.stderr)
            return 1
        print(f"{args.output} is current: {len(ops)} ops of TensorFlow {version}")
        return 0
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}: {len(ops)} ops of TensorFlow {version}, {len(catalogue['ops'])} with effects, "
          f"{len(catalogue['reviewed_no_effect'])} reviewed as none, {len(catalogue['no_effect'])} with no sign")
    return 0


if __name__ == "__main__":
    sys.exit(main())
