"""Benchmark tfinspect's checkpoint reader against TensorFlow's.

Writes a checkpoint of about ``--size-mb`` megabytes (default 1024) with
TensorFlow into a temporary directory (or ``--dir``), then times in this one
process:

* listing: ``BundleReader(prefix).entries()`` vs ``tf.train.list_variables``;
* checking every byte: ``BundleReader.verify()`` vs reading every tensor with
  ``tf.train.load_checkpoint(prefix).get_tensor`` (TensorFlow checks each
  tensor's crc32c as it reads it);
* reading every tensor with ``BundleReader.read``.

Nothing it writes is meant to be committed; a temporary directory is removed
at the end.  Run from the repository root:

    python bench/bench_checkpoint.py [--size-mb 1024] [--tensors 200] [--dir DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from inspector.checkpoint import BundleReader

LIST_TARGET_S = 0.5
VERIFY_TARGET_MBPS = 300.0
MB = 1 << 20


def tensor_sizes(total_bytes: int, count: int, rng: np.random.Generator) -> list[int]:
    """Element counts (float32) for ``count`` tensors adding up to about ``total_bytes``:
    log-uniform, so there are many small tensors and a few large ones."""
    weights = np.exp(rng.uniform(0.0, np.log(10_000.0), size=count))
    elements = np.maximum(1, (weights / weights.sum() * total_bytes / 4).astype(np.int64))
    return [int(n) for n in elements]


def write_checkpoint(directory: str, size_mb: int, count: int, seed: int) -> str:
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    variables: dict[str, tf.Variable] = {}
    for i, n in enumerate(tensor_sizes(size_mb * MB, count, rng)):
        if i % 10 == 9:  # a few other dtypes, so not everything is float32
            dtype, n = (np.float16, n * 2) if i % 20 == 9 else (np.int64, max(1, n // 2))
        else:
            dtype = np.float32
        cols = 256 if n >= 4096 else 1
        rows = max(1, n // cols)
        value = rng.standard_normal((rows, cols), dtype=np.float32).astype(dtype, copy=False)
        variables[f"layer_{i:03d}"] = tf.Variable(value, name=f"layer_{i:03d}")
    prefix = os.path.join(directory, "bench")
    return tf.train.Checkpoint(**variables).write(prefix)


def best_of(repeats: int, fn: Callable[[], object]) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def run(prefix: str, repeats: int) -> dict[str, float]:
    import tensorflow as tf

    data_bytes = sum(os.path.getsize(p) for p in BundleReader(prefix).shard_paths())
    ours_list = best_of(repeats, lambda: BundleReader(prefix).entries())
    tf_list = best_of(repeats, lambda: tf.train.list_variables(prefix))

    reader = BundleReader(prefix)
    ours_verify, findings = timed(reader.verify)
    if findings:
        raise SystemExit(f"verify() reported problems on a fresh checkpoint: {findings[:3]}")

    def tf_read_all() -> None:
        tf_reader = tf.train.load_checkpoint(prefix)
        for key in tf_reader.get_variable_to_shape_map():
            tf_reader.get_tensor(key)

    def ours_read_all() -> None:
        for key in reader:
            reader.read(key)

    tf_read, _ = timed(tf_read_all)
    ours_read, _ = timed(ours_read_all)
    return {
        "data_mb": data_bytes / MB,
        "tensors": len(reader),
        "ours_list": ours_list,
        "tf_list": tf_list,
        "ours_verify": ours_verify,
        "tf_read": tf_read,
        "ours_read": ours_read,
    }


def report(r: dict[str, float]) -> bool:
    mb = r["data_mb"]
    rows = [
        ("list tensors (index only)", r["ours_list"], r["tf_list"], "s"),
        ("check every byte: verify() / get_tensor all", r["ours_verify"], r["tf_read"], "s"),
        ("read every tensor: read() / get_tensor all", r["ours_read"], r["tf_read"], "s"),
    ]
    print(f"\ncheckpoint: {int(r['tensors'])} tensors, {mb:.1f} MB of data\n")
    print(f"{'operation':<46} {'tfinspect':>11} {'TensorFlow':>11} {'TF/ours':>8}")
    for name, ours, theirs, _ in rows:
        print(f"{name:<46} {ours:>10.4f}s {theirs:>10.4f}s {theirs / ours:>7.1f}x")
    verify_mbps = mb / r["ours_verify"]
    print(
        f"\nthroughput: verify() {verify_mbps:,.0f} MB/s, read() {mb / r['ours_read']:,.0f} MB/s, "
        f"TensorFlow get_tensor {mb / r['tf_read']:,.0f} MB/s"
    )
    list_ok = r["ours_list"] < LIST_TARGET_S
    verify_ok = verify_mbps >= VERIFY_TARGET_MBPS
    print(f"target listing < {LIST_TARGET_S} s: {'met' if list_ok else 'MISSED'}")
    print(f"target verify >= {VERIFY_TARGET_MBPS:.0f} MB/s: {'met' if verify_ok else 'MISSED'}")
    return list_ok and verify_ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024, help="approximate checkpoint size (1024)")
    parser.add_argument("--tensors", type=int, default=200, help="number of tensors (200)")
    parser.add_argument("--dir", help="write the checkpoint here and keep it (default: a temp dir)")
    parser.add_argument("--repeats", type=int, default=5, help="runs of each listing; median kept")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args(argv)

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with tempfile.TemporaryDirectory(prefix="tfinspect-bench-") as tmp:
        directory = args.dir or tmp
        os.makedirs(directory, exist_ok=True)
        print(f"writing a ~{args.size_mb} MB checkpoint of {args.tensors} tensors to {directory} ...")
        elapsed, prefix = timed(lambda: write_checkpoint(directory, args.size_mb, args.tensors, args.seed))
        print(f"written in {elapsed:.1f} s: {prefix}")
        met = report(run(prefix, args.repeats))
    return 1 if args.check and not met else 0


if __name__ == "__main__":
    sys.exit(main())
