"""Hostile inputs for tests: control characters in names, made by editing copies of real exports."""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, fixture

from helpers.proto_edits import rename_node
from inspector import protos

# A terminal acts on these: ESC sequences (colour, OSC 0 window title, OSC 8 hyperlink),
# CR (overwrites the line), NUL, DEL, C1 controls such as CSI (0x9b), bidi overrides.
HOSTILE = ("\x1b[31mred\x1b[0m\x1b]0;pwned\x07\x1b]8;;http://evil.example/\x1b\\link\x1b]8;;\x1b\\"
           "\rcr\x00nul\x7fdel\x9bcsi\u202erev")
# What the sanitiser shows for the start of HOSTILE.
HOSTILE_SHOWN = "\\x1b[31mred\\x1b[0m\\x1b]0;pwned\\x07"
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")


HANG_TIMEOUT = 60
ADDRESS_SPACE = 4 << 30


def run_bounded(*args, timeout: float = HANG_TIMEOUT) -> subprocess.CompletedProcess:
    """Run the CLI in a child process: a hang fails after ``timeout`` seconds, a memory blow-up
    at 4 GiB of address space."""
    limit = f"import resource; resource.setrlimit(resource.RLIMIT_AS, ({ADDRESS_SPACE}, {ADDRESS_SPACE})); "
    code = limit + "import sys; from inspector.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, timeout=timeout, env={**os.environ, "COLUMNS": "200"}, check=False)


def raw_controls(text: str) -> list[str]:
    """The raw control characters in ``text`` (newlines and tabs are layout, not an attack)."""
    return RAW_CONTROL.findall(text)


def run_in_process(*argv: str) -> tuple[int, str, str]:
    """``tfinspect ARGV`` in this process: exit status, stdout, stderr."""
    from inspector.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in argv])
        except SystemExit as exc:  # argparse
            code = exc.code if isinstance(exc.code, int) else 2
    return code, out.getvalue(), err.getvalue()


def hostile_saved_model(tmp_path: Path, name: str = HOSTILE) -> Path:
    """seed003's SavedModel with ``name`` in a node name, an op type, a device, the signature
    key and alias, a collection key and a tag."""
    model = tmp_path / "hostile_sm"
    shutil.copytree(fixture("seed003", "SavedModel"), model)
    saved = protos.SavedModel.FromString((model / "saved_model.pb").read_bytes())
    meta = saved.meta_graphs[0]
    graph = meta.graph_def
    rename_node(graph, "x", "x" + name)
    for node in graph.node:
        if node.name == "init":
            node.op = "No" + name + "Op"
        if node.name == "Mul":
            node.device = "/device:CPU:0" + name
    signature = meta.signature_def["serving_default"]
    signature.inputs["in" + name].CopyFrom(signature.inputs["inputs"])
    del signature.inputs["inputs"]
    signature.inputs["in" + name].name = "x" + name + ":0"
    meta.signature_def["sig" + name].CopyFrom(signature)
    del meta.signature_def["serving_default"]
    meta.collection_def["coll" + name].CopyFrom(meta.collection_def["variables"])
    meta.meta_info_def.tags.append("tag" + name)
    (model / "saved_model.pb").write_bytes(saved.SerializeToString())
    return model
