"""Dump the op registry of the TensorFlow this interpreter runs, as JSON on stdout.

Run by ``generate.py`` with the Python of a venv that has one tensorflow-cpu release
(and, next to it, optional op libraries installed with ``--no-deps``).  This file is
executed by path in that venv; it imports TensorFlow and nothing of tfinspect.

    python dump_release.py [--library NAME=GLOB ...]

Output: {"tensorflow": version, "keras": version or null, "graph_def_version": N,
"graph_def_min_consumer": N, "ops": {name: [base64 OpDef, CPU kernels' type constraints, library]},
"libraries": {name: version or an error text}}.  OpDef docs are cleared.
"""

from __future__ import annotations

import base64
import glob
import importlib.metadata
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def main(argv: list[str]) -> int:
    import tensorflow as tf
    from tensorflow.core.framework import op_def_pb2
    from tensorflow.python.client import pywrap_tf_session as c_api
    from tensorflow.python.framework import kernels

    def op_list():
        buffer = c_api.TF_GetAllOpList()
        try:
            return op_def_pb2.OpList.FromString(c_api.TF_GetBuffer(buffer))
        finally:
            c_api.TF_DeleteBuffer(buffer)

    def cpu_kernels() -> dict[str, list]:
        """op -> the type constraints of each CPU kernel: [[attr, [DataType...]], ...] per kernel."""
        found: dict[str, list] = {}
        for kernel in kernels.get_all_registered_kernels().kernel:
            if kernel.device_type not in ("CPU", "DEFAULT") or kernel.label:
                continue
            constraints = sorted([c.name, sorted(c.allowed_values.list.type)] for c in kernel.constraint)
            entries = found.setdefault(kernel.op, [])
            if constraints not in entries:
                entries.append(constraints)
        return {op: sorted(entries) for op, entries in found.items()}

    ops: dict[str, list] = {}

    def record(library: str) -> None:
        with_kernel = cpu_kernels()
        for op in op_list().op:
            if op.name in ops:
                continue
            op.summary = ""
            op.description = ""
            for arg in list(op.input_arg) + list(op.output_arg):
                arg.description = ""
            for attr in op.attr:
                attr.description = ""
            ops[op.name] = [base64.b64encode(op.SerializeToString(deterministic=True)).decode("ascii"),
                            with_kernel.get(op.name, []), library]

    record("")
    libraries: dict[str, str] = {}
    specs = [a.split("=", 1) for a in argv if "=" in a]
    for name, pattern in specs:
        version = _version(name)
        if version is None:
            continue
        root = os.path.dirname(importlib.util.find_spec(name.replace("-", "_")).origin)
        errors = []
        for path in sorted(glob.glob(os.path.join(root, pattern), recursive=True)):
            try:
                tf.load_op_library(path)
            except Exception as error:  # noqa: BLE001 - recorded, the generator reports it
                errors.append(f"{os.path.relpath(path, root)}: {type(error).__name__}: {str(error).splitlines()[0]}")
        before = len(ops)
        record(name)
        libraries[name] = version if not errors else f"{version} (not loaded: {'; '.join(errors)[:300]})"
        if len(ops) == before and not errors:
            libraries[name] = f"{version} (no op found)"
    json.dump({
        "tensorflow": tf.__version__, "keras": _version("keras"), "tf_keras": _version("tf-keras"),
        "graph_def_version": tf.version.GRAPH_DEF_VERSION,
        "graph_def_min_consumer": tf.version.GRAPH_DEF_VERSION_MIN_CONSUMER,
        "ops": ops, "libraries": libraries,
    }, sys.stdout, sort_keys=True)
    return 0


if __name__ == "__main__":
    import importlib.util
    sys.exit(main(sys.argv[1:]))
