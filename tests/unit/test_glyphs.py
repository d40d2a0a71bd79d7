"""When the product draws with ASCII (`glyphs.wanted`: TERM x locale x flag), and the fallback
that turns any character into ASCII of the same width."""

from __future__ import annotations

import io

import pytest

from proximity_tui import glyphs
from proximity_tui.text import SafeStream

UTF8 = {"LANG": "en_US.UTF-8"}

TERMS = {
    "xterm-256color": False,
    "screen-256color": False,
    "tmux-256color": False,
    "linux": True,  # the Proxmox host's own console
    "vt100": True,
    "vt220": True,
    "vt100-am": True,
    "dumb": True,
    "LINUX": True,
    "": False,  # unset: the locale decides
    "no-such-terminal": False,  # unknown: Unicode, unless the locale says otherwise
    "linuxish": False,  # a prefix is not a name
}

LOCALES = {
    "en_US.UTF-8": True,
    "C.UTF-8": True,
    "de_DE.utf8": True,
    "sr_RS.UTF-8@latin": True,
    "C": False,
    "POSIX": False,
    "en_US": False,  # glibc: ISO-8859-1
    "en_US.ISO-8859-1": False,
    "": False,  # nothing set: the C locale
}


@pytest.mark.parametrize("term", TERMS)
@pytest.mark.parametrize("lang", LOCALES)
@pytest.mark.parametrize("flag", [False, True])
def test_the_mode_follows_flag_term_and_locale(term, lang, flag):
    env = {"TERM": term, "LANG": lang}
    expected = flag or TERMS[term] or not LOCALES[lang]
    assert glyphs.wanted(flag, env) is expected


def test_term_does_not_count_when_the_output_is_not_a_terminal():
    env = {"TERM": "linux", **UTF8}
    assert glyphs.wanted(False, env, terminal=True)
    assert not glyphs.wanted(False, env, terminal=False)
    assert glyphs.wanted(False, {"TERM": "xterm", "LANG": "C"}, terminal=False)


def test_lc_all_then_lc_ctype_then_lang():
    assert glyphs.wanted(False, {"LC_ALL": "C", "LC_CTYPE": "C.UTF-8", **UTF8})
    assert glyphs.wanted(False, {"LC_ALL": "C.UTF-8", "LANG": "C"}) is False
    assert glyphs.wanted(False, {"LC_CTYPE": "POSIX", **UTF8})
    assert not glyphs.wanted(False, {"LC_ALL": "", "LC_CTYPE": "en_GB.UTF-8", "LANG": "C"})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", True),
        ("yes", True),
        ("TRUE", True),
        ("0", False),
        ("off", False),
        ("", False),
        ("maybe", True),
    ],
)
def test_proximity_ascii_variable(value, expected):
    assert glyphs.wanted(False, {"TERM": "xterm", "PROXIMITY_ASCII": value, **UTF8}) is expected


def test_the_ascii_table_is_ascii_and_each_table_names_the_same_glyphs():
    for name in glyphs.ASCII.__dataclass_fields__:
        assert getattr(glyphs.ASCII, name).isascii(), name
        assert getattr(glyphs.UNICODE, name), name
    assert len(glyphs.ASCII.levels) == len(glyphs.UNICODE.levels)


def test_use_switches_the_current_table():
    try:
        assert glyphs.use(True) is glyphs.ASCII and glyphs.is_ascii()
        assert glyphs.current().running == "*"
    finally:
        glyphs.use(False)
    assert glyphs.current().running == "●"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("● running", "* running"),
        ("○ stopped ◐ …", "o stopped ~ ."),
        ("✔ done ✖ failed ↺", "+ done x failed <"),
        ("╭──╮│┃┏━┓└┘├┤┼", "+--+||+-++++++"),
        ("▁▂▃▄▅▆▇█", "-_.-=+*|"),
        ("⠁⠋⠀⣿", ".: #"),
        ("café", "cafe"),
        ("漢", "??"),  # a wide character keeps its two columns
        ("🔎 x", ">  x"),  # a wide symbol with a meaning: that, then a space
        ("▔▔▁▁", "----"),  # Textual's tall borders
        ("e\u0301", "e"),  # a combining accent takes no column
        ("plain ascii", "plain ascii"),
    ],
)
def test_asciify_keeps_every_column(text, expected):
    out = glyphs.asciify(text)
    assert out == expected
    assert out.isascii()


def test_the_cli_stream_writes_printable_ascii():
    buffer = io.StringIO()
    stream = SafeStream(buffer, glyphs.asciify)
    assert stream.write("✔ ok · 3 apps…\x1b[2J\n") == len("✔ ok · 3 apps…\x1b[2J\n")
    stream.writelines(["● a\n", "plain\n"])
    assert buffer.getvalue() == "+ ok . 3 apps.\\x1b[2J\n* a\nplain\n"
    assert stream.getvalue() == buffer.getvalue()  # other attributes are the stream's
