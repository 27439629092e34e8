"""Benchmark `tfinspect graph` on a Keras ResNet50 SavedModel: the layer view and the op view.

A TensorFlow subprocess writes ``keras.applications.ResNet50(weights=None).export(DIR)``
(nothing is downloaded) into ``bench/.cache/resnet50_export`` (or ``--cache``), once.
Then each command is timed as a user runs it (one subprocess each, best of
``--repeat``), and the layer view's flattening and DOT emission are timed in this
process, which never imports TensorFlow.  Run from the repository root:

    python bench/bench_graph_layers.py [--repeat 3] [--cache DIR]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_graph import time_command  # bench/ is on sys.path when this script runs

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 30.0  # "well under a minute"
BUILD_SCRIPT = """
import sys
import keras
keras.applications.ResNet50(weights=None).export(sys.argv[1])
"""


def build(target: Path) -> float:
    start = time.perf_counter()
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, "-c", BUILD_SCRIPT, str(target)], check=False,
                          capture_output=True, text=True, env=env)
    if done.returncode != 0:
        sys.exit(f"exporting ResNet50 failed:\n{done.stderr[-2000:]}")
    return time.perf_counter() - start


def in_process(export: Path, repeat: int) -> tuple[float, float, int, int]:
    sys.path.insert(0, str(ROOT))
    from inspector import load
    from inspector.analysis import layers
    from inspector.report.layers_dot import build_layer_dot

    meta = load(str(export)).meta_graph(None)
    flat = emit = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        graph = layers.signature_layers(meta, "serving_default")
        middle = time.perf_counter()
        build_layer_dot(graph)
        flat, emit = min(flat, middle - start), min(emit, time.perf_counter() - middle)
    return flat, emit, len(graph.ops), len(graph.layers)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=ROOT / "bench" / ".cache",
                        help="keep the ResNet50 export here and reuse it (bench/.cache)")
    args = parser.parse_args()
    export = args.cache / "resnet50_export"
    if not (export / "saved_model.pb").is_file():
        args.cache.mkdir(parents=True, exist_ok=True)
        print(f"exported ResNet50 to {export} in {build(export):.1f} s with TensorFlow")
    with tempfile.TemporaryDirectory(prefix="bench_layers_") as tmp:
        work = Path(tmp)
        sig = ["--signature", "serving_default"]
        rows = [
            ("layers, SVG (default view)", [str(export), *sig, "-o", str(work / "l.svg")]),
            ("layers, PNG", [str(export), *sig, "-o", str(work / "l.png")]),
            ("layers, --depth 2, SVG", [str(export), *sig, "--depth", "2", "-o", str(work / "l2.svg")]),
            ("layers, HTML", [str(export), *sig, "-o", str(work / "l.html")]),
            ("ops, --expand-calls, SVG", [str(export), *sig, "--view", "ops", "--expand-calls",
                                          "-o", str(work / "x.svg")]),
            ("ops, whole graph, SVG", [str(export), "--view", "ops", "-o", str(work / "o.svg")]),
        ]
        print(f"\n{'command':<30} {'seconds':>8}  {'bytes':>11}  target < {TARGET_S:.0f} s")
        for label, command in rows:
            seconds, err = time_command(command, args.repeat)
            size = Path(command[command.index("-o") + 1]).stat().st_size
            flag = "ok" if seconds < TARGET_S else "SLOW"
            print(f"{label:<30} {seconds:8.2f}  {size:11,d}  {flag}")
            for line in err.splitlines():
                print(f"{'':<32}{line}")
        flat, emit, ops, boxes = in_process(export, args.repeat)
        print(f"\nin this process: flattening {flat * 1000:.0f} ms ({ops} ops, {boxes} boxes), "
              f"layer DOT {emit * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
