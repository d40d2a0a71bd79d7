"""The progress log keeps following across resizes; scrolled up it stays put; G follows again."""

from __future__ import annotations

from textual.app import App, ComposeResult

from proximity_tui.widgets.follow_log import FollowLog


class _LogApp(App):
    def compose(self) -> ComposeResult:
        yield FollowLog(id="log")


async def test_a_resize_does_not_stop_following_and_g_resumes_it():
    app = _LogApp()
    async with app.run_test(size=(80, 40)) as pilot:
        log = app.query_one(FollowLog)
        log.focus()
        log.write_lines(f"line {i}" for i in range(200))
        await pilot.pause()
        assert log.is_vertical_scroll_end
        await pilot.resize_terminal(80, 15)  # a shorter pane: its end moves down
        await pilot.pause()
        log.write_line("after the resize")
        await pilot.pause()
        assert log.is_vertical_scroll_end and log.following

        await pilot.press("g")  # the reader scrolls up to read: new lines do not move the view
        log.write_line("while reading")
        await pilot.pause()
        assert log.scroll_y == 0 and not log.following

        await pilot.press("G")  # back to the end: following again
        log.write_line("followed again")
        await pilot.pause()
        assert log.is_vertical_scroll_end and log.following
