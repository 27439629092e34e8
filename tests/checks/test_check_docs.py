"""The rule tables in the check page and docs/pages/rules/ are generated from the rules, and `--explain` covers targets."""

from __future__ import annotations

from conftest import ROOT, run_cli

from inspector.checks import RULES
from inspector.checks.core import TARGET_MEANING, TARGETS
from inspector.checks.docs import DOCUMENTED, refresh


def test_rule_docs_are_current():
    for name in DOCUMENTED:
        text = (ROOT / name).read_text(encoding="utf-8")
        assert refresh(text) == text, f"{name} is stale: run python -m inspector.checks.docs --write"


def test_every_rule_appears_in_the_check_page_with_its_listed_severity():
    readme = (ROOT / "docs" / "pages" / "commands" / "check.md").read_text(encoding="utf-8")
    listed = {r["code"]: r for r in run_cli("check", "--list-rules", "--json").json()["rules"]}
    assert set(listed) == set(RULES)
    for code, rule in listed.items():
        assert f"| {code} | {rule['severity']} |" in readme
    for code in RULES:
        where = "docs/pages/rules/signatures.md" if code[3] in "34" else "docs/pages/rules/graph.md" if code[3] in "25" else None
        if where:
            assert f"### {code} " in (ROOT / where).read_text(encoding="utf-8")


def test_explain_says_what_each_target_means():
    for target in TARGETS:
        result = run_cli("check", "--explain", target)
        assert result.code == 0 and TARGET_MEANING[target].split()[0] in result.out
    assert "tf.compat.v1.saved_model.loader.load" in run_cli("check", "--explain", "python-v1").out
    data = run_cli("check", "--explain", "python", "--json").json()
    assert data["schema_version"] == 1 and data["targets"][0]["target"] == "python"
    bad = run_cli("check", "--explain", "tf-servign")
    assert bad.code == 2 and bad.out == "" and "python-v1" in bad.err
