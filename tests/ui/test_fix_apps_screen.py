"""Review fixes on the Apps screen: Enter reopens a running operation (W3), the compact table and
footer at 80 columns (W7, A2), reversible sort with arrows on every column (W15), Escape clears
the filter (A6), keys that do nothing say why (A9), marks (A10), the delete note (W13)."""

from __future__ import annotations

from dataclasses import replace

from textual.widgets import Footer
from textual.widgets._footer import FooterKey
from textual.widgets.data_table import ColumnKey

from proximity_tui.app import make_app
from proximity_tui.screens.apps import AppsScreen
from proximity_tui.screens.confirm import ConfirmScreen
from tests.ui.helpers import cell, on_screen, row_keys, table, wait_for


async def _apps(pilot) -> AppsScreen:
    return await on_screen(pilot, AppsScreen)


def _move_to(app, key: str) -> None:
    t = table(app)
    t.move_cursor(row=t.get_row_index(key))


def _messages(app) -> list[str]:
    return [n.message for n in app._notifications]


def _fits(t) -> bool:
    """The table needs no sideways scrolling."""
    return t.virtual_size.width <= t.scrollable_content_region.width


async def test_enter_opens_the_progress_of_a_deploy_whose_view_comes_from_a_snapshot(world):
    from proximity_tui.screens.deploy_progress import DeployProgressScreen
    from pvesim.faults import FaultRule

    services = world.services(1)
    app = make_app(services, services.settings)
    key = world.app_id(1)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _apps(pilot)
        world.sim.faults.add(FaultRule(command=r"apk add", delay=3.0))  # keeps it running
        # started outside this UI (like the demo's seed deploys or another session)
        done = services.runtime.submit(services.apps.deploy_app("whoami", world.host(1)))
        await wait_for(pilot, lambda: services.apps.running_operations() != [])
        (op_id,) = services.apps.running_operations()
        await wait_for(pilot, lambda: key in services.call(services.monitor.tick()).apps)
        await wait_for(pilot, lambda: key in screen._shown)
        # The monitor's snapshot views carry no busy_op (they replace the views read after an
        # action whenever the app changed): what made Enter open the detail instead.
        app.apps[key] = replace(app.apps[key], busy_op=None)
        assert op_id in services.apps.running_operations()
        _move_to(app, key)
        await pilot.press("enter")
        progress = await on_screen(pilot, DeployProgressScreen)
        assert progress.op_id == op_id
        await pilot.press("escape")
        await wait_for(pilot, done.done, timeout=30)


async def test_compact_table_fits_80_columns_and_shows_the_url_below(world):
    world.prefix = "averylonghostname"  # longer than the full table's columns allow at 80
    services = world.services(2)
    app = make_app(services, services.settings)
    key = world.app_id(1)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _apps(pilot)
        t = table(app)
        assert screen.compact
        assert [str(c.key.value) for c in t.ordered_columns] == [
            "mark", "status", "name", "hostname", "vmid", "cpu", "mem",
        ]  # fmt: skip
        services.call(services.monitor.tick())
        await pilot.pause()
        assert _fits(t)
        assert "/" in cell(app, key, "mem") and "." not in cell(app, key, "mem")  # 42M/64M
        _move_to(app, key)
        await pilot.pause()
        view = app.apps[key]
        hint = str(screen.query_one("#hint").render())
        assert view.hostname in hint and view.url and view.url in hint
        # wider: the full table, cursor on the same app; narrower again: compact
        await pilot.resize_terminal(104, 30)  # the full table, its URL column cut off:
        await wait_for(pilot, lambda: not screen.compact)
        assert "url" in t.columns and "uptime" in t.columns and "node" in t.columns
        assert row_keys(app)[t.cursor_row] == key
        await wait_for(pilot, lambda: view.url in str(screen.query_one("#hint").render()))
        await pilot.resize_terminal(160, 30)  # room for everything: no summary line
        await wait_for(pilot, lambda: not screen.query_one("#hint").display)
        await pilot.resize_terminal(80, 24)
        await wait_for(pilot, lambda: screen.compact)
        assert row_keys(app)[t.cursor_row] == key
        assert _fits(t)
        # live updates still go cell by cell: no clear, no rows re-added, the cursor stays
        calls: list[str] = []
        t.clear = lambda *a, **k: calls.append("clear")  # type: ignore[method-assign]
        t.add_row = lambda *a, **k: calls.append("add_row")  # type: ignore[method-assign]
        for _ in range(2):
            snapshot = services.call(services.monitor.tick())
            await wait_for(pilot, lambda s=snapshot: app.snapshot is s)
        assert calls == []
        assert row_keys(app)[t.cursor_row] == key
        _move_to(app, world.app_id(0))
        await pilot.press("space")  # the marks' line comes with the summary, not instead of it
        hint = str(screen.query_one("#hint").render())
        assert "1 marked" in hint and view.url in hint


async def test_footer_at_80_columns_shows_whole_keys_including_enter(world):
    services = world.services(1)
    app = make_app(services, services.settings)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _apps(pilot)
        for width in (80, 100, 110, 120, 160):
            await pilot.resize_terminal(width, 24)
            await pilot.pause(0.3)
            keys = list(screen.query_one(Footer).query(FooterKey))
            shown = {k.key for k in keys}
            assert {"enter", "S", "X", "D", "slash", "question_mark"} <= shown, width
            assert all(0 < k.region.right <= width and k.region.width > 0 for k in keys), width
            assert "C" in screen.active_bindings  # left out of the footer at 80, still bound


async def test_sort_reverses_and_every_sorted_header_shows_its_arrow(world):
    services = world.services(3)
    app = make_app(services, services.settings)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await _apps(pilot)
        t = table(app)
        for _ in range(5):  # status, name, hostname, node, vmid
            await pilot.press("s")
        assert screen.sort_column == "vmid"
        ascending = row_keys(app)
        vmids = [int(cell(app, k, "vmid")) for k in ascending]
        assert vmids == sorted(vmids)
        await pilot.press("i")
        assert screen.sort_reverse
        assert row_keys(app) == ascending[::-1]
        assert t.columns[ColumnKey("vmid")].label.plain == "VMID ▼"
        await pilot.press("i")
        assert row_keys(app) == ascending
        for column in ("node", "vmid", "uptime", "hostname"):
            screen.sort_column = column
            screen._sort(t)
            col = t.columns[ColumnKey(column)]
            assert col.label.plain.endswith(" ▲")
            # the column is wide enough to show the whole label with its arrow
            assert col.get_render_width(t) - 2 * t.cell_padding >= col.label.cell_len


async def test_escape_in_the_table_clears_the_filter(world):
    services = world.services(2)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _apps(pilot)
        await pilot.press("slash", *world.host(1), "enter")
        assert row_keys(app) == [world.app_id(1)]
        assert app.focused is table(app)
        await pilot.press("escape")
        assert screen.filter_text == ""
        assert set(row_keys(app)) == {world.app_id(0), world.app_id(1)}


async def test_keys_that_do_not_apply_say_why(world):
    from proximity_tui.store import repositories as repo

    services = world.services(2)
    services.call(services.apps.stop_app(world.app_id(0)))
    orphan_vmid = services.call(services.apps.get_app(world.app_id(1))).vmid
    with services.db.session() as s:
        repo.delete_app(s, world.app_id(1))
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _apps(pilot)
        services.call(services.monitor.tick())
        orphan_key = f"orphan:{orphan_vmid}"
        await wait_for(pilot, lambda: orphan_key in screen._shown)
        _move_to(app, world.app_id(0))
        await wait_for(pilot, lambda: "stopped" in cell(app, world.app_id(0), "status"))
        await pilot.press("X")
        await wait_for(pilot, lambda: any("already stopped" in m for m in _messages(app)))
        assert f"{world.host(0)} is already stopped." in _messages(app)
        await pilot.press("S")  # applies: it runs, and no warning comes with it
        await wait_for(pilot, lambda: any(m.startswith("Started") for m in _messages(app)))
        assert [m for m in _messages(app) if "busy" in m or "Cannot" in m] == []
        _move_to(app, orphan_key)
        await pilot.press("enter")
        await wait_for(pilot, lambda: any(f"CT {orphan_vmid}" in m for m in _messages(app)))
        assert any("D to destroy" in m for m in _messages(app))
        assert isinstance(app.screen, AppsScreen)


async def test_marks_have_their_own_glyph_and_clear_once_the_bulk_action_runs(world):
    services = world.services(3)
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _apps(pilot)
        _move_to(app, world.app_id(0))
        await pilot.press("space", "space")
        mark = cell(app, world.app_id(0), "mark")
        assert mark and mark not in cell(app, world.app_id(0), "status")  # not the ● badge
        await pilot.press("X")
        await on_screen(pilot, ConfirmScreen)
        await pilot.press("escape")  # cancelled: the marks stay
        await on_screen(pilot, AppsScreen)
        assert len(screen.marked) == 2
        await pilot.press("X")
        await on_screen(pilot, ConfirmScreen)
        await pilot.press("enter")
        await wait_for(pilot, lambda: not screen.marked and isinstance(app.screen, AppsScreen))
        assert cell(app, world.app_id(0), "mark") == ""
        await wait_for(pilot, lambda: not app.actions.pending)
        status = {a.id: a.status for a in services.call(services.apps.list_apps())}
        assert status[world.app_id(0)] == status[world.app_id(1)] == "stopped"


async def test_delete_of_a_missing_app_says_only_the_record_goes(world):
    services = world.services(2)
    gone = services.call(services.apps.get_app(world.app_id(1)))
    client = services.client
    services.call(client.wait_task(services.call(client.ct_action(gone.node, gone.vmid, "stop"))))
    services.call(client.wait_task(services.call(client.delete_ct(gone.node, gone.vmid))))
    app = make_app(services, services.settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await _apps(pilot)
        services.call(services.monitor.tick())
        await wait_for(pilot, lambda: "missing" in cell(app, gone.id, "status"))
        _move_to(app, gone.id)
        await pilot.press("D")
        dialog = await on_screen(pilot, ConfirmScreen)
        assert "already gone" in dialog.note and "destroyed" not in dialog.note
        # the dialog's footer says its own keys, not the table's underneath
        await pilot.pause(0.2)
        assert {k.key for k in dialog.query_one(Footer).query(FooterKey)} == {"escape"}
        await pilot.press("escape")
        _move_to(app, world.app_id(0))
        await pilot.press("D")
        dialog = await on_screen(pilot, ConfirmScreen)
        assert "destroyed" in dialog.note


async def test_an_empty_table_offers_no_enter(world):
    services = world.services(0)
    app = make_app(services, services.settings)
    async with app.run_test(size=(80, 24)) as pilot:
        from proximity_tui.screens.catalog import CatalogScreen

        await on_screen(pilot, CatalogScreen)  # no apps: it opens on the catalog
        await pilot.press("2")
        screen = await _apps(pilot)
        await pilot.pause(0.3)
        shown = {k.key for k in screen.query_one(Footer).query(FooterKey)}
        assert "enter" not in shown and "slash" in shown
