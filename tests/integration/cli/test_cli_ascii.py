"""The command line in ASCII: a C locale (piped or not), `--ascii` anywhere among the other
flags, or PROXIMITY_ASCII=1; a UTF-8 locale keeps Unicode, and TERM only counts on a terminal."""

from __future__ import annotations

import pytest

from proximity_tui.glyphs import asciify
from tests.commandline import clean_env, run_cli


@pytest.fixture
def env(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text("")

    def make(**extra: str) -> dict[str, str]:
        base = {"PROXIMITY_CONFIG": str(config), "PROXIMITY_DATA_DIR": str(tmp_path / "data")}
        environ = clean_env(**base, **extra)
        for name in ("LC_ALL", "LC_CTYPE", "LANG"):
            environ.pop(name, None)
        environ.update(extra)
        return environ

    return make


def test_a_c_locale_prints_ascii_and_a_utf8_one_keeps_unicode(env):
    utf8 = run_cli("catalog", "show", "grafanä", env=env(LANG="C.UTF-8", TERM="xterm"))
    assert utf8.returncode == 2 and "grafanä" in utf8.stderr
    for locale in ({"LANG": "C"}, {"LANG": "POSIX"}, {"LC_ALL": "C", "LANG": "C.UTF-8"}, {}):
        result = run_cli("catalog", "show", "grafanä", env=env(TERM="xterm", **locale))
        assert result.returncode == 2, locale
        assert "catalog app not found: grafana" in result.stderr, locale
        assert result.stderr.isascii(), (locale, result.stderr)


def test_the_catalog_table_is_ascii_in_a_c_locale_and_aligned(env):
    unicode = run_cli("catalog", env=env(LANG="C.UTF-8"))
    assert unicode.returncode == 0, unicode.stderr
    result = run_cli("catalog", env=env(LANG="C"))
    assert result.returncode == 0, result.stderr
    # Piped, nothing is clipped (commands/output.py): the same table, each character as ASCII
    # of the same width, so the columns stay aligned.
    assert result.stdout.isascii() and result.stdout == asciify(unicode.stdout)
    assert "..." not in result.stdout and "…" not in unicode.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("--ascii", "catalog", "show", "grafanä"),
        ("catalog", "show", "grafanä", "--ascii"),
        ("catalog", "--ascii", "--config", "{config}", "show", "grafanä"),
    ],
)
def test_ascii_flag_anywhere_with_other_flags(env, args):
    environ = env(LANG="C.UTF-8")
    args = tuple(a.replace("{config}", environ["PROXIMITY_CONFIG"]) for a in args)
    result = run_cli(*args, env=environ)
    assert result.returncode == 2
    assert "catalog app not found: grafana" in result.stderr and result.stderr.isascii()


def test_the_environment_variable_and_term_when_piped(env):
    forced = run_cli("catalog", "show", "grafanä", env=env(LANG="C.UTF-8", PROXIMITY_ASCII="1"))
    assert "grafana" in forced.stderr and forced.stderr.isascii()
    # TERM describes a terminal: output to a pipe from the Linux console stays UTF-8 when the
    # locale is UTF-8 (a file or another program reads it, not the console's font).
    piped = run_cli("catalog", "show", "grafanä", env=env(LANG="C.UTF-8", TERM="linux"))
    assert "grafanä" in piped.stderr
