"""The op types the installed TensorFlow registers, found without starting TensorFlow.

Every op TensorFlow's Python API can build has a generated wrapper in a
``gen_*.py`` module of the wheel (``tensorflow/python/ops/gen_math_ops.py``...),
and each wrapper names its op twice: ``_apply_op_helper("OpName", ...)`` for
graph building and ``_execute.execute(b"OpName", ...)`` for eager execution.
Scanning those files takes about 0.1 s; the set is cached per TensorFlow version
in ``$XDG_CACHE_HOME/tfinspect/`` (``~/.cache/tfinspect/``).

A few ops are registered in C++ only and have no wrapper but appear in graphs
TensorFlow writes (function arguments, send/receive pairs, TPU and quantization
ops): ``CPP_ONLY_OPS`` lists them.  Ops registered only by TensorFlow's own unit
tests are left out on purpose.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import re
from functools import lru_cache
from pathlib import Path

WRAPPER = re.compile(r'_apply_op_helper\(\s*"([A-Za-z0-9_>.]+)"|_execute\.execute\(\s*b"([A-Za-z0-9_>.]+)"')

CPP_ONLY_OPS = frozenset({
    "_Arg", "_Retval", "_DeviceArg", "_DeviceRetval", "_Send", "_Recv", "_HostSend", "_HostRecv",
    "_ListToArray", "_ArrayToList", "_If", "_While", "_XlaCompile", "_XlaRun", "_XlaMerge",
    "HostConst", "XlaClusterOutput", "QuantizedConcatV2", "Skipgram", "NegTrain", "KthOrderStatistic",
    "TopKUnique", "TopKWithUnique", "MakeUnique", "StochasticCastToInt", "CustomAggregator",
    "CalibrationStatisticsSaver", "DumpTensor", "CopyOp", "GetDeadline", "IsTensorFloat32Enabled",
    "TPUCompile", "TPUCompileSucceededAssert", "TPUExecute", "TPUExecuteAndUpdateVariables",
    "TPUReshardVariables", "TPURoundRobin", "TpuHandleToProtoKey", "GetTpuTaskId",
    "UpdateTaskIdAndGlobalCoreArray", "DTensorAllGather", "DTensorAllReduce", "DTensorAllScatter",
    "DTensorAllToAll", "DTensorReduceScatter",
})


def tensorflow_location() -> tuple[Path, str] | None:
    """The installed TensorFlow package directory and version, without importing it."""
    try:
        spec = importlib.util.find_spec("tensorflow")
        version = importlib.metadata.version("tensorflow")
    except (ImportError, ValueError, importlib.metadata.PackageNotFoundError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))), version


def scan_wrappers(package: Path) -> set[str]:
    names: set[str] = set()
    for path in sorted(package.rglob("gen_*.py")):
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        names.update(a or b for a, b in WRAPPER.findall(text))
    return names


def _cache_file(version: str) -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "tfinspect" / f"ops-tensorflow-{version}.txt"


@lru_cache(maxsize=1)
def registered_ops() -> tuple[frozenset[str], str] | None:
    """(op names, TensorFlow version), or None when TensorFlow is not installed."""
    location = tensorflow_location()
    if location is None:
        return None
    package, version = location
    cache = _cache_file(version)
    try:
        names = set(cache.read_text(encoding="utf-8").split())
    except OSError:
        names = set()
    if not names:
        names = scan_wrappers(package)
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            temporary = cache.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_text("\n".join(sorted(names)) + "\n", encoding="utf-8")
            temporary.replace(cache)
        except OSError:
            pass  # a read-only home still gets the answer, only slower
    return frozenset(names | CPP_ONLY_OPS), version
