"""Hold `tfinspect check --target T` against what TensorFlow does, unit by unit.

A unit is the load of one MetaGraph, or, when TensorFlow loads it, one of its
signatures.  TensorFlow's verdict comes from ``tf_run.py`` (one child process per
target); check's verdict for the load is an error finding of stage ``load`` (or one
about the whole artifact), for a signature an error finding of stage ``run`` naming
it.  Run as a script to print the confusion counts per target:

    python tests/conformance/check_truth.py
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
TF_RUN = HERE / "tf_run.py"
TF_TARGETS = ("python", "python-v1")


@dataclass(frozen=True)
class Unit:
    model: str
    tag_set: str  # "" for the python target, which loads the only MetaGraph
    name: str  # "(load)" or a signature key
    tf_error: str | None
    check_codes: tuple[str, ...]  # codes of the error findings check places on this unit

    @property
    def tf_fails(self) -> bool:
        return self.tf_error is not None

    @property
    def check_fails(self) -> bool:
        return bool(self.check_codes)

    @property
    def kind(self) -> str:
        return {(True, True): "both fail", (False, True): "false alarm", (True, False): "miss",
                (False, False): "both run"}[(self.tf_fails, self.check_fails)]


def run_tensorflow(paths: list[Path], out_dir: Path, targets=TF_TARGETS, python: str = sys.executable,
                   timeout: int = 600) -> dict[str, dict]:
    """TensorFlow's verdicts: one child per target, all started at once, results as JSON files.

    ``python`` is the interpreter whose TensorFlow answers (another release's venv).
    """
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    children = {}
    for target in targets:
        out = out_dir / f"tensorflow-{target}.json"
        command = [python, str(TF_RUN), target, str(out), *map(str, paths)]
        children[target] = (subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                             text=True, env=env, cwd=ROOT), out)
    results = {}
    for target, (child, out) in children.items():
        _, err = child.communicate(timeout=timeout)
        assert child.returncode == 0, f"tf_run.py {target} failed:\n{err[-3000:]}"
        results[target] = json.loads(out.read_text())
    return results


def check_findings(target: str, path: Path, tf_version: str | None = None) -> list[dict]:
    """`tfinspect check --target T --json PATH` (with `--tf-version`), through the CLI's own entry point."""
    from inspector.cli import main

    buffer = io.StringIO()
    release = ["--tf-version", tf_version] if tf_version else []
    with contextlib.redirect_stdout(buffer):
        code = main(["check", str(path), "--target", target, "--json", *release])
    assert code in (0, 1), f"check --target {target} {path} exited {code}"
    return json.loads(buffer.getvalue())["findings"]


def units(target: str, model: str, tf_result: dict, findings: list[dict]) -> list[Unit]:
    errors = [f for f in findings if f["severity"] == "error"]
    result: list[Unit] = []
    for tag_set, verdict in sorted(tf_result.items()):
        mine = [f for f in errors if target == "python" or (f["tag_set"] is None or ",".join(f["tag_set"]) == tag_set)]
        load = tuple(sorted({f["code"] for f in mine if f["stage"] == "load"}))
        result.append(Unit(model, tag_set, "(load)", verdict["load"], load))
        if verdict["load"] is not None:
            continue
        for key, error in sorted(verdict["signatures"].items()):
            codes = tuple(sorted({f["code"] for f in mine if f["stage"] == "run" and f["signature_key"] == key}))
            result.append(Unit(model, tag_set, key, error, codes))
    return result


def confusion(found: list[Unit]) -> dict[str, int]:
    counts = {"both fail": 0, "both run": 0, "false alarm": 0, "miss": 0}
    for unit in found:
        counts[unit.kind] += 1
    return counts


def all_units(paths: list[Path], tf_results: dict[str, dict], names: dict[Path, str]) -> dict[str, list[Unit]]:
    return {target: [u for path in paths
                     for u in units(target, names[path], tf_results[target][str(path)], check_findings(target, path))]
            for target in tf_results}


def main() -> int:
    import tempfile

    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(HERE.parent))
    from conformance.artifacts import damaged_uploads, saved_models

    with tempfile.TemporaryDirectory() as tmp:
        models = saved_models()
        uploads = damaged_uploads(Path(tmp) / "uploads")
        paths = [a.path for a in models + uploads]
        names = {a.path: a.id for a in models + uploads}
        found = all_units(paths, run_tensorflow(paths, Path(tmp)), names)
    print(f"{len(models)} SavedModels (fixtures + corpus) and {len(uploads)} damaged uploads")
    print(f"{'target':<10} {'units':>5} {'both fail':>9} {'both run':>8} {'false alarms':>12} {'misses':>6}")
    for target, items in found.items():
        c = confusion(items)
        print(f"{target:<10} {len(items):>5} {c['both fail']:>9} {c['both run']:>8} {c['false alarm']:>12} "
              f"{c['miss']:>6}")
        for unit in items:
            if unit.kind in ("false alarm", "miss"):
                print(f"  {unit.kind}: {unit.model} {unit.tag_set} {unit.name}: TF {unit.tf_error}; "
                      f"check {', '.join(unit.check_codes) or 'nothing'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
