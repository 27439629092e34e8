"""Every artifact the conformance suite holds against TensorFlow.

Two sources: the project's own ``fixtures/`` and the real-world exports in
``../shared/corpus/`` (made by other people with older TensorFlow releases).
Each artifact file found is classified by what it is on disk (a SavedModel
directory, a ``.meta`` file, a graph proto, a checkpoint prefix), never by what
tfinspect says about it, so a file tfinspect fails to read still shows up.
Under ``CI=true`` a missing corpus is a failure, not a skip.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
CORPUS = Path(os.environ.get("TFINSPECT_CORPUS", ROOT.parent / "shared" / "corpus"))

_SHARD = re.compile(r"\.data-\d{5}-of-\d{5}$")
_STATE_PATH = re.compile(r'^\s*(?:all_)?model_checkpoint_paths?:\s*"((?:[^"\\]|\\.)*)"', re.MULTILINE)
# Protocol buffers that sit next to graphs but are not graphs.
NOT_GRAPHS = frozenset({"fingerprint.pb", "keras_metadata.pb"})
# Artifacts TensorFlow itself cannot read (artifact id -> why): nothing to hold tfinspect to.
# A test checks that TensorFlow reads every other artifact and fails on exactly these.
TF_UNREADABLE: dict[str, str] = {}


@dataclass(frozen=True)
class Artifact:
    source: str  # "fixtures" or "corpus/<folder>"
    kind: str  # saved_model | meta_graph | graph_def | checkpoint
    path: Path  # the SavedModel dir, the file, or the checkpoint prefix

    @property
    def id(self) -> str:
        base = FIXTURES if self.source == "fixtures" else CORPUS
        return f"{self.kind}:{self.source.split('/')[0]}/{self.path.relative_to(base)}"


def corpus_available() -> bool:
    return CORPUS.is_dir() and any(CORPUS.iterdir())


def require_corpus() -> None:
    """Fail under CI when the corpus is missing; elsewhere the caller may skip."""
    if not corpus_available() and os.environ.get("CI") == "true":
        raise AssertionError(f"the real-world corpus is missing at {CORPUS} (CI must have ../shared beside the clone)")


def _source(path: Path) -> str:
    if path.is_relative_to(FIXTURES):
        return "fixtures"
    return "corpus/" + path.relative_to(CORPUS).parts[0] + "/" + path.relative_to(CORPUS).parts[1]


def _walk(base: Path) -> list[Artifact]:
    found: list[Artifact] = []
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames.sort()
        here = Path(dirpath)
        if here == FIXTURES:
            # Proof-of-concept exports that read and write files when run: only
            # tests/test_security_poc.py runs them, each in a temporary folder.
            dirnames[:] = [d for d in dirnames if d != "unsafe"]
        if "assets" in here.parts or "assets.extra" in here.parts:
            continue
        names = set(filenames)
        if "saved_model.pb" in names or "saved_model.pbtxt" in names:
            found.append(Artifact(_source(here), "saved_model", here))
            if (here / "variables" / "variables.index").is_file():
                found.append(Artifact(_source(here), "checkpoint", here / "variables" / "variables"))
            dirnames[:] = [d for d in dirnames if d not in ("variables", "assets", "assets.extra")]
            continue
        found += _v1_checkpoints(here, names)
        for name in sorted(filenames):
            path = here / name
            if name.endswith(".meta"):
                found.append(Artifact(_source(path), "meta_graph", path))
            elif name.endswith(".index"):
                found.append(Artifact(_source(path), "checkpoint", path.with_suffix("")))
            elif name.endswith((".pb", ".pbtxt")) and name not in NOT_GRAPHS:
                found.append(Artifact(_source(path), "graph_def", path))
    return found


def _v1_checkpoints(here: Path, names: set[str]) -> list[Artifact]:
    """V1 checkpoints (before 2017: a ``model.ckpt`` file, no ``.index``) that a ``checkpoint``
    state file names; the state file may hold absolute paths from another machine."""
    if "checkpoint" not in names:
        return []
    try:
        text = (here / "checkpoint").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    found = []
    for named in dict.fromkeys(_STATE_PATH.findall(text)):
        base = Path(named).name
        if base in names and f"{base}.index" not in names:
            found.append(Artifact(_source(here / base), "checkpoint", here / base))
    return found


def all_artifacts() -> list[Artifact]:
    """Fixtures, then corpus (when present), in a stable order."""
    found = _walk(FIXTURES)
    if corpus_available():
        found += _walk(CORPUS)
    return found


def saved_models() -> list[Artifact]:
    return [a for a in all_artifacts() if a.kind == "saved_model"]


# Exports whose copies are damaged as unfinished uploads, and how (every damage of tests/helpers/uploads.py
# on the first two; a TF2 module and two real exports by other people get some of them).
UPLOAD_SOURCES = (
    ("fixtures", "seed000/exported_model", ("shard-deleted", "shard-half", "tail-zeroed", "index-deleted")),
    ("fixtures", "keras_export", ("shard-deleted", "shard-half", "tail-zeroed", "index-deleted")),
    ("fixtures", "tf2_module", ("shard-half", "tail-zeroed")),
    ("corpus", "tfx/estimator_training/export/chicago-taxi/1646034756", ("shard-half", "tail-zeroed")),
    ("corpus", "tfx/keras_serving", ("shard-deleted", "tail-zeroed")),
)


@dataclass(frozen=True)
class DamagedUpload:
    """A damaged copy of an export (its id names the export and the damage)."""

    source: str
    origin: str
    damage: str
    path: Path

    @property
    def id(self) -> str:
        return f"upload:{self.source}/{self.origin}:{self.damage}"


def damaged_uploads(into: Path) -> list[DamagedUpload]:
    """Damaged copies (see tests/helpers/uploads.py) of fixture and corpus exports, made under ``into``."""
    from helpers.uploads import damaged_copy

    found = []
    for source, origin, damages in UPLOAD_SOURCES:
        base = FIXTURES if source == "fixtures" else CORPUS
        if source == "corpus" and not corpus_available():
            continue
        for how in damages:
            folder = into / source / origin.replace("/", "_")
            folder.mkdir(parents=True, exist_ok=True)
            found.append(DamagedUpload(source, origin, how, damaged_copy(base / origin, how, folder)))
    return found
