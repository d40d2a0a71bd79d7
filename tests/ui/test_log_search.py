"""The log view's search (k9s / less): `/` highlights every match and the current one distinctly,
`n`/`N` move through them with a "3/17" count and hold the view, `G` follows again; `&` keeps
only the matching lines; `w` toggles wrapping (long lines scroll sideways when off)."""

from __future__ import annotations

from rich.style import Style
from textual.app import App, ComposeResult

from proximity_tui.widgets.follow_log import FollowLog
from proximity_tui.widgets.log_search import find_in, search_status
from proximity_tui.widgets.log_search_input import LogSearchInput
from tests.ui.helpers import wait_for

LINES = 10_000


class _LogApp(App):
    def __init__(self, wrap: bool = False) -> None:
        super().__init__()
        self.wrap = wrap

    def compose(self) -> ComposeResult:
        yield LogSearchInput("#log")
        yield FollowLog(id="log", max_lines=2 * LINES, wrap=self.wrap)

    def on_mount(self) -> None:
        self.query_one(FollowLog).focus()

    def action_search(self, filtering: bool) -> None:
        self.query_one(LogSearchInput).open_as(filtering=filtering)


def _lines() -> list[str]:
    # Every 500th line is an error: 20 matches for "error" (one line has two).
    lines = [f"line {i} ok" for i in range(LINES)]
    for i in range(0, LINES, 500):
        lines[i] = f"line {i} ERROR disk full"
    lines[1000] += " (error again)"
    return lines


def _styled(log: FollowLog, y: int, style_name: str) -> list[str]:
    """The texts of row `y` drawn with the component style `style_name` (its background)."""
    bgcolor = log.get_component_rich_style(style_name).bgcolor
    strip = log._render_line_strip(y, Style())
    return [seg.text for seg in strip if seg.style and seg.style.bgcolor == bgcolor]


def _row_of(log: FollowLog, number: int) -> int:
    return next(y for y, row in enumerate(log._rows) if row[0] == number)


def test_find_and_count_words():
    assert find_in("Error, error; ERRORS", "error") == [0, 7, 14]
    assert find_in("nothing here", "error") == []
    assert search_status("error", False, 17, 2) == "/error 3/17"
    assert search_status("error", True, 17, None) == "&error 17 matches"
    assert search_status("error", False, 0, None) == "/error no match"
    assert search_status("", False, 0, None) == ""


async def test_search_highlights_every_match_n_moves_and_holds_the_view_g_follows():
    app = _LogApp()
    async with app.run_test(size=(100, 30)) as pilot:
        log = app.query_one(FollowLog)
        log.write_lines(_lines())
        await pilot.pause()
        assert log.following and len(log.lines) == LINES

        app.action_search(False)
        await pilot.press(*"error")
        await wait_for(pilot, lambda: log.search_term == "error")  # after a pause in typing
        assert len(log.matches) == 21
        await pilot.press("enter")  # applied, back in the log: n is the next key
        assert app.focused is log
        # From the end of the log the first match below the view is none: it wraps to the top.
        assert log.status() == "no wrap · /error 1/21"
        first = _row_of(log, 0)
        assert log.scroll_y <= first < log.scroll_y + log.size.height
        assert _styled(log, first, "follow-log--current") == ["ERROR"]

        await pilot.press("n")
        assert log.status() == "no wrap · /error 2/21"
        row = _row_of(log, 500)
        assert log.scroll_y <= row < log.scroll_y + log.size.height
        assert _styled(log, row, "follow-log--current") == ["ERROR"]
        assert _styled(log, first, "follow-log--match") == ["ERROR"]  # still marked, not current
        assert _styled(log, first, "follow-log--current") == []

        await pilot.press("n", "n")  # the line with two matches: the second is current now
        row = _row_of(log, 1000)
        assert log.status() == "no wrap · /error 4/21"
        assert _styled(log, row, "follow-log--match") == ["ERROR"]
        assert _styled(log, row, "follow-log--current") == ["error"]

        await pilot.press("N", "N", "N", "N")  # back past the first: wraps to the last
        assert log.status() == "no wrap · /error 21/21"

        # Moving through matches held the view: new lines do not pull it to the end.
        assert not log.following
        top = log._rows[int(log.scroll_y)]  # the same line stays at the top (old lines drop)
        log.write_lines([f"new {i}" for i in range(50)])
        await pilot.pause()
        assert log._rows[int(log.scroll_y)] == top and not log.following
        # New lines are searched as they come.
        log.write_line("late error")
        await wait_for(pilot, lambda: log.status() == "no wrap · /error 21/22")

        await pilot.press("G")  # follows again
        log.write_line("after G")
        await pilot.pause()
        assert log.following and log.is_vertical_scroll_end

        app.action_search(False)
        app.query_one(LogSearchInput).value = "no such thing"
        await pilot.press("enter")
        assert log.status() == "no wrap · /no such thing no match" and log.matches == []


async def test_filter_keeps_only_matching_lines_and_escape_clears_it():
    app = _LogApp()
    async with app.run_test(size=(100, 30)) as pilot:
        log = app.query_one(FollowLog)
        log.write_lines(_lines())
        app.action_search(True)
        await pilot.press(*"error", "enter")
        assert len(log.lines) == 20 and all("error" in line.lower() for line in log.lines)
        assert log.status() == "no wrap · &error 21 matches"
        log.write_lines(["ok again", "another error"])  # the filter applies to new lines
        await pilot.pause()
        assert len(log.lines) == 21 and log.lines[-1] == "another error"

        app.action_search(True)
        await pilot.press("escape")
        assert len(log.lines) == LINES + 2 and log.status() == "no wrap"


async def test_wrap_toggles_long_lines_scroll_sideways_when_off():
    long_line = "start " + "x" * 300 + " END"
    app = _LogApp(wrap=True)
    async with app.run_test(size=(80, 20)) as pilot:
        log = app.query_one(FollowLog)
        log.write_lines(["short", long_line])
        await pilot.pause()
        assert log.status() == "wrap"
        assert len(log.lines) > 2 and all(len(line) <= log.size.width for line in log.lines)
        assert log.max_scroll_x == 0

        await pilot.press("w")
        assert log.status() == "no wrap"
        assert list(log.lines) == ["short", long_line]
        await wait_for(pilot, lambda: log.max_scroll_x > 0)  # long lines scroll sideways
        await pilot.press("right")
        assert log.scroll_x > 0

        # A match far to the right of a long line is scrolled into view.
        app.action_search(False)
        await pilot.press(*"end", "enter")
        assert log.scroll_x <= long_line.index("END") < log.scroll_x + log.size.width
        await pilot.press("w")  # wrapped again, the match highlighted in its piece
        assert log.status() == "wrap · /end 1/1" and log.scroll_x == 0
        last = len(log.lines) - 1
        assert _styled(log, last, "follow-log--current") == ["END"]


async def test_a_match_split_by_wrapping_is_highlighted_in_both_pieces():
    app = _LogApp(wrap=True)
    async with app.run_test(size=(40, 10)) as pilot:
        log = app.query_one(FollowLog)
        width = log._wrap_width()
        log.write_line("a" * (width - 2) + "needle tail")
        app.action_search(False)
        await pilot.press(*"needle", "enter")
        assert log.status() == "wrap · /needle 1/1"
        assert _styled(log, 0, "follow-log--current") == ["ne"]
        assert _styled(log, 1, "follow-log--current") == ["edle"]


async def test_old_lines_drop_out_with_their_matches():
    app = _LogApp()
    async with app.run_test(size=(80, 20)) as pilot:
        log = app.query_one(FollowLog)
        log.keep = 100
        log.write_lines([f"error {i}" for i in range(100)])
        app.action_search(False)
        await pilot.press(*"error", "enter")
        assert len(log.matches) == 100
        current = log._current
        assert current is not None and current[0] >= 30  # the first match in the view
        log.write_lines([f"fine {i}" for i in range(30)])
        await pilot.pause()
        assert len(log.lines) == len(log._rows) == 100
        assert len(log.matches) == 70 and log.lines[0] == "error 30"
        assert log._current == current  # the same match, its number shifted
        assert log.status() == f"no wrap · /error {current[0] - 30 + 1}/70"
