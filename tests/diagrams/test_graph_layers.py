"""The layer view of TF2/Keras SavedModels, held against the Keras model TensorFlow builds."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

import pytest
from conftest import fixture, run_cli
from test_graph import Drawing, draw

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot is not installed")

# Run in a child process: the Keras model's own layers, output shapes and weights.
KERAS_FACTS = """
import json, sys
import keras
import tensorflow as tf

def dims(shape):
    return ",".join("?" if d is None else str(d) for d in shape)

def describe(model):
    return [{"name": layer.name, "input": isinstance(layer, keras.layers.InputLayer),
             "output": f"{layer.output.dtype}[{dims(layer.output.shape)}]",
             "weights": [(w.path, f"{w.dtype}[{dims(w.shape)}]") for w in layer.weights]}
            for layer in model.layers]

facts = {}
if sys.argv[1] == "resnet50":
    model = keras.applications.ResNet50(weights=None)
    model.export(sys.argv[2])
    facts["layers"] = describe(model)
else:
    facts["layers"] = describe(keras.models.load_model(sys.argv[2]))
    module = tf.saved_model.load(sys.argv[3])
    sig = module.signatures["serving_default"]
    facts["tf2_outputs"] = {k: f"{v.dtype.name}[{dims(v.shape)}]" for k, v in sig.structured_outputs.items()}
    facts["tf2_variables"] = {name.split("/.ATTRIBUTES")[0]: f"float32[{dims(shape)}]"
                              for name, shape in tf.train.list_variables(sys.argv[3] + "/variables/variables")
                              if "/.ATTRIBUTES/VARIABLE_VALUE" in name}
print(json.dumps(facts))
"""


def keras_facts(*args: str) -> dict:
    done = subprocess.run([sys.executable, "-c", KERAS_FACTS, *args], capture_output=True, text=True,
                          check=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}, timeout=600)
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def small_facts() -> dict:
    return keras_facts("small", str(fixture("keras_files", "model.keras")), str(fixture("tf2_module")))


@pytest.fixture(scope="session")
def resnet50(tmp_path_factory) -> tuple:
    """A ResNet50 (weights=None: nothing is downloaded) exported by Keras, and its layers."""
    export = tmp_path_factory.mktemp("resnet50") / "export"
    return export, keras_facts("resnet50", str(export))["layers"]


def assert_layers_match(drawing: Drawing, layers: list[dict]) -> None:
    """Every Keras layer is one box, named as Keras names it, its weights inside, its output on its edges."""
    for layer in layers:
        if layer["input"]:
            continue
        name = layer["name"]
        assert name in drawing.nodes, name
        label = drawing.nodes[name]["label"]
        for path, spec in layer["weights"]:
            assert f"{path.removeprefix(name + '/')}: {spec}" in label, (name, path, label)
        out = {e.get("label") for t, h, e in drawing.edges if t == name}
        assert out == {layer["output"]}, (name, out)
    drawn_layers = {n for n, o in drawing.nodes.items() if o.get("shape") not in ("invhouse", "house")}
    assert drawn_layers == {layer["name"] for layer in layers if not layer["input"]}


def test_keras_export_is_drawn_as_its_layers(small_facts):
    drawing, _ = draw(str(fixture("keras_export")), "--signature", "serving_default")
    assert_layers_match(drawing, small_facts["layers"])
    assert ("features", "hidden") in drawing.pairs() and ("probabilities", "output_0") in drawing.pairs()
    assert not [n for n in drawing.nodes if "PartitionedCall" in n or "VarHandleOp" in drawing.nodes[n]["label"]]
    ops, _ = draw(str(fixture("keras_export")), "--signature", "serving_default", "--view", "ops")
    assert "StatefulPartitionedCall_1" in ops.nodes


def test_default_drawing_of_a_keras_export_is_the_serving_signature(small_facts):
    result = run_cli("graph", str(fixture("keras_export")), "-o", "-")
    assert result.code == 0 and "serving_default" in result.err and "--view ops" in result.err
    assert_layers_match(Drawing(result.out), small_facts["layers"])


def test_tf2_module_variables_are_named_by_their_object_path(small_facts):
    drawing, _ = draw(str(fixture("tf2_module")), "--signature", "serving_default")
    labels = "\n".join(o["label"] for o in drawing.nodes.values())
    assert small_facts["tf2_variables"]
    for path, spec in small_facts["tf2_variables"].items():
        if path in ("weight", "bias"):  # the variables serving_default reads
            assert f"{path}: {spec}" in labels
    output = next(n for n, o in drawing.nodes.items() if o.get("shape") == "house")
    assert {e.get("label") for t, h, e in drawing.edges if h == output} == set(small_facts["tf2_outputs"].values())


def test_depth_opens_layers_into_their_ops():
    drawing, _ = draw(str(fixture("keras_export")), "--signature", "serving_default", "--depth", "2")
    clusters = {c.get("label") for c in drawing.clusters.values()}
    assert {"hidden", "probabilities"} <= clusters
    assert {"hidden/MatMul", "hidden/BiasAdd", "hidden/Relu"} <= set(drawing.nodes)


def test_layer_view_refuses_ops_only_options():
    result = run_cli("graph", str(fixture("keras_export")), "--view", "layers", "--expand-calls", "-o", "-")
    assert result.code == 2 and not result.out and "--view ops" in result.err
    tf1 = run_cli("graph", str(fixture("seed003", "SavedModel")), "--view", "layers",
                  "--signature", "serving_default", "-o", "-")
    assert tf1.code == 2 and "--view ops" in tf1.err


def test_resnet50_layer_view(resnet50, tmp_path):
    export, layers = resnet50
    assert len(layers) > 170
    start = time.perf_counter()
    target = tmp_path / "resnet50.svg"
    result = run_cli("graph", str(export), "--signature", "serving_default", "-o", str(target))
    elapsed = time.perf_counter() - start
    assert result.code == 0, result.err
    assert elapsed < 60, f"ResNet50 took {elapsed:.1f} s to draw"
    drawing, _ = draw(str(export), "--signature", "serving_default")
    assert_layers_match(drawing, layers)


def test_recursive_calls_are_drawn_as_calls_not_followed(tmp_path):
    from inspector import protos

    # The Keras export's model body made to call its own signature wrapper, which calls it back.
    export = tmp_path / "keras_export"
    shutil.copytree(fixture("keras_export"), export)
    saved = protos.SavedModel.FromString((export / "saved_model.pb").read_bytes())
    library = saved.meta_graphs[0].graph_def.library
    body = next(f for f in library.function if f.signature.name.startswith("__inference___call__"))
    wrapper = next(f for f in library.function if f.signature.name.startswith("__inference_signature_wrapper"))
    call = body.node_def.add()
    call.name = "again"
    call.op = "StatefulPartitionedCall"
    call.input.extend(a.name for a in body.signature.input_arg)
    call.attr["f"].func.name = wrapper.signature.name
    (export / "saved_model.pb").write_bytes(saved.SerializeToString())
    start = time.perf_counter()
    drawing, _ = draw(str(export), "--signature", "serving_default")
    assert time.perf_counter() - start < 30
    assert "StatefulPartitionedCall" in drawing.nodes["again"]["label"]
    assert {"hidden", "probabilities"} <= set(drawing.nodes)


def test_gallery_images_exist():
    from conftest import ROOT

    gallery = (ROOT / "docs" / "pages" / "gallery.md").read_text()
    images = [ROOT / "docs" / "pages" / line.split("](")[1].rstrip(")") for line in gallery.splitlines()
              if line.startswith("![")]
    assert len(images) >= 5
    for image in images:
        assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and image.stat().st_size < 200_000, image


def _drop_call_args(meta_graph) -> None:
    body = next(f for f in meta_graph.graph_def.library.function
                if f.signature.name.startswith("__inference___call__"))
    body.signature.ClearField("input_arg")


def _bound_input_past_the_object_graph(meta_graph) -> None:
    for concrete in meta_graph.object_graph_def.concrete_functions.values():
        if concrete.bound_inputs:
            concrete.bound_inputs[0] = 9999


@pytest.mark.parametrize("edit", [_drop_call_args, _bound_input_past_the_object_graph])
def test_damaged_tf2_exports_still_draw(tmp_path, edit):
    from inspector import protos

    export = tmp_path / "keras_export"
    shutil.copytree(fixture("keras_export"), export)
    saved = protos.SavedModel.FromString((export / "saved_model.pb").read_bytes())
    edit(saved.meta_graphs[0])
    (export / "saved_model.pb").write_bytes(saved.SerializeToString())
    drawing, _ = draw(str(export), "--signature", "serving_default")  # exit 0, DOT that dot accepts
    for layer in ("hidden", "probabilities"):  # without named weights the scope keeps TF's suffix
        assert [n for n in drawing.nodes if n.startswith(layer)], layer


def test_function_outputs_take_the_concrete_function_spec(tmp_path, small_facts):
    from inspector import protos

    # Without any _output_shapes in the body, the result's shape still comes from the
    # object graph's concrete-function output spec.
    export = tmp_path / "keras_export"
    shutil.copytree(fixture("keras_export"), export)
    saved = protos.SavedModel.FromString((export / "saved_model.pb").read_bytes())
    body = next(f for f in saved.meta_graphs[0].graph_def.library.function
                if f.signature.name.startswith("__inference___call__"))
    for node in body.node_def:
        del node.attr["_output_shapes"]
    (export / "saved_model.pb").write_bytes(saved.SerializeToString())
    drawing, _ = draw(str(export), "--function", body.signature.name)
    output = next(o for o in drawing.nodes.values() if o.get("shape") == "house")
    probabilities = next(layer for layer in small_facts["layers"] if layer["name"] == "probabilities")
    assert output["label"].endswith(probabilities["output"])
