"""The sanitiser shows control characters instead of emitting them."""

from inspector.sanitize import visible


def test_escape_sequences_become_visible_text():
    assert visible("a\x1b[31mred") == "a\\x1b[31mred"
    assert visible("\x1b]0;title\x07") == "\\x1b]0;title\\x07"
    assert visible("x\ny\rz\tw") == "x\\ny\\rz\\tw"
    assert visible("nul\x00del\x7f\x9b") == "nul\\x00del\\x7f\\x9b"
    assert visible("bidi\u202eoverride\u200b") == "bidi\\u202eoverride\\u200b"


def test_ordinary_names_are_unchanged():
    for name in ("dense/kernel:0", "serving_default", "ünïcode/名前", "[red]markup[/red]", ""):
        assert visible(name) == name
    assert visible(None) == ""
    assert visible(3) == "3"
