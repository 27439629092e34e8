"""SignatureDefs of every tag-set, and the concrete functions of a TF2 object graph."""

from __future__ import annotations

from dataclasses import dataclass

from .. import protos
from ..errors import SelectionError
from ..model.artifact import Artifact
from ..model.metagraph import MetaGraph, Signature
from ..model.object_graph import object_paths
from . import structured
from .structured import TensorSpecInfo


@dataclass(frozen=True)
class TaggedSignature:
    tags: tuple[str, ...]
    signature: Signature


@dataclass(frozen=True)
class ConcreteArgument:
    name: str
    spec: str  # readable text of the StructuredValue
    tensor: TensorSpecInfo | None  # when the argument is one TensorSpec
    default: str | None = None  # the Python default value, from the FunctionSpec


@dataclass(frozen=True)
class ConcreteFunction:
    tags: tuple[str, ...]
    path: str  # object-graph path, e.g. signatures/serving_default or classify
    function: str  # the concrete function (library function) name
    kind: str  # function | bare_concrete_function
    inputs: tuple[ConcreteArgument, ...]
    outputs: tuple[ConcreteArgument, ...]
    known: bool = True  # False when SavedObjectGraph.concrete_functions has no entry


@dataclass(frozen=True)
class SignaturesView:
    signatures: list[TaggedSignature]
    concrete_functions: list[ConcreteFunction]
    graphs: int  # how many MetaGraphs were looked at
    has_metagraph_proto: bool  # False for a frozen GraphDef (no place for signatures)


def signatures_view(artifact: Artifact, tag_set: str | None = None, key: str | None = None) -> SignaturesView:
    metas = artifact.select(tag_set)
    found = [TaggedSignature(meta.tags, sig) for meta in metas for sig in meta.signatures.values()]
    concrete = [cf for meta in metas for cf in concrete_functions(meta)]
    if key is not None:
        chosen = [t for t in found if t.signature.key == key]
        if not chosen:
            keys = sorted({t.signature.key for t in found})
            raise SelectionError(artifact.path, f"no signature with the key {key!r}",
                                 "signature keys here: " + (", ".join(keys) if keys else "none"))
        found = chosen
        wrapper_paths = {f"signatures/{key}"}
        concrete = [cf for cf in concrete if cf.path in wrapper_paths]
    has_proto = any(meta.proto is not None for meta in metas)
    return SignaturesView(found, concrete, len(metas), has_proto)


def concrete_functions(meta: MetaGraph) -> list[ConcreteFunction]:
    """Concrete functions of every ``function`` and ``bare_concrete_function`` object."""
    graph = meta.object_graph
    if graph is None:
        return []
    paths = object_paths(graph)
    result = []
    for node_id, obj in enumerate(graph.nodes):
        which = obj.WhichOneof("kind")
        path = paths.get(node_id, f"<object {node_id}>")
        if which == "function":
            spec = obj.function.function_spec if obj.function.HasField("function_spec") else None
            for name in obj.function.concrete_functions:
                result.append(_concrete(meta.tags, path, name, which, graph, spec, ()))
        elif which == "bare_concrete_function":
            bare = obj.bare_concrete_function
            spec = bare.function_spec if bare.HasField("function_spec") else None
            result.append(_concrete(meta.tags, path, bare.concrete_function_name, which, graph, spec,
                                    tuple(bare.argument_keywords)))
    return result


def _concrete(tags, path: str, name: str, which: str, graph: protos.SavedObjectGraph,
              spec, keywords: tuple[str, ...]) -> ConcreteFunction:
    saved = graph.concrete_functions.get(name) if name in graph.concrete_functions else None
    if saved is None:
        return ConcreteFunction(tags, path, name, which, (), (), known=False)
    arg_names, defaults = _argspec(spec)
    inputs = _inputs(saved.canonicalized_input_signature, arg_names, defaults, keywords)
    outputs = _outputs(saved.output_signature) if saved.HasField("output_signature") else ()
    return ConcreteFunction(tags, path, name, which, tuple(inputs), tuple(outputs))


def _argspec(spec) -> tuple[list[str], dict[str, str]]:
    """Argument names and the text of their Python defaults, from FunctionSpec.fullargspec."""
    if spec is None or not spec.HasField("fullargspec"):
        return [], {}
    full = spec.fullargspec
    args_value = structured.field(full, "args")
    names = [v.string_value for _, v in structured.items(args_value)] if args_value is not None else []
    defaults: dict[str, str] = {}
    default_value = structured.field(full, "defaults")
    if default_value is not None:
        values = [structured.to_text(v) for _, v in structured.items(default_value)]
        if values:
            for arg, text in zip(names[-len(values):], values):
                defaults[arg] = text
    kw_defaults = structured.field(full, "kwonlydefaults")
    if kw_defaults is not None:
        for key, value in structured.items(kw_defaults):
            if key is not None:
                defaults[key] = structured.to_text(value)
    return names, defaults


def _inputs(signature: protos.StructuredValue, arg_names: list[str], defaults: dict[str, str],
            keywords: tuple[str, ...]) -> list[ConcreteArgument]:
    """``canonicalized_input_signature`` is (positional args tuple, keyword args dict)."""
    members = structured.items(signature)
    if structured.kind(signature) == "tuple_value" and len(members) == 2 \
            and structured.kind(members[0][1]) in ("tuple_value", "list_value") \
            and structured.kind(members[1][1]) == "dict_value":
        positional, keyword = structured.items(members[0][1]), structured.items(members[1][1])
    else:
        positional, keyword = members, []
    names = list(arg_names)
    if names and names[0] == "self" and len(names) == len(positional) + 1:
        names = names[1:]
    result = []
    for index, (_, value) in enumerate(positional):
        spec = structured.tensor_spec(value)
        if index < len(names):
            name = names[index]
        elif index < len(keywords):
            name = keywords[index]
        elif spec is not None and spec.name:
            name = spec.name
        else:
            name = f"arg_{index}"
        result.append(ConcreteArgument(name, structured.to_text(value), spec, defaults.get(name)))
    for key, value in keyword:
        name = key or "?"
        result.append(ConcreteArgument(name, structured.to_text(value), structured.tensor_spec(value),
                                       defaults.get(name)))
    return result


def _outputs(signature: protos.StructuredValue) -> list[ConcreteArgument]:
    which = structured.kind(signature)
    if which in ("dict_value", "named_tuple_value"):
        return [ConcreteArgument(key or "?", structured.to_text(v), structured.tensor_spec(v))
                for key, v in structured.items(signature)]
    if which in ("tuple_value", "list_value"):
        return [ConcreteArgument(f"output_{i}", structured.to_text(v), structured.tensor_spec(v))
                for i, (_, v) in enumerate(structured.items(signature))]
    if which is None or which == "none_value":
        return []
    return [ConcreteArgument("output", structured.to_text(signature), structured.tensor_spec(signature))]
