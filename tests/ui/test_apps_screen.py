"""The apps table: actions from keys, delete confirmation, filter, sort, marks, read-only,
live updates by row key, orphans and the stale banner."""

from __future__ import annotations

from dataclasses import replace

from textual.widgets import Input

from proximity_tui.app import make_app
from proximity_tui.screens.app_detail import AppDetailScreen
from proximity_tui.screens.apps import AppsScreen
from proximity_tui.screens.confirm import ConfirmScreen
from proximity_tui.screens.prompt import PromptScreen
from proximity_tui.services.views import OrphanView
from tests.ui.helpers import cell, on_screen, row_keys, table, wait_for


async def _apps(pilot) -> AppsScreen:
    return await on_screen(pilot, AppsScreen)


def _move_to(app, key: str) -> None:
    t = table(app)
    t.move_cursor(row=t.get_row_index(key))


async def test_stop_and_start_from_keys_update_the_row(make_services, settings):
    services = make_services(3)  # web0 stopped, web1 and web2 running
    app = make_app(services, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await _apps(pilot)
        _move_to(app, "nginx-web1")
        await pilot.press("X")
        await wait_for(pilot, lambda: "stopped" in cell(app, "nginx-web1", "status"))
        assert services.apps.apps["nginx-web1"].status == "stopped"
        await pilot.press("S")
        await wait_for(pilot, lambda: "running" in cell(app, "nginx-web1", "status"))
        await pilot.press("R")
        await app.workers.wait_for_complete()
        kinds = [op.kind for op in services.apps.ops.values()]
        assert kinds == ["stop", "start", "restart"]


async def test_action_that_does_not_apply_is_greyed_out(make_services, settings):
    app = make_app(make_services(3), settings)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _apps(pilot)
        _move_to(app, "nginx-web0")  # stopped
        await pilot.pause()
        bindings = screen.active_bindings
        assert bindings["X"].enabled is False  # shown, greyed
        assert bindings["S"].enabled is True


async def test_delete_needs_the_hostname_typed(make_services, settings):
    services = make_services(3)
    app = make_app(services, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await _apps(pilot)
        _move_to(app, "nginx-web2")
        await pilot.press("D")
        dialog = await on_screen(pilot, ConfirmScreen)
        assert dialog.query_one("#confirm").disabled
        await pilot.press(*"web", "enter")  # wrong: refused, dialog stays
        assert isinstance(app.screen, ConfirmScreen)
        assert "nginx-web2" in services.apps.apps
        await pilot.press(*"2")
        assert not dialog.query_one("#confirm").disabled
        await pilot.press("enter")
        await wait_for(pilot, lambda: "nginx-web2" not in app.screen._shown)
        assert "nginx-web2" not in services.apps.apps


async def test_escape_cancels_delete(make_services, settings):
    services = make_services(2)
    app = make_app(services, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await _apps(pilot)
        await pilot.press("D")
        await on_screen(pilot, ConfirmScreen)
        await pilot.press("escape")
        await on_screen(pilot, AppsScreen)
        assert len(services.apps.apps) == 2 and services.apps.ops == {}


async def test_clone_asks_for_a_valid_new_hostname(make_services, settings):
    services = make_services(3)
    app = make_app(services, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await _apps(pilot)
        _move_to(app, "nginx-web1")
        await pilot.press("C")
        prompt = await on_screen(pilot, PromptScreen)
        field = prompt.query_one(Input)
        field.value = "web2"  # taken
        await wait_for(pilot, lambda: prompt.problem and "taken" in prompt.problem)
        field.value = "web9"
        await wait_for(pilot, lambda: prompt._checked == "web9" and prompt.problem is None)
        await pilot.press("enter")
        await wait_for(pilot, lambda: "nginx-web9" in app.apps)
        await on_screen(pilot, AppsScreen)
        await wait_for(pilot, lambda: "nginx-web9" in app.screen._shown)


async def test_filter_and_sort(make_services, settings):
    app = make_app(make_services(12), settings)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _apps(pilot)
        await pilot.press("slash", *"web1")
        assert sorted(row_keys(app)) == ["nginx-web1", "nginx-web10", "nginx-web11"]
        await pilot.press("enter")  # back to the list, on the best match
        assert table(app).has_focus and table(app).cursor_row == 0
        await pilot.press("slash", "escape")  # clears the filter
        assert len(row_keys(app)) == 12
        assert row_keys(app)[:3] == ["nginx-web0", "nginx-web1", "nginx-web2"]  # order kept
        # sort by hostname by clicking its header, then reverse by clicking again
        screen.on_data_table_header_selected(
            type("E", (), {"column_key": type("K", (), {"value": "hostname"})()})()
        )
        keys = row_keys(app)
        hostnames = [app.apps[k].hostname for k in keys]
        assert hostnames == sorted(hostnames)
        await pilot.press("s")  # `s` cycles to the next column (node)
        nodes = [app.apps[k].node for k in row_keys(app)]
        assert nodes == sorted(nodes)
        assert "▲" in str(table(app).columns["node"].label)


async def test_marks_and_a_bulk_action_with_one_confirmation(make_services, settings):
    services = make_services(6)  # 0 and 3 stopped, others running
    app = make_app(services, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _apps(pilot)
        _move_to(app, "nginx-web1")
        await pilot.press("space", "space")  # marks web1 and web2 (the cursor moves down)
        assert screen.marked == {"nginx-web1", "nginx-web2"}
        assert "●" in cell(app, "nginx-web1", "mark")
        await pilot.press("X")
        dialog = await on_screen(pilot, ConfirmScreen)
        assert "web1" in "\n".join(dialog.lines) and "web2" in "\n".join(dialog.lines)
        await pilot.press("enter")
        await wait_for(
            pilot,
            lambda: all(services.apps.apps[k].status == "stopped" for k in screen.marked),
        )
        assert services.apps.apps["nginx-web4"].status == "running"  # unmarked: untouched
        await pilot.press("escape")
        assert screen.marked == set()


async def test_read_only_hides_actions(make_services, settings):
    app = make_app(make_services(3, can_change=False), settings)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _apps(pilot)
        bindings = screen.active_bindings
        for key in ("S", "X", "R", "D", "C", "B", "U"):
            assert key not in bindings
        await pilot.press("D")  # nothing happens
        assert isinstance(app.screen, AppsScreen)
        assert app.screen.query("#readonly")


async def test_snapshot_updates_only_changed_cells_and_keeps_the_cursor(make_services, settings):
    services = make_services(30)
    app = make_app(services, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await _apps(pilot)
        _move_to(app, "nginx-web20")
        t = table(app)
        calls = []
        original = t.update_cell
        t.update_cell = lambda *a, **k: (calls.append(a[:2]), original(*a, **k))
        view = services.apps.apps["nginx-web5"]
        services.apps.apps["nginx-web5"] = replace(view, live=replace(view.live, cpu=0.75))
        del services.apps.apps["nginx-web7"]
        services.monitor.publish(changed={"nginx-web5"}, removed={"nginx-web7"})
        await wait_for(pilot, lambda: "75.0%" in cell(app, "nginx-web5", "cpu"))
        assert calls == [("nginx-web5", "cpu")]
        assert "nginx-web7" not in row_keys(app)
        key = t.coordinate_to_cell_key(t.cursor_coordinate).row_key.value
        assert key == "nginx-web20"


async def test_orphans_and_missing_apps_are_shown_distinctly(make_services, settings):
    services = make_services(2)
    app = make_app(services, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _apps(pilot)
        view = services.apps.apps["nginx-web1"]
        services.apps.apps["nginx-web1"] = replace(view, status="missing", live=None)
        orphan = OrphanView(vmid=950, node="pve2", name="leftover", status="stopped")
        services.monitor.publish(changed={"nginx-web1"}, orphans=[orphan])
        await wait_for(pilot, lambda: "orphan:950" in screen._shown)
        assert "orphan" in cell(app, "orphan:950", "status")
        assert "no record" in cell(app, "orphan:950", "hostname")
        assert "missing" in cell(app, "nginx-web1", "status")
        _move_to(app, "orphan:950")
        await pilot.pause()
        assert "pct destroy 950" in str(screen.query_one("#hint").render())
        assert screen.active_bindings["D"].enabled is False  # no app record to act on
        _move_to(app, "nginx-web1")
        await pilot.pause()
        assert "gone from Proxmox" in str(screen.query_one("#hint").render())
        assert screen.active_bindings["D"].enabled is True


async def test_stale_banner_when_the_refresh_fails(make_services, settings):
    services = make_services(2)
    app = make_app(services, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _apps(pilot)
        services.monitor.publish()
        services.monitor.ok = False
        services.monitor.publish()
        banner = screen.query_one("#apps-body").parent.query_one("StaleBanner")
        await wait_for(pilot, lambda: banner.has_class("-shown"))
        text = str(banner.render())
        assert "not answering: connection refused" in text and "09:30:00" in text
        assert table(app).has_class("-stale") and len(row_keys(app)) == 2  # data kept
        services.monitor.ok = True
        services.monitor.publish()
        await wait_for(pilot, lambda: not banner.has_class("-shown"))


async def test_enter_opens_detail_with_logs(make_services, settings):
    services = make_services(2)
    app = make_app(services, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await _apps(pilot)
        _move_to(app, "nginx-web1")
        await pilot.press("L")
        detail = await on_screen(pilot, AppDetailScreen)
        await wait_for(pilot, lambda: len(detail.lines) == 5)
        assert "nginx-web1 log line 0" in detail.lines
