"""What tfinspect, `saved_model_cli scan` and ModelScan each catch, on the same exports.

The unsafe exports are the proof-of-concept exports of ``fixtures/unsafe/`` (each one
reads, lists or writes files when TensorFlow runs it: ``tests/checks/test_security_poc.py``
runs them and observes the effect).  The clean exports (Keras, Estimator, TF1, TF2
with tables, tf.Transform) come from ``fixtures/`` and ``../shared/corpus/``; a finding
on them is a false alarm.  For each tool and export the table says ``flagged`` (with
what it names), ``missed``, ``clean``, ``FALSE ALARM`` or ``cannot read``.

- tfinspect: ``check PATH --select security`` (in this process).
- ``saved_model_cli scan``: TensorFlow's own denylist (ReadFile, WriteFile, PrintV2),
  through its ``scan_meta_graph_def``, for every MetaGraph, in one child process.
- ModelScan: ``modelscan -p DIR -r json`` once over a copy of every export.  Install it
  into a virtual environment of its own that sees the installed TensorFlow
  (``python -m venv --system-site-packages VENV && VENV/bin/pip install modelscan``) and
  pass ``--modelscan VENV/bin/modelscan``; without TensorFlow it skips SavedModels.

Run from the repository root:

    python bench/bench_security.py [--modelscan VENV/bin/modelscan] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inspector.checks import runner

UNSAFE = ROOT / "fixtures" / "unsafe"
CORPUS = Path(os.environ.get("TFINSPECT_CORPUS", ROOT.parent / "shared" / "corpus"))
CLEAN = {
    "keras_export": ("Keras 3 `model.export`", ROOT / "fixtures" / "keras_export"),
    "keras_serving": ("Keras (TFX trainer, corpus)", CORPUS / "tfx" / "keras_serving"),
    "estimator_export": ("Estimator `export_saved_model` (corpus)",
                         CORPUS / "tfx" / "estimator_training" / "export" / "chicago-taxi" / "1646034756"),
    "tfma_eval": ("Estimator TFMA eval graph (corpus)", CORPUS / "tfx" / "tfma_eval" / "1646034758"),
    "transform_fn": ("tf.Transform graph with vocabulary assets (corpus)", CORPUS / "tfx" / "transform_fn"),
    "tft_tf2": ("tf.Transform TF2 SavedModel (corpus)", CORPUS / "tfx" / "tft_tf2_saved_model"),
    "tf1_builder": ("TF1 `SavedModelBuilder` with a Saver", ROOT / "fixtures" / "seed003" / "SavedModel"),
    "tf1_mnist": ("TF1 MNIST export (seed tutorial)", ROOT / "fixtures" / "seed001" / "mnist" / "2"),
    "tf2_module": ("TF2 `tf.Module` with variables", ROOT / "fixtures" / "tf2_module"),
    "tf2_vocab_table": ("TF2 table from an asset file", ROOT / "fixtures" / "tf2_vocab_table"),
    "tf1_legacy_init_table": ("TF1 table, legacy_init_op", ROOT / "fixtures" / "tf1_legacy_init_table"),
    "tf1_meta": ("TF1 `.meta` (Saver)", ROOT / "fixtures" / "seed003" / "model.meta"),
    "tf1_frozen": ("TF1 frozen graph", ROOT / "fixtures" / "seed003" / "frozen_graph.pb"),
}
SCAN = """
import contextlib, io, json, sys
from tensorflow.python.tools import saved_model_cli, saved_model_utils
result = {}
for path in sys.argv[1:]:
    try:
        model = saved_model_utils.read_saved_model(path)
    except Exception as error:
        result[path] = None
        continue
    found = []
    for meta in model.meta_graphs:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            saved_model_cli.scan_meta_graph_def(meta, saved_model_cli._OP_DENYLIST)
        text = out.getvalue()
        if "contains the following" in text:
            found += sorted(eval(text[text.rindex("{"):].strip()))
    result[path] = found
print(json.dumps(result))
"""


def exports() -> list[dict]:
    manifest = json.loads((UNSAFE / "MANIFEST.json").read_text(encoding="utf-8"))["exports"]
    rows = []
    for name, entry in manifest.items():
        run = entry["run"]
        path = UNSAFE / name / run["file"] if "file" in run else UNSAFE / name
        rows.append({"name": name, "what": entry["technique"], "effect": entry["effect"], "path": path,
                     "unsafe": True})
    for name, (what, path) in CLEAN.items():
        if path.exists():
            rows.append({"name": name, "what": what, "effect": "none", "path": path, "unsafe": False})
    return rows


def tfinspect(path: Path) -> list[str]:
    findings, _ = runner.find(str(path), select=["TFI8"], target="python")
    return sorted({f"{f.code} {f.message.split()[0]}" for f in findings})


def saved_model_cli(rows: list[dict]) -> dict[str, list[str] | None]:
    dirs = [str(r["path"]) for r in rows if r["path"].is_dir()]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run([sys.executable, "-c", SCAN, *dirs], capture_output=True, text=True, env=env,
                          timeout=900, check=True)
    found = json.loads(proc.stdout.strip().splitlines()[-1])
    return {r["name"]: found.get(str(r["path"])) for r in rows}


def modelscan(rows: list[dict], program: str) -> dict[str, list[str] | None]:
    """One ModelScan run over a copy of every export, each in a folder of its name."""
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(scratch) / "exports"
        for row in rows:
            target = base / row["name"]
            if row["path"].is_dir():
                shutil.copytree(row["path"], target)
            else:
                target.mkdir(parents=True)
                shutil.copy2(row["path"], target / row["path"].name)
        report = Path(scratch) / "report.json"
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
        subprocess.run([program, "-p", str(base), "-r", "json", "-o", str(report)], capture_output=True,
                       text=True, env=env, timeout=1800, check=False)
        data = json.loads(report.read_text(encoding="utf-8"))
    scanned = {Path(p).parts[0] for p in data["summary"]["scanned"]["scanned_files"]}
    issues: dict[str, list[str]] = {}
    for issue in data["issues"]:
        name = Path(issue["source"]).parts[0]
        issues.setdefault(name, []).append(f"{issue['severity']} {issue['operator']}")
    return {r["name"]: sorted(set(issues.get(r["name"], []))) if r["name"] in scanned else None for r in rows}


def verdict(row: dict, found: list[str] | None) -> str:
    if found is None:
        return "cannot read"
    if row["unsafe"]:
        return "flagged: " + ", ".join(found) if found else "**missed**"
    return "**FALSE ALARM**: " + ", ".join(found) if found else "clean"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modelscan", default="modelscan", help="the modelscan program (default: on PATH)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    rows = exports()
    results = {"tfinspect": {r["name"]: tfinspect(r["path"]) for r in rows},
               "saved_model_cli scan": saved_model_cli(rows)}
    if shutil.which(args.modelscan) or Path(args.modelscan).exists():
        results["ModelScan"] = modelscan(rows, args.modelscan)
    if args.json:
        print(json.dumps({"exports": [{**r, "path": str(r["path"])} for r in rows], "results": results}, indent=1))
        return 0
    tools = list(results)
    print("| export | hides file access as | effect | " + " | ".join(tools) + " |")
    print("|---|---|---|" + "---|" * len(tools))
    for row in rows:
        cells = [verdict(row, results[t][row["name"]]) for t in tools]
        print(f"| `{row['name']}` | {row['what']} | {row['effect']} | " + " | ".join(cells) + " |")
    print()
    for tool in tools:
        caught = sum(1 for r in rows if r["unsafe"] and results[tool][r["name"]])
        alarms = sum(1 for r in rows if not r["unsafe"] and results[tool][r["name"]])
        unsafe = sum(1 for r in rows if r["unsafe"])
        clean = len(rows) - unsafe
        print(f"- {tool}: caught {caught} of {unsafe} unsafe exports; {alarms} false alarms on {clean} clean ones")
    return 0


if __name__ == "__main__":
    sys.exit(main())
