"""Every artifact of fixtures/ and the real-world corpus: tfinspect reports what TensorFlow reads.

One test per artifact and fact, so a failure names both (``saved_model:corpus/tfx/keras_serving-ops``).
TensorFlow's side is computed once per session (the ``tf_facts`` fixture).
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

import inspector

from .artifacts import ROOT, TF_UNREADABLE, all_artifacts, corpus_available
from .facts import FACTS, cli_json, elements, figure

CASES = [pytest.param(a, fact, id=f"{a.id}-{fact}") for a in all_artifacts() if a.id not in TF_UNREADABLE
         for fact in FACTS[a.kind]]
VARIABLE_OPS = {"VariableV2", "Variable", "VarHandleOp"}


def _read(artifact, facts: dict) -> dict:
    assert "error" not in facts, f"TensorFlow cannot read {artifact.id}: {facts['error']}"
    return facts


def test_tensorflow_reads_every_artifact_but_the_listed_ones(tf_facts):
    unreadable = {a.id for a in all_artifacts() if "error" in tf_facts[a.id]}
    assert unreadable == set(TF_UNREADABLE), {i: tf_facts[i]["error"] for i in unreadable}


def _tag_sets(facts: dict) -> list[tuple[str, dict]]:
    return [(",".join(entry["tags"]), entry) for entry in facts["tag_sets"]]


@pytest.mark.parametrize(("artifact", "fact"), CASES)
def test_agrees_with_tensorflow(artifact, fact, tf_facts):
    facts = _read(artifact, tf_facts[artifact.id])
    CHECKS[fact](artifact, facts)


def test_readme_states_the_figure(tf_facts):
    if not corpus_available():  # under CI=true the tf_facts fixture has failed already
        pytest.skip("the figure counts the real-world corpus, which is not beside this clone")
    sentence = figure(tf_facts)
    assert f"\n{sentence}.\n" in (ROOT / "README.md").read_text(), \
        f"README.md should say: {sentence}. (python tests/conformance/facts.py prints it)"


# -- the facts -------------------------------------------------------------------------------
def _loads(artifact, facts):
    loaded = inspector.load(artifact.path)
    if artifact.kind == "checkpoint":
        assert loaded.checkpoint is not None
        assert len(loaded.checkpoint.entries()) == len(facts["tensors"])
    elif artifact.kind == "saved_model":
        ours = sorted(sorted(mg.tags) for mg in loaded.meta_graphs)
        assert ours == sorted(entry["tags"] for entry in facts["tag_sets"])
    else:
        assert len(loaded.meta_graphs) == 1


def _each_graph(artifact, facts):
    """(tag-set argument list for the CLI, TensorFlow's facts of that graph)."""
    if artifact.kind == "saved_model":
        return [(["--tag-set", tags], entry) for tags, entry in _tag_sets(facts)]
    return [([], facts)]


def _signature_json(signature: dict) -> dict:
    def tensors(items):
        return {t["alias"]: {"encoding": t["encoding"], "name": t["tensor_name"], "dtype": t["dtype"],
                             "shape": t["shape"]} for t in items}

    return {"method": signature["method_name"], "inputs": tensors(signature["inputs"]),
            "outputs": tensors(signature["outputs"])}


def _signatures(artifact, facts):
    for tag_args, theirs in _each_graph(artifact, facts):
        ours = {s["signature_key"]: _signature_json(s)
                for s in cli_json("signatures", artifact.path, *tag_args)["signatures"]}
        assert ours == theirs["signatures"], tag_args


def _ops(artifact, facts):
    for tag_args, theirs in _each_graph(artifact, facts):
        ours = [[row["name"], row["op_type"]] for row in cli_json("ops", artifact.path, *tag_args)["ops"]]
        assert ours == theirs["ops"], tag_args


def _collections(artifact, facts):
    for tag_args, theirs in _each_graph(artifact, facts):
        keys = sorted(c["key"] for c in cli_json("collections", artifact.path, *tag_args)["collections"])
        assert keys == theirs["collections"], tag_args


def _variables(artifact, facts):
    for tag_args, theirs in _each_graph(artifact, facts):
        view = cli_json("variables", artifact.path, *tag_args)
        if "object_variables" in theirs:
            _object_variables(view, theirs)
        elif "object_variables_error" in theirs:
            # TensorFlow cannot rebuild the objects (a Keras 2 optimizer under Keras 3): hold each
            # variable tfinspect joins to a graph node to that node as TensorFlow imported it.
            nodes = {v["name"]: v for v in theirs["variables"]}
            for row in view["variables"]:
                if row["node"] is not None:
                    assert (row["dtype"], row["shape"]) == (nodes[row["node"]]["dtype"],
                                                          nodes[row["node"]]["shape"]), row
        else:
            ours = sorted((v["name"], v["op_type"], v["dtype"], v["shape"]) for v in view["variables"]
                          if v["op_type"] in VARIABLE_OPS)
            assert ours == sorted((v["name"], v["op"], v["dtype"], v["shape"]) for v in theirs["variables"])
            expected = [elements(v["shape"]) for v in theirs["variables"]]
            if None not in expected:
                assert view["totals"]["elements"] == sum(expected)


def _object_variables(view: dict, theirs: dict) -> None:
    """Each distinct variable TensorFlow rebuilds is one row, under one of its object paths."""
    rows = {row["path"]: row for row in view["variables"]}
    assert len(rows) == len(view["variables"]) == len(theirs["object_variables"])
    for variable in theirs["object_variables"]:
        found = [rows[p] for p in variable["paths"] if p in rows]
        assert len(found) == 1, variable
        assert (found[0]["dtype"], found[0]["shape"]) == (variable["dtype"], variable["shape"]), variable
    # The distinct parameters: Keras's own list of the model's variables when the export keeps one.
    listed = theirs.get("root_variables") or theirs["object_variables"]
    assert view["totals"]["elements"] == sum(elements(v["shape"]) or 0 for v in listed)


def _restored_values(artifact, facts):
    """Each variable tfinspect joins to a graph node holds, once TensorFlow's loader restored it,
    the checkpoint value tfinspect names as its key."""
    loaded = inspector.load(artifact.path)
    for tags, theirs in _tag_sets(facts):
        view = cli_json("variables", artifact.path, "--tag-set", tags)
        audit = cli_json("ckpt", artifact.path, "--tag-set", tags, "--audit")["audit"] \
            if loaded.checkpoint is not None else None
        if "error" in theirs:
            # TensorFlow refused to restore: tfinspect must say why when it is the checkpoint's doing.
            key_missing = "not found in checkpoint" in theirs["error"]
            assert audit is not None and (not audit["ok"]) == key_missing, (theirs["error"], audit)
            continue
        for row in view["variables"]:
            if row["node"] is None or row["checkpoint_key"] is None or loaded.checkpoint is None:
                continue
            restored = theirs["restored"][row["node"]]
            stored = np.ascontiguousarray(loaded.checkpoint.read(row["checkpoint_key"]))
            assert restored == hashlib.sha1(stored.tobytes()).hexdigest(), row


def _tensors(artifact, facts):
    reader = inspector.load(artifact.path).checkpoint
    ours = {e.key: {"dtype": e.dtype_name, "shape": list(e.shape)} for e in reader.entries()}
    assert ours == facts["tensors"]
    listed = {row["checkpoint_key"]: {"dtype": row["dtype"], "shape": row["shape"]}
              for row in cli_json("ckpt", artifact.path)["tensors"]}
    assert listed == facts["tensors"]  # _CHECKPOINTABLE_OBJECT_GRAPH included, as tf.train.list_variables lists it


CHECKS = {
    "loads": _loads,
    "signatures": _signatures,
    "ops": _ops,
    "collections": _collections,
    "variables": _variables,
    "restored_values": _restored_values,
    "tensors": _tensors,
}
