"""Files that are not regular files, or far too big, are refused at once: no hang, no memory blow-up.

Every test runs the command in a child process with a short timeout, so a
regression shows as a failed test instead of a hung suite.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from conftest import copy_fixture
from helpers.hostile import run_bounded

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX FIFOs")


def assert_refused(proc: subprocess.CompletedProcess, path: Path, *needles: str) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert str(path) in lines[0]
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def fifo(path: Path) -> Path:
    if path.exists():
        path.unlink()
    os.mkfifo(path)
    return path


def test_fifo_as_saved_model_pb_is_refused(tmp_path):
    model = copy_fixture(tmp_path, "seed003", "SavedModel")
    pipe = fifo(model / "saved_model.pb")
    for command in ("show", "signatures", "check"):
        assert_refused(run_bounded(command, model), pipe, "named pipe (FIFO)", "not a regular file")


def test_fifo_graph_file_passed_directly_is_refused(tmp_path):
    pipe = fifo(tmp_path / "frozen_graph.pb")
    assert_refused(run_bounded("ops", pipe), pipe, "named pipe (FIFO)")


def test_fifo_data_shard_does_not_hang_verify_or_values(tmp_path):
    folder = copy_fixture(tmp_path, "seed003")
    pipe = fifo(folder / "model.data-00000-of-00001")
    assert_refused(run_bounded("ckpt", folder / "model", "--verify"), pipe, "named pipe (FIFO)")
    listing = run_bounded("ckpt", folder / "model")  # listing needs only the index, and it ends
    assert listing.returncode == 1, listing.stderr  # a data shard that is no regular file: not a usable checkpoint
    assert "INCOMPLETE" in listing.stdout and "m " in listing.stdout
    assert_refused(run_bounded("ckpt", folder / "model", "--values", "m"), pipe, "named pipe (FIFO)")


def test_fifo_index_and_state_file_are_refused(tmp_path):
    folder = copy_fixture(tmp_path, "seed003")
    index = fifo(folder / "model.index")
    assert_refused(run_bounded("ckpt", folder / "model"), index, "named pipe (FIFO)")
    folder = copy_fixture(tmp_path / "b", "seed003")
    state = fifo(folder / "checkpoint")
    proc = run_bounded("ckpt", state)
    assert_refused(proc, state, "named pipe (FIFO)")


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_devices_are_refused_directly_and_through_a_symlink(tmp_path, device):
    assert_refused(run_bounded("show", device), Path(device), "character device")
    model = copy_fixture(tmp_path, "seed003", "SavedModel")
    (model / "saved_model.pb").unlink()
    (model / "saved_model.pb").symlink_to(device)
    assert_refused(run_bounded("show", model), model / "saved_model.pb", "character device")


def test_directory_where_the_graph_file_should_be(tmp_path):
    model = copy_fixture(tmp_path, "seed003", "SavedModel")
    (model / "saved_model.pb").unlink()
    (model / "saved_model.pb").mkdir()
    assert_refused(run_bounded("show", model), model / "saved_model.pb", "is a directory")


def test_file_over_two_gib_is_refused_without_reading_it(tmp_path):
    # A sparse file: no disk space, and reading it would take 2 GiB of memory.
    big = tmp_path / "frozen_graph.pb"
    with open(big, "wb") as handle:
        handle.truncate(2**31 + 10)
    assert_refused(run_bounded("show", big), big, "more than any valid protobuf")


def test_oversized_checkpoint_state_file_is_refused(tmp_path):
    folder = copy_fixture(tmp_path, "seed003")
    with open(folder / "checkpoint", "wb") as handle:
        handle.truncate(65 << 20)
    proc = run_bounded("ckpt", folder)
    assert_refused(proc, folder / "checkpoint", "more than any valid checkpoint state file")


def test_regular_file_reader_refuses_what_it_must(tmp_path):
    from inspector.errors import NotAnArtifact, UnreadableInput
    from inspector.source.files import open_regular, read_regular

    small = tmp_path / "small.pb"
    small.write_bytes(b"x" * 100)
    assert read_regular(small, 100) == b"x" * 100
    with pytest.raises(NotAnArtifact, match="more than any valid thing"):
        read_regular(small, 99, "thing")
    with pytest.raises(FileNotFoundError):
        open_regular(tmp_path / "missing")
    with pytest.raises(UnreadableInput, match="is a directory"):
        open_regular(tmp_path)
