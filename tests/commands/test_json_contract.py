"""Every command's --json is one object that validates against its schema in docs/schemas/.

The commands run in this process (``inspector.cli.main``) over every artifact the
conformance suite knows (fixtures and the real-world corpus), with their main flag
combinations; a few run as a child process too, as a user runs them.  A command
registered without a schema (and not exempt for a stated reason) fails the suite.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from pathlib import Path

import jsonschema
import pytest
from conformance.artifacts import all_artifacts, corpus_available, require_corpus
from conftest import ROOT, fixture, run_cli

from inspector.cli import main
from inspector.commands import COMMANDS

SCHEMAS = ROOT / "docs" / "schemas"
# Commands whose output is not a tfinspect JSON document, and why (docs/pages/json.md says the same).
EXEMPT = {
    "graph": "writes a diagram (DOT, SVG, PNG, PDF, HTML); it has no --json",
    "dump": "--json is protobuf's canonical JSON mapping of the TensorFlow message, which json_format.Parse reads back",
}
# Schemas of files a command writes, not of its --json, and which command writes them.
WRITTEN = {"audit-row": "audit"}
ARTIFACTS = all_artifacts()
GRAPHS = [a for a in ARTIFACTS if a.kind != "checkpoint"]
SAVED_MODELS = [a for a in ARTIFACTS if a.kind == "saved_model"]
CHECKPOINTS = [a for a in ARTIFACTS if a.kind == "checkpoint"]


def _schema(command: str) -> dict:
    return json.loads((SCHEMAS / f"{command}.schema.json").read_text())


def _run(*argv) -> tuple[int, object]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    assert code in (0, 1), f"{argv}: exit {code}: {err.getvalue()}"
    return code, json.loads(out.getvalue())


def _valid(command: str, data) -> dict:
    schema = _schema(command)
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(data), key=lambda e: e.json_path)
    assert not errors, f"{command}: " + "; ".join(f"{e.json_path}: {e.message[:160]}" for e in errors[:5])
    assert isinstance(data, dict) and data["schema_version"] == 1
    return data


def test_every_command_has_a_schema_or_a_stated_exemption():
    names = {info.name for info in COMMANDS}
    published = {p.name.removesuffix(".schema.json") for p in SCHEMAS.glob("*.schema.json")}
    assert names - set(EXEMPT) <= published, f"commands without docs/schemas/<name>.schema.json: " \
        f"{sorted(names - set(EXEMPT) - published)}"
    assert set(WRITTEN.values()) <= names
    assert published - set(WRITTEN) <= names, f"schemas of no command: {sorted(published - names - set(WRITTEN))}"
    assert not set(EXEMPT) & published


@pytest.mark.parametrize("path", sorted(SCHEMAS.glob("*.schema.json")), ids=lambda p: p.name)
def test_schemas_are_valid_draft_2020_12(path):
    schema = json.loads(path.read_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_the_corpus_is_part_of_the_run():
    require_corpus()
    if corpus_available():
        assert any(a.source.startswith("corpus/") for a in ARTIFACTS)
    assert len(SAVED_MODELS) >= 5 and len(CHECKPOINTS) >= 5


@pytest.mark.parametrize("artifact", GRAPHS, ids=lambda a: a.id)
def test_graph_commands(artifact):
    path = artifact.path
    tag = ["--tag-set", "serve"] if artifact.kind == "saved_model" and _has_serve(path) else []
    show = _valid("show", _run("show", path, "--json")[1])
    assert show["kind"] == artifact.kind
    signatures = _valid("signatures", _run("signatures", path, "--json")[1])
    assert signatures == _valid("signatures", _run("signatures", path, "--json", "--concrete")[1])
    assert [s["signature_key"] for m in show["meta_graphs"] for s in m["signatures"]] == \
        [s["signature_key"] for s in signatures["signatures"]]
    ops = _valid("ops", _run("ops", path, *tag, "--json")[1])
    assert len(ops["ops"]) == ops["total"]
    _valid("ops", _run("ops", path, *tag, "--json", "--functions", "--attrs")[1])
    _valid("ops", _run("ops", path, *tag, "--json", "--type", "Placeholder,NoSuchOpType")[1])
    _valid("collections", _run("collections", path, *tag, "--json")[1])
    variables = _valid("variables", _run("variables", path, *tag, "--json")[1])
    assert variables["totals"]["count"] <= len(variables["variables"])
    functions = _valid("functions", _run("functions", path, *tag, "--json")[1])
    if functions["functions"]:
        name = functions["functions"][0]["name"]
        one = _valid("functions", _run("functions", path, *tag, "--name", name, "--json")[1])
        assert [f["name"] for f in one["functions"]] == [name] and "nodes" in one["functions"][0]
    _valid("io", _run("io", path, *tag, "--json")[1])
    _valid("check", _run("check", path, "--json")[1])
    _valid("check", _run("check", path, "--format", "json", "--target", "python")[1])
    _valid("check", _run("check", path, "--json", "--tf-version", "2.12")[1])
    compat = _valid("compat", _run("compat", path, "--json")[1])
    folder = Path(path) if Path(path).is_dir() else Path(path).parent
    if show["kind"] in ("meta_graph", "checkpoint") and (folder / "export").is_dir():
        # a training model_dir's graph: compat names the newest export to ask about instead
        newest = max(p for p in (folder / "export").glob("*/*") if p.is_dir())
        assert compat["units"] == [] and str(newest.name) in compat["notes"][0]
    else:
        assert {u["loader"] for u in compat["units"]} == {"python", "python-v1", "tf-serving"}


def _has_serve(path: Path) -> bool:
    _, show = _run("show", path, "--json")
    return sum(1 for m in show["meta_graphs"] if m["tag_set"] == ["serve"]) == 1 and len(show["meta_graphs"]) > 1


@pytest.mark.parametrize("artifact", SAVED_MODELS, ids=lambda a: a.id)
def test_serving_commands(artifact):
    _code, template = _run("request", artifact.path, "--json") if _serves(artifact.path) else (None, None)
    if template is None:
        return
    _valid("request", template)
    _valid("metadata", _run("metadata", artifact.path, "--json")[1])


def _serves(path: Path) -> bool:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        return main(["request", str(path), "--json"]) == 0


@pytest.mark.parametrize("artifact", CHECKPOINTS, ids=lambda a: a.id)
def test_ckpt(artifact):
    plain = _valid("ckpt", _run("ckpt", artifact.path, "--json")[1])
    shown = _valid("show", _run("show", artifact.path, "--json")[1])
    assert shown["checkpoint"]["tensor_count"] >= len(plain["tensors"])
    assert plain["audit"] is None and plain["stats"] is None and plain["verify"] is None
    full = _valid("ckpt", _run("ckpt", artifact.path, "--json", "--stats", "--verify")[1])
    assert [t["checkpoint_key"] for t in full["tensors"]] == [t["checkpoint_key"] for t in plain["tensors"]]
    assert full["verify"] == []
    if not plain["tensors"]:  # e.g. a SavedModel whose only checkpoint entry is the object graph
        return
    key = plain["tensors"][0]["checkpoint_key"]
    values = _valid("ckpt", _run("ckpt", artifact.path, "--values", key, "--json")[1])
    assert values["checkpoint_key"] == key


def test_ckpt_audit():
    data = _valid("ckpt", _run("ckpt", fixture("tf2_module"), "--json", "--audit")[1])
    assert data["audit"]["ok"] is True
    mismatch = _valid("ckpt", _run("ckpt", fixture("fault_ckpt_mismatch"), "--json", "--audit")[1])
    assert mismatch["audit"]["ok"] is False


def test_audit_summary_and_rows(tmp_path):
    rows = tmp_path / "rows.jsonl"
    summary = _valid("audit", _run("audit", ROOT / "fixtures", "--jobs", "2", "--json", "-o", rows)[1])
    lines = rows.read_text().splitlines()
    assert summary["artifacts"] == len(lines) > 20
    for line in lines:
        _valid("audit-row", json.loads(line))


def test_check_rules_and_explanations():
    rules = _valid("check", _run("check", "--list-rules", "--json")[1])
    assert len(rules["rules"]) > 20
    one = _valid("check", _run("check", "--explain", "TFI101", "--json")[1])
    assert [r["code"] for r in one["rules"]] == ["TFI101"]
    target = _valid("check", _run("check", "--explain", "vertex", "--format", "json")[1])
    assert [t["target"] for t in target["targets"]] == ["vertex"]


def test_diff_and_versions(tmp_path):
    diff = _valid("diff", _run("diff", fixture("tf2_module"), fixture("keras_export"), "--json")[1])
    assert diff["breaking"] is True
    assert all(c["where"].get("tag_set") in (None, ["serve"]) for c in diff["changes"])
    same = _valid("diff", _run("diff", fixture("tf2_module"), fixture("tf2_module"), "--format", "json")[1])
    assert same["changes"] == []
    root = tmp_path / "model"
    shutil.copytree(fixture("tf2_module"), root / "1")
    shutil.copytree(fixture("keras_export"), root / "2")
    versions = _valid("versions", _run("versions", root, "--json")[1])
    assert [v["version"] for v in versions["versions"]] == [1, 2]
    assert versions["changes"][0]["breaking_changes"]


def test_request_validate(tmp_path):
    body = tmp_path / "body.json"
    body.write_text('{"instances": [[1, 2, 3]]}')
    ok = _valid("request", _run("request", fixture("tf2_module"), "--validate", body, "--json")[1])
    assert ok["valid"] is True
    body.write_text('{"instances": [["a"]]}')
    bad = _valid("request", _run("request", fixture("tf2_module"), "--validate", body, "--json")[1])
    assert bad["valid"] is False and bad["problems"]


def test_as_a_user_runs_it():
    """The same contract through the console entry point, in a child process."""
    for args, command, key in [
        (("ops", fixture("tf2_module"), "--json"), "ops", "ops"),
        (("functions", fixture("tf2_module"), "--json", "--name", "__inference_serve_17"), "functions", "functions"),
        (("ckpt", fixture("tf2_module"), "--json", "--stats"), "ckpt", "tensors"),
    ]:
        result = run_cli(*args)
        assert result.code == 0, result.err
        assert key in _valid(command, result.json())


def test_run_output(tmp_path):
    body = tmp_path / "body.json"
    body.write_text('{"instances": [[1, 2, 3]]}')
    result = run_cli("run", fixture("tf2_module"), "--input", body, "--json")
    assert result.code == 0, result.err
    data = _valid("run", result.json())
    assert [o["alias"] for o in data["outputs"]] == ["scores"]
    assert len(data["outputs"][0]["values"][0]) == 2


@pytest.mark.parametrize(("command", "args", "edit"), [
    ("show", ("show",), lambda d: d["meta_graphs"][0].update(tags=d["meta_graphs"][0].pop("tag_set"))),
    ("signatures", ("signatures",), lambda d: d["signatures"][0].update(key="serving_default")),
    ("ops", ("ops",), lambda d: d["ops"][0].update(op=d["ops"][0].pop("op_type"))),
    ("variables", ("variables",), lambda d: d["totals"].update(parameters=1)),
    ("functions", ("functions",), lambda d: d.update(functions=d["functions"][0])),
    ("check", ("check",), lambda d: d["findings"].append({**_FINDING, "severity": "fatal"})),
])
def test_the_schemas_reject_the_old_shapes(command, args, edit):
    """The contract is closed: an old key name, a changed top-level type or an unknown severity fails."""
    data = _run(*args, fixture("tf2_module"), "--json")[1]
    _valid(command, data)
    edit(data)
    errors = list(jsonschema.Draft202012Validator(_schema(command)).iter_errors(data))
    assert errors


_FINDING = {"code": "TFI101", "rule": "r", "severity": "error", "tag_set": None, "signature_key": None,
            "location": None, "stage": None, "message": "m", "hint": None}
