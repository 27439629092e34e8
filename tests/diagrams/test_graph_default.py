"""The drawing `tfinspect graph` makes with no options: the model, for docs, laid out within the budget."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import time
import xml.etree.ElementTree as ET

import pytest
from conftest import fixture, run_cli
from test_graph import Drawing

import inspector

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot is not installed")

# A TF1 training graph as users write them: a two-layer LSTM in a tf.while_loop, a dense
# layer, a loss, Adam, a global step and a Saver; exported as a .meta and frozen as a .pb.
RNN_GRAPH = textwrap.dedent("""
    import sys
    import tensorflow as tf
    tf.compat.v1.disable_v2_behavior()
    out = sys.argv[1]
    H, T, D = 16, 5, 8
    graph = tf.Graph()
    with graph.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, T, D], name="input")

        def cell(inp, h, c, name, width):
            with tf.compat.v1.variable_scope(name):
                w = tf.compat.v1.get_variable("kernel", [width + H, 4 * H])
                b = tf.compat.v1.get_variable("bias", [4 * H], initializer=tf.compat.v1.zeros_initializer())
                i, j, f, o = tf.split(tf.nn.bias_add(tf.matmul(tf.concat([inp, h], 1), w), b), 4, axis=1)
                c = tf.sigmoid(f) * c + tf.sigmoid(i) * tf.tanh(j)
                return tf.sigmoid(o) * tf.tanh(c), c

        with tf.compat.v1.variable_scope("rnn"):
            steps = tf.TensorArray(tf.float32, size=T).unstack(tf.transpose(x, [1, 0, 2]))
            zeros = tf.zeros([tf.shape(x)[0], H])

            def body(t, h0, c0, h1, c1):
                with tf.compat.v1.variable_scope("multi_rnn_cell", reuse=tf.compat.v1.AUTO_REUSE):
                    h0, c0 = cell(steps.read(t), h0, c0, "cell_0", D)
                    h1, c1 = cell(h0, h1, c1, "cell_1", H)
                return t + 1, h0, c0, h1, c1

            last = tf.compat.v1.while_loop(lambda t, *a: t < T, body, [tf.constant(0)] + [zeros] * 4)[3]
        with tf.compat.v1.variable_scope("dense"):
            logits = tf.matmul(last, tf.compat.v1.get_variable("kernel", [H, 3])) + tf.compat.v1.get_variable(
                "bias", [3])
        probabilities = tf.nn.softmax(logits, name="probabilities")
        labels = tf.compat.v1.placeholder(tf.int64, [None], name="labels")
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits),
                              name="loss")
        step = tf.compat.v1.train.get_or_create_global_step()
        train = tf.compat.v1.train.AdamOptimizer().minimize(loss, global_step=step)
        saver = tf.compat.v1.train.Saver()
        tf.compat.v1.train.export_meta_graph(out + "/train.meta", graph=graph, saver_def=saver.as_saver_def())
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            frozen = tf.compat.v1.graph_util.convert_variables_to_constants(
                session, graph.as_graph_def(), ["probabilities"])
    open(out + "/frozen.pb", "wb").write(frozen.SerializeToString())
""")


@pytest.fixture(scope="module")
def rnn(tmp_path_factory):
    out = tmp_path_factory.mktemp("rnn")
    subprocess.run([sys.executable, "-c", RNN_GRAPH, str(out)], check=True, capture_output=True, timeout=300)
    return out


def svg_size(path) -> tuple[float, float]:
    root = ET.parse(path).getroot()
    return float(root.get("width").removesuffix("pt")), float(root.get("height").removesuffix("pt"))


def test_tf1_saved_model_draws_what_the_signature_computes(tf, tmp_path):
    saved = fixture("seed003", "SavedModel")
    result = run_cli("graph", saved, "-o", "-")
    assert result.code == 0, result.err
    drawing = Drawing(result.out)
    # TensorFlow's own answer for what the signature's output needs, from its input.
    with tf.Graph().as_default() as graph, tf.compat.v1.Session(graph=graph) as session:
        loaded = tf.compat.v1.saved_model.loader.load(session, ["serve"], str(saved))
        signature = loaded.signature_def["serving_default"]
        output = signature.outputs["ouputs"].name.split(":")[0]
        needed = tf.compat.v1.graph_util.extract_sub_graph(graph.as_graph_def(), [output])
    needed_names = {n.name for n in needed.node}
    assert set(drawing.nodes) <= needed_names
    assert not [n for n in drawing.nodes if n.startswith("save")]
    # The weights m and b are listed in the boxes of the ops that read them, not drawn.
    assert {"m", "b", "m/read", "b/read"} <= needed_names and not {"m", "b"} & set(drawing.nodes)
    labels = " ".join(o.get("label", "") for o in drawing.nodes.values())
    assert "m: float32[]" in labels and "b: float32[]" in labels
    assert "left out" in result.err and "--all" in result.err
    svg = tmp_path / "seed003.svg"
    assert run_cli("graph", saved, "-o", svg).code == 0
    width, height = svg_size(svg)
    assert width < 800 and height < 800, (width, height)
    everything = Drawing(run_cli("graph", saved, "--all", "-o", "-").out)
    assert {n for n in everything.nodes if n.startswith("save/")}


def test_tf1_training_meta_draws_the_model_without_its_machinery(tf, rnn, tmp_path):
    result = run_cli("graph", rnn / "train.meta", "-o", "-")
    assert result.code == 0, result.err
    drawing = Drawing(result.out)
    with tf.Graph().as_default() as graph:
        tf.compat.v1.train.import_meta_graph(str(rnn / "train.meta"))
    frames = {op.get_attr("frame_name").decode() for op in graph.get_operations() if op.type == "Enter"}
    assert "rnn/while/while_context" in frames
    # The loop frame is one box, the graph's inputs and outputs are drawn, the machinery is not.
    assert "rnn/while" in drawing.nodes and "nodes" in drawing.nodes["rnn/while"]["label"]
    assert not [n for n in drawing.nodes if n.startswith("rnn/while/")]
    assert {"input", "probabilities", "loss"} <= set(drawing.nodes)
    optimizer = {op.name for op in graph.get_operations() if op.name.startswith(("Adam", "gradients", "save"))}
    assert optimizer and not optimizer & set(drawing.nodes)
    assert len(drawing.nodes) <= 80
    assert "--all" in result.err


def test_tf1_frozen_graph_draws_quickly_with_weights_folded(tf, rnn, tmp_path):
    svg = tmp_path / "frozen.svg"
    start = time.perf_counter()
    result = run_cli("graph", rnn / "frozen.pb", "-o", svg)
    elapsed = time.perf_counter() - start
    assert result.code == 0, result.err
    assert elapsed < 10, f"{elapsed:.1f} s"
    drawing = Drawing(run_cli("graph", rnn / "frozen.pb", "-o", "-").out)
    graph_def = tf.compat.v1.GraphDef.FromString((rnn / "frozen.pb").read_bytes())
    consts = {n.name for n in graph_def.node if n.op == "Const"}
    assert "dense/kernel" in consts and "dense/kernel" not in drawing.nodes
    matmul = next(o for name, o in drawing.nodes.items() if name.startswith("dense/MatMul"))
    assert "kernel: float32[16,3]" in matmul["label"]
    assert "rnn/while" in drawing.nodes


def test_wrong_option_values_raise_the_error_the_command_prints():
    path = str(fixture("seed003", "SavedModel"))
    for keyword, flag, value in (("view", "--view", "layer"), ("edge_labels", "--edge-labels", "shapes"),
                                 ("depth", "--depth", 0), ("max_nodes", "--max-nodes", 0)):
        with pytest.raises(inspector.InspectorError) as raised:
            inspector.graph(path, **{keyword: value})
        result = run_cli("graph", path, flag, str(value), "-o", "-")
        assert result.code == 2 and not result.out
        assert result.err == f"tfinspect: error: {raised.value}\n"


def test_keras2_export_draws_its_layers_not_one_model_box(tf):
    from conformance.artifacts import CORPUS, corpus_available, require_corpus

    require_corpus()
    if not corpus_available():
        pytest.skip(f"the real-world corpus is not at {CORPUS}")
    export = CORPUS / "tfx" / "keras_serving"
    result = run_cli("graph", export, "-o", "-")
    assert result.code == 0, result.err
    drawing = Drawing(result.out)
    # TensorFlow's own reading of the export: the model's variables are named after their layers.
    from tensorflow.core.protobuf import saved_model_pb2

    saved = saved_model_pb2.SavedModel.FromString((export / "saved_model.pb").read_bytes())
    owners = {n.variable.name.split("/")[0] for n in saved.meta_graphs[0].object_graph_def.nodes
              if n.WhichOneof("kind") == "variable" and "/" in n.variable.name} - {"Adam"}  # its optimizer
    assert len(owners) >= 3, owners
    assert owners <= set(drawing.nodes), (owners, set(drawing.nodes))
    assert "functional_1" not in drawing.nodes


def graphs_under(folder) -> list:
    found = []
    for path in sorted(folder.rglob("*")):
        if path.name == "saved_model.pb":
            found.append(path.parent)
        elif path.suffix in (".meta", ".pbtxt") or path.name == "frozen_graph.pb":
            found.append(path)
    return found


def test_every_fixture_draws_by_default_within_the_budget(tmp_path):
    from conftest import ROOT

    artifacts = graphs_under(ROOT / "fixtures")
    assert len(artifacts) > 25
    assert_drawn_within_budget(artifacts, tmp_path)


def test_every_corpus_artifact_draws_by_default_within_the_budget(tmp_path):
    from conformance.artifacts import CORPUS, corpus_available, require_corpus

    require_corpus()
    if not corpus_available():
        pytest.skip(f"the real-world corpus is not at {CORPUS}")
    artifacts = graphs_under(CORPUS)
    assert len(artifacts) >= 9
    assert_drawn_within_budget(artifacts, tmp_path)


def assert_drawn_within_budget(artifacts, tmp_path) -> None:
    for artifact in artifacts:
        start = time.perf_counter()
        drawing = inspector.graph(artifact)
        svg = drawing.save(tmp_path / "drawing.svg")
        elapsed = time.perf_counter() - start
        assert elapsed < 10, f"{artifact}: {elapsed:.1f} s"
        boxes = Drawing(drawing.source).nodes
        assert 0 < len(boxes) <= 250, (artifact, len(boxes))
        width, height = svg_size(svg)
        assert width < 8000 and height < 8000, (artifact, width, height)
