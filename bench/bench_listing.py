"""Benchmark big listings: `tfinspect ckpt` on a checkpoint of many tensors and on a
`checkpoint` state file naming many checkpoints, against a bare read of the same files.

Writes, with TensorFlow, a checkpoint of ``--tensors`` small tensors (default
20,000) and, beside a copy of it, a state file naming ``--paths`` checkpoints
(default 100,000) that no longer exist, into a temporary directory.  Then times,
in this one process, the whole command (output to an in-memory buffer) and the
bare read it cannot avoid:

* ``tfinspect ckpt PREFIX`` vs ``BundleReader(PREFIX).entries()``;
* ``tfinspect ckpt DIR`` (state file and listing) vs ``text_format.Parse`` of the
  state file plus the bare index read.

and prints each ratio.  Run from the repository root:

    python bench/bench_listing.py [--tensors 20000] [--paths 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_checkpoint import best_of  # the median of the runs
from google.protobuf import text_format

from inspector import protos
from inspector.checkpoint import BundleReader, state
from inspector.cli import main


def write_files(directory: Path, tensors: int, paths: int) -> tuple[Path, Path]:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    prefix = directory / "many"
    names = [f"layer_{i // 100:04d}/block_{i % 100:02d}/kernel" for i in range(tensors)]
    tf.raw_ops.SaveV2(prefix=str(prefix), tensor_names=names, shape_and_slices=[""] * tensors,
                      tensors=[tf.zeros([2, 3])] * tensors)
    state_dir = directory / "state"
    state_dir.mkdir()
    for suffix in (".index", ".data-00000-of-00001"):
        os.link(f"{prefix}{suffix}", state_dir / f"many{suffix}")
    lines = ['model_checkpoint_path: "many"']
    lines += [f'all_model_checkpoint_paths: "/old/run/model.ckpt-{i}"' for i in range(paths)]
    lines.append('all_model_checkpoint_paths: "many"')
    (state_dir / "checkpoint").write_text("\n".join(lines) + "\n")
    return prefix, state_dir


def command(*argv: str) -> None:
    state._LAST.clear()  # each run starts cold, as a new process would
    with contextlib.redirect_stdout(io.StringIO()):
        status = main(list(argv))
    assert status == 0, status


def bare_index(prefix: Path) -> None:
    list(BundleReader(prefix).entries())


def bare_state(state_dir: Path) -> None:
    text_format.Parse((state_dir / "checkpoint").read_text(), protos.CheckpointState())
    bare_index(state_dir / "many")


def main_bench() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tensors", type=int, default=20_000)
    parser.add_argument("--paths", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        prefix, state_dir = write_files(Path(temp), args.tensors, args.paths)
        rows = [
            (f"ckpt, {args.tensors:,} tensors", lambda: command("ckpt", str(prefix)), lambda: bare_index(prefix)),
            (f"ckpt DIR, state file of {args.paths:,} paths", lambda: command("ckpt", str(state_dir)),
             lambda: bare_state(state_dir)),
        ]
        print(f"{'what':<42} {'tfinspect':>10} {'bare read':>10} {'ratio':>7}")
        for label, full, bare in rows:
            full_s, bare_s = best_of(args.repeat, full), best_of(args.repeat, bare)
            print(f"{label:<42} {full_s:>9.2f}s {bare_s:>9.2f}s {full_s / bare_s:>6.1f}x")


if __name__ == "__main__":
    main_bench()
