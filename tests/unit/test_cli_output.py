"""The command line's one output path (`commands/output.py`): human sizes, JSON lines, colour
only on a terminal without NO_COLOR, whole values when piped, tables fitted to a terminal by the
dashboard's rule (a URL whole or `…`, an error cut at whole words)."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime

import pytest

from proximity_tui.commands import output
from proximity_tui.text import SafeStream

ESC = re.compile(r"\x1b\[[0-9;]*m")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def stdout(monkeypatch):
    """stdout as the CLI has it (wrapped in SafeStream); `tty` makes it a terminal."""

    def make(tty: bool) -> io.StringIO:
        raw = Terminal() if tty else io.StringIO()
        monkeypatch.setattr("sys.stdout", SafeStream(raw))
        return raw

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    return make


@pytest.mark.parametrize(
    ("size", "text"),
    [(0, "0B"), (512, "512B"), (1024, "1.0K"), (27839692, "26.5M"), (3 * 2**30, "3.0G"),
     (None, "-")],
)  # fmt: skip
def test_human_sizes(size, text):
    assert output.human_size(size) == text


def test_json_is_one_object_per_line_with_iso_times(stdout):
    raw = stdout(tty=False)
    when = datetime(2026, 12, 7, 9, 4, 21, tzinfo=UTC)
    output.print_json_lines([{"a": 1, "at": when}, {"a": 2, "at": None}])
    lines = raw.getvalue().splitlines()
    assert [json.loads(line) for line in lines] == [
        {"a": 1, "at": "2026-12-07T09:04:21+00:00"},
        {"a": 2, "at": None},
    ]
    output.print_json_lines([])
    assert raw.getvalue().count("\n") == 2  # an empty listing prints nothing


ROWS = [
    ["web1", "running", "http://10.10.0.24:5006/", "compose up failed: pull access denied for x"],
    ["web2", "error", "-", ""],
]
COLUMNS = ("hostname", "status", "url", "error")


def test_piped_tables_are_plain_and_whole(stdout):
    raw = stdout(tty=False)
    output.print_table(COLUMNS, ROWS, width=30)  # a pipe has no width: nothing is cut
    text = raw.getvalue()
    assert "\x1b" not in text and "…" not in text
    assert "http://10.10.0.24:5006/" in text and "pull access denied for x" in text
    assert text.splitlines()[0].split() == list(COLUMNS)


def test_a_terminal_table_is_coloured_and_fits_without_cutting_tokens(stdout):
    raw = stdout(tty=True)
    output.print_table(COLUMNS, ROWS, width=60)
    text = raw.getvalue()
    assert "\x1b[1mhostname" in text and "\x1b[32mrunning" in text and "\x1b[31merror" in text
    plain = [ESC.sub("", line) for line in text.splitlines()]
    assert all(len(line) <= 60 for line in plain), plain
    # The error gives room first, at whole words; the URL keeps all of it.
    assert plain[1].endswith("http://10.10.0.24:5006/  compose up…"), plain
    raw = stdout(tty=True)
    output.print_table(COLUMNS, ROWS, width=40)  # too narrow for the URL: `…`, never a part
    row = ESC.sub("", raw.getvalue().splitlines()[1])
    assert "http" not in row and "  …  " in row, row


def test_no_color_and_dumb_terminals_get_no_escapes(stdout, monkeypatch):
    for name, value in (("NO_COLOR", "1"), ("TERM", "dumb")):
        raw = stdout(tty=True)
        monkeypatch.setenv(name, value)
        output.print_table(COLUMNS, ROWS, width=200)
        assert "\x1b" not in raw.getvalue() and "running" in raw.getvalue()
        monkeypatch.delenv("NO_COLOR", raising=False)
        monkeypatch.setenv("TERM", "xterm-256color")


def test_cells_stay_inert_when_coloured(stdout):
    raw = stdout(tty=True)
    output.print_table(("hostname", "status"), [["evil\x1b]52;c;x\x07", "running"]], width=80)
    text = raw.getvalue()
    assert "\\x1b]52" in text and "\x1b]52" not in text  # our colours only, theirs shown
