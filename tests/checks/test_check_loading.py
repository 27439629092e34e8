"""`tfinspect check`: the engine, the CLI, and the loading / artifact rules (TFI1xx, TFI6xx)."""

from __future__ import annotations

import json

import pytest
from conftest import check_findings, copy_fixture, fixture, run_cli

HEALTHY = ["seed003/SavedModel", "seed000/exported_model", "seed001/mnist", "seed001/mnist/1", "tf2_module",
           "keras_export"]


findings = check_findings


def codes(items: list[dict]) -> set[str]:
    return {f["code"] for f in items}


def _saved_model_proto(path):
    from tensorflow.core.protobuf import saved_model_pb2

    return saved_model_pb2.SavedModel.FromString(path.read_bytes())


@pytest.mark.parametrize("target", ["tf-serving", "vertex", "python"])
@pytest.mark.parametrize("name", HEALTHY)
def test_healthy_exports_have_no_errors(name, target):
    code, items = findings(fixture(*name.split("/")), "--target", target)
    errors = [f for f in items if f["severity"] == "error"]
    assert errors == [] and code == 0, errors


def test_missing_saved_model_pb(tmp_path, tf):
    folder = copy_fixture(tmp_path, "seed003", "SavedModel")
    (folder / "saved_model.pb").unlink()
    code, items = findings(folder)
    assert code == 1 and codes(items) == {"TFI101"}
    assert items[0]["signature_key"] is None and "saved_model.pb" in items[0]["message"]
    with pytest.raises(OSError, match="SavedModel file does not exist"):
        tf.saved_model.load(str(folder))


def test_text_only_saved_model_is_a_warning(tmp_path, tf):
    from google.protobuf import text_format

    folder = copy_fixture(tmp_path, "seed003", "SavedModel")
    proto = _saved_model_proto(folder / "saved_model.pb")
    (folder / "saved_model.pbtxt").write_text(text_format.MessageToString(proto))
    (folder / "saved_model.pb").unlink()
    code, items = findings(folder, "--select", "TFI1")
    assert code == 0 and [f["code"] for f in items] == ["TFI102"] and items[0]["severity"] == "warning"
    assert run_cli("check", folder, "--select", "TFI1", "--strict").code == 1


def test_no_serve_tag_set(tmp_path, tf):
    folder = copy_fixture(tmp_path, "seed003", "SavedModel")
    proto = _saved_model_proto(folder / "saved_model.pb")
    del proto.meta_graphs[0].meta_info_def.tags[:]
    proto.meta_graphs[0].meta_info_def.tags.extend(["serve", "gpu"])
    (folder / "saved_model.pb").write_bytes(proto.SerializeToString())
    code, items = findings(folder)
    assert code == 1 and "TFI103" in codes(items)
    (item,) = [f for f in items if f["code"] == "TFI103"]
    assert "{serve,gpu}" in item["message"]
    _, python_items = findings(folder, "--target", "python")
    assert "TFI103" not in codes(python_items)  # tf.saved_model.load takes the only MetaGraph
    with tf.Graph().as_default(), tf.compat.v1.Session() as sess, \
            pytest.raises(RuntimeError, match="could not be found in SavedModel"):
        tf.compat.v1.saved_model.loader.load(sess, ["serve"], str(folder))


@pytest.mark.parametrize("name", ["seed003/frozen_graph.pb", "seed003/model.meta"])
def test_graph_files_are_not_servable(name, tf):
    path = fixture(*name.split("/"))
    code, items = findings(path)
    assert code == 1 and "TFI104" in codes(items)
    _, python_items = findings(path, "--target", "python")
    assert "TFI104" not in codes(python_items)
    with pytest.raises(OSError):
        tf.saved_model.load(str(path))


def test_more_than_one_main_op(tmp_path, tf):
    folder = copy_fixture(tmp_path, "seed001", "mnist", "2")
    proto = _saved_model_proto(folder / "saved_model.pb")
    main_ops = proto.meta_graphs[0].collection_def["saved_model_main_op"].node_list.value
    main_ops.append("init")
    (folder / "saved_model.pb").write_bytes(proto.SerializeToString())
    code, items = findings(folder)
    (item,) = [f for f in items if f["code"] == "TFI105"]
    assert code == 1 and item["severity"] == "error" and "holds 2 ops" in item["message"]
    with tf.Graph().as_default(), tf.compat.v1.Session() as sess, \
            pytest.raises(RuntimeError, match="Expected exactly one SavedModel (init|main) op"):
        tf.compat.v1.saved_model.loader.load(sess, ["serve"], str(folder))


def test_legacy_init_op_beside_main_op_is_ignored_and_said(tmp_path):
    folder = copy_fixture(tmp_path, "seed001", "mnist", "2")
    proto = _saved_model_proto(folder / "saved_model.pb")
    meta = proto.meta_graphs[0]
    meta.collection_def["legacy_init_op"].node_list.value.append("init")
    (folder / "saved_model.pb").write_bytes(proto.SerializeToString())
    code, items = findings(folder)
    assert code == 0
    (item,) = [f for f in items if f["code"] == "TFI105"]
    assert item["severity"] == "warning" and item["location"] == "legacy_init_op"


def test_init_op_signature_without_its_output(tmp_path, tf):
    folder = copy_fixture(tmp_path, "tf2_module")
    proto = _saved_model_proto(folder / "saved_model.pb")
    outputs = proto.meta_graphs[0].signature_def["__saved_model_init_op"].outputs
    outputs["renamed"].CopyFrom(outputs["__saved_model_init_op"])
    del outputs["__saved_model_init_op"]
    (folder / "saved_model.pb").write_bytes(proto.SerializeToString())
    code, items = findings(folder, "--target", "python")
    assert code == 1 and "TFI105" in codes(items)
    with tf.Graph().as_default(), tf.compat.v1.Session() as sess, \
            pytest.raises(tf.errors.NotFoundError, match="__saved_model_init_op"):
        tf.compat.v1.saved_model.loader.load(sess, ["serve"], str(folder))


def test_const_without_value(tmp_path, tf):
    target = copy_fixture(tmp_path, "seed003", "frozen_graph.pb")
    graph_def = tf.compat.v1.GraphDef.FromString(target.read_bytes())
    (node,) = [n for n in graph_def.node if n.name == "m"]
    del node.attr["value"]
    target.write_bytes(graph_def.SerializeToString())
    code, items = findings(target, "--target", "python")
    (item,) = [f for f in items if f["code"] == "TFI106"]
    assert code == 1 and item["location"] == "m" and "no value" in item["message"]
    with tf.Graph().as_default(), pytest.raises(ValueError, match="value"):
        tf.import_graph_def(graph_def, name="")


def test_const_content_shorter_than_its_shape(tmp_path, tf):
    import numpy as np

    target = copy_fixture(tmp_path, "seed003", "frozen_graph.pb")
    graph_def = tf.compat.v1.GraphDef.FromString(target.read_bytes())
    (node,) = [n for n in graph_def.node if n.name == "m"]
    tensor = node.attr["value"].tensor
    tensor.tensor_shape.dim.add(size=4)
    tensor.ClearField("float_val")
    tensor.tensor_content = np.zeros(3, dtype=np.float32).tobytes()  # 12 bytes for 4 floats
    target.write_bytes(graph_def.SerializeToString())
    code, items = findings(target, "--target", "python")
    (item,) = [f for f in items if f["code"] == "TFI106"]
    assert code == 1 and "12 bytes" in item["message"] and "16" in item["message"]
    # The graph imports, and fails when the constant is first evaluated.
    with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
        tf.import_graph_def(graph_def, name="")
        with pytest.raises(tf.errors.InvalidArgumentError, match="Cannot parse tensor from proto"):
            sess.run("m:0")


def test_large_const_is_a_warning(tmp_path, tf):
    import numpy as np

    target = copy_fixture(tmp_path, "seed003", "frozen_graph.pb")
    graph_def = tf.compat.v1.GraphDef.FromString(target.read_bytes())
    (node,) = [n for n in graph_def.node if n.name == "m"]
    tensor = node.attr["value"].tensor
    tensor.tensor_shape.dim.add(size=5_000_000)
    tensor.ClearField("float_val")
    tensor.tensor_content = np.ones(5_000_000, dtype=np.float32).tobytes()
    target.write_bytes(graph_def.SerializeToString())
    _, items = findings(target, "--target", "python")
    (item,) = [f for f in items if f["code"] == "TFI602"]
    assert item["severity"] == "warning" and "19.1 MiB" in item["message"]


# -- the command ------------------------------------------------------------------------
def test_list_rules_and_explain():
    listed = run_cli("check", "--list-rules", "--json").json()["rules"]
    assert {"TFI101", "TFI103", "TFI105", "TFI106"} <= {r["code"] for r in listed}
    assert all(r["explanation"] and r["summary"] for r in listed)
    text = run_cli("check", "--explain", "tfi103")
    assert text.code == 0 and "exactly" in text.out and "{serve}" in text.out
    unknown = run_cli("check", "--explain", "TFI999")
    assert unknown.code == 2 and "no rule" in unknown.err


def test_select_ignore_and_target(tmp_path):
    path = fixture("seed003", "frozen_graph.pb")
    assert "TFI104" not in codes(findings(path, "--ignore", "TFI104")[1])
    assert codes(findings(path, "--select", "TFI6")[1]) <= {"TFI601", "TFI602"}
    bad = run_cli("check", path, "--select", "XYZ")
    assert bad.code == 2 and "XYZ" in bad.err


def test_sarif_output_for_code_scanning():
    result = run_cli("check", fixture("seed003", "frozen_graph.pb"), "--format", "sarif")
    assert result.code == 1
    log = json.loads(result.out)
    assert log["version"] == "2.1.0"
    run = log["runs"][0]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    (res,) = [r for r in run["results"] if r["ruleId"] == "TFI104"]
    assert res["level"] == "error" and rule_ids[res["ruleIndex"]] == "TFI104"
    assert res["properties"] == {"stage": "load"}
    assert res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith("frozen_graph.pb")


def test_table_report_reads_like_a_note(tmp_path):
    folder = copy_fixture(tmp_path, "seed003", "SavedModel")
    (folder / "saved_model.pb").unlink()
    result = run_cli("check", folder)
    assert result.code == 1
    assert "TFI101" in result.out and "fix:" in result.out and "1 error" in result.out


def test_unreadable_input_exits_2(tmp_path):
    missing = tmp_path / "nothing"
    result = run_cli("check", missing)
    assert result.code == 2 and result.out == "" and str(missing) in result.err


@pytest.mark.parametrize("name", ["seed003/frozen_graph.pb", "ckpt_v1", "ckpt_dtypes"])
def test_not_a_saved_model_suggests_io_only_where_io_answers(name):
    path = fixture(*name.split("/"))
    (finding,) = [f for f in findings(path)[1] if f["code"] == "TFI104"]
    io = run_cli("io", path)
    assert ("tfinspect io" in finding["hint"]) == (io.code == 0), (finding["hint"], io.err)
    assert "tf.compat.v1.saved_model.Builder" in finding["hint"] or "tf.saved_model.save" in finding["hint"]


def _misnamed(tmp_path, encoding: str):
    """A SavedModel whose graph file's name promises the other encoding than its content."""
    from google.protobuf import text_format

    folder = copy_fixture(tmp_path, "seed000", "exported_model")
    binary = folder / "saved_model.pb"
    if encoding == "binary":  # a binary proto renamed saved_model.pbtxt
        binary.rename(folder / "saved_model.pbtxt")
    else:  # a text proto written as saved_model.pb
        binary.write_text(text_format.MessageToString(_saved_model_proto(binary)))
    return folder


@pytest.mark.parametrize(("content", "tf_error"), [("binary", UnicodeDecodeError), ("text", OSError)])
def test_graph_file_named_against_its_content(tmp_path, tf, content, tf_error):
    """TensorFlow parses saved_model.pb as binary and saved_model.pbtxt as text, whatever they hold."""
    folder = _misnamed(tmp_path, content)
    with pytest.raises(tf_error):
        tf.saved_model.load(str(folder))
    with tf.compat.v1.Session(graph=tf.Graph()) as session, pytest.raises(tf_error):
        tf.compat.v1.saved_model.loader.load(session, ["serve"], str(folder))
    for target in ("tf-serving", "vertex", "python", "python-v1"):
        code, items = findings(folder, "--target", target)
        assert code == 1 and [f["code"] for f in items if f["severity"] == "error"] == ["TFI212"], target
        assert "TFI102" not in codes(items)
    # tfinspect still shows what the file holds, and says what TensorFlow will do with it
    shown = run_cli("show", folder)
    assert shown.code == 0 and "serving_default" in shown.out and "parses a file of that name" in shown.out


def test_a_text_saved_model_named_pbtxt_is_not_misnamed(tmp_path, tf):
    from google.protobuf import text_format

    folder = copy_fixture(tmp_path, "seed000", "exported_model")
    text = text_format.MessageToString(_saved_model_proto(folder / "saved_model.pb"))
    (folder / "saved_model.pbtxt").write_text(text)
    (folder / "saved_model.pb").unlink()
    tf.saved_model.load(str(folder))  # TensorFlow loads it
    code, items = findings(folder, "--select", "TFI1,TFI212")
    assert code == 0 and codes(items) == {"TFI102"}


def test_training_model_dir_names_its_newest_export(tmp_path):
    """An Estimator model_dir: check, request and metadata name the export instead of judging the training graph."""
    import shutil

    from conformance.artifacts import CORPUS, require_corpus

    require_corpus()
    corpus = CORPUS / "tfx" / "estimator_training"
    if not corpus.is_dir():
        pytest.skip("the corpus is not beside the clone")
    model_dir = tmp_path / "model_dir"
    shutil.copytree(corpus, model_dir)
    newest = model_dir / "export" / "chicago-taxi" / "1646034756"
    older = model_dir / "export" / "chicago-taxi" / "1646000000"
    shutil.copytree(newest, older)
    for target in ("tf-serving", "python"):
        code, items = findings(model_dir, "--target", target)
        by_code = {f["code"]: f for f in items}
        assert str(newest) in by_code["TFI213"]["message"], target
        assert set(by_code) <= {"TFI104", "TFI213", "TFI210", "TFI211"}, target
    assert "TFI104" in codes(findings(model_dir)[1])
    for command in ("request", "metadata"):
        result = run_cli(command, model_dir)
        assert result.code == 2 and str(newest) in result.err and result.out == ""
    # the export itself is what check judges
    code, items = findings(newest)
    assert code == 0


# What TensorFlow and Keras write beside saved_model.pb and never without it.
SAVED_MODEL_PARTS = ("variables", "assets", "assets.extra", "fingerprint.pb", "keras_metadata.pb")


@pytest.mark.parametrize("part", SAVED_MODEL_PARTS)
def test_partial_saved_model_is_one_fact_for_show_and_check(tmp_path, part):
    """A folder with one SavedModel part and no graph file: show refuses it and check reports TFI101,
    both naming the part, because both ask the same fact."""
    folder = tmp_path / "export"
    folder.mkdir()
    if "." in part and not part.startswith("assets"):
        (folder / part).write_bytes(b"")
    else:
        (folder / part).mkdir()
        (folder / part / "x").write_bytes(b"1")
    shown = run_cli("show", folder)
    assert shown.code == 2 and shown.out == "" and f"holds {part} but no saved_model.pb" in shown.err
    for target in ("tf-serving", "python"):
        code, items = findings(folder, "--target", target)
        assert code == 1 and [(f["code"], f["rule"]) for f in items] == [("TFI101", "missing-saved-model-pb")]
        assert f"has {part} but no saved_model.pb" in items[0]["message"]
    ignored = run_cli("check", folder, "--ignore", "TFI101")
    assert ignored.code == 2 and part in ignored.err


def test_a_folder_of_other_files_is_not_a_partial_saved_model(tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "notes.txt").write_text("hello")
    (folder / "variables.txt").write_text("hello")
    for command in ("show", "check"):
        result = run_cli(command, folder)
        assert result.code == 2 and "holds no TensorFlow model" in result.err, command
