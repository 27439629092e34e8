"""`check` on graphs without signatures: --inputs/--outputs, or the guessed ones, act as the signature."""

from __future__ import annotations

import pytest
from conftest import check_findings, fixture


def findings(*args) -> tuple[int, list[dict]]:
    return check_findings(*args, "--target", "python")


def test_frozen_graph_with_its_real_inputs_and_outputs_is_healthy(tf):
    path = fixture("seed003", "frozen_graph.pb")
    assert findings(path, "--inputs", "x:0", "--outputs", "y:0") == (0, [])
    assert findings(path) == (0, [])  # the guessed x -> y
    graph_def = tf.compat.v1.GraphDef.FromString(path.read_bytes())
    with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
        tf.import_graph_def(graph_def, name="")
        assert sess.run("y:0", {"x:0": 2.0}) == pytest.approx(2.0)


def test_an_output_that_does_not_exist(tf):
    path = fixture("seed003", "frozen_graph.pb")
    code, items = findings(path, "--inputs", "x:0", "--outputs", "nope:0")
    (item,) = items
    assert code == 1 and item["code"] == "TFI302" and item["signature_key"] == "(--inputs/--outputs)"
    graph_def = tf.compat.v1.GraphDef.FromString(path.read_bytes())
    with tf.Graph().as_default() as graph:
        tf.import_graph_def(graph_def, name="")
        with pytest.raises(KeyError, match="nope"):
            graph.get_tensor_by_name("nope:0")


def test_an_output_needing_a_placeholder_that_is_not_fed(tf):
    path = fixture("seed002", "model.meta")
    code, items = findings(path, "--inputs", "inputs/Placeholder_1:0", "--outputs", "model/add:0")
    (item,) = [f for f in items if f["code"] == "TFI304"]
    assert code == 1 and "inputs/Placeholder" in item["message"]
    with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
        tf.compat.v1.train.import_meta_graph(str(path)).restore(sess, str(fixture("seed002") / "model"))
        with pytest.raises(tf.errors.InvalidArgumentError, match="must feed a value for placeholder"):
            sess.run("model/add:0", {"inputs/Placeholder_1:0": [[1.0]]})


@pytest.mark.parametrize("name", ["seed003/model.meta", "seed002/model.meta", "seed002/graphdef.pbtxt",
                                  "seed004/results", "seed003/frozen_graph.pb"])
def test_healthy_graphs_without_signatures_have_no_findings_for_python(name):
    *folder, last = name.split("/")
    assert findings(fixture(*folder) / last) == (0, [])
