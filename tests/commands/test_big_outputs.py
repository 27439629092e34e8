"""Big listings print as aligned plain text at the speed of the data (timings live in bench/)."""

from __future__ import annotations

import io
import json
import re

from conftest import copy_fixture, fixture
from helpers.hostile import HOSTILE, HOSTILE_SHOWN, raw_controls, run_in_process
from rich.console import Console

from inspector.report.grid import STREAM_FROM, print_table
from inspector.report.style import plain, table


def _console(width: int = 80) -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, width=width, highlight=False), buffer


def test_a_large_table_is_streamed_aligned_and_folded():
    grid = table("Title", "name", "count")
    grid.columns[1].justify = "right"
    names = [f"scope/layer_{i}/kernel" for i in range(STREAM_FROM)]
    for i, name in enumerate(names):
        grid.add_row(plain(name), f"{i:,}")
    grid.add_row(plain("x" * 100 + HOSTILE), "7")
    out, buffer = _console(width=60)
    print_table(out, grid)
    lines = buffer.getvalue().splitlines()
    assert lines[0] == "Title" and lines[1].split() == ["name", "count"]
    assert not raw_controls(buffer.getvalue())
    rows = lines[2:]
    assert rows[0].startswith("scope/layer_0/kernel ") and rows[0].endswith("  0")
    assert rows[STREAM_FROM - 1].endswith(f"{STREAM_FROM - 1}")
    # the counts are right-aligned in one column
    ends = {len(row) for row in rows[:STREAM_FROM]}
    assert len(ends) == 1 and max(len(line) for line in lines) <= 60
    # the long hostile name folds onto several lines and shows its escapes
    tail = "".join(line.split("  ")[0] for line in rows[STREAM_FROM:])
    assert tail.startswith("x" * 50) and HOSTILE_SHOWN in tail


def test_checkpoint_listing_of_many_tensors_is_complete(tmp_path, tf):
    prefix = tmp_path / "many"
    names = [f"layer_{i:04d}/kernel" for i in range(STREAM_FROM + 50)]
    tf.raw_ops.SaveV2(prefix=str(prefix), tensor_names=names, shape_and_slices=[""] * len(names),
                      tensors=[tf.zeros([2, 3])] * len(names))
    code, out, err = run_in_process("ckpt", prefix)
    assert code == 0, err
    listed = re.findall(r"^(layer_\d{4}/kernel)\s+DT_FLOAT\s+\[2, 3\]\s+6\s+24 B\s+0$", out, re.MULTILINE)
    assert listed == sorted(names)
    assert f"{len(names)} tensors" in out


def test_a_state_file_naming_many_missing_checkpoints_gives_a_few_warnings(tmp_path):
    folder = copy_fixture(tmp_path, "seed003")
    lines = ['model_checkpoint_path: "model"']
    lines += [f'all_model_checkpoint_paths: "gone-{i}"' for i in range(1000)] + ['all_model_checkpoint_paths: "model"']
    (folder / "checkpoint").write_text("\n".join(lines) + "\n")
    code, out, err = run_in_process("ckpt", folder)
    assert code == 0, err
    warnings = [line for line in out.splitlines() if line.startswith("warning")]
    assert len(warnings) == 5, warnings
    assert "'gone-0', whose .index file does not exist" in warnings[0]
    assert "names 996 more checkpoints whose .index file does not exist" in warnings[-1]


def test_check_with_many_findings_lists_each_of_them(tmp_path):
    from inspector import protos

    graph = protos.GraphDef.FromString(fixture("seed003", "frozen_graph.pb").read_bytes())
    originals = list(graph.node)
    for i in range(60):  # copies of every node in their own scope: many findings
        for node in originals:
            copy = graph.node.add()
            copy.CopyFrom(node)
            copy.name = f"copy_{i}/{node.name}"
    path = tmp_path / "frozen_graph.pb"
    path.write_bytes(graph.SerializeToString())
    _, out, _ = run_in_process("check", path, "--json")
    findings = json.loads(out)["findings"]
    places = [place for f in findings for place in f["places"]]
    assert sum(f["count"] for f in findings) == len(places) >= STREAM_FROM  # repeats of a rule are one finding
    code, out, err = run_in_process("check", path)
    assert code == (1 if any(f["severity"] == "error" for f in findings) else 0), err
    listed = re.findall(r"^  (error|warning|info)\s+(TFI\d+) ", out, re.MULTILINE)
    assert sorted(listed) == sorted((f["severity"], f["code"]) for f in findings)
    text = " ".join(out.split())
    for place in (p for p in places if p["location"]):  # every place is listed, none left out
        assert place["location"] in text, place
    assert len(re.findall(r"^          fix: ", out, re.MULTILINE)) == len(findings)
