"""The one sanitiser for strings that come from an artifact.

Names, tags, paths and attribute values inside a model are data written by
someone else.  Before any of them reaches a terminal, an error message, a DOT
file or an HTML page, control characters are made visible: ESC becomes ``\\x1b``,
a newline ``\\n``, NUL ``\\x00``, DEL ``\\x7f``, and so on, so that no escape
sequence can recolour the terminal, set its title, plant a hyperlink or hide
text.  JSON output keeps strings exact (the JSON encoder escapes them).
"""

from __future__ import annotations

import re

# C0 controls, DEL, C1 controls, and the Unicode format/separator characters that
# reorder or hide text (bidi overrides, zero-width, line/paragraph separators).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _show(match: re.Match) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible(value: object) -> str:
    """``value`` as text with every control or invisible formatting character shown as an escape."""
    text = "" if value is None else str(value)
    return _UNSAFE.sub(_show, text) if _UNSAFE.search(text) else text


def all_visible(texts) -> bool:
    """True when none of ``texts`` (strings) holds a character ``visible`` would escape: one scan for many."""
    return not _UNSAFE.search("".join(texts))


def visible_lines(value: object) -> str:
    """Like ``visible`` but newlines stay: for text already laid out in lines by a renderer."""
    text = "" if value is None else str(value)
    if not _UNSAFE.search(text):
        return text
    return "\n".join(_UNSAFE.sub(_show, line) for line in text.split("\n"))


# Characters JSON may carry raw inside a string (only C0 controls must be escaped) but a
# terminal would act on: DEL, the C1 controls (0x9b is CSI), and the invisible formatting ones.
_JSON_RAW = re.compile("[\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")


def json_safe(text: str) -> str:
    """JSON text with the characters a terminal acts on written as ``\\uXXXX`` escapes.

    They can only occur inside JSON strings, so the document decodes to exactly the
    same values.
    """
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", text) if _JSON_RAW.search(text) else text


def pbtxt_safe(text: str) -> str:
    """Text-format protobuf with the characters a terminal acts on written as octal byte escapes.

    protobuf's printer escapes C0 controls but leaves DEL, C1 controls and bidi
    characters raw inside strings; as ``\\ooo`` escapes of their UTF-8 bytes the
    text still parses back to exactly the same message.
    """
    if not _JSON_RAW.search(text):
        return text
    return _JSON_RAW.sub(lambda m: "".join(f"\\{byte:03o}" for byte in m.group().encode("utf-8")), text)
