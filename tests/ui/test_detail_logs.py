"""The app detail's Logs tab: search and follow, a follow that never duplicates lines, a loading
state, long lines wrapped at 80 columns, Escape clearing the search before leaving, and why the
logs of a stopped app are empty."""

from __future__ import annotations

import asyncio
import threading

from textual.widgets import Static

from proximity_tui.app import make_app
from proximity_tui.screens.app_detail import AppDetailScreen, LogView
from proximity_tui.screens.apps import AppsScreen
from tests.ui.helpers import detail_logs, on_screen, wait_for


def _status(detail) -> str:
    return str(detail.query_one("#log-status", Static).render())


async def test_logs_follow_and_search(world):
    services = world.services(1)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await on_screen(pilot, AppsScreen)
        app.open_app(world.app_id(0), tab="logs")
        detail = await on_screen(pilot, AppDetailScreen)
        logs = detail.logs
        await wait_for(pilot, lambda: len(logs.lines) > 0, timeout=20)
        word = logs.lines[0].split()[0]
        await pilot.press("ampersand", *word)  # & filters (/ highlights: test_log_search.py)
        assert logs.search == word.lower()
        log = detail.query_one(LogView)
        await wait_for(pilot, lambda: log.search_term == word.lower() and log.filtering)
        shown = log.lines
        assert shown and all(word.lower() in line.lower() for line in shown)
        await pilot.press("escape")
        await pilot.press("f")  # follow: the stream is restarted, following
        assert logs.follow
        stream = logs._stop
        await pilot.press("escape")  # leaving stops the stream
        await on_screen(pilot, AppsScreen)
        assert stream is not None and stream.is_set()


async def test_follow_toggles_never_duplicate_lines(world):
    services = world.services(1)
    app = make_app(services, services.settings)
    async with app.run_test(size=(200, 60)) as pilot:
        await on_screen(pilot, AppsScreen)
        app.open_app(world.app_id(0), tab="logs")
        detail = await on_screen(pilot, AppDetailScreen)
        logs = detail.logs
        await wait_for(pilot, lambda: logs._log_loaded and len(logs.lines) > 0, timeout=20)
        log = detail.query_one(LogView)
        before = list(log.lines)
        assert len(before) == len(set(before)) > 0
        for _ in range(2):  # on, off, on, off: the follow replays the tail into a cleared view
            await pilot.press("f")
            assert logs.follow
            await wait_for(pilot, lambda: len(log.lines) >= len(before), timeout=20)
            await wait_for(pilot, lambda: "following" in _status(detail))
            assert all(log.lines.count(line) == 1 for line in before)
            await pilot.press("f")
            assert not logs.follow
            assert all(log.lines.count(line) == 1 for line in before)
        assert len(log.lines) == len(before)


async def test_loading_state_then_long_lines_wrap_at_80_columns(world, monkeypatch):
    services = world.services(1)
    long_line = "app-1  | " + "x" * 150 + " END"
    release = threading.Event()

    async def slow_logs(app_id, *, tail, follow, on_line, stop=None):
        while not release.is_set():  # the SSH round trip under latency
            await asyncio.sleep(0.05)
        on_line("app-1  | short line")
        on_line(long_line)

    app = make_app(services, services.settings)
    async with app.run_test(size=(80, 24)) as pilot:
        detail = await detail_logs(pilot, world, monkeypatch, slow_logs)
        logs = detail.logs
        await wait_for(pilot, lambda: "loading logs…" in _status(detail))
        release.set()
        await wait_for(pilot, lambda: logs._log_loaded and len(logs.lines) == 2, timeout=10)
        await wait_for(pilot, lambda: "loading" not in _status(detail))
        log = detail.query_one(LogView)
        assert log.size.width <= 80
        assert all(len(line) <= log.size.width for line in log.lines)
        assert len(log.lines) > 2  # the long line takes several rows, continuations indented
        assert log.lines[1] + "".join(p.removeprefix("  ") for p in log.lines[2:]) == long_line


async def test_log_search_escape_clears_then_leaves(world):
    services = world.services(1)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await on_screen(pilot, AppsScreen)
        app.open_app(world.app_id(0), tab="logs")
        detail = await on_screen(pilot, AppDetailScreen)
        logs = detail.logs
        await wait_for(pilot, lambda: len(logs.lines) > 0, timeout=20)
        word = logs.lines[-1].split()[-1][:4]
        await pilot.press("slash", *word, "enter")
        assert logs.search == word.lower()
        assert app.focused is detail.query_one(LogView)
        await pilot.press("escape")  # clears the search, stays on the screen
        assert app.screen is detail
        assert logs.search == ""
        assert not detail.query_one("#logs FilterInput").display
        assert len(detail.query_one(LogView).lines) == len(logs.lines)
        await pilot.press("escape")  # now leaves
        await on_screen(pilot, AppsScreen)


async def test_logs_of_a_stopped_app_say_why_they_are_empty(world):
    services = world.services(1)
    services.call(services.apps.stop_app(world.app_id(0)))
    app = make_app(services, services.settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await on_screen(pilot, AppsScreen)
        app.open_app(world.app_id(0), tab="logs")
        detail = await on_screen(pilot, AppDetailScreen)
        logs = detail.logs
        await wait_for(pilot, lambda: logs._log_loaded, timeout=20)
        await pilot.pause()
        assert "loading" not in _status(detail)
        assert "need it running" in _status(detail)


async def test_following_resumes_after_the_app_restarts(world):
    """compose logs -f ends when the app restarts: the pane says so instead of pretending to
    follow, and follows again (with the lines the restart produced) once the app runs."""
    services = world.services(1)
    app = make_app(services, services.settings)
    async with app.run_test(size=(200, 60)) as pilot:
        await on_screen(pilot, AppsScreen)
        app.open_app(world.app_id(0), tab="logs")
        detail = await on_screen(pilot, AppDetailScreen)
        logs = detail.logs
        await wait_for(pilot, lambda: logs._log_loaded, timeout=20)
        await pilot.press("f")
        await wait_for(pilot, lambda: logs._log_loaded and "following" in _status(detail))
        first_stream = logs._stop
        await services.run(services.apps.restart_app(world.app_id(0)))
        app.refresh_status()
        # A new stream was started by itself (no key pressed), and it is following.
        await wait_for(pilot, lambda: logs._stop is not first_stream, timeout=30)
        await wait_for(pilot, lambda: logs._log_loaded and not logs._follow_ended, timeout=30)
        assert logs.follow and "following · f stops" in _status(detail)
        await wait_for(pilot, lambda: len(logs.lines) > 0, timeout=30)


async def test_f_resumes_a_follow_paused_on_a_search_match(world):
    """n holds the view on a match while the stream follows: f resumes (as G does), a second f
    stops following."""
    services = world.services(1)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await on_screen(pilot, AppsScreen)
        app.open_app(world.app_id(0), tab="logs")
        detail = await on_screen(pilot, AppDetailScreen)
        logs = detail.logs
        await wait_for(pilot, lambda: logs._log_loaded and len(logs.lines) > 0, timeout=20)
        await pilot.press("f")
        log = detail.query_one(LogView)
        await wait_for(pilot, lambda: logs._log_loaded and len(log.lines) > 0, timeout=20)
        word = log.lines[0].split()[0]
        await pilot.press("slash", *word)
        await wait_for(pilot, lambda: log.search_term == word.lower() and log.matches)
        await pilot.press("enter", "n")
        await wait_for(pilot, lambda: not log.following)
        await wait_for(pilot, lambda: "paused · f or G resumes" in _status(detail))
        await pilot.press("f")
        await wait_for(pilot, lambda: log.following)
        assert logs.follow and "following · f stops" in _status(detail)
        assert logs._stop is not None and not logs._stop.is_set()  # the stream still runs
        await pilot.press("f")
        assert not logs.follow and logs._stop.is_set()
