"""The parent side of `tfinspect run`: input tensors, the child process, its outputs.  No TensorFlow here."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import children, protos
from ..analysis.json_values import Problem, Tensor
from ..errors import InspectorError, NotFound, UnreadableInput
from ..model.metagraph import Signature
from ..source.files import require_regular
from ..tensors.shapes import format_shape
from ..tensors.values import numpy_dtype

PACKAGE_ROOT = Path(__file__).resolve().parents[2]
CHILD_MODULE = "inspector.execute.child"


class InvalidInputs(InspectorError):
    """The inputs do not fit the signature; ``problems`` says where."""

    def __init__(self, path: str, problems: list[Problem]):
        self.problems = problems
        super().__init__(path, f"{len(problems)} problem(s) in the inputs, so the model was not run",
                         "the list above says where each one is; fix the inputs and run again")


class RunFailed(InspectorError):
    """TensorFlow could not load or run the model, or the child process died."""


@dataclass(frozen=True)
class Output:
    alias: str
    tensor: protos.TensorProto


def tensor_proto(dtype: str, shape: list[int], values) -> protos.TensorProto:
    """A TensorProto with these values (flat, row-major), built with numpy only."""
    proto = protos.TensorProto(dtype=protos.DataType.Value(dtype))
    for size in shape:
        proto.tensor_shape.dim.add(size=size)
    if dtype == "DT_STRING":
        proto.string_val.extend(values)
    else:
        proto.tensor_content = np.asarray(values, dtype=numpy_dtype(dtype)).reshape(-1).tobytes()
    return proto


def from_tensors(tensors: dict[str, Tensor]) -> dict[str, protos.TensorProto]:
    return {alias: tensor_proto(t.dtype, t.shape, t.values) for alias, t in tensors.items()}


def from_examples(alias: str, examples: list[dict]) -> dict[str, protos.TensorProto]:
    """Serialized tf.Example protos, one per example, as TF Serving feeds a classify/regress signature."""
    serialized = []
    for features in examples:
        proto = protos.Example()
        for name, (kind, values) in features.items():
            slot = proto.features.feature[name]
            if kind is not None:
                getattr(slot, f"{kind}_list").value.extend(values)
        serialized.append(proto.SerializeToString())
    return {alias: tensor_proto("DT_STRING", [len(serialized)], serialized)}


def from_npy(signature: Signature, specs: list[str]) -> dict[str, protos.TensorProto]:
    """``alias=file.npy`` pairs, checked against the signature (dtype kind, rank, fixed dimensions)."""
    inputs = {t.alias: t for t in signature.inputs}
    problems, result = [], {}
    for spec in specs:
        alias, sep, file = spec.partition("=")
        if not sep or not alias or not file:
            raise UnreadableInput(spec, "is not NAME=FILE.npy", "e.g. --inputs x=batch.npy")
        if alias not in inputs:
            problems.append(Problem(alias, "unknown-input", f"signature {signature.key} has no input {alias!r}"))
            continue
        array = _load_npy(file)
        tensor = inputs[alias]
        problem = _npy_problem(alias, array, tensor)
        if problem:
            problems.append(problem)
            continue
        if tensor.dtype == "DT_STRING":
            values = [v.encode() if isinstance(v, str) else bytes(v) for v in array.reshape(-1).tolist()]
        else:
            values = array.astype(numpy_dtype(tensor.dtype))
        result[alias] = tensor_proto(tensor.dtype, list(array.shape), values)
    problems += [Problem(a, "missing-input", f"no --inputs {a}=FILE.npy") for a in inputs if a not in result
                 and not any(p.path == a for p in problems)]
    if problems:
        raise InvalidInputs(signature.key, problems)
    return result


def _load_npy(file: str) -> np.ndarray:
    if not Path(file).is_file():
        raise NotFound(file, "no such .npy file", "save the array with numpy.save")
    try:
        return np.load(file, allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise UnreadableInput(file, f"not a readable .npy array without pickle ({exc})",
                              "save a numeric or bytes/str array with numpy.save") from None


def _npy_problem(alias: str, array: np.ndarray, tensor) -> Problem | None:
    want = numpy_dtype(tensor.dtype)
    if tensor.dtype == "DT_STRING":
        ok = array.dtype.kind in "SU"
    elif want is None:
        return Problem(alias, "unsupported-dtype", f"cannot feed {tensor.dtype} from a .npy file")
    else:
        ok = array.dtype.kind in "biuf" and np.can_cast(array.dtype, want, casting="same_kind")
    if not ok:
        return Problem(alias, "dtype", f"the array is {array.dtype}, the input is {tensor.dtype}")
    declared = tensor.shape
    if declared is not None and (len(declared) != array.ndim or
                                 any(d >= 0 and d != g for d, g in zip(declared, array.shape))):
        return Problem(alias, "shape", f"the array has shape {format_shape(list(array.shape))}, the signature "
                       f"declares {format_shape(declared)}")
    return None


def _require_regular_files(root: Path) -> None:
    """TensorFlow opens whatever the SavedModel folder holds: a FIFO there would block the
    child until --timeout, a device would be read without end.  Refuse them first, as the
    rest of tfinspect does."""
    for folder, _, files in os.walk(root):
        for name in files:
            if os.path.exists(Path(folder) / name):  # a dangling link is TensorFlow's to report, if it reads it
                require_regular(Path(folder) / name)


def execute(path: Path, tags: list[str], key: str, target: str, inputs: dict[str, protos.TensorProto],
            timeout: float) -> tuple[list[Output], str]:
    """Run the signature in a child process; the outputs and the TensorFlow version that made them."""
    _require_regular_files(path)
    with children.temporary_directory("tfinspect-run-") as folder:
        names = {}
        for i, (alias, proto) in enumerate(inputs.items()):
            names[alias] = f"input{i}.pb"
            (folder / names[alias]).write_bytes(proto.SerializeToString())
        job = {"path": str(path), "tags": tags, "signature": key, "target": target, "inputs": names}
        (folder / "job.json").write_text(json.dumps(job))
        paths = [str(PACKAGE_ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
        try:
            proc = children.run([sys.executable, "-m", CHILD_MODULE, str(folder / "job.json")],
                                text=True, timeout=timeout, env=env, cwd=folder)
        except subprocess.TimeoutExpired:
            raise RunFailed(path, f"the model did not finish within {timeout:g} s, so it was stopped",
                            "raise --timeout") from None
        result_file = folder / "result.json"
        if proc.returncode != 0 or not result_file.is_file():
            raise RunFailed(path, f"the TensorFlow process {_death(proc.returncode)}",
                            _last_line(proc.stderr) or "run it again with TF_CPP_MIN_LOG_LEVEL=0 to see why")
        result = json.loads(result_file.read_text())
        if not result["ok"]:
            raise RunFailed(path, f"TensorFlow could not run signature {key}: {result['error']}",
                            _known_cause(result["error"], target))
        outputs = []
        for alias, name in result["outputs"].items():
            proto = protos.TensorProto()
            proto.ParseFromString((folder / name).read_bytes())
            outputs.append(Output(alias, proto))
        return outputs, result["tensorflow"]


def _known_cause(error: str, target: str) -> str | None:
    """What to do about a TensorFlow error that a check rule explains, or None."""
    if "add_slot" in error and target == "python":
        return ("the export holds Keras 2 optimizer slot variables that tf.saved_model.load cannot recreate "
                "(tfinspect check --target python reports it as TFI206); run it with --target python-v1")
    return None


def _death(code: int) -> str:
    if code < 0:
        try:
            return f"died of signal {signal.Signals(-code).name}"
        except ValueError:
            return f"died of signal {-code}"
    return f"exited with status {code} without a result"


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""
