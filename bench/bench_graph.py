"""Benchmark `tfinspect graph` on a generated GraphDef of about 50,000 nodes.

A TensorFlow subprocess writes (into a temporary directory, or ``--cache``) a
binary GraphDef built in ``tf.compat.v1`` graph mode from small ops in nested
name scopes: ``s0/t0``, ``s0/t1``, ``s1/t0``, ``s1/t1`` hold about 12,500 nodes
each, so ``--scope s0/t0`` is a quarter of the graph and ``--scope s0`` a half.
Then, in the same run, each tfinspect command is timed as a user runs it (one
subprocess each, best of ``--repeat``): DOT of the whole graph, SVG at
``--depth 2``, and DOT at 12.5k/25k/50k nodes to show that emission grows
linearly; the emission itself (selection plus DOT building, without start-up
and file reading) is also timed in this process at the three sizes.  This
process never imports TensorFlow.  Run from the repository root:

    python bench/bench_graph.py [--repeat 3] [--cache DIR]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 10.0
BUILD_SCRIPT = """
import sys
import tensorflow as tf
tf.compat.v1.disable_eager_execution()
graph = tf.Graph()
with graph.as_default():
    for top in ("s0", "s1"):
        with tf.name_scope(top):
            for mid in ("t0", "t1"):
                with tf.name_scope(mid):
                    x = tf.compat.v1.placeholder(tf.float32, [None, 4], name="x")
                    for layer in range(50):
                        with tf.name_scope(f"layer{layer}"):
                            h = x
                            for block in range(50):
                                with tf.name_scope(f"block{block}"):
                                    h = tf.nn.relu(h * 2.0 + 1.0)
                            x = tf.identity(h, name="out")
tf.io.write_graph(graph.as_graph_def(), sys.argv[1], "big.pb", as_text=False)
print(len(graph.as_graph_def().node))
"""


def build(directory: Path) -> tuple[Path, int, float]:
    target = directory / "big.pb"
    start = time.perf_counter()
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, "-c", BUILD_SCRIPT, str(directory)], check=False,
                          capture_output=True, text=True, env=env)
    if done.returncode != 0:
        sys.exit(f"building the graph failed:\n{done.stderr[-2000:]}")
    return target, int(done.stdout.split()[-1]), time.perf_counter() - start


def time_command(args: list[str], repeat: int) -> tuple[float, str]:
    """The best wall time of ``tfinspect graph ARGS`` over ``repeat`` runs, and its stderr."""
    best, err = float("inf"), ""
    for _ in range(repeat):
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "inspector", "graph", *args], check=False,
                              capture_output=True, text=True, cwd=ROOT)
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            sys.exit(f"tfinspect graph {' '.join(args)} failed: {done.stderr.strip()}")
        best, err = min(best, seconds), done.stderr
    return best, err


def emission_times(graph: Path, repeat: int) -> dict[str, tuple[int, float]]:
    sys.path.insert(0, str(ROOT))
    from inspector import load
    from inspector.analysis import graphsel
    from inspector.report.dot import DotOptions, build_dot

    meta = load(str(graph)).meta_graph(None)
    result = {}
    for label, scope in (("s0/t0", "s0/t0"), ("s0", "s0"), ("whole", None)):
        best = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            view = graphsel.graph_view(meta)
            names = graphsel.in_scope(view.index.nodes, scope) if scope else set(view.index.nodes)
            build_dot(view, graphsel.Selection(sorted(names)), meta.stripped_op_list, DotOptions())
            best = min(best, time.perf_counter() - start)
        result[label] = (len(names), best)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cache", type=Path, help="keep the generated graph here and reuse it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_graph_") as tmp:
        work = Path(tmp)
        cache = args.cache or work
        cache.mkdir(parents=True, exist_ok=True)
        if (cache / "big.pb").is_file():
            graph, nodes, built = cache / "big.pb", None, None
        else:
            graph, nodes, built = build(cache)
        if built is not None:
            print(f"built {graph} ({nodes} nodes) in {built:.1f} s with TensorFlow")
        big = ["--max-nodes", "1000000"]
        rows = [
            ("DOT, whole graph", [str(graph), "-o", str(work / "all.dot"), *big]),
            ("SVG, --depth 2", [str(graph), "-o", str(work / "d2.svg"), "--depth", "2"]),
            ("DOT, --scope s0/t0 (1/4)", [str(graph), "-o", str(work / "q.dot"), "--scope", "s0/t0", *big]),
            ("DOT, --scope s0 (1/2)", [str(graph), "-o", str(work / "h.dot"), "--scope", "s0", *big]),
            ("DOT, whole graph (1/1)", [str(graph), "-o", str(work / "w.dot"), *big]),
        ]
        print(f"\n{'command':<28} {'seconds':>8}  {'DOT/SVG bytes':>13}  target < {TARGET_S:.0f} s")
        times = {}
        for label, command in rows:
            seconds, _ = time_command(command, args.repeat)
            times[label] = seconds
            size = Path(command[2]).stat().st_size
            flag = "ok" if seconds < TARGET_S else "SLOW"
            print(f"{label:<28} {seconds:8.2f}  {size:13,d}  {flag}")
        print("\nDOT emission in this process (selection + build_dot, best of --repeat):")
        sizes = emission_times(graph, args.repeat)
        for label, (count, seconds) in sizes.items():
            print(f"  {label:<10} {count:7,d} nodes  {seconds:6.2f} s  {seconds / count * 1e6:5.1f} us/node")
        (_, t1), (_, t2), (_, t4) = sizes.values()
        print(f"ratios: 25k/12.5k = {t2 / t1:.2f}, 50k/25k = {t4 / t2:.2f} (2.00 is linear)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
