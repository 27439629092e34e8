"""Benchmark `tfinspect show` against TensorFlow's `saved_model_cli show --dir PATH --all`.

Times both whole commands as a user runs them (one subprocess per run, stdout
discarded) on the committed SavedModel fixtures and on a large Keras export
(an untrained ResNet50, written on demand by a TensorFlow subprocess into
``--cache``, reused when present).  Also times, in this process, ``inspector.load``
+ ``overview`` against a bare ``SavedModel.FromString`` (the protobuf parsing floor).
This process never imports TensorFlow.  Run from the repository root:

    python bench/bench_show.py [--repeat 5] [--skip-large] [--cache DIR] [--json]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import inspector
from inspector.analysis.overview import overview
from inspector.protos import SavedModel

FIXTURES = ["seed003/SavedModel", "seed001/mnist/2", "tf2_module", "keras_export"]
TARGET = 10.0  # saved_model_cli / tfinspect, on small models
SMALL_BYTES = 1 << 20  # "small": saved_model.pb under 1 MiB
SLOW_S = 1.0  # a reference run slower than this gets at most 3 timed repeats
EXPORT_SCRIPT = (
    "import sys, keras\n"
    "keras.applications.ResNet50(weights=None).export(sys.argv[1])\n"
)


def ensure_resnet50(cache: Path) -> tuple[Path, float | None]:
    """The ResNet50 export, made in a TensorFlow subprocess unless cached; (path, seconds or None)."""
    if (cache / "saved_model.pb").is_file():
        return cache, None
    partial = cache.with_name(cache.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.parent.mkdir(parents=True, exist_ok=True)
    print(f"exporting ResNet50(weights=None) to {cache} ...", file=sys.stderr)
    start = time.perf_counter()
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    cmd = [sys.executable, "-c", EXPORT_SCRIPT, str(partial)]
    done = subprocess.run(cmd, check=False, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"ResNet50 export failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
    shutil.rmtree(cache, ignore_errors=True)
    partial.rename(cache)
    print(f"exported in {seconds:.1f} s", file=sys.stderr)
    return cache, seconds


def reference_command() -> tuple[list[str], str | None]:
    """The saved_model_cli command prefix, and a note when falling back to the module."""
    found = shutil.which("saved_model_cli")
    if found:
        return [found], None
    note = "saved_model_cli not on PATH; using python -m tensorflow.python.tools.saved_model_cli"
    return [sys.executable, "-m", "tensorflow.python.tools.saved_model_cli"], note


def run_once(cmd: list[str]) -> tuple[float, int]:
    start = time.perf_counter()
    quiet = subprocess.DEVNULL
    code = subprocess.run(cmd, check=False, stdout=quiet, stderr=quiet, cwd=ROOT).returncode
    return time.perf_counter() - start, code


def time_command(cmd: list[str], repeat: int, cap_if_slow: bool = False) -> dict:
    """One untimed warm-up run (also the failure check), then ``repeat`` timed runs."""
    warm, code = run_once(cmd)
    if code != 0:
        return {"failed": True, "exit_code": code}
    if cap_if_slow and warm > SLOW_S:
        repeat = min(repeat, 3)
    times = []
    for _ in range(repeat):
        seconds, code = run_once(cmd)
        if code != 0:
            return {"failed": True, "exit_code": code}
        times.append(seconds)
    return {"failed": False, "runs": repeat, "median_s": statistics.median(times), "min_s": min(times)}


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def bench_model(name: str, path: Path, ref: list[str], repeat: int, inproc_repeat: int) -> dict:
    pb = path / "saved_model.pb"
    data = pb.read_bytes()
    ours = time_command([sys.executable, "-m", "inspector", "show", str(path)], repeat)
    theirs = time_command([*ref, "show", "--dir", str(path), "--all"], repeat, cap_if_slow=True)
    ratio = None
    if not ours["failed"] and not theirs["failed"]:
        ratio = theirs["median_s"] / ours["median_s"]
    return {
        "model": name, "path": str(path), "pb_bytes": len(data),
        "tfinspect": ours, "saved_model_cli": theirs, "speedup": ratio,
        "small": len(data) < SMALL_BYTES,
        "load_overview_ms": median_ms(lambda: overview(inspector.load(path)), inproc_repeat),
        "raw_parse_ms": median_ms(lambda: SavedModel.FromString(data), inproc_repeat),
    }


def cell(result: dict) -> str:
    if result["failed"]:
        return f"FAILED (exit {result['exit_code']})"
    return f"{result['median_s']:.3f} (min {result['min_s']:.3f}, n={result['runs']})"


def size(n: int) -> str:
    return f"{n / (1 << 20):.1f} MiB" if n >= 1 << 20 else f"{n / 1024:.1f} KiB"


def print_table(report: dict) -> None:
    m = report["machine"]
    print(f"CPUs: {m['cpus']}  Python {m['python']}  TensorFlow {m['tensorflow']}  "
          f"({m['platform']})")
    if report["note"]:
        print(f"note: {report['note']}")
    if report["resnet50_export_s"] is not None:
        print(f"ResNet50 export: {report['resnet50_export_s']:.1f} s (cached for later runs)")
    print(f"whole commands: median (min, n timed runs after one warm-up), seconds; saved_model_cli gets "
          f"at most 3 runs when slower than {SLOW_S:.0f} s; in-process: median of {report['inproc_repeat']}")
    heads = ["model", "saved_model.pb", "tfinspect s", "saved_model_cli s", "speed-up",
             "load+overview ms", "raw parse ms"]
    rows = []
    for r in report["results"]:
        ratio = f"{r['speedup']:.1f}x" if r["speedup"] is not None else "n/a"
        rows.append([r["model"], size(r["pb_bytes"]), cell(r["tfinspect"]), cell(r["saved_model_cli"]),
                     ratio, f"{r['load_overview_ms']:.2f}", f"{r['raw_parse_ms']:.2f}"])
    widths = [max(len(x) for x in col) for col in zip(heads, *rows)]
    for line in [heads, ["-" * w for w in widths], *rows]:
        print("  ".join(x.ljust(w) if i == 0 else x.rjust(w) for i, (x, w) in enumerate(zip(line, widths))))
    small = [r["speedup"] for r in report["results"] if r["small"] and r["speedup"] is not None]
    verdict = "met" if small and min(small) >= TARGET else "NOT met"
    worst = f"{min(small):.1f}x" if small else "n/a"
    print(f"target: tfinspect >= {TARGET:.0f}x faster than saved_model_cli on small models "
          f"(saved_model.pb < 1 MiB): {verdict} (slowest small-model speed-up {worst})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per command (default 5)")
    parser.add_argument("--inproc-repeat", type=int, default=20, help="in-process timed runs (default 20)")
    parser.add_argument("--skip-large", action="store_true", help="leave out the ResNet50 export")
    parser.add_argument("--cache", type=Path, default=ROOT / "bench" / ".cache" / "resnet50")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()

    models = [(name, ROOT / "fixtures" / name) for name in FIXTURES]
    export_s = None
    if not args.skip_large:
        path, export_s = ensure_resnet50(args.cache.resolve())
        models.append(("resnet50 (keras export)", path))
    ref, note = reference_command()
    if note:
        print(note, file=sys.stderr)
    results = []
    for name, path in models:
        print(f"timing {name} ...", file=sys.stderr)
        results.append(bench_model(name, path, ref, args.repeat, args.inproc_repeat))
    report = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "tensorflow": importlib.metadata.version("tensorflow"), "platform": platform.platform()},
        "note": note, "target_speedup_small": TARGET, "resnet50_export_s": export_s,
        "repeat": args.repeat, "inproc_repeat": args.inproc_repeat, "results": results,
    }
    assert "tensorflow" not in sys.modules and "tensorflow.python" not in sys.modules, (
        "the timing process must not import TensorFlow")
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_table(report)


if __name__ == "__main__":
    main()
