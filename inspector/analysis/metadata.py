"""What TF Serving answers to ``GET /v1/models/NAME[/versions/N]/metadata`` for an export.

From TF Serving's sources (read for semantics, nothing copied):
``get_model_metadata_impl.cc`` copies every entry of the loaded MetaGraph's
``signature_def`` map (internal keys such as ``__saved_model_init_op`` included)
into a ``SignatureDefMap`` and sets the response's ``model_spec`` to the served
model's name and version.  ``http_rest_api_util.cc`` (``ToJsonString``) prints
``model_spec`` and that map separately with protobuf's JSON printer, with field
names as in the .proto files and fields at their default value printed, and
joins them as ``{"model_spec": ..., "metadata": {"signature_def": ...}}``.

Protobuf's Python JSON printer with the same two options gives the same JSON
values (int64 as strings, enums by name, unset oneof members left out), so it
makes the map here.  ``model_spec`` is ``{name, signature_name: "", version}``:
the version is an ``Int64Value``, printed as a string, and ``version_label``
belongs to a oneof that is unset, so it is absent.
"""

from __future__ import annotations

from pathlib import Path

from google.protobuf import json_format

from ..load.versions import parse_version
from ..model.artifact import Artifact
from ..model.metagraph import MetaGraph


def served_version(artifact: Artifact, given: int | None) -> tuple[int, str | None]:
    """The version number the server reports, and a note when it had to be assumed."""
    if given is not None:
        return given, None
    if artifact.version is not None:
        return artifact.version, None
    name = Path(artifact.root).name
    number = parse_version(name)
    if number is not None:
        return number, None
    return 1, (f"{name} is not a numbered version folder, so version 1 is assumed (TF Serving serves "
               "MODEL_BASE_PATH/<version>/; pass --version N)")


def signature_def_map(meta: MetaGraph) -> dict:
    defs = meta.proto.signature_def
    return {"signature_def": {key: json_format.MessageToDict(defs[key], always_print_fields_with_no_presence=True,
                                                             preserving_proto_field_name=True)
                              for key in sorted(defs)}}


def metadata_response(meta: MetaGraph, name: str, version: int) -> dict:
    return {
        "model_spec": {"name": name, "signature_name": "", "version": str(version)},
        "metadata": {"signature_def": signature_def_map(meta)},
    }
