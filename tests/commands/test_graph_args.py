"""One option group picks the graph: each failure has one error line, the same from every command."""

from __future__ import annotations

import argparse
import shutil

import pytest
from conftest import fixture, run_cli

from inspector import protos
from inspector.commands import COMMANDS

# What each command needs besides PATH to reach the choice of graph.
EXTRA = {"graph": ["-o", "-"], "run": ["--inputs", "x=missing.npy"], "dump": ["--node", "x"]}
# Commands that report an artifact without a graph, or every MetaGraph, instead of picking one.
REPORT_ALL = {"show", "signatures", "ckpt", "check"}
SERVING = {"request", "metadata", "run"}  # a model server loads the `serve` MetaGraph of a SavedModel


def _options(name: str) -> set[str]:
    info = next(i for i in COMMANDS if i.name == name)
    parser = argparse.ArgumentParser()
    info.load().add_arguments(parser)
    return {flag for action in parser._actions for flag in action.option_strings}


WITH_TAG_SET = [i.name for i in COMMANDS if "--tag-set" in _options(i.name) and i.name != "diff"]  # one PATH
WITH_VERSION = [i.name for i in COMMANDS if "--version" in _options(i.name)]


def _error_line(name: str, path, *flags: str) -> str:
    result = run_cli(name, path, *flags, *EXTRA.get(name, []))
    assert result.code == 2, (name, result.out, result.err)
    assert result.out == "" and "Traceback" not in result.err
    lines = result.err.splitlines()
    assert len(lines) == 1, (name, result.err)
    return lines[0]


def test_the_registry_commands_that_take_a_graph_use_the_group():
    assert {"show", "ops", "collections", "variables", "functions", "io", "dump", "ckpt", "graph",
            "signatures", "request", "run", "metadata"} <= set(WITH_TAG_SET)
    assert set(WITH_TAG_SET) <= set(WITH_VERSION)
    assert "check" in WITH_VERSION


@pytest.mark.parametrize("name", [n for n in WITH_TAG_SET if n not in REPORT_ALL | SERVING])
def test_no_graph_in_a_checkpoint(name):
    path = fixture("ckpt_sharded")
    assert _error_line(name, path) == (
        f"tfinspect: error: {path}: is a checkpoint and has no graph: it holds variable values only, and there "
        "is no ckpt.meta beside it (pass the .meta file saved with it, or the SavedModel, to see the graph)")


@pytest.mark.parametrize("name", [n for n in WITH_TAG_SET if n not in SERVING])
def test_an_unknown_tag_set_lists_the_ones_that_exist(name):
    path = fixture("keras_export")
    assert _error_line(name, path, "--tag-set", "serve,gpu") == (
        f"tfinspect: error: {path}: no MetaGraph has the tag-set {{gpu,serve}} "
        "(tag-sets here: {serve}; tags match as an exact set)")


@pytest.mark.parametrize("name", sorted(SERVING))
def test_an_unknown_tag_set_is_the_same_line_for_the_serving_commands(name):
    path = fixture("keras_export")
    assert _error_line(name, path, "--tag-set", "serve,gpu") == _error_line("ops", path, "--tag-set", "serve,gpu")


@pytest.fixture(scope="module")
def two_graphs(tmp_path_factory):
    """A SavedModel with MetaGraphs tagged {train} and {eval}, none {serve} (as an Estimator's training export)."""
    root = tmp_path_factory.mktemp("two_graphs") / "model"
    shutil.copytree(fixture("keras_export"), root)
    saved = protos.SavedModel.FromString((root / "saved_model.pb").read_bytes())
    extra = saved.meta_graphs.add()
    extra.CopyFrom(saved.meta_graphs[0])
    for meta, tag in zip(saved.meta_graphs, ("train", "eval"), strict=True):
        meta.meta_info_def.ClearField("tags")
        meta.meta_info_def.tags.append(tag)
    (root / "saved_model.pb").write_bytes(saved.SerializeToString())
    return root


@pytest.mark.parametrize("name", [n for n in WITH_TAG_SET if n not in REPORT_ALL | SERVING])
def test_several_graphs_and_none_tagged_serve(name, two_graphs):
    assert _error_line(name, two_graphs) == (
        f"tfinspect: error: {two_graphs}: 2 MetaGraphs and none is tagged exactly 'serve' "
        "(choose one with --tag-set: {train}; {eval})")
    assert run_cli(name, two_graphs, "--tag-set", "eval", *EXTRA.get(name, [])).err.count("MetaGraphs") == 0


@pytest.mark.parametrize("name", WITH_VERSION)
def test_an_unknown_version(name):
    path = fixture("seed001", "mnist")
    assert _error_line(name, path, "--version", "9") == (
        f"tfinspect: error: {path}: has no version 9 (versions here: 1, 2)")


def test_diff_sides_use_the_same_group():
    tree = fixture("seed001", "mnist")
    line = f"tfinspect: error: {tree}: has no version 9 (versions here: 1, 2)"
    result = run_cli("diff", tree, tree, "--new-version", "9")
    assert result.code == 2 and result.err.strip() == line
    result = run_cli("diff", tree, tree, "--old-version", "1", "--new-version", "2", "--json")
    assert result.code == 0, result.err
    keras = fixture("keras_export")
    result = run_cli("diff", keras, keras, "--tag-set", "serve,gpu")
    assert result.code == 2 and result.err.strip() == _error_line("ops", keras, "--tag-set", "serve,gpu")
