"""The fixture generator still produces artifacts that load the way the committed ones do."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import FIXTURES, ROOT

import inspector

pytestmark = pytest.mark.slow  # TFINSPECT_SLOW=1 or CI: see tests/conftest.py

ARTIFACTS = ["seed003/SavedModel", "seed003/model.meta", "seed003/frozen_graph.pb", "seed002/model.meta",
             "seed002/graphdef.pbtxt", "seed000/exported_model", "seed001/mnist", "seed004/results",
             "tf2_module", "keras_export", "ckpt_sharded", "ckpt_dtypes/ckpt", "ckpt_v1"]


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    out = tmp_path_factory.mktemp("regenerated")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run([sys.executable, str(ROOT / "fixtures" / "generate.py"), str(out)],
                          check=False, capture_output=True, text=True, env=env, timeout=900)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    return out


def _fingerprint(path):
    artifact = inspector.load(path)
    metas = []
    for meta in artifact.meta_graphs:
        metas.append({
            "tags": meta.tags,
            "nodes": sorted(n for n in meta.graph.nodes if "hash_table" not in n),
            "ops": sorted(meta.op_histogram.items()),
            "functions": len(meta.functions),
            "signatures": {k: (s.method_name, [(t.alias, t.dtype, t.shape) for t in s.inputs],
                               [(t.alias, t.dtype, t.shape) for t in s.outputs])
                           for k, s in meta.signatures.items()},
            "collections": sorted(meta.collections),
        })
    return {"kind": artifact.kind, "versions": artifact.versions,
            "files": sorted(f.role for f in artifact.files), "meta_graphs": metas}


@pytest.mark.parametrize("name", ARTIFACTS)
def test_regenerated_artifact_loads_like_the_committed_one(regenerated, name):
    *folder, last = name.split("/")
    committed = FIXTURES.joinpath(*folder) / last
    fresh = regenerated.joinpath(*folder) / last
    assert _fingerprint(fresh) == _fingerprint(committed)
