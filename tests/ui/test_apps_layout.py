"""The apps table's layout: a compact table and a footer of whole keys at 80 columns, the full
table when wide, a reversible sort with an arrow on the sorted column, no Enter on an empty
table."""

from __future__ import annotations

from textual.widgets import Footer
from textual.widgets._footer import FooterKey
from textual.widgets.data_table import ColumnKey

from proximity_tui.app import make_app
from proximity_tui.screens.apps import AppsScreen
from tests.ui.helpers import cell, on_screen, row_keys, table, wait_for


async def _apps(pilot) -> AppsScreen:
    return await on_screen(pilot, AppsScreen)


def _move_to(app, key: str) -> None:
    t = table(app)
    t.move_cursor(row=t.get_row_index(key))


def _fits(t) -> bool:
    """The table needs no sideways scrolling."""
    return t.virtual_size.width <= t.scrollable_content_region.width


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
            await wait_for(
                pilot,
                lambda w=width: all(
                    0 < k.region.right <= w for k in screen.query_one(Footer).query(FooterKey)
                ),
            )
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


async def test_an_empty_table_offers_no_enter(world):
    services = world.services(0)
    app = make_app(services, services.settings)
    async with app.run_test(size=(80, 24)) as pilot:
        from proximity_tui.screens.catalog import CatalogScreen

        await on_screen(pilot, CatalogScreen)  # no apps: it opens on the catalog
        await pilot.press("2")
        screen = await _apps(pilot)
        await wait_for(
            pilot, lambda: "slash" in {k.key for k in screen.query_one(Footer).query(FooterKey)}
        )
        shown = {k.key for k in screen.query_one(Footer).query(FooterKey)}
        assert "enter" not in shown and "slash" in shown
