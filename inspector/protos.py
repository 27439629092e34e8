"""The protocol-buffer classes TensorFlow generates, without starting TensorFlow.

Importing ``tensorflow`` runs ``tensorflow/__init__.py``, which loads the native
runtime and takes seconds.  The generated ``*_pb2`` modules inside the wheel need
nothing of that: they only need the ``protobuf`` package.  This module imports
them under their real names (``tensorflow.core.protobuf.meta_graph_pb2`` ...)
while a placeholder stands in for the top-level ``tensorflow`` package, then
removes the placeholder.  A later ``import tensorflow`` therefore runs the real
package initialiser and finds the same proto modules already loaded, so the
classes are shared and nothing is registered twice in protobuf's descriptor
pool.

This is the only module of the project that knows where the proto classes live.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types

from .errors import InspectorError

_MODULES = {
    "attr_value": "tensorflow.core.framework.attr_value_pb2",
    "function": "tensorflow.core.framework.function_pb2",
    "graph": "tensorflow.core.framework.graph_pb2",
    "node_def": "tensorflow.core.framework.node_def_pb2",
    "op_def": "tensorflow.core.framework.op_def_pb2",
    "tensor": "tensorflow.core.framework.tensor_pb2",
    "tensor_shape": "tensorflow.core.framework.tensor_shape_pb2",
    "types": "tensorflow.core.framework.types_pb2",
    "variable": "tensorflow.core.framework.variable_pb2",
    "versions": "tensorflow.core.framework.versions_pb2",
    "meta_graph": "tensorflow.core.protobuf.meta_graph_pb2",
    "saved_model": "tensorflow.core.protobuf.saved_model_pb2",
    "saved_object_graph": "tensorflow.core.protobuf.saved_object_graph_pb2",
    "saver": "tensorflow.core.protobuf.saver_pb2",
    "struct": "tensorflow.core.protobuf.struct_pb2",
    "tensor_bundle": "tensorflow.core.protobuf.tensor_bundle_pb2",
    "trackable_object_graph": "tensorflow.core.protobuf.trackable_object_graph_pb2",
    "fingerprint": "tensorflow.core.protobuf.fingerprint_pb2",
    "queue_runner": "tensorflow.core.protobuf.queue_runner_pb2",
    "control_flow": "tensorflow.core.protobuf.control_flow_pb2",
    "example": "tensorflow.core.example.example_pb2",
    "saved_tensor_slice": "tensorflow.core.util.saved_tensor_slice_pb2",
}
# Lives under tensorflow/python, whose package __init__ must not run.
_CHECKPOINT_STATE = "tensorflow.python.training.checkpoint_state_pb2"


class ProtosUnavailable(InspectorError, ImportError):
    """TensorFlow's generated proto modules could not be found or imported: one line, exit 2."""

    def __init__(self, problem: str):
        super().__init__(None, problem)


def _import_all() -> dict[str, types.ModuleType]:
    spec = importlib.util.find_spec("tensorflow")
    if spec is None or not spec.submodule_search_locations:
        raise ProtosUnavailable(
            "the tensorflow package is not installed; tfinspect reads its proto "
            "schemas (pip install 'tensorflow>=2.12')"
        )
    placeholder = None
    if "tensorflow" not in sys.modules:
        placeholder = types.ModuleType("tensorflow")
        placeholder.__path__ = list(spec.submodule_search_locations)
        placeholder.__spec__ = spec
        placeholder.__file__ = spec.origin
        sys.modules["tensorflow"] = placeholder
    try:
        loaded = {key: importlib.import_module(name) for key, name in _MODULES.items()}
        loaded["checkpoint_state"] = _import_by_file(_CHECKPOINT_STATE, spec)
    except Exception as exc:  # a broken or incompatible wheel
        raise ProtosUnavailable(f"cannot import TensorFlow's proto modules: {exc}") from exc
    finally:
        if placeholder is not None and sys.modules.get("tensorflow") is placeholder:
            del sys.modules["tensorflow"]
    return loaded


def _import_by_file(name: str, tf_spec) -> types.ModuleType:
    """Import a module from its file without running its parent packages."""
    if name in sys.modules:
        return sys.modules[name]
    root = tf_spec.submodule_search_locations[0]
    relative = name.split(".", 1)[1].replace(".", "/") + ".py"
    file_spec = importlib.util.spec_from_file_location(name, f"{root}/{relative}")
    if file_spec is None or file_spec.loader is None:
        raise ProtosUnavailable(f"cannot find {relative} in the tensorflow package")
    module = importlib.util.module_from_spec(file_spec)
    sys.modules[name] = module
    try:
        file_spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


_pb = _import_all()

attr_value_pb2 = _pb["attr_value"]
function_pb2 = _pb["function"]
graph_pb2 = _pb["graph"]
node_def_pb2 = _pb["node_def"]
op_def_pb2 = _pb["op_def"]
tensor_pb2 = _pb["tensor"]
tensor_shape_pb2 = _pb["tensor_shape"]
types_pb2 = _pb["types"]
variable_pb2 = _pb["variable"]
versions_pb2 = _pb["versions"]
meta_graph_pb2 = _pb["meta_graph"]
saved_model_pb2 = _pb["saved_model"]
saved_object_graph_pb2 = _pb["saved_object_graph"]
saver_pb2 = _pb["saver"]
struct_pb2 = _pb["struct"]
tensor_bundle_pb2 = _pb["tensor_bundle"]
trackable_object_graph_pb2 = _pb["trackable_object_graph"]
fingerprint_pb2 = _pb["fingerprint"]
queue_runner_pb2 = _pb["queue_runner"]
control_flow_pb2 = _pb["control_flow"]
example_pb2 = _pb["example"]
saved_tensor_slice_pb2 = _pb["saved_tensor_slice"]
checkpoint_state_pb2 = _pb["checkpoint_state"]

# The classes, by the names TensorFlow uses for them.
AttrValue = attr_value_pb2.AttrValue
FunctionDef = function_pb2.FunctionDef
FunctionDefLibrary = function_pb2.FunctionDefLibrary
GraphDef = graph_pb2.GraphDef
NodeDef = node_def_pb2.NodeDef
OpDef = op_def_pb2.OpDef
OpList = op_def_pb2.OpList
TensorProto = tensor_pb2.TensorProto
TensorShapeProto = tensor_shape_pb2.TensorShapeProto
DataType = types_pb2.DataType
VariableDef = variable_pb2.VariableDef
VersionDef = versions_pb2.VersionDef
MetaGraphDef = meta_graph_pb2.MetaGraphDef
CollectionDef = meta_graph_pb2.CollectionDef
SignatureDef = meta_graph_pb2.SignatureDef
TensorInfo = meta_graph_pb2.TensorInfo
AssetFileDef = meta_graph_pb2.AssetFileDef
SavedModel = saved_model_pb2.SavedModel
SavedObjectGraph = saved_object_graph_pb2.SavedObjectGraph
SaverDef = saver_pb2.SaverDef
StructuredValue = struct_pb2.StructuredValue
BundleHeaderProto = tensor_bundle_pb2.BundleHeaderProto
BundleEntryProto = tensor_bundle_pb2.BundleEntryProto
TrackableObjectGraph = trackable_object_graph_pb2.TrackableObjectGraph
FingerprintDef = fingerprint_pb2.FingerprintDef
QueueRunnerDef = queue_runner_pb2.QueueRunnerDef
CondContextDef = control_flow_pb2.CondContextDef
WhileContextDef = control_flow_pb2.WhileContextDef
CheckpointState = checkpoint_state_pb2.CheckpointState
Example = example_pb2.Example
SavedTensorSlices = saved_tensor_slice_pb2.SavedTensorSlices


def dtype_name(value: int) -> str:
    """``DT_FLOAT`` for 1; ``DT_INVALID_<n>`` for a number this TensorFlow does not know."""
    try:
        return DataType.Name(value)
    except ValueError:
        return f"DT_UNKNOWN_{value}"
