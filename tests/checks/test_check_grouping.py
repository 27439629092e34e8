"""Repeats of one rule at one place with one fix are one finding, which keeps every location."""

from __future__ import annotations

import json

import pytest
from conftest import check_findings, fixture, run_cli

import inspector


def test_repeats_fold_into_one_finding_with_every_place(tf):
    path = fixture("fault_ckpt_mismatch")
    _code, items = check_findings(path)
    [mismatch] = [f for f in items if f["code"] == "TFI202"]
    assert mismatch["count"] == 2 and len(mismatch["places"]) == 2
    # each place keeps its own message: m is missing, b has another shape, as TensorFlow reads the checkpoint
    stored = tf.train.load_checkpoint(str(path / "variables" / "variables")).get_variable_to_shape_map()
    assert "m" not in stored and stored["b"] == [2]
    messages = {p["location"]: p["message"] for p in mismatch["places"]}
    assert "not in variables/variables" in messages["m"] and "checkpoint holds [2]" in messages["b"]
    assert mismatch["location"] == mismatch["places"][0]["location"]
    table = run_cli("check", path).out
    assert table.count("TFI202") == 1 and "and 1 more: " in table


def test_sarif_has_one_result_per_place():
    path = fixture("fault_ckpt_mismatch")
    sarif = json.loads(run_cli("check", path, "--format", "sarif").out)
    results = sarif["runs"][0]["results"]
    _code, items = check_findings(path)
    assert len(results) == sum(f["count"] for f in items)
    names = sorted(r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] for r in results
                   if r["ruleId"] == "TFI202")
    assert names == ["serve/b", "serve/m"]


def test_the_api_counts_places_and_expands_them():
    report = inspector.check(fixture("fault_ckpt_mismatch"))
    [mismatch] = [f for f in report if f.code == "TFI202"]
    assert mismatch.count == 2 and [f.location for f in mismatch.each()] == ["b", "m"]
    assert all(f.count == 1 for f in mismatch.each())


def test_53_generated_aliases_are_one_warning():
    from conformance.artifacts import CORPUS

    path = CORPUS / "tfx" / "tft_tf2_saved_model"
    if not path.is_dir():
        pytest.skip("the corpus is not beside the clone")
    _code, items = check_findings(path)
    generated = [f for f in items if f["code"] == "TFI308"]
    assert [f["count"] for f in generated] == [53]
    assert len({p["location"] for p in generated[0]["places"]}) == 53
