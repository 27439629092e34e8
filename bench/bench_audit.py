"""Benchmark `tfinspect audit` on a registry of thousands of versions against a shell loop of `check`.

Method.  A registry of ``--versions`` SavedModel versions (default 2,000) is made in a
temporary folder from every SavedModel of ``fixtures/`` and ``../shared/corpus/``: model
``mNNN-SOURCE`` holds versions ``1/``, ``2/``, ... whose files are hard links to the
source's (no disk cost), the sources taking turns so that each is about equally
represented.  Then, each as one child process started as a user starts it:

- ``tfinspect audit REGISTRY -o rows.jsonl --jobs N`` for N = 1 and 2 (and ``--jobs``
  values given): wall time, CPU time of the process and its workers, artifacts per second;
- the shell loop a platform team writes today, ``for d in ...; do tfinspect check --json
  "$d"; done``, over a sample of ``--sample`` versions spread evenly over the sources
  (the loop pays an interpreter start-up and imports per version, so running it over
  all 2,000 takes many minutes: its time is extrapolated from the sample, which holds
  every source equally often as the registry does, and the printout says so).  The audit's verdicts are compared with the loop's on the sample.

Bytes read from URLs: the sources, once each, are copied to an in-memory fsspec file
system and audited at ``memory://`` in this process (one worker), counting the bytes of
every ranged read against the bytes of the artifacts' files.

    python bench/bench_audit.py [--versions 2000] [--sample 50] [--jobs 1 2] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
TARGET_SPEEDUP = 5.0
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(ROOT)}

sys.path.insert(0, str(ROOT))


def sources() -> list[Path]:
    """Every SavedModel of the fixtures and the corpus that loads (discovery's own list)."""
    from inspector.analysis.audit import discover
    from inspector.load import load

    found = []
    for base in (ROOT / "fixtures", CORPUS):
        if not base.is_dir():
            continue
        for item in discover(str(base)):
            path = base / item.path
            if item.kind == "saved_model":
                try:
                    load(path)
                except Exception:  # noqa: BLE001, S112 - a source that does not load is left out
                    continue
                found.append(path)
    return found


def link(source: Path, target: Path) -> None:
    for folder, _, files in os.walk(source):
        relative = Path(folder).relative_to(source)
        (target / relative).mkdir(parents=True, exist_ok=True)
        for name in files:
            os.link(Path(folder) / name, target / relative / name)


def build(registry: Path, models: list[Path], versions: int) -> list[Path]:
    """``versions`` version folders, ten per model, the sources taking turns; their paths."""
    made = []
    for index in range(versions):
        source = models[index % len(models)]
        model = registry / f"m{index // 10:04d}"
        target = model / str(index % 10 + 1)
        link(source, target)
        made.append(target)
    return made


def timed(argv: list[str], stdout=subprocess.DEVNULL) -> tuple[float, float, int]:
    """Wall and CPU seconds (the child and every process it waited for), exit status."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    status = subprocess.run(argv, cwd=ROOT, env=ENV, stdout=stdout, stderr=subprocess.PIPE, check=False).returncode
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, status


def loop(sample: list[Path], out: Path) -> tuple[float, float]:
    """The shell loop over ``sample``: one `tfinspect check --json` per version, outputs kept."""
    script = ('for d in "$@"; do python -m inspector check --json "$d" > "$OUT/$(echo "$d" | tr / _).json"; '
              'done')
    out.mkdir()
    env_out = {**ENV, "OUT": str(out)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(["bash", "-c", script, "loop", *map(str, sample)], cwd=ROOT, env=env_out, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def agreement(rows: dict[str, dict], registry: Path, sample: list[Path], out: Path) -> tuple[int, int]:
    same = 0
    for path in sample:
        findings = json.loads((out / (str(path).replace("/", "_") + ".json")).read_text())["findings"]
        row = rows[str(path.relative_to(registry))]
        errors = sorted({f["code"] for f in findings if f["severity"] == "error"})
        warnings = sorted({f["code"] for f in findings if f["severity"] == "warning"})
        same += row["check"] is not None and row["check"]["errors"] == errors and row["check"]["warnings"] == warnings
    return same, len(sample)


def url_bytes(models: list[Path]) -> dict:
    """Audit the sources at memory:// (in this process) and count the bytes read."""
    import fsspec

    from inspector.analysis.audit import discover
    from inspector.fleet.rows import audit_row
    from inspector.source import location

    memory = fsspec.filesystem("memory")
    base = "/tfinspect-bench"
    for index, source in enumerate(models):
        memory.put(str(source), f"{base}/m{index:02d}/1", recursive=True)
    read = {"data": 0, "other": 0}  # bytes read from variables' data shards, and from every other file
    cat_file = memory.cat_file

    def counted(path, *args, **kwargs):
        data = cat_file(path, *args, **kwargs)
        read["data" if ".data-" in path else "other"] += len(data)
        return data

    memory.cat_file = counted
    try:
        root = f"memory:/{base}"
        listed = discover(root)
        rows = [audit_row(root, found) for found in listed]
    finally:
        memory.cat_file = cat_file
        memory.rm(base, recursive=True)
        location.forget_listings()
    total = sum(r["size"] for r in rows)
    shards = sum(size for found in listed for name, size, _ in found.files if ".data-" in name)
    return {"artifacts": len(rows), "bytes_read": read["data"] + read["other"], "bytes_in_files": total,
            "share": (read["data"] + read["other"]) / total if total else 0.0,
            "data_read": read["data"], "data_in_files": shards}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--versions", type=int, default=2000)
    parser.add_argument("--sample", type=int, default=50,
                        help="versions the shell loop of check runs over (rounded down to a multiple of the sources)")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    models = sources()
    work = Path(tempfile.mkdtemp(prefix="tfinspect-bench-audit-"))
    try:
        registry = work / "registry"
        versions = build(registry, models, args.versions)
        # the first versions take the sources in turn: the sample holds each source equally often
        sample = versions[: max(1, args.sample // len(models)) * len(models)]
        results = {"machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, "
                              f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f}",
                   "sources": len(models), "versions": len(versions), "audit": []}
        rows = {}
        for jobs in args.jobs:
            out = work / f"rows-{jobs}.jsonl"
            wall, cpu, status = timed([sys.executable, "-m", "inspector", "audit", str(registry), "-o", str(out),
                                       "--jobs", str(jobs)])
            lines = out.read_text().splitlines()
            rows = {r["path"]: r for r in map(json.loads, lines)}
            results["audit"].append({"jobs": jobs, "wall": wall, "cpu": cpu, "rows": len(lines), "status": status,
                                     "per_second": len(lines) / wall})
        loop_wall, loop_cpu = loop(sample, work / "loop")
        per_version = loop_wall / len(sample)
        results["loop"] = {"sample": len(sample), "wall": loop_wall, "cpu": loop_cpu, "per_version": per_version,
                           "extrapolated": per_version * len(versions), "per_second": 1 / per_version}
        same, total = agreement(rows, registry, sample, work / "loop")
        results["agreement"] = {"same": same, "compared": total}
        results["url"] = url_bytes(models)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    best = min(results["audit"], key=lambda r: r["wall"])
    results["speedup"] = results["loop"]["extrapolated"] / best["wall"]
    results["ok"] = results["speedup"] >= TARGET_SPEEDUP and all(r["rows"] == len(versions) for r in results["audit"])
    if args.json:
        print(json.dumps(results, indent=2))
        return 0 if results["ok"] else 1
    print(results["machine"])
    print(f"registry: {len(versions):,} versions made of {len(models)} SavedModels (hard links)")
    print(f"{'runner':<36} {'wall':>9} {'CPU':>9} {'versions/s':>11} {'vs loop':>8}")
    for run in results["audit"]:
        print(f"{'audit --jobs ' + str(run['jobs']):<36} {run['wall']:>8.1f}s {run['cpu']:>8.1f}s "
              f"{run['per_second']:>11.1f} {results['loop']['extrapolated'] / run['wall']:>7.1f}x")
    loop_row = results["loop"]
    print(f"{'loop of check --json (extrapolated)':<36} {loop_row['extrapolated']:>8.1f}s "
          f"{loop_row['cpu'] / loop_row['sample'] * len(versions):>8.1f}s {loop_row['per_second']:>11.1f} {'1.0x':>8}")
    print(f"  the loop ran over {loop_row['sample']} versions in {loop_row['wall']:.1f} s "
          f"({loop_row['per_version']:.2f} s each) and is extrapolated to {len(versions):,}")
    jobs = {r["jobs"]: r["wall"] for r in results["audit"]}
    if 1 in jobs and 2 in jobs:
        print(f"cores: --jobs 2 takes {jobs[2] / jobs[1]:.2f} of --jobs 1's time ({jobs[1] / jobs[2]:.2f}x)")
    print(f"verdicts: audit and check agree on {same} of {total} sampled versions")
    url = results["url"]
    print(f"URLs: auditing the {url['artifacts']} sources at memory:// read {url['bytes_read']:,} bytes of "
          f"{url['bytes_in_files']:,} in their files ({url['share']:.1%}); of the variables' data shards "
          f"({url['data_in_files']:,} bytes) it read {url['data_read']:,} (values the rules check)")
    print(f"target: audit at least {TARGET_SPEEDUP:g}x faster than the loop: "
          f"{'met' if results['ok'] else 'NOT met'} ({results['speedup']:.1f}x)")
    return 0 if results["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
