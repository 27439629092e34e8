"""Models at gs:// and s3:// URLs, read from real protocol servers started on 127.0.0.1.

The GCS JSON API is served by gcp-storage-emulator (gcsfs pointed at it with
STORAGE_EMULATOR_HOST and an anonymous token), the S3 API by moto's server
(s3fs pointed at it with fsspec's endpoint_url setting and dummy keys).  The
fixtures are uploaded there; each command's output on the URL must equal its
output on the local copy, and the bytes fetched (counted around the file
system's ``cat_file``, the one call every remote read goes through) must be
those of the files the command needs.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import importlib
import io
import json
import os
import re
import socket
import socketserver
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

os.environ.setdefault("GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT", "false")  # no gRPC bucket-type probe (no emulator for it)

fsspec = pytest.importorskip("fsspec")
pytest.importorskip("fsspec.implementations.memory")
pytest.importorskip("gcsfs")
pytest.importorskip("s3fs")
emulator = pytest.importorskip("gcp_storage_emulator.server")
moto_server = pytest.importorskip("moto.server")

from inspector.checkpoint import open_checkpoint
from inspector.checkpoint.bundle import OBJECT_GRAPH_KEY
from inspector.cli import main
from inspector.source import location

ROOT = Path(__file__).resolve().parents[2]
UPLOADED = ["fixtures/seed003/SavedModel", "fixtures/keras_export", "fixtures/ckpt_sharded", "fixtures/seed001/mnist"]
BUCKET = "models"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def stores():
    """The two servers, the fixtures uploaded to both, and the URL base of each."""
    gcs_port, s3_port = _free_port(), _free_port()
    quiet = pytest.MonkeyPatch()  # a client closing a connection early is no error of the servers' to print
    quiet.setattr(socketserver.BaseServer, "handle_error", lambda *args: None)
    gcs = emulator.create_server("127.0.0.1", gcs_port, in_memory=True, default_bucket=BUCKET)
    gcs.start()
    s3 = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=s3_port, verbose=False)
    s3.start()
    env = {"STORAGE_EMULATOR_HOST": f"http://127.0.0.1:{gcs_port}", "AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1", "COLUMNS": "200",
           "TFINSPECT_REMOTE_TIMEOUT": "5"}
    saved_env = {k: os.environ.get(k) for k in env}
    saved_conf = {k: dict(fsspec.config.conf.get(k, {})) for k in ("gs", "s3")}
    os.environ.update(env)
    fsspec.config.conf["gs"] = {"token": "anon"}
    fsspec.config.conf["s3"] = {"endpoint_url": f"http://127.0.0.1:{s3_port}"}
    try:
        s3_fs = fsspec.filesystem("s3", endpoint_url=f"http://127.0.0.1:{s3_port}")
        s3_fs.mkdir(BUCKET)
        gcs_fs = fsspec.filesystem("gs", token="anon")
        for fs in (gcs_fs, s3_fs):
            for folder in UPLOADED:
                for file in sorted((ROOT / folder).rglob("*")):
                    if file.is_file():
                        fs.pipe_file(f"{BUCKET}/{file.relative_to(ROOT)}", file.read_bytes())
        yield {"gs": f"gs://{BUCKET}", "s3": f"s3://{BUCKET}"}
    finally:
        location.forget_listings()
        for key, value in saved_env.items():
            os.environ.pop(key, None) if value is None else os.environ.__setitem__(key, value)
        fsspec.config.conf.update(saved_conf)
        gcs.stop()
        s3.stop()
        quiet.undo()


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([*argv])
    return code, out.getvalue(), err.getvalue()


def _same(text: str) -> str:
    """Output with table padding collapsed (a URL is longer than the local path)."""
    return re.sub(r"[ \t]+", " ", text).strip()


class Fetched:
    """Bytes read from the store, per file, counted around the file system's cat_file."""

    def __init__(self, monkeypatch, url: str):
        self.by_file: Counter[str] = Counter()
        fs = location.as_path(url).fs
        cat_file = fs.cat_file

        def counted(path, *args, **kwargs):
            data = cat_file(path, *args, **kwargs)
            self.by_file[path.split(f"{BUCKET}/fixtures/", 1)[-1]] += len(data)
            return data

        def refused(*args, **kwargs):
            raise AssertionError("a remote file was read without cat_file")

        monkeypatch.setattr(fs, "cat_file", counted)
        for name in ("open", "cat", "get_file"):
            monkeypatch.setattr(fs, name, refused)


def _size(*parts: str) -> int:
    return sum((ROOT / "fixtures" / p).stat().st_size for p in parts)


CASES = [  # command line with {} for the path, the fixture, the files read whole (relative to fixtures/)
    (("show", "{}"), "seed003/SavedModel",
     ["seed003/SavedModel/saved_model.pb", "seed003/SavedModel/variables/variables.index"]),
    (("show", "{}"), "keras_export",
     ["keras_export/saved_model.pb", "keras_export/variables/variables.index", "keras_export/fingerprint.pb"]),
    (("show", "{}", "--json"), "keras_export",
     ["keras_export/saved_model.pb", "keras_export/variables/variables.index", "keras_export/fingerprint.pb"]),
    (("signatures", "{}"), "keras_export", ["keras_export/saved_model.pb", "keras_export/fingerprint.pb"]),
    # --no-deep: locally check also checksums a small checkpoint, which at a URL it does only with --deep
    (("check", "{}", "--no-deep"), "keras_export",
     ["keras_export/saved_model.pb", "keras_export/variables/variables.index", "keras_export/fingerprint.pb"]),
    (("check", "{}", "--deep"), "keras_export",
     ["keras_export/saved_model.pb", "keras_export/variables/variables.index", "keras_export/fingerprint.pb",
      "keras_export/variables/variables.data-00000-of-00001"]),
    (("graph", "{}", "-o", "-"), "seed003/SavedModel", ["seed003/SavedModel/saved_model.pb"]),
    (("ckpt", "{}", "--verify"), "ckpt_sharded/ckpt",
     ["ckpt_sharded/ckpt.index", *(f"ckpt_sharded/ckpt.data-0000{i}-of-00004" for i in range(4))]),
    (("show", "{}"), "seed001/mnist",
     ["seed001/mnist/2/saved_model.pb", "seed001/mnist/2/variables/variables.index"]),
]


@pytest.mark.parametrize("scheme", ["gs", "s3"])
@pytest.mark.parametrize("argv, fixture, needed", CASES,
                         ids=[f"{c[0][0]}-{c[1].replace('/', '-')}" for c in CASES])
def test_a_url_gives_the_local_output_and_reads_only_the_files_needed(
        stores, monkeypatch, scheme, argv, fixture, needed):
    monkeypatch.chdir(ROOT)
    local = f"fixtures/{fixture}"
    url = f"{stores[scheme]}/fixtures/{fixture}"
    code, out, err = run(*(a.format(local) for a in argv))
    fetched = Fetched(monkeypatch, url)
    remote_code, remote_out, remote_err = run(*(a.format(url) for a in argv))
    assert (remote_code, remote_err) == (code, err.replace(local, url))
    assert remote_out.count(url) == out.count(local)
    assert _same(remote_out.replace(url, local)) == _same(out)
    expected = {name: _size(name) + (8 if name.endswith(".index") else 0) for name in needed}  # + a table's magic
    index = next((name for name in needed if name.endswith(".index")), None)
    reader = open_checkpoint(ROOT / "fixtures" / index[: -len(".index")]) if index else None
    if reader is not None and OBJECT_GRAPH_KEY in reader:
        # a TF2 checkpoint: its object graph, one tensor of a data shard, names the variables
        graph = reader.entry(OBJECT_GRAPH_KEY)
        shard = str(Path(graph.shard_path).relative_to(ROOT / "fixtures"))
        expected[shard] = expected.get(shard, 0) + graph.size
    assert fetched.by_file == expected


@pytest.mark.parametrize("scheme", ["gs", "s3"])
def test_one_tensor_value_is_one_ranged_read_of_its_bytes(stores, monkeypatch, scheme):
    monkeypatch.chdir(ROOT)
    local, url = "fixtures/ckpt_sharded/ckpt", f"{stores[scheme]}/fixtures/ckpt_sharded/ckpt"
    expected = run("ckpt", local, "--values", "block_2", "--stats")
    fetched = Fetched(monkeypatch, url)
    assert run("ckpt", url, "--values", "block_2", "--stats")[:2] == expected[:2]
    index = "ckpt_sharded/ckpt.index"
    shards = {name: count for name, count in fetched.by_file.items() if name != index}
    assert fetched.by_file[index] == _size(index) + 8
    # block_2 (64 x 128 floats, partitioned) lies in shards 1 and 2: its bytes are read, nothing else
    assert set(shards) == {"ckpt_sharded/ckpt.data-00001-of-00004", "ckpt_sharded/ckpt.data-00002-of-00004"}
    assert sum(shards.values()) == 64 * 128 * 4


@pytest.mark.parametrize("scheme", ["gs", "s3"])
def test_versions_lists_the_tree_once_and_reads_each_graph(stores, monkeypatch, scheme):
    monkeypatch.chdir(ROOT)
    local, url = "fixtures/seed001/mnist", f"{stores[scheme]}/fixtures/seed001/mnist"
    code, out, err = run("versions", local)
    listings = Counter()
    original = location.call  # every file-system call tfinspect makes goes through it

    def counted(where, name, *args, **kwargs):
        if name in ("find", "ls", "glob"):
            listings.update([name])
        return original(where, name, *args, **kwargs)

    monkeypatch.setattr(location, "call", counted)
    location.forget_listings()
    remote = run("versions", url)
    assert remote[0] == code == 0 and not remote[2] and not err
    assert _same(remote[1].replace(url, local)) == _same(out)
    assert listings == {"find": 1}


@pytest.mark.parametrize("url, problem", [
    ("gs://no-such-bucket/model", "the bucket 'no-such-bucket' does not exist"),
    ("s3://no-such-bucket/model", "the bucket 'no-such-bucket' does not exist"),
    ("gs://models/fixtures/nothing-here", "no such file or directory"),
    ("s3://models/fixtures/nothing-here", "no such file or directory"),
])
def test_missing_remote_paths_are_one_line_errors(stores, url, problem):
    code, out, err = run("show", url)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and err.startswith(f"tfinspect: error: {url}: {problem}")


def test_an_unreachable_endpoint_is_a_one_line_error_within_the_timeout(stores, monkeypatch):
    closed = _free_port()  # nothing listens there
    monkeypatch.setitem(fsspec.config.conf, "s3", {"endpoint_url": f"http://127.0.0.1:{closed}",
                                                  "config_kwargs": {"retries": {"max_attempts": 1}}})
    code, out, err = run("show", "s3://models/fixtures/keras_export")
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and "the storage service cannot be reached" in err


def test_an_unreachable_gcs_endpoint_fails_within_the_deadline_not_after_gcsfs_retries(stores, monkeypatch):
    closed = _free_port()
    monkeypatch.setitem(fsspec.config.conf, "gs", {"token": "anon", "endpoint_url": f"http://127.0.0.1:{closed}"})
    monkeypatch.setenv("TFINSPECT_REMOTE_TIMEOUT", "1")
    started = time.monotonic()
    code, out, err = run("show", "gs://models/fixtures/keras_export")
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and "cannot be reached (no answer within 1 s)" in err
    assert time.monotonic() - started < 10  # gcsfs alone retries for about 37 s


def test_memory_urls_read_like_local_paths(monkeypatch):
    monkeypatch.chdir(ROOT)
    memory = fsspec.filesystem("memory")
    memory.put(str(ROOT / "fixtures/keras_export"), "/tfinspect-test/keras_export", recursive=True)
    try:
        local, url = "fixtures/keras_export", "memory://tfinspect-test/keras_export"
        expected = run("signatures", local)
        remote = run("signatures", url)
        assert remote == expected and expected[0] == 0
    finally:
        memory.rm("/tfinspect-test", recursive=True)
        location.forget_listings()


def test_file_urls_are_local_paths(monkeypatch):
    monkeypatch.chdir(ROOT)
    assert run("signatures", f"file://{ROOT}/fixtures/keras_export") == run("signatures", str(ROOT / "fixtures/keras_export"))


def test_a_missing_extra_is_named(monkeypatch):
    def missing(_name):
        raise ImportError("Install gcsfs to access Google Storage")

    monkeypatch.setattr(fsspec, "get_filesystem_class", missing)
    code, out, err = run("show", "gs://bucket/model")
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and 'pip install "tfinspect[gcs]"' in err and "gcsfs" in err


def test_a_remote_file_over_the_size_cap_is_refused_before_it_is_read(monkeypatch):
    memory = fsspec.filesystem("memory")
    memory.pipe_file("/tfinspect-cap/frozen.pb", (ROOT / "fixtures/seed003/frozen_graph.pb").read_bytes())
    monkeypatch.setattr(importlib.import_module("inspector.load.protofile"), "PROTO_LIMIT", 100)
    fetched = Fetched(monkeypatch, "memory://tfinspect-cap")
    try:
        code, out, err = run("show", "memory://tfinspect-cap/frozen.pb")
    finally:
        memory.rm("/tfinspect-cap", recursive=True)
        location.forget_listings()
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and "more than any valid protobuf or text proto file can be (100 bytes at most)" in err
    assert fetched.by_file == {"/tfinspect-cap/frozen.pb": 8}  # only its last 8 bytes: is it a checkpoint table?


class _Denied(fsspec.implementations.memory.MemoryFileSystem):
    """A store that lists and describes its objects but refuses to hand out their bytes."""

    protocol = "denied"
    root_marker = "/"

    @classmethod
    def _strip_protocol(cls, path):
        return super()._strip_protocol("memory://" + path.removeprefix("denied://"))

    def cat_file(self, path, start=None, end=None, **kwargs):
        raise PermissionError(13, "403 Forbidden", path)


def test_permission_denied_is_a_one_line_error(monkeypatch):
    fsspec.register_implementation("denied", _Denied, clobber=True)
    store = _Denied()
    store.pipe_file("/model/saved_model.pb", (ROOT / "fixtures/seed003/SavedModel/saved_model.pb").read_bytes())
    try:
        code, out, err = run("show", "denied://model")
    finally:
        store.rm("/model", recursive=True)
        location.forget_listings()
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and "saved_model.pb: permission denied" in err, err


def test_https_style_urls_read_files_from_a_plain_http_server(monkeypatch):
    """fsspec's http file system, against Python's http.server (which ignores Range headers)."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(ROOT / "fixtures"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    monkeypatch.setattr(http.server.SimpleHTTPRequestHandler, "log_message", lambda *args: None)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.chdir(ROOT)
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        for argv in (("show", "seed003/SavedModel/saved_model.pb"), ("ckpt", "ckpt_sharded/ckpt", "--verify")):
            local, url = f"fixtures/{argv[1]}", f"{base}/{argv[1]}"
            code, out, err = run(argv[0], local, *argv[2:])
            remote = run(argv[0], url, *argv[2:])
            assert remote[0] == code == 0 and remote[2] == err == ""
            assert _same(remote[1].replace(base + "/", "fixtures/")) == _same(out)
    finally:
        server.shutdown()
        server.server_close()
        location.forget_listings()


def test_check_finds_a_saved_model_copied_without_its_graph_file_at_a_url(monkeypatch):
    monkeypatch.chdir(ROOT)
    memory = fsspec.filesystem("memory")
    memory.put(str(ROOT / "fixtures/keras_export/variables"), "/tfinspect-nopb/model/variables", recursive=True)
    try:
        code, out, _ = run("check", "memory://tfinspect-nopb/model", "--json")
    finally:
        memory.rm("/tfinspect-nopb", recursive=True)
        location.forget_listings()
    assert code == 1 and "TFI101" in out and "variables" in out


def test_run_refuses_a_url_in_one_line(monkeypatch):
    memory = fsspec.filesystem("memory")
    memory.put(str(ROOT / "fixtures/seed003/SavedModel"), "/tfinspect-run/model", recursive=True)
    try:
        code, out, err = run("run", "memory://tfinspect-run/model", "--inputs", "x=1")
    finally:
        memory.rm("/tfinspect-run", recursive=True)
        location.forget_listings()
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and "run executes a model from local files only" in err


def _audit_rows(path) -> list[dict]:
    import json

    return [json.loads(line) for line in Path(path).read_text().splitlines()]


def _portable(rows: list[dict]) -> list[dict]:
    """Rows without what differs between a local copy and a bucket: the root, the change tokens, and the
    note that a remote checkpoint's checksums were not compared (locally check compares those of a small one)."""
    return [{**{k: v for k, v in row.items() if k not in ("root", "stamp")},
             "integrity": [f for f in row["integrity"] or [] if (f["code"], f["severity"]) != ("TFI211", "info")]}
            for row in rows]


@pytest.fixture
def local_copy(tmp_path) -> Path:
    """The uploaded fixtures, and nothing else, in a local folder laid out as in the buckets."""
    from helpers.registry import link_tree

    for folder in UPLOADED:
        link_tree(ROOT / folder, tmp_path / folder)
    return tmp_path / "fixtures"


@pytest.mark.parametrize("scheme", ["gs", "s3"])
def test_audit_lists_a_bucket_once_and_reads_what_check_reads(stores, monkeypatch, local_copy, tmp_path, scheme):
    url = f"{stores[scheme]}/fixtures"
    assert run("audit", str(local_copy), "-o", str(tmp_path / "local.jsonl"), "--jobs", "1")[0] == 1  # ckpt_sharded: TFI104
    listings = Counter()
    original = location.call

    def counted(where, name, *args, **kwargs):
        listings.update([name])
        return original(where, name, *args, **kwargs)

    location.forget_listings()
    fetched = Fetched(monkeypatch, url)
    monkeypatch.setattr(location, "call", counted)
    code, _out, err = run("audit", url, "-o", str(tmp_path / "remote.jsonl"), "--jobs", "1")
    assert (code, err) == (1, "")
    local, remote = _audit_rows(tmp_path / "local.jsonl"), _audit_rows(tmp_path / "remote.jsonl")
    assert [r["path"] for r in remote] == ["ckpt_sharded/ckpt", "keras_export", "seed001/mnist/1",
                                           "seed001/mnist/2", "seed003/SavedModel"]
    assert _portable(remote) == _portable(local) and all(r["root"] == url for r in remote)
    assert listings["find"] == 1 and not listings["ls"] and not listings["glob"]  # one listing of the tree
    audited = Counter(fetched.by_file)
    # check, one artifact at a time, reads the same bytes: the graph, the index, what the rules need
    each = Counter()
    for row in remote:
        location.forget_listings()
        fetched.by_file.clear()
        assert run("check", f"{url}/{row['path']}")[0] in (0, 1)
        each.update(fetched.by_file)
    assert audited == each
    assert not any(".data-" in name for name in audited if name.startswith("ckpt_sharded"))
    print(f"audit of {url}: {sum(audited.values()):,} bytes read of "
          f"{sum(r['size'] for r in remote):,} in the artifacts' files")


def test_audit_of_a_bucket_with_worker_processes(stores, monkeypatch, local_copy, tmp_path):
    """A fresh process, as a user runs it: the workers reach the bucket with the same settings."""
    from conftest import run_cli

    monkeypatch.setenv("FSSPEC_GS_TOKEN", "anon")  # what fsspec.config.conf says in this process, for the workers
    url = f"{stores['gs']}/fixtures"
    result = run_cli("audit", url, "-o", tmp_path / "remote.jsonl", "--jobs", "2")
    assert (result.code, result.err) == (1, "")
    assert run("audit", str(local_copy), "-o", str(tmp_path / "local.jsonl"), "--jobs", "1")[0] == 1
    assert _portable(_audit_rows(tmp_path / "remote.jsonl")) == _portable(_audit_rows(tmp_path / "local.jsonl"))
    stamps = {r["path"]: r["stamp"] for r in _audit_rows(tmp_path / "remote.jsonl")}
    location.forget_listings()
    resumed = run_cli("audit", url, "-o", tmp_path / "remote.jsonl", "--jobs", "2", "--resume")
    assert (resumed.code, resumed.err) == (1, "")
    assert {r["path"]: r["stamp"] for r in _audit_rows(tmp_path / "remote.jsonl")} == stamps


def test_metadata_at_a_url_takes_version_like_every_serving_command(monkeypatch, tmp_path):
    memory = fsspec.filesystem("memory")
    memory.put(str(ROOT / "fixtures/seed001/mnist"), "/tfinspect-meta/mnist", recursive=True)
    try:
        single = run("metadata", "memory://tfinspect-meta/mnist/1", "--version", "7")
        assert single[0] == 0 and json.loads(single[1])["model_spec"]["version"] == "7"
        tree = run("metadata", "memory://tfinspect-meta/mnist", "--version", "1")
        assert tree[0] == 0 and json.loads(tree[1])["model_spec"] == {"name": "mnist", "signature_name": "",
                                                                      "version": "1"}
        assert run("request", "memory://tfinspect-meta/mnist", "--version", "1")[0] == 0
    finally:
        memory.rm("/tfinspect-meta", recursive=True)
        location.forget_listings()


def test_a_short_shard_at_a_url_is_found_from_the_listing(monkeypatch, tmp_path):
    from helpers.uploads import damaged_copy

    damaged = damaged_copy(ROOT / "fixtures/seed000/exported_model", "shard-half", tmp_path)
    memory = fsspec.filesystem("memory")
    memory.put(str(damaged), "/tfinspect-short/export", recursive=True)
    try:
        fetched = Fetched(monkeypatch, "memory://tfinspect-short")
        code, out, _ = run("check", "memory://tfinspect-short/export", "--json")
        found = {f["code"]: f for f in json.loads(out)["findings"]}
        assert code == 1 and "TFI210" in found and "cut short" in found["TFI210"]["message"]
        assert found["TFI211"]["severity"] == "info"  # a URL's checksums are compared only with --deep
        assert not any(name.endswith(".data-00000-of-00001") for name in fetched.by_file)
    finally:
        memory.rm("/tfinspect-short", recursive=True)
        location.forget_listings()
