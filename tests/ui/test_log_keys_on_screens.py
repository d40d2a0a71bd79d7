"""The log keys where the logs are: the operation progress screen (its step list hides at 80
columns, `s` brings it back) and App detail's Logs tab: `/` highlights and counts, `n` moves,
`&` filters, `w` wraps, the header says which; Escape clears the search before leaving."""

from __future__ import annotations

from textual.widgets import Static

from proximity_tui.app import make_app
from proximity_tui.screens.app_detail import LogView
from proximity_tui.screens.apps import AppsScreen
from proximity_tui.screens.deploy_progress import DeployProgressScreen
from proximity_tui.widgets.follow_log import FollowLog
from proximity_tui.widgets.log_search_input import LogSearchInput
from tests.ui.helpers import detail_logs, on_screen, wait_for


def _status(screen) -> str:
    return str(screen.query_one("#log-status", Static).render())


async def _finished_progress(pilot, services, size):
    await pilot.resize_terminal(*size)
    await on_screen(pilot, AppsScreen)
    pilot.app.open_progress(services.call(services.apps.operations())[0].id)
    progress = await on_screen(pilot, DeployProgressScreen)
    await wait_for(pilot, lambda: progress.status == "succeeded")
    return progress


async def test_progress_step_list_hides_at_80_columns_and_s_toggles_it(world):
    services = world.services(1)
    app = make_app(services, services.settings)
    async with app.run_test(size=(80, 24)) as pilot:
        progress = await _finished_progress(pilot, services, (80, 24))
        steps, log = progress.query_one("#steps-pane"), progress.query_one(FollowLog)
        await wait_for(pilot, lambda: not steps.display and log.size.width >= 78)
        await pilot.press("s")
        await wait_for(pilot, lambda: steps.display and log.size.width < 40)
        await pilot.press("s")
        await wait_for(pilot, lambda: not steps.display and log.size.width >= 78)
        await pilot.resize_terminal(120, 30)  # the choice holds across a resize
        await wait_for(pilot, lambda: progress.size.width == 120)
        assert not steps.display
        await pilot.press("s")
        await wait_for(pilot, lambda: steps.display)

    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 30)) as pilot:  # wide: shown without asking
        progress = await _finished_progress(pilot, services, (120, 30))
        assert progress.query_one("#steps-pane").display


async def test_progress_log_search_count_next_filter_wrap_and_escape(world):
    services = world.services(1)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 30)) as pilot:
        progress = await _finished_progress(pilot, services, (120, 30))
        log = progress.query_one(FollowLog)
        assert app.focused is log
        await wait_for(pilot, lambda: "following · no wrap" in _status(progress))
        steps = [line for line in log.lines if line.startswith("── ")]
        assert len(steps) > 3

        await pilot.press("slash")
        progress.query_one(LogSearchInput).value = "──"  # every step's header line
        await pilot.press("enter")
        assert app.focused is log
        total = sum(line.count("──") for line in log.lines)
        await wait_for(pilot, lambda: f"/{total}" in _status(progress))
        before = log.current_index
        assert before is not None
        await pilot.press("n")
        assert log.current_index == (before + 1) % total
        await wait_for(
            pilot, lambda: f"/── {(before + 1) % total + 1}/{total}" in _status(progress)
        )
        assert "paused · G follows" in _status(progress)
        await pilot.press("G")
        await wait_for(pilot, lambda: "following" in _status(progress))

        await pilot.press("w")
        await wait_for(pilot, lambda: "· wrap ·" in _status(progress))

        await pilot.press("ampersand", "enter")  # the same term, now as a filter
        assert list(log.lines) == steps
        assert f"&── {total} matches" in _status(progress)

        await pilot.press("escape")  # clears the search, stays
        assert app.screen is progress and log.search_term == ""
        assert not progress.query_one(LogSearchInput).display
        assert len(log.lines) > len(steps) and "──" not in _status(progress)
        await pilot.press("escape")  # now leaves
        await on_screen(pilot, AppsScreen)


async def test_detail_logs_search_highlights_filter_filters_w_wraps(world, monkeypatch):
    services = world.services(1)
    lines = [f"app-1  | request {i} {'failed' if i % 7 == 0 else 'ok'}" for i in range(60)]

    async def some_logs(app_id, *, tail, follow, on_line, stop=None):  # more than the sim's
        for line in lines:
            on_line(line)

    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        detail = await detail_logs(pilot, world, monkeypatch, some_logs)
        logs = detail.logs
        await wait_for(pilot, lambda: logs._log_loaded and len(logs.lines) == 60)
        log = detail.query_one(LogView)
        await wait_for(pilot, lambda: "· wrap" in _status(detail))
        word = "FAILED"
        having = [line for line in lines if "failed" in line]

        await pilot.press("slash", *word, "enter")  # highlights: every line still shown
        assert logs.search == word.lower()
        assert len(log.lines) >= len(logs.lines)
        await wait_for(pilot, lambda: f"/{word.lower()} " in _status(detail))
        assert len(log.matches) == len(having) == 9
        assert f"/{len(having)}" in _status(detail)

        await pilot.press("ampersand", "enter")  # filters: only the lines with it
        assert list(log.lines) == having
        await wait_for(pilot, lambda: "&failed 9 matches" in _status(detail))

        await pilot.press("escape")
        assert logs.search == "" and log.search_term == ""
        await pilot.press("w")  # the log has focus: its own w
        await wait_for(pilot, lambda: "· no wrap" in _status(detail))
        detail.query_one("#detail-tabs Tabs").focus()
        await pilot.pause()
        await pilot.press("w")  # from the tab bar too
        await wait_for(pilot, lambda: "· wrap" in _status(detail))
        await pilot.press("escape")
        await on_screen(pilot, AppsScreen)


async def test_help_and_footer_name_the_log_keys(world):
    from proximity_tui.screens.help import HelpScreen

    services = world.services(1)
    app = make_app(services, services.settings)
    async with app.run_test(size=(80, 24)) as pilot:
        progress = await _finished_progress(pilot, services, (80, 24))
        rows = {key: description for key, description, _on in HelpScreen._rows(progress)}
        assert {"w", "/", "&", "n N", "G", "s"} <= set(rows)
        assert rows["&"] == "Filter log" and rows["s"] == "Steps"
        # At 80 columns the footer keeps the screen's keys and ? Help (the header names modes).
        await wait_for(pilot, lambda: progress._footer_hidden is not None)
        await pilot.pause()
        shown = {b.binding.key for b in progress.active_bindings.values() if b.binding.show}
        assert {"w", "s", "slash", "question_mark"} <= shown and not {"1", "2", "3"} & shown
