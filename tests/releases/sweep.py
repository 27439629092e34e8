"""Hold `check --tf-version X.Y` to every TensorFlow release installed in a folder of venvs.

    python tests/releases/sweep.py /work/venvs [2.13 2.16 ...]

Each ``tf-X.Y`` venv's TensorFlow loads and runs every SavedModel of fixtures/ and
the corpus plus the exports of make_exports.py (written by the installed
TensorFlow), with both loaders; the script prints, per release and loader, the
units and how `check --tf-version X.Y` agrees with it, and every disagreement.  It
takes a few minutes per release; tests/conformance/test_releases.py does the same
for 2.12 on every CI run.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1]), str(HERE.parent)]

from conformance.artifacts import saved_models
from conformance.check_truth import check_findings, confusion, run_tensorflow, units


def main(argv: list[str]) -> int:
    venvs = Path(argv[0])
    wanted = argv[1:] or sorted((p.name.removeprefix("tf-") for p in venvs.glob("tf-2.*") if p.is_dir()),
                                key=lambda r: int(r.split(".")[1]))
    with tempfile.TemporaryDirectory() as tmp:
        exports = Path(tmp) / "exports"
        subprocess.run([sys.executable, str(HERE / "make_exports.py"), str(exports)], check=True,
                       capture_output=True)
        paths = sorted(p for p in exports.iterdir() if p.is_dir()) + [a.path for a in saved_models()]
        print(f"{len(paths)} SavedModels; release, loader, units, confusion")
        for release in wanted:
            python = venvs / f"tf-{release}" / "bin" / "python"
            verdicts = run_tensorflow(paths, Path(tmp), python=str(python), timeout=3600)
            for target, results in verdicts.items():
                found = [u for path, result in results.items()
                         for u in units(target, path, result, check_findings(target, Path(path), release))]
                print(release, target, len(found), confusion(found), flush=True)
                for unit in found:
                    if unit.kind in ("false alarm", "miss"):
                        print(f"  {unit.kind}: {unit.model} {unit.name}: TF {unit.tf_error}; "
                              f"check {', '.join(unit.check_codes) or 'nothing'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
