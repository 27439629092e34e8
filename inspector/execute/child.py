"""The child process of `tfinspect run`: load the SavedModel, run one signature, write the outputs.

Usage: python -m inspector.execute.child JOB.json

JOB.json names the SavedModel, tag-set, signature key, target and, per input
alias, a file holding a serialized TensorProto.  The outputs are written as
TensorProto files next to it, and RESULT.json says which (or what failed).
This is the only module of tfinspect that imports TensorFlow.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _inputs(tf, job: dict, folder: Path) -> dict:
    from tensorflow.core.framework import tensor_pb2

    arrays = {}
    for alias, name in job["inputs"].items():
        proto = tensor_pb2.TensorProto()
        proto.ParseFromString((folder / name).read_bytes())
        arrays[alias] = tf.make_ndarray(proto)
    return arrays


def _run_python(tf, job: dict, arrays: dict) -> dict:
    loaded = tf.saved_model.load(job["path"], tags=job["tags"])
    function = loaded.signatures[job["signature"]]
    result = function(**{alias: tf.constant(value) for alias, value in arrays.items()})
    return {alias: value.numpy() for alias, value in result.items()}


def _run_v1(tf, job: dict, arrays: dict) -> dict:
    graph = tf.Graph()
    with graph.as_default(), tf.compat.v1.Session(graph=graph) as session:
        meta_graph = tf.compat.v1.saved_model.loader.load(session, job["tags"], job["path"])
        signature = meta_graph.signature_def[job["signature"]]
        feeds = {signature.inputs[alias].name: value for alias, value in arrays.items()}
        fetches = {alias: info.name for alias, info in signature.outputs.items() if info.name}
        return session.run(fetches, feed_dict=feeds)


def main(job_path: str) -> int:
    folder = Path(job_path).parent
    job = json.loads(Path(job_path).read_text())
    result_path = folder / "result.json"
    try:
        import tensorflow as tf

        arrays = _inputs(tf, job, folder)
        outputs = (_run_v1 if job["target"] == "python-v1" else _run_python)(tf, job, arrays)
        written = {}
        for i, (alias, value) in enumerate(sorted(outputs.items())):
            name = f"output{i}.pb"
            (folder / name).write_bytes(tf.make_tensor_proto(value).SerializeToString())
            written[alias] = name
        result = {"ok": True, "outputs": written, "tensorflow": tf.__version__}
    except Exception as exc:  # noqa: BLE001 - whatever the model raises is the answer
        message = str(exc).strip().splitlines()
        result = {"ok": False, "error": f"{type(exc).__name__}: {_essential(message)}"}
    result_path.write_text(json.dumps(result))
    return 0


def _essential(lines: list[str]) -> str:
    """The informative line of a TensorFlow error (not 'Graph execution error:' or a stack)."""
    useful = [line.strip() for line in lines if line.strip() and not line.startswith(("  ", "\t"))]
    skip = ("Graph execution error", "Detected at node", "Original stack trace", "Traceback", "File ", "Node:")
    chosen = [line for line in useful if not line.startswith(skip)]
    first = (chosen or useful or ["(no message)"])[0]
    # TensorFlow wraps the cause ("Restoring from checkpoint failed ... Original error: <cause>", the cause
    # often on a later line): keep it, it names the missing file or the key.
    _, marker, rest = "\n".join(lines).partition("Original error:")
    if marker:
        cause = [line.strip() for line in rest.splitlines() if line.strip() and not line.strip().startswith(skip)]
        if cause and cause[0] not in first:
            first = f"{first.partition('Original error:')[0].rstrip()} Original error: {cause[0]}"
    return first[:1000]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
