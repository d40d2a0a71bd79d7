"""`proximity_tui.text`: the sanitizer's fast path for printable strings (issue 19's start-up)."""

from __future__ import annotations

import re

import pytest

from proximity_tui import text


def _unsafe_chars() -> list[str]:
    """Every character the sanitizer's class names, ranges expanded."""
    chars = []
    for low, high in re.findall(r"(.)(?:-(.))?", text._UNSAFE, flags=re.DOTALL):
        chars += [chr(c) for c in range(ord(low), ord(high or low) + 1)]
    return chars


def test_every_unsafe_character_is_one_isprintable_refuses():
    # `printable` returns a string `str.isprintable()` accepts as it is: that is exact only
    # while no character it must escape counts as printable.
    chars = _unsafe_chars()
    assert len(chars) > 2000  # the ranges were expanded (surrogates alone are 2,048)
    assert [hex(ord(c)) for c in chars if c.isprintable()] == []
    assert not any(c.isprintable() for c in "\t\n\r")


@pytest.mark.parametrize(
    "value",
    ["plain ascii", "café ● — ✓ 日本", "", "a\tb", "line\nnext", "\x1b]52;c;x\x07", "a\u202eb"],
)
def test_the_fast_path_gives_what_the_expression_gives(value):
    assert text.printable(value) == text._IN_LINE.sub(text._escape, value)
    assert text.printable_lines(value) == text._IN_BLOCK.sub(text._escape, value)


def test_unsafe_text_is_still_escaped():
    assert text.printable("a\x1b[2Jb\u202e") == "a\\x1b[2Jb\\u202e"
    assert text.printable_lines("one\r\ntwo\rthree\u200b") == "one\ntwo\\rthree\\u200b"
