"""check's security rules (TFI8xx) and TFI507 find every op `saved_model_cli scan` finds, and more (function and branch bodies).

`saved_model_cli scan` reports, per MetaGraph, the ops of its denylist (ReadFile,
WriteFile, PrintV2) that the graph uses.  Its own scan function runs in one child
process over every SavedModel of fixtures/ and the corpus, plus an edited copy that
holds each denylisted op at the top level.
"""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT, check_findings, each_place, fixture
from tensorflow.core.protobuf import saved_model_pb2

from tests.conformance.artifacts import saved_models
from tests.conformance.check_truth import check_findings as findings_in_process

SCAN = """
import contextlib, io, json, sys
from tensorflow.python.tools import saved_model_cli, saved_model_utils
result = {}
for path in sys.argv[1:]:
    model = saved_model_utils.read_saved_model(path)
    for meta in model.meta_graphs:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            saved_model_cli.scan_meta_graph_def(meta, saved_model_cli._OP_DENYLIST)
        result[path + "|" + ",".join(meta.meta_info_def.tags)] = out.getvalue()
print(json.dumps(result))
"""
SCAN_CODES = ("TFI8", "TFI507")


def _with_denylisted_ops(tmp_path, tf):
    """seed003's SavedModel plus a top-level PrintV2, ReadFile and WriteFile (as TensorFlow builds them)."""
    target = tmp_path / "denylisted"
    shutil.copytree(fixture("seed003", "SavedModel"), target)
    with tf.Graph().as_default() as graph:
        text = tf.io.read_file("/tmp/denylisted-input.txt", name="read")
        tf.print(text, name="show")
        tf.io.write_file("/tmp/denylisted-output.txt", text, name="write")
    model = saved_model_pb2.SavedModel.FromString((target / "saved_model.pb").read_bytes())
    for node in graph.as_graph_def().node:
        added = model.meta_graphs[0].graph_def.node.add()
        added.CopyFrom(node)
        added.name = "extra/" + node.name
        added.input[:] = ["extra/" + name.lstrip("^") if not name.startswith("^") else "^extra/" + name[1:]
                          for name in node.input]
    (target / "saved_model.pb").write_bytes(model.SerializeToString())
    return target


@pytest.fixture(scope="module")
def scanned(tmp_path_factory, tf):
    paths = [a.path for a in saved_models()] + [_with_denylisted_ops(tmp_path_factory.mktemp("scan"), tf)]
    proc = subprocess.run([sys.executable, "-c", SCAN, *map(str, paths)], capture_output=True, text=True,
                          cwd=ROOT, timeout=600, check=True)
    found = {}
    for key, text in json.loads(proc.stdout.splitlines()[-1]).items():
        ops = ast.literal_eval(text[text.rindex("{"):].strip()) if "contains the following" in text else set()
        found[key] = ops
    return paths, found


def _op_types(path, tags: str) -> set[str]:
    ops = set()
    for f in each_place(findings_in_process("tf-serving", path)):
        if f["code"].startswith(SCAN_CODES) and f["tag_set"] in (tags.split(","), None):
            ops.add(f["message"].split()[0])
    return ops


def test_check_finds_every_op_saved_model_cli_scan_finds(scanned):
    paths, found = scanned
    assert len(found) == len(paths)  # one MetaGraph each
    assert any(found.values())  # the edited copy at least
    for key, ops in found.items():
        path, tags = key.split("|")
        assert ops <= _op_types(path, tags), key


def test_check_finds_more_than_saved_model_cli_scan(scanned):
    """ReadFile inside a tf.cond branch: scan looks at the top-level graph only."""
    _, found = scanned
    path = str(fixture("fault_file_ops"))
    assert found[path + "|serve"] == set()
    assert "ReadFile" in _op_types(path, "serve")


def test_the_edited_copy_holds_each_denylisted_op(scanned):
    paths, found = scanned
    key = f"{paths[-1]}|serve"
    assert found[key] == {"ReadFile", "WriteFile", "PrintV2"}
    locations = {f["location"] for f in each_place(check_findings(paths[-1], "--select", "security,TFI507")[1])}
    assert {"extra/read", "extra/write"} <= locations and any(loc.startswith("extra/show") for loc in locations)
