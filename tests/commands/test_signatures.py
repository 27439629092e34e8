"""`tfinspect signatures`: SignatureDefs and TF2 concrete functions, confirmed by TensorFlow."""

from __future__ import annotations

import pytest
from conftest import copy_fixture, fixture, run_cli

SAVED_MODELS = [("seed003", "SavedModel"), ("seed000", "exported_model"), ("seed001", "mnist", "2"),
                ("tf2_module",), ("keras_export",)]


def _tf_shape(tf, proto):
    shape = tf.TensorShape(proto)
    if shape.rank is None:
        return None
    return [-1 if d is None else d for d in shape.as_list()]


def _dtype(tf, enum):
    from tensorflow.core.framework import types_pb2

    return types_pb2.DataType.Name(enum)


@pytest.mark.parametrize("parts", SAVED_MODELS, ids="/".join)
def test_signatures_equal_what_tensorflow_loads(tf, parts):
    path = fixture(*parts)
    data = run_cli("signatures", path, "--json").json()["signatures"]
    with tf.Graph().as_default() as graph, tf.compat.v1.Session(graph=graph) as sess:
        meta = tf.compat.v1.saved_model.loader.load(sess, ["serve"], str(path))
        expected = {}
        for key, sig in meta.signature_def.items():
            tensors = {}
            for direction, infos in (("inputs", sig.inputs), ("outputs", sig.outputs)):
                tensors[direction] = sorted(
                    (alias, info.name, _dtype(tf, info.dtype), _tf_shape(tf, info.tensor_shape))
                    for alias, info in infos.items())
                for info in infos.values():
                    if info.name and info.dtype:  # the tensor really exists in the loaded graph
                        assert graph.get_tensor_by_name(info.name).dtype.as_datatype_enum == info.dtype
            expected[key] = (sig.method_name, tensors["inputs"], tensors["outputs"])
    got = {
        s["signature_key"]: (s["method_name"],
                             sorted((t["alias"], t["tensor_name"], t["dtype"], t["shape"]) for t in s["inputs"]),
                             sorted((t["alias"], t["tensor_name"], t["dtype"], t["shape"]) for t in s["outputs"]))
        for s in data
    }
    assert got == expected
    assert all(s["tag_set"] == ["serve"] for s in data)
    assert {s["signature_key"] for s in data if s["internal"]} == \
        {k for k in expected if k in ("__saved_model_init_op", "__saved_model_train_op")}


def test_internal_signature_is_marked_in_the_table():
    result = run_cli("signatures", fixture("tf2_module"))
    assert result.code == 0, result.err
    (line,) = [x for x in result.out.splitlines() if "__saved_model_init_op" in x and "signature" in x]
    assert "internal" in line


def _by_path(entries, path):
    (entry,) = [e for e in entries if e["path"] == path]
    return entry


def _spec_facts(spec):
    shape = None if spec.shape.rank is None else [-1 if d is None else d for d in spec.shape.as_list()]
    return spec.name, spec.dtype.as_datatype_enum, shape


def _our_facts(tf, arg):
    tensor = arg["tensor"]
    return tensor["name"], tf.dtypes.as_dtype(tensor["dtype"].removeprefix("DT_").lower()).as_datatype_enum, \
        tensor["shape"]


def test_tf2_module_concrete_functions_agree_with_tensorflow(tf):
    path = fixture("tf2_module")
    entries = run_cli("signatures", path, "--json").json()["concrete_functions"]
    loaded = tf.saved_model.load(str(path))
    for key in ("serving_default", "classify"):
        args, kwargs = loaded.signatures[key].structured_input_signature
        assert args == ()
        entry = _by_path(entries, f"signatures/{key}")
        assert {a["name"]: _our_facts(tf, a) for a in entry["inputs"]} == \
            {k: _spec_facts(v) for k, v in kwargs.items()}
        assert {a["name"]: a["spec"] for a in entry["inputs"]} == {k: repr(v) for k, v in kwargs.items()}
    (concrete,) = loaded.classify.concrete_functions
    args, kwargs = concrete.structured_input_signature
    entry = _by_path(entries, "classify")
    assert [a["spec"] for a in entry["inputs"]] == [repr(s) for s in args]
    assert [_our_facts(tf, a) for a in entry["inputs"]] == [_spec_facts(s) for s in args]
    outputs = concrete.structured_outputs
    assert {a["name"]: a["tensor"]["dtype"] for a in entry["outputs"]} == \
        {k: _dtype(tf, v.dtype.as_datatype_enum) for k, v in outputs.items()}


def test_keras_export_concrete_functions_agree_with_tensorflow(tf):
    path = fixture("keras_export")
    entries = run_cli("signatures", path, "--json").json()["concrete_functions"]
    loaded = tf.saved_model.load(str(path))
    _, kwargs = loaded.signatures["serving_default"].structured_input_signature
    entry = _by_path(entries, "signatures/serving_default")
    assert {a["name"]: _our_facts(tf, a) for a in entry["inputs"]} == {k: _spec_facts(v) for k, v in kwargs.items()}
    (concrete,) = loaded.serve.concrete_functions
    args, _ = concrete.structured_input_signature
    entry = _by_path(entries, "serve")
    assert [a["spec"] for a in entry["inputs"]] == [repr(s) for s in args]


def test_concrete_functions_are_shown_in_the_table():
    result = run_cli("signatures", fixture("tf2_module"))
    assert "Concrete functions" in result.out
    assert "TensorSpec(shape=(None, 3), dtype=tf.float32, name='x')" in result.out


def test_frozen_graph_has_no_signatures():
    path = fixture("seed003", "frozen_graph.pb")
    table = run_cli("signatures", path)
    assert table.code == 0, table.err
    assert "No signatures" in table.out
    data = run_cli("signatures", path, "--json")
    assert data.code == 0 and data.json()["signatures"] == []


def test_one_signature_by_key_and_unknown_key():
    path = fixture("tf2_module")
    data = run_cli("signatures", path, "--signature", "classify", "--json").json()["signatures"]
    assert [s["signature_key"] for s in data] == ["classify"]
    bad = run_cli("signatures", path, "--signature", "nope")
    assert bad.code == 2 and bad.out == ""
    assert "nope" in bad.err and "classify" in bad.err and "serving_default" in bad.err
    assert len(bad.err.strip().splitlines()) == 1 and "Traceback" not in bad.err


def test_unknown_tag_set_is_a_selection_error():
    bad = run_cli("signatures", fixture("tf2_module"), "--tag-set", "train")
    assert bad.code == 2 and bad.out == "" and "serve" in bad.err


def test_hostile_alias_prints_literally(tmp_path):
    from tensorflow.core.protobuf import saved_model_pb2

    model = copy_fixture(tmp_path, "seed003", "SavedModel")
    proto = saved_model_pb2.SavedModel()
    proto.ParseFromString((model / "saved_model.pb").read_bytes())
    sig = proto.meta_graphs[0].signature_def["serving_default"]
    sig.inputs["[red]x"].CopyFrom(sig.inputs["inputs"])
    (model / "saved_model.pb").write_bytes(proto.SerializeToString())
    result = run_cli("signatures", model)
    assert result.code == 0, result.err
    assert "[red]x" in result.out
    data = run_cli("signatures", model, "--json").json()["signatures"]
    assert "[red]x" in [t["alias"] for t in data[0]["inputs"] + data[-1]["inputs"]]
