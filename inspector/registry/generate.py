"""Build ``data/ops.json.xz``: the op registries of real TensorFlow releases, stored as deltas.

Each release is read from a venv that has its tensorflow-cpu wheel (and, next to it,
the op libraries TF Serving links in: tensorflow-text and the inference ops of
tensorflow-decision-forests, installed with ``--no-deps``)::

    python -m venv /work/venvs/tf-2.12
    /work/venvs/tf-2.12/bin/pip install "tensorflow-cpu==2.12.*"
    python -m inspector.registry.generate --venvs /work/venvs [--install-libraries]

Every ``tf-X.Y`` folder under ``--venvs`` is one release.  ``--install-libraries``
first installs the tensorflow-text / tensorflow-decision-forests versions built for
that release (``LIBRARIES``) into the venv.  Each venv's Python runs
``dump_release.py``; its output is cached as ``tf-X.Y.ops.json`` in the venv folder's
parent, so adding a release re-dumps only that release (``--fresh`` re-dumps all).
The result replaces ``inspector/registry/data/ops.json.xz``; a release missing from
``--venvs`` but present in the old file is kept.

This script is for maintainers; tfinspect itself only reads the data file.
"""

from __future__ import annotations

import argparse
import json
import lzma
import re
import sys
from pathlib import Path

from .. import children

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "ops.json.xz"
FORMAT = 2
# The op libraries TF Serving links into its model server, with the version built for each
# TensorFlow release (None: no wheel for CPython 3.11 on Linux), and which of their shared
# objects hold the ops a server has (TF Serving links the inference ops of decision forests only).
LIBRARIES = {
    "tensorflow-text": ("python/**/_*.so", {
        "2.12": "2.12.1", "2.13": None, "2.14": "2.14.0", "2.15": "2.15.0", "2.16": "2.16.1",
        "2.17": "2.17.0", "2.18": "2.18.1", "2.19": "2.19.0", "2.20": "2.20.1", "2.21": "2.21.1"}),
    "tensorflow-decision-forests": ("tensorflow/ops/inference/*.so", {
        "2.12": "1.3.0", "2.13": "1.5.0", "2.14": "1.7.0", "2.15": "1.8.1", "2.16": "1.9.1",
        "2.17": "1.10.0", "2.18": "1.11.0", "2.19": "1.12.0", "2.20": None, "2.21": None}),
}
RELEASE_DIR = re.compile(r"^tf-(\d+)\.(\d+)$")


def release_key(release: str) -> tuple[int, int]:
    major, minor = release.split(".")
    return int(major), int(minor)


def venvs(root: Path) -> dict[str, Path]:
    found = {}
    for path in sorted(root.iterdir()):
        match = RELEASE_DIR.match(path.name)
        if match and (path / "bin" / "python").exists():
            found[f"{match[1]}.{match[2]}"] = path
    return dict(sorted(found.items(), key=lambda item: release_key(item[0])))


def install_libraries(release: str, venv: Path) -> None:
    for name, (_, versions) in LIBRARIES.items():
        version = versions.get(release)
        if version is None:
            continue
        children.run([str(venv / "bin" / "pip"), "install", "-q", "--no-deps", f"{name}=={version}"])


def dump(release: str, venv: Path, cache: Path, fresh: bool) -> dict:
    if cache.exists() and not fresh:
        return json.loads(cache.read_text())
    specs = [f"{name}={pattern}" for name, (pattern, _) in LIBRARIES.items()]
    result = children.run([str(venv / "bin" / "python"), str(HERE / "dump_release.py"), *specs], text=True)
    if result.returncode != 0:
        raise SystemExit(f"dumping TensorFlow {release} from {venv} failed:\n{result.stderr[-2000:]}")
    cache.write_text(result.stdout)
    return json.loads(result.stdout)


def release_info(data: dict) -> dict:
    return {key: data[key] for key in ("tensorflow", "keras", "tf_keras", "graph_def_version",
                                       "graph_def_min_consumer", "libraries")}


def build(dumps: dict[str, dict]) -> dict:
    """Deltas: for each op, the releases where its OpDef, its CPU kernels or its library changed.

    ``ops[name]`` is a list of ``[first release index, OpDef index (-1: not registered), kernels
    index, library index]``, one entry per change; OpDefs and kernel lists are stored once each.
    A kernels entry lists the type constraints of each CPU kernel (``[]``: no CPU kernel).
    """
    releases = sorted(dumps, key=release_key)
    defs: list[str] = []
    def_index: dict[str, int] = {}
    kernels: list[list] = []
    kernel_index: dict[str, int] = {}
    libraries = [""] + list(LIBRARIES)
    ops: dict[str, list] = {}
    names = sorted({name for data in dumps.values() for name in data["ops"]})
    for name in names:
        history = []
        last = None
        for index, release in enumerate(releases):
            entry = dumps[release]["ops"].get(name)
            if entry is None:
                state = (-1, -1, 0)
            else:
                blob, constraints, library = entry
                if blob not in def_index:
                    def_index[blob] = len(defs)
                    defs.append(blob)
                key = json.dumps(constraints)
                if key not in kernel_index:
                    kernel_index[key] = len(kernels)
                    kernels.append(constraints)
                state = (def_index[blob], kernel_index[key], libraries.index(library))
            if state != last:
                history.append([index, *state])
                last = state
        ops[name] = history
    return {"format": FORMAT, "releases": releases,
            "info": {release: release_info(dumps[release]) for release in releases},
            "libraries": libraries, "defs": defs, "kernels": kernels, "ops": ops}


def unpack(stored: dict) -> dict[str, dict]:
    """The per-release dumps a stored file holds (to keep releases no venv provides any more)."""
    result = {}
    libraries = stored["libraries"]
    for index, release in enumerate(stored["releases"]):
        ops = {}
        for name, history in stored["ops"].items():
            state = None
            for start, definition, kernel, library in history:
                if start <= index:
                    state = (definition, kernel, library)
            if state and state[0] >= 0:
                ops[name] = [stored["defs"][state[0]], stored["kernels"][state[1]], libraries[state[2]]]
        result[release] = {**stored["info"][release], "ops": ops}
    return result


def write(stored: dict, path: Path = DATA) -> int:
    text = json.dumps(stored, sort_keys=True, separators=(",", ":")).encode()
    packed = lzma.compress(text, preset=9 | lzma.PRESET_EXTREME)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_bytes(packed)
    temporary.replace(path)
    return len(packed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m inspector.registry.generate", description=__doc__.split("\n")[0])
    parser.add_argument("--venvs", type=Path, required=True, help="folder holding one tf-X.Y venv per release")
    parser.add_argument("--install-libraries", action="store_true",
                        help="pip install --no-deps the op libraries matching each release first")
    parser.add_argument("--fresh", action="store_true", help="dump every release again, ignoring cached dumps")
    parser.add_argument("--output", type=Path, default=DATA)
    args = parser.parse_args(argv)
    dumps: dict[str, dict] = {}
    if args.output.exists():
        stored = json.loads(lzma.decompress(args.output.read_bytes()))
        if stored.get("format") == FORMAT:
            dumps.update(unpack(stored))
    for release, venv in venvs(args.venvs).items():
        if args.install_libraries:
            install_libraries(release, venv)
        dumps[release] = dump(release, venv, args.venvs / f"tf-{release}.ops.json", args.fresh)
        info = dumps[release]
        print(f"TensorFlow {info['tensorflow']}: {len(info['ops'])} ops, keras {info['keras']}, "
              f"libraries {info['libraries'] or 'none'}", file=sys.stderr)
    size = write(build(dumps), args.output)
    print(f"wrote {args.output} ({size / 1024:.0f} KiB, {len(dumps)} releases)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
