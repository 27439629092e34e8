"""`check --target python / python-v1` reports an error exactly where TensorFlow fails.

For every SavedModel of fixtures/ and the corpus, and for damaged copies of some of them
(an unfinished copy or a failed upload: tests/helpers/uploads.py), TensorFlow loads it and runs each
signature on generated inputs (tf_run.py, one child process per target, once per
session); check must report an error for a unit (a load, or a signature) if and
only if TensorFlow fails there.  `pytest -s` prints the confusion counts.
"""

from __future__ import annotations

import pytest

from .artifacts import corpus_available, damaged_uploads, require_corpus, saved_models
from .check_truth import TF_TARGETS, check_findings, confusion, run_tensorflow, units

MODELS = saved_models()


@pytest.fixture(scope="session")
def uploads(tmp_path_factory) -> list:
    """Damaged copies of fixture and corpus exports: what an unfinished copy or a failed upload leaves."""
    return damaged_uploads(tmp_path_factory.mktemp("uploads"))


@pytest.fixture(scope="session")
def tensorflow_verdicts(tmp_path_factory, uploads) -> dict[str, dict]:
    require_corpus()
    return run_tensorflow([a.path for a in MODELS + uploads], tmp_path_factory.mktemp("tf-verdicts"))


@pytest.fixture(scope="session")
def measured(tensorflow_verdicts, uploads) -> dict[str, list]:
    return {target: [u for a in MODELS + uploads
                     for u in units(target, a.id, tensorflow_verdicts[target][str(a.path)],
                                    check_findings(target, a.path))]
            for target in TF_TARGETS}


@pytest.mark.parametrize("target", TF_TARGETS)
def test_check_errors_exactly_where_tensorflow_fails(measured, target, uploads):
    found = measured[target]
    wrong = [f"{u.kind}: {u.model} {u.tag_set} {u.name}: TensorFlow {u.tf_error or 'runs'}; "
             f"check {', '.join(u.check_codes) or 'nothing'}" for u in found if u.kind in ("false alarm", "miss")]
    counts = confusion(found)
    print(f"\n{target}: {len(found)} units from {len(MODELS)} SavedModels and {len(uploads)} damaged uploads: "
          f"{counts}")
    assert wrong == []
    # The measure means something only if both outcomes occur.
    assert counts["both fail"] >= 5 and counts["both run"] >= 20


def test_every_unit_of_every_model_is_measured(tensorflow_verdicts, measured, uploads):
    for target in TF_TARGETS:
        assert set(tensorflow_verdicts[target]) == {str(a.path) for a in MODELS + uploads}
        assert {u.model for u in measured[target]} == {a.id for a in MODELS + uploads}


def test_tensorflow_refuses_every_damaged_upload_and_check_says_where(tensorflow_verdicts, measured, uploads):
    """Every damaged copy fails to load in TensorFlow (else the damage proves nothing), under both
    loaders, and check reports a load error for it under every target, TF Serving's included."""
    assert len(uploads) >= 12
    for target in TF_TARGETS:
        for upload in uploads:
            verdicts = tensorflow_verdicts[target][str(upload.path)]
            assert any(v["load"] for v in verdicts.values()), (target, upload.id)
            load_units = [u for u in measured[target] if u.model == upload.id and u.name == "(load)"]
            assert all(u.kind == "both fail" for u in load_units if u.tf_fails), (target, upload.id)
    for upload in uploads:
        for target in ("tf-serving", "vertex"):
            codes = {f["code"] for f in check_findings(target, upload.path) if f["severity"] == "error"}
            assert codes & {"TFI201", "TFI210", "TFI211"}, (target, upload.id)


def test_loaders_disagree_where_the_targets_say(tensorflow_verdicts):
    """The two targets are different loaders: TensorFlow itself shows it on real files."""
    by_name = {a.id: str(a.path) for a in MODELS}
    python, v1 = tensorflow_verdicts["python"], tensorflow_verdicts["python-v1"]
    unfed = by_name["saved_model:fixtures/fault_unfed_placeholder"]
    assert "placeholder" in python[unfed][""]["load"]  # the TF2 loader refuses the model
    assert v1[unfed]["serve"]["load"] is None and "feed a value" in v1[unfed]["serve"]["signatures"]["serving_default"]
    table = by_name["saved_model:fixtures/fault_table_no_init"]
    assert python[table][""]["signatures"]["serving_default"] is None  # runs tables_initializer()
    assert "Table not initialized" in v1[table]["serve"]["signatures"]["serving_default"]


HEALTHY_FIXTURES = ("seed000", "seed001", "seed003", "tf2_module", "keras_export", "tf2_vocab_table",
                    "tf1_legacy_init_table")


def test_healthy_exports_give_no_error_under_tf_serving(tensorflow_verdicts):
    """Every export the TF1 loader (TF Serving's way of loading) runs fully, and that has a
    {serve} MetaGraph, passes `check` with its default target, except the fixtures made faulty on purpose."""
    checked = 0
    for artifact in MODELS:
        if artifact.source == "fixtures" and not artifact.id.split("/")[1].startswith(HEALTHY_FIXTURES):
            continue
        verdict = tensorflow_verdicts["python-v1"][str(artifact.path)].get("serve")
        if verdict is None or verdict["load"] or any(verdict["signatures"].values()):
            continue
        errors = [f for f in check_findings("tf-serving", artifact.path) if f["severity"] == "error"]
        assert errors == [], artifact.id
        checked += 1
    assert checked == 8 + (2 if corpus_available() else 0)  # + the Estimator and Keras exports
