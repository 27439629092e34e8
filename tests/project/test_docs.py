"""The documentation site builds with --strict, and its generated pages come from the code."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT

from inspector.checks import RULES
from inspector.commands import COMMANDS


def _build(config, out) -> subprocess.CompletedProcess:
    """The README's docs command, with every warning shown (``-q`` would hide what ``--strict`` counts)."""
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "-d", str(out)],
                          capture_output=True, text=True, cwd=ROOT, check=False, timeout=300)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    proc = _build(ROOT / "docs" / "mkdocs.yml", out)
    assert proc.returncode == 0, proc.stderr
    assert "WARNING" not in proc.stderr, proc.stderr
    return out


def test_a_broken_link_fails_the_build(tmp_path):
    """The build above could fail: a copy of the docs with one link to a missing page does."""
    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "docs", docs, ignore=shutil.ignore_patterns("__pycache__"))
    page = docs / "pages" / "commands" / "show.md"
    page.write_text(page.read_text() + "\nSee [the missing page](../no-such-page.md).\n")
    proc = _build(docs / "mkdocs.yml", tmp_path / "site")
    assert proc.returncode != 0
    output = proc.stdout + proc.stderr
    assert "contains a link '../no-such-page.md'" in output
    assert "Aborted with 1 warnings in strict mode" in output


def _text(page) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", page.read_text())).split())


def test_every_rule_has_a_page_with_its_own_explanation(site):
    assert RULES
    for code, rule in RULES.items():
        text = _text(site / "rules" / code / "index.html")
        first_line = " ".join(rule.explanation.splitlines()[0].replace("`", "").split())
        assert first_line in text, code
        assert rule.severity.value in text
        assert f"--explain {code}" in text
    index = _text(site / "rules" / "index.html")
    assert all(code in index for code in RULES)


def test_every_command_page_shows_the_real_options(site):
    for info in COMMANDS:
        page = site / "commands" / info.name / "index.html"
        text = _text(page)
        assert f"usage: tfinspect {info.name}" in text, info.name
        assert "<!-- options -->" not in page.read_text()
    assert "--verify" in _text(site / "commands" / "ckpt" / "index.html")


def test_the_json_page_lists_every_published_schema(site):
    text = _text(site / "json" / "index.html")
    schemas = sorted((ROOT / "docs" / "schemas").glob("*.schema.json"))
    assert len(schemas) >= 14
    for path in schemas:
        published = site / "schemas" / path.name
        assert json.loads(published.read_text()) == json.loads(path.read_text())
        assert path.name in text and f'href="../schemas/{path.name}"' in (site / "json" / "index.html").read_text()
    assert "dump --json" in text and "json_format.Parse" in text
