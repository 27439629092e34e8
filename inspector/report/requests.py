"""Renderers for `tfinspect request`: the template and the problems --validate finds."""

from __future__ import annotations

import json
from dataclasses import asdict

from rich.console import Console
from rich.text import Text

from ..analysis.json_values import Checked
from ..analysis.requests import RequestTemplate
from ..sanitize import visible
from ..tensors.shapes import format_shape
from .jsonout import document
from .style import plain, table


def template_json(template: RequestTemplate) -> dict:
    return document({
        "signature_key": template.signature_key,
        "tag_set": template.tag_set,
        "method": template.method,
        "format": template.format,
        "target": template.target,
        "model_name": template.model_name,
        "version": template.version,
        "url_path": template.url_path,
        "url": template.url,
        "curl": template.curl,
        "body": template.body,
        "inputs": [
            {"alias": t.alias, "tensor_name": t.tensor_name, "dtype": t.dtype, "shape": t.shape,
             "value_shape": t.value_shape, "value": t.value}
            for t in template.inputs
        ],
        "features": [
            {"key": f.key, "kind": f.kind, "dtype": f.dtype, "shape": f.shape, "has_default": f.has_default}
            for f in template.features if f.known
        ],
        "notes": template.notes,
    })


def metadata_json(url_path: str, tag_set: list[str], notes: list[str], response: dict) -> dict:
    """`metadata --json`: the server's body under ``response``, with where it is served from."""
    return document(url_path=url_path, tag_set=tag_set, notes=notes, response=response)


def body_text(body, indent: str = "") -> str:
    """The body as JSON, ASCII-only so that no character from an artifact can act on a terminal.

    Objects go one key a line; a list of plain values stays on one line.
    """
    inner = indent + "  "
    if isinstance(body, dict) and body:
        items = [f"{inner}{json.dumps(k, ensure_ascii=True)}: {body_text(v, inner)}" for k, v in body.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    if isinstance(body, list) and any(isinstance(v, (dict, list)) for v in body):
        return "[\n" + ",\n".join(inner + body_text(v, inner) for v in body) + "\n" + indent + "]"
    return json.dumps(body, ensure_ascii=True)


def render_template(template: RequestTemplate, out: Console) -> None:
    out.print(plain(f"signature {visible(template.signature_key)} ({template.method}, {template.format} format, "
                    f"{template.target})"))
    out.print(plain(f"POST {visible(template.url if template.target == 'vertex' else template.url_path)}"))
    grid = table(None, "input", "dtype", "shape", "value")
    for t in template.inputs:
        grid.add_row(plain(visible(t.alias)), plain(t.dtype), plain(format_shape(t.shape)), plain(t.value))
    out.print(grid)
    # The body is ASCII JSON laid out in lines (body_text), so its newlines stay; plain()
    # would show them as "\n" and the body could no longer be copied.
    out.print()
    out.print(plain("body (save as request.json):"))
    out.print(Text(body_text(template.body)), soft_wrap=True)
    out.print()
    out.print(plain(template.curl), soft_wrap=True)
    for note in template.notes:
        out.print(plain("note: " + visible(note)))


def checked_json(checked: Checked, body_path: str) -> dict:
    return document(
        body_path=body_path,
        signature_key=checked.signature_key,
        format=checked.format,
        valid=not checked.errors,
        problems=[asdict(p) for p in checked.problems],
        tensors=[{"alias": t.alias, "dtype": t.dtype, "shape": t.shape} for t in checked.tensors.values()],
        examples=len(checked.examples),
    )


def render_checked(checked: Checked, body_path: str, out: Console) -> None:
    if checked.problems:
        grid = table(None, "path", "severity", "code", "problem")
        for p in checked.problems:
            grid.add_row(plain(visible(p.path)), plain(p.severity), plain(p.code), plain(visible(p.message)))
        out.print(grid)
    errors = len(checked.errors)
    what = f"{checked.format} format, signature {visible(checked.signature_key)}" if checked.format else "body"
    if errors:
        out.print(plain(f"{visible(body_path)}: {errors} problem(s) the server or the model refuses ({what})"))
        return
    made = ", ".join(f"{visible(t.alias)} {t.dtype} {format_shape(t.shape)}" for t in checked.tensors.values())
    made = made or f"{len(checked.examples)} tf.Example(s)"
    out.print(plain(f"{visible(body_path)}: valid ({what}): {made}"))
