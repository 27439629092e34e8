"""The security rules against exports that really touch the file system, and exports that must stay clean.

TensorFlow runs every proof-of-concept export of ``fixtures/unsafe/`` (one child process, each
export in its own temporary folder) and the test observes the effect the manifest promises: a
file created, a secret read into the output, a directory listed.  Then `check --select security`
must report each export, with the rule of that effect, at the node that does it.
"""

from __future__ import annotations

import glob
import itertools
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT, check_findings, run_cli

import inspector
from inspector.checks import runner
from tests.conformance.artifacts import all_artifacts

UNSAFE = FIXTURES / "unsafe"
MANIFEST = json.loads((UNSAFE / "MANIFEST.json").read_text(encoding="utf-8"))
EXPORTS = MANIFEST["exports"]
CODE = {"write": "TFI801", "network": "TFI802", "read": "TFI804", "list": "TFI805"}
# What each technique's node is: the op the finding must name.
OP = {
    "read_cond": "ReadFile", "read_while": "ReadFile", "read_dataset_map": "ReadFile",
    "text_line_dataset": "TextLineDataset", "fixed_length_dataset": "FixedLengthRecordDatasetV2",
    "csv_dataset": "CSVDatasetV2", "tfrecord_dataset": "TFRecordDataset", "matching_files": "MatchingFiles",
    "write_file": "WriteFile", "save_v2": "SaveV2", "print_to_file": "PrintV2",
    "summary_writer": "CreateSummaryFileWriter", "immutable_const": "ImmutableConst",
    "debug_identity": "DebugIdentity", "dataset_to_tfrecord": "DatasetToTFRecord",
    "dataset_from_graph": "WriteFile", "pbtxt_saved_model": "ReadFile", "frozen_graph": "WriteFile",
    "meta_graph": "ReadFile", "data_service": "DataServiceDatasetV4",
}
NETWORK = "data_service"  # dials a server and retries for ever: run on its own, stopped once it connects


def target(name: str) -> Path:
    """What tfinspect is pointed at: the SavedModel folder, or the graph file."""
    run = EXPORTS[name]["run"]
    return UNSAFE / name / run["file"] if "file" in run else UNSAFE / name


def test_every_export_is_listed():
    assert set(OP) == set(EXPORTS) == {p.name for p in UNSAFE.iterdir() if p.is_dir()}
    assert len(EXPORTS) >= 10


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    """TensorFlow runs every export in its own folder: name -> (folder, output or error)."""
    base = tmp_path_factory.mktemp("poc")
    debug_dumps = [e["observe"]["creates"].rstrip("/*") for e in EXPORTS.values()
                   if e["observe"].get("creates", "").startswith("/")]
    for folder in debug_dumps:
        shutil.rmtree(folder, ignore_errors=True)
    jobs = []
    for name, entry in EXPORTS.items():
        if entry["run"].get("blocks"):
            continue
        work = base / name
        work.mkdir()
        (work / "secret.txt").write_text(MANIFEST["secret"] + "\n", encoding="utf-8")
        (work / "secret.bin").write_bytes(struct.pack("<f", 42.0))
        jobs.append([str(UNSAFE / name), entry["run"], str(work)])
    proc = subprocess.run([sys.executable, str(ROOT / "tests" / "helpers" / "security_child.py"), json.dumps(jobs)],
                          capture_output=True, text=True, timeout=900, check=False, cwd=base)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(proc.stdout.strip().splitlines()[-1])
    yield {name: (base / name, results[str(base / name)]) for name in EXPORTS if str(base / name) in results}
    for folder in debug_dumps:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(set(EXPORTS) - {NETWORK}))
def test_tensorflow_really_touches_the_file_system(ran, name):
    work, result = ran[name]
    assert "output" in result, result
    observe = EXPORTS[name]["observe"]
    if observe.get("output_has_secret"):
        assert MANIFEST["secret"] in result["output"]
    if "output_has" in observe:
        assert observe["output_has"] in result["output"]
    if "creates" in observe:
        pattern = observe["creates"]
        found = glob.glob(pattern if pattern.startswith("/") else str(work / pattern))
        assert found, f"{name} should have created {pattern}"


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_check_select_security_reports_it_where_it_is(name):
    code, findings = check_findings(target(name), "--select", "security")
    assert code == 1
    effect = EXPORTS[name]["effect"]
    mine = [f for f in findings if f["code"] == CODE[effect] and f["message"].startswith(OP[name] + " ")]
    assert mine, findings
    if name == "dataset_from_graph":
        return  # inside a serialized graph: test_the_nested_dataset_is_found_inside_its_constant
    # The location names the function (if any) and the node; the node there has that op.
    *frames, node = mine[0]["location"].split(" -> ")
    meta = inspector.load(target(name)).meta_graphs[0]
    nodes = meta.graph.nodes if not frames else {n.name: n for n in meta.functions[frames[-1]].node_def}
    assert nodes[node].op == OP[name]


@pytest.mark.slow
def test_tensorflow_really_dials_the_network(tmp_path):
    """The data_service export connects to its tf.data service address: a listening socket sees gRPC's preface."""
    host, port = EXPORTS[NETWORK]["observe"]["connects"].split(":")
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((host, int(port)))
    server.listen(1)
    server.settimeout(120)
    (tmp_path / "secret.txt").write_text(MANIFEST["secret"] + "\n", encoding="utf-8")
    jobs = [[str(UNSAFE / NETWORK), EXPORTS[NETWORK]["run"], str(tmp_path)]]
    child = subprocess.Popen([sys.executable, str(ROOT / "tests" / "helpers" / "security_child.py"),
                              json.dumps(jobs)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             cwd=tmp_path, start_new_session=True)
    try:
        connection, _ = server.accept()
        with connection:
            greeting = connection.recv(24)
    finally:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
        server.close()
    assert greeting.startswith(b"PRI * HTTP/2.0")  # an HTTP/2 (gRPC) client


def test_the_nested_dataset_is_found_inside_its_constant():
    _, findings = check_findings(target("dataset_from_graph"), "--select", "security")
    write = [f for f in findings if f["code"] == "TFI801"]
    assert len(write) == 1
    assert "(string constant value: a serialized GraphDef) -> " in write[0]["location"]
    assert "'nested.txt'" in write[0]["message"] and "run by signature serving_default" in write[0]["message"]
    # The DatasetFromGraph's graph is that constant, passed in as an argument: nothing stays hidden.
    assert [f for f in findings if f["code"] == "TFI803"] == []


def test_paths_in_the_graph_are_named():
    _, findings = check_findings(target("write_file"), "--select", "security")
    assert "('written.txt')" in findings[0]["message"]
    _, findings = check_findings(target("print_to_file"), "--select", "security")
    assert "'file://printed.txt'" in findings[0]["message"]


def test_saved_model_cli_scan_misses_the_branch_read(ran):
    """The status quo this family improves on: TensorFlow's own scanner sees only top-level ops."""
    proc = subprocess.run([sys.executable, "-m", "tensorflow.python.tools.saved_model_cli", "scan", "--dir",
                           str(UNSAFE / "read_cond"), "--tag_set", "serve"], capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "does not contain the default denylisted ops" in proc.stdout
    assert ran["read_cond"][1]["output"].startswith(MANIFEST["secret"])


def _clean_artifacts():
    return [a for a in all_artifacts() if a.kind in ("saved_model", "meta_graph", "graph_def")
            and "fault_file_ops" not in str(a.path) and "estimator_training" not in str(a.path)]


@pytest.mark.parametrize("artifact", _clean_artifacts(), ids=lambda a: a.id)
def test_clean_exports_get_no_security_finding(artifact):
    code, findings = check_findings(artifact.path, "--select", "security", "--target", "python")
    assert (code, findings) == (0, [])


def test_sarif_names_the_rule_and_the_node():
    result = run_cli("check", str(target("save_v2")), "--select", "security", "--format", "sarif")
    assert result.code == 1
    sarif = json.loads(result.out)
    results = sarif["runs"][0]["results"]
    assert [r["ruleId"] for r in results] == ["TFI801"]
    assert results[0]["level"] == "error"
    assert results[0]["locations"][0]["logicalLocations"][0]["fullyQualifiedName"].endswith(" -> SaveV2")
    assert {r["id"] for r in sarif["runs"][0]["tool"]["driver"]["rules"]} == {
        "TFI801", "TFI802", "TFI803", "TFI804", "TFI805", "TFI806"}


def _reported(path) -> set[tuple[str, str]]:
    findings, _ = runner.find(str(path), select=["TFI8"])
    return {(f.code, f.message.split()[0]) for f in findings}


def test_the_generator_makes_exports_reported_alike(tmp_path):
    """fixtures/generate_unsafe.py, run again, makes exports the security rules report as the committed ones."""
    out = tmp_path / "unsafe"
    proc = subprocess.run([sys.executable, str(ROOT / "fixtures" / "generate_unsafe.py"), str(out)],
                          capture_output=True, text=True, timeout=900, check=False,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    fresh = json.loads((out / "MANIFEST.json").read_text(encoding="utf-8"))
    assert fresh == MANIFEST
    for name in EXPORTS:
        relative = target(name).relative_to(UNSAFE)
        assert _reported(out / relative) == _reported(target(name)), name


def test_the_message_names_the_chain_from_the_signature_to_the_branch():
    _, findings = check_findings(target("read_cond"), "--select", "security")
    branch = findings[0]["location"].split(" -> ")[0]
    chain = findings[0]["message"].rsplit("(", 1)[1].rstrip(")").split(" -> ")
    assert chain[0] == "serving_default" and chain[-1] == branch and branch.startswith("cond_true_")
    # Each function of the chain calls the next one, as the library records it.
    meta = inspector.load(target("read_cond")).meta_graphs[0]
    calls = {(c.caller, c.callee) for c in meta.functions.calls}
    assert all((a, b) in calls for a, b in itertools.pairwise(chain[1:]))


def test_scan_is_check_select_security():
    import jsonschema

    schema = json.loads((ROOT / "docs" / "schemas" / "scan.schema.json").read_text(encoding="utf-8"))
    check_schema = json.loads((ROOT / "docs" / "schemas" / "check.schema.json").read_text(encoding="utf-8"))
    finding = [b["properties"]["findings"]["items"] for b in check_schema.get("oneOf", [check_schema])
               if "findings" in b.get("properties", {})]
    assert schema["properties"]["findings"]["items"] == finding[0]  # one finding, described the same way
    for name in ("write_file", "meta_graph"):
        scanned = run_cli("scan", str(target(name)), "--json")
        assert scanned.code == 1
        jsonschema.validate(scanned.json(), schema)
        checked = run_cli("check", str(target(name)), "--select", "security", "--target", "python", "--json")
        assert scanned.json() == checked.json()
    clean = run_cli("scan", str(FIXTURES / "keras_export"))
    assert clean.code == 0 and "Nothing in it reads, lists or writes files" in clean.out
