"""Benchmark whole `tfinspect` commands against a bare protobuf parse of the same file.

Method.  Every measurement is one child process, started the way a user starts
the command (``python -m inspector ...``, stdout to /dev/null), so every figure
includes the interpreter's start-up.  The reference for a file is the floor of
any Python tool that reads it: a fresh ``python -c`` process that imports
``inspector.protos`` and runs ``SavedModel.FromString(open(path, "rb").read())``
on the same ``saved_model.pb``.  The runs are interleaved (reference, command,
reference, command, ...) ``--repeat`` times and the fastest of each is kept,
so a busy shared machine slows both sides alike; ratios are command / reference.
CPU time (user + system of the child, from ``os.wait4``) is printed too: it is
what the command costs when the machine is not shared.  Peak memory is the
child's ``ru_maxrss``, compared with twice the proto's own size plus Python:
the proto's size is what the parsed message takes in memory (the bare parse's
peak minus that of a process that only imports ``inspector.protos``; about 7x
the file's size with protobuf's upb runtime, so twice the *file* size would be
below the bare parse itself), and Python is the peak of a process that has
imported the command's modules and read nothing.  The memory target is checked
for protos of 1 MiB and more; below that the peak is the imports', and printed.

Cases: ``show`` on the committed SavedModel fixtures and on an EfficientNetV2-L
Keras export (about 950 MB; written by ``keras.applications.EfficientNetV2L
(weights=None).export(dir)`` in a TensorFlow subprocess into ``--cache`` when
absent), ``ops --functions`` and the ``ckpt`` listing on that export, and
``show`` against ``saved_model_cli show --all --dir``.  This process never
imports TensorFlow.  Run from the repository root:

    python bench/bench_cli.py [--repeat 3] [--model DIR] [--cache DIR] [--skip-large] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ["seed003/SavedModel", "seed001/mnist/2", "tf2_module", "keras_export"]
PARSE = ("import sys\nfrom inspector.protos import SavedModel\n"
         "SavedModel.FromString(open(sys.argv[1], 'rb').read())\n")
EXPORT = "import sys, keras\nkeras.applications.EfficientNetV2L(weights=None).export(sys.argv[1])\n"
SHOW_RATIO, BIG_RATIO, CLI_SPEEDUP = 3.0, 8.0, 15.0
MEMORY_FROM = 1 << 20  # bytes of saved_model.pb from which the memory target applies (below: imports dominate)


@dataclass
class Run:
    wall: float  # seconds
    cpu: float  # user + system seconds of the child
    peak_kib: int  # ru_maxrss of the child


@dataclass
class Row:
    case: str
    model: str
    wall: float
    cpu: float
    peak_mib: float
    reference: str  # what the ratio is against
    ratio: float  # wall / reference wall (for saved_model_cli: its wall / ours)
    cpu_ratio: float
    target: str
    ok: bool


def child(argv: list[str]) -> Run:
    """Run ``argv`` with stdout discarded; its wall time, CPU time and peak memory."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "COLUMNS": "200"})
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    proc.stderr.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        sys.exit(f"{' '.join(argv)} failed (exit {proc.returncode}):\n{err[-2000:]}")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss)


def key_is_ours(case: str) -> bool:
    return case not in ("parse", "saved_model_cli show --all")


def best(runs: list[Run]) -> Run:
    return Run(min(r.wall for r in runs), min(r.cpu for r in runs), max(r.peak_kib for r in runs))


def ensure_model(path: Path) -> Path:
    """The EfficientNetV2-L export, written by a TensorFlow subprocess unless present."""
    if (path / "saved_model.pb").is_file():
        return path
    partial = path.with_name(path.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.parent.mkdir(parents=True, exist_ok=True)
    print(f"exporting EfficientNetV2L(weights=None) to {path} (a few minutes) ...", file=sys.stderr)
    done = subprocess.run([sys.executable, "-c", EXPORT, str(partial)], check=False, capture_output=True,
                          text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    if done.returncode != 0:
        sys.exit(f"EfficientNetV2L export failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
    partial.rename(path)
    return path


def saved_model_cli() -> list[str]:
    found = shutil.which("saved_model_cli")
    return [found] if found else [sys.executable, "-m", "tensorflow.python.tools.saved_model_cli"]


def measure(models: dict[str, Path], large: str | None, repeat: int, with_cli: bool) -> tuple[list[Row], dict]:
    py = sys.executable
    cases: dict[tuple[str, str], list[str]] = {}
    for name, path in models.items():
        cases["parse", name] = [py, "-c", PARSE, str(path / "saved_model.pb")]
        cases["show", name] = [py, "-m", "inspector", "show", str(path)]
    if large:
        cases["ops --functions", large] = [py, "-m", "inspector", "ops", str(models[large]), "--functions"]
        cases["ckpt", large] = [py, "-m", "inspector", "ckpt", str(models[large])]
    cli_models = ([*([large] if large else []), "keras_export"]) if with_cli else []
    for name in cli_models:
        cases["saved_model_cli show --all", name] = [*saved_model_cli(), "show", "--all", "--dir", str(models[name])]
    runs: dict[tuple[str, str], list[Run]] = {key: [] for key in cases}
    for key, argv in cases.items():  # warm the page cache and .pyc files once
        if key[0] != "saved_model_cli show --all":
            child(argv)
    for i in range(repeat):
        for key, argv in cases.items():
            if key[0] == "saved_model_cli show --all" and i:
                continue  # seconds per run: once is enough for a 15x margin
            runs[key].append(child(argv))
            print(f"  {i + 1}/{repeat} {key[0]} {key[1]}: {runs[key][-1].wall:.2f} s", file=sys.stderr)
    results = {key: best(r) for key, r in runs.items()}
    baseline = best([child([py, "-c", "pass"]) for _ in range(3)])
    protos_only = best([child([py, "-c", "import inspector.protos"]) for _ in range(3)])
    at_rest = {case: best([child([py, "-c", f"import inspector.cli, inspector.commands.{case.split()[0]}"])
                           for _ in range(3)]) for case in {key[0] for key in cases} if key_is_ours(case)}
    rows = []
    for (case, name), run in results.items():
        if case == "parse":
            continue
        ref = results["parse", name]
        if case == "saved_model_cli show --all":
            ours = results["show", name]
            ratio, cpu_ratio = run.wall / ours.wall, run.cpu / ours.cpu
            rows.append(Row(case, name, run.wall, run.cpu, run.peak_kib / 1024, "tfinspect show", ratio, cpu_ratio,
                            f">= {CLI_SPEEDUP:g}x slower than show", ratio >= CLI_SPEEDUP))
            continue
        limit = BIG_RATIO if case != "show" else SHOW_RATIO
        ratio, cpu_ratio = run.wall / ref.wall, run.cpu / ref.cpu
        proto_mib = max(0, ref.peak_kib - protos_only.peak_kib) / 1024
        memory_limit = 2 * proto_mib + at_rest[case].peak_kib / 1024
        big = (models[name] / "saved_model.pb").stat().st_size >= MEMORY_FROM
        ok = ratio <= limit and (not big or run.peak_kib / 1024 <= memory_limit)
        target = f"<= {limit:g}x" + (f", < {memory_limit:.0f} MiB" if big else "")
        rows.append(Row(case, name, run.wall, run.cpu, run.peak_kib / 1024, "bare parse", ratio, cpu_ratio,
                        target, ok))
    facts = {
        "python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count(),
        "load_average": os.getloadavg()[0], "repeat": repeat,
        "python_baseline_peak_mib": round(baseline.peak_kib / 1024, 1),
        "protos_import_peak_mib": round(protos_only.peak_kib / 1024, 1),
        "commands_at_rest_peak_mib": {case: round(r.peak_kib / 1024, 1) for case, r in at_rest.items()},
        "parse": {name: asdict(results["parse", name]) for name in models},
        "proto_mib": {name: round((p / "saved_model.pb").stat().st_size / 2**20, 1) for name, p in models.items()},
    }
    return rows, facts


def print_table(rows: list[Row], facts: dict) -> None:
    print(f"Python {facts['python']} on {facts['machine']}, {facts['cpus']} CPUs, load average "
          f"{facts['load_average']:.1f}; best of {facts['repeat']}; Python's own peak "
          f"{facts['python_baseline_peak_mib']:.0f} MiB, with inspector.protos imported "
          f"{facts['protos_import_peak_mib']:.0f} MiB, with the command's modules imported: "
          + ", ".join(f"{case} {mib:.0f} MiB" for case, mib in facts["commands_at_rest_peak_mib"].items()))
    for name, run in facts["parse"].items():
        in_memory = (run["peak_kib"] / 1024 - facts["protos_import_peak_mib"])
        print(f"bare parse of {name}/saved_model.pb ({facts['proto_mib'][name]} MiB file, {in_memory:.0f} MiB "
              f"parsed): {run['wall']:.2f} s wall, {run['cpu']:.2f} s CPU, {run['peak_kib'] / 1024:.0f} MiB peak")
    print()
    header = ("command", "model", "wall s", "CPU s", "peak MiB", "vs", "ratio", "CPU ratio", "target", "")
    lines = [header] + [(r.case, r.model, f"{r.wall:.2f}", f"{r.cpu:.2f}", f"{r.peak_mib:.0f}", r.reference,
                         f"{r.ratio:.1f}x", f"{r.cpu_ratio:.1f}x", r.target, "ok" if r.ok else "MISSED")
                        for r in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for line in lines:
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each command (the fastest counts)")
    parser.add_argument("--model", type=Path, help="an EfficientNetV2-L export to use instead of --cache's")
    parser.add_argument("--cache", type=Path, default=ROOT / "bench" / ".cache",
                        help="where the EfficientNetV2-L export is written when absent (bench/.cache)")
    parser.add_argument("--skip-large", action="store_true", help="only the committed fixtures")
    parser.add_argument("--skip-cli", action="store_true", help="do not run saved_model_cli (it needs TensorFlow)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    models = {name: ROOT / "fixtures" / name for name in FIXTURES}
    large = None
    if not args.skip_large:
        large = "EfficientNetV2-L"
        models[large] = ensure_model(args.model or args.cache / "effv2l")
    rows, facts = measure(models, large, args.repeat, not args.skip_cli)
    if args.json:
        print(json.dumps({"schema_version": 1, "facts": facts, "results": [asdict(r) for r in rows]}, indent=2))
    else:
        print_table(rows, facts)
    return 0 if all(r.ok for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
