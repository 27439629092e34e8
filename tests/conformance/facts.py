"""Both sides of the conformance comparison, and the figure the README quotes.

TensorFlow's side comes from ``tf_facts.py`` in one child process; tfinspect's
side from its CLI (``--json``), run in this process so that sixty artifacts
take seconds, and from ``inspector.load``.

    python tests/conformance/facts.py      # prints the README sentence
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import subprocess
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from artifacts import ROOT, TF_UNREADABLE, Artifact, all_artifacts  # type: ignore[no-redef]
else:
    from .artifacts import ROOT, TF_UNREADABLE, Artifact, all_artifacts

TF_FACTS_SCRIPT = Path(__file__).resolve().parent / "tf_facts.py"

# Which facts are compared for each kind of artifact.
FACTS = {
    "saved_model": ("loads", "signatures", "ops", "collections", "variables", "restored_values"),
    "meta_graph": ("loads", "signatures", "ops", "collections", "variables"),
    "graph_def": ("loads", "ops", "variables"),
    "checkpoint": ("loads", "tensors"),
}


def tensorflow_facts(artifacts: list[Artifact] | None = None) -> dict:
    """{artifact id: facts} as TensorFlow reads them (see tf_facts.py)."""
    artifacts = all_artifacts() if artifacts is None else artifacts
    request = [{"id": a.id, "kind": a.kind, "path": str(a.path)} for a in artifacts]
    proc = subprocess.run(
        [sys.executable, str(TF_FACTS_SCRIPT)], input=json.dumps(request), capture_output=True,
        text=True, check=False, cwd=ROOT, timeout=600,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def cli_json(*args: str):
    """``tfinspect ARGS --json`` run in this process: its parsed output (exit status 0 or 1)."""
    from inspector.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([*map(str, args), "--json"])
    assert code in (0, 1), f"tfinspect {' '.join(map(str, args))} --json exited {code}: {err.getvalue()}"
    return json.loads(out.getvalue())


def elements(shape: list[int] | None) -> int | None:
    """A TensorFlow shape's element count (None when not fully known)."""
    return None if shape is None or any(d < 0 for d in shape) else math.prod(shape)


# -- the figure -------------------------------------------------------------------------
def count_facts(kind: str, facts: dict) -> int:
    """How many single facts TensorFlow states about one artifact (what the tests compare)."""
    if "error" in facts:
        return 0
    if kind == "checkpoint":
        return 1 + len(facts["tensors"])
    if kind == "saved_model":
        return 1 + sum(_graph_fact_count(entry) + len(entry.get("restored") or {})
                       for entry in facts["tag_sets"])
    return 1 + _graph_fact_count(facts)


def _graph_fact_count(facts: dict) -> int:
    signatures = facts.get("signatures", {})
    tensors = sum(len(s["inputs"]) + len(s["outputs"]) + 1 for s in signatures.values())
    variables = facts.get("object_variables", facts.get("variables", []))
    return tensors + len(facts.get("ops", [])) + len(facts.get("collections", [])) + len(variables) + 1


def figure(tf_facts: dict, artifacts: list[Artifact] | None = None) -> str:
    artifacts = all_artifacts() if artifacts is None else artifacts
    readable = [a for a in artifacts if a.id not in TF_UNREADABLE]
    sources = {a.source for a in readable}
    total = sum(count_facts(a.kind, tf_facts[a.id]) for a in readable)
    return (f"{len(readable)} artifacts from {len(sources)} sources agree with TensorFlow "
            f"on {total} facts")


if __name__ == "__main__":
    print(figure(tensorflow_facts()))
