"""Start-up: the first paint from a read-only database read, then the services; the cheap
table measurement agrees with DataTable's own."""

from __future__ import annotations

import gc
import threading

import pytest
from rich.text import Text
from textual.app import App
from textual.widgets import DataTable, Label
from textual.widgets.data_table import DuplicateKey

from proximity_tui.app import make_app
from proximity_tui.screens.apps import AppsScreen
from proximity_tui.screens.catalog import CatalogScreen
from proximity_tui.screens.starting import StartingScreen
from proximity_tui.screens.startup import SCREENS_CSS
from proximity_tui.store.quick_read import read_apps
from proximity_tui.views import AppView
from proximity_tui.widgets.live_table import LiveTable
from tests.ui.helpers import dashboard, on_screen, row_keys, wait_for

FIELDS = ("id", "catalog_id", "name", "hostname", "status", "node", "vmid", "url")


def test_preload_reads_what_the_services_list(world):
    services = world.services(3)
    services.call(services.apps.stop_app(world.app_id(1)))
    listed = services.call(services.apps.list_apps())
    preloaded = read_apps(services.settings.db_path)
    assert [tuple(getattr(a, f) for f in FIELDS) for a in preloaded] == [
        tuple(getattr(a, f) for f in FIELDS) for a in listed
    ]
    # Built without the dataclass's __init__: the same views it would build, each with its own
    # mutable defaults.
    built = [
        AppView(**{f: getattr(a, f) for f in FIELDS}, owner=None, created_at=None, updated_at=None)
        for a in preloaded
    ]
    assert preloaded == built
    assert [vars(a) for a in preloaded] == [vars(b) for b in built]
    assert preloaded[0].ports is not preloaded[1].ports


def test_preload_gives_up_quietly(tmp_path):
    assert read_apps(tmp_path / "absent.db") is None
    assert not (tmp_path / "absent.db").exists()  # read-only: never creates the file
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    assert read_apps(junk) is None
    assert read_apps(None) is None


async def test_apps_painted_from_the_database_before_the_services(world):
    world.services(2).close(wait=10)
    settings = world.settings()
    built = []

    def factory():
        from proximity_tui.services.bootstrap import build_services

        collecting.append(gc.isenabled())
        services = build_services(settings)
        services.call(services.connect(monitor=False))
        built.append(services)
        return services

    collecting: list[bool] = []
    app = make_app(None, settings, services_factory=factory, preload_db=settings.db_path)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await on_screen(pilot, AppsScreen)
            assert row_keys(app) == [world.app_id(0), world.app_id(1)]
            await wait_for(pilot, lambda: app.services is not None, timeout=15)
            await wait_for(pilot, lambda: screen.active_bindings["X"].enabled, timeout=10)
            # The header learns the cluster once the services are connected: wait for it.
            # (`query`, not `query_one`: the header is recomposed then, `#info` briefly absent.)
            await wait_for(
                pilot,
                lambda: any("3 nodes" in str(w.render()) for w in screen.query("#info")),
                timeout=15,
            )
            # Textual's blank default screen stood until the table came: the starting screen
            # (its LoadingIndicator repainting 16 times a second) was never built.
            stacks = app._screen_stacks.values()
            assert not any(isinstance(s, StartingScreen) for stack in stacks for s in stack)
            # The other screens' layout, read after the first paint, styles them.
            assert app.stylesheet.has_source(str(SCREENS_CSS))
            await pilot.press("1")
            catalog = await on_screen(pilot, CatalogScreen)
            assert str(catalog.query_one("#categories").styles.width) == "24"
        # The collector, paused for the first paint, runs again from the services' build on.
        assert collecting == [True]
        assert gc.isenabled()
    finally:
        for services in built:
            services.close(wait=10)


async def test_nothing_to_paint_shows_the_starting_screen_then_the_services(world):
    """No database yet (a first start): the starting screen says where it connects while the
    services build, then the dashboard opens."""
    settings = world.settings()
    assert not settings.db_path.exists()
    release = threading.Event()
    async with dashboard(world, held=release) as pilot:
        app = pilot.app
        starting = await on_screen(pilot, StartingScreen)
        label = str(starting.query_one(Label).render())
        assert f"connecting to {settings.proxmox.host}:{settings.proxmox.port}" in label
        release.set()
        await wait_for(pilot, lambda: app.services is not None, timeout=15)
        catalog = await on_screen(pilot, CatalogScreen)  # no apps yet: the catalog
        assert str(catalog.query_one("#categories").styles.width) == "24"  # screens.tcss


async def test_live_table_measures_like_datatable():
    rows = [
        [Text("● running"), Text(f"host-{i}" * (i % 4 + 1)), Text(str(100 + i), justify="right")]
        for i in range(50)
    ]

    class Tables(App):
        def compose(self):
            yield DataTable(id="plain")
            yield LiveTable(id="live")

        def on_mount(self):
            for table in self.query(DataTable):
                for label in ("Status", "Hostname", "VMID"):
                    table.add_column(label, key=label)
                for i, cells in enumerate(rows):
                    table.add_row(*cells, key=str(i))

    app = Tables()
    async with app.run_test() as pilot:
        await pilot.pause()
        plain, live = app.query_one("#plain", DataTable), app.query_one("#live", DataTable)
        widths = [c.content_width for c in plain.ordered_columns]
        assert widths == [c.content_width for c in live.ordered_columns]
        assert widths[1] == max(r[1].cell_len for r in rows)
        assert plain.virtual_size == live.virtual_size


async def test_live_table_adds_rows_in_a_batch_like_add_row():
    """`add_keyed_rows` ends in the same table as DataTable's `add_row` row by row: same keys,
    order, cells, cursor, sizes and rendered lines; duplicate keys are refused."""
    from proximity_tui.widgets.lazy_cell import LazyCell

    rows = [
        (
            f"app-{i}",
            [
                LazyCell("● running", "bold green"),
                LazyCell(f"host-{i}" * (i % 3 + 1)),
                LazyCell(str(100 + i), justify="right"),
            ],
        )
        for i in range(40)
    ]

    class Tables(App):
        def compose(self):
            yield LiveTable(id="one", cursor_type="row")
            yield LiveTable(id="batch", cursor_type="row")

        def on_mount(self):
            for table in self.query(LiveTable):
                for label in ("Status", "Hostname", "VMID"):
                    table.add_column(label, key=label)
            one = self.query_one("#one", LiveTable)
            for key, cells in rows:
                one.add_row(*cells, key=key)
            self.query_one("#batch", LiveTable).add_keyed_rows(rows)

    app = Tables()
    async with app.run_test(size=(80, 40)) as pilot:
        await pilot.pause()
        one, batch = app.query_one("#one", LiveTable), app.query_one("#batch", LiveTable)
        assert batch.row_count == one.row_count == 40
        keys = [str(one.coordinate_to_cell_key((i, 0)).row_key.value) for i in range(40)]
        assert keys == [str(batch.coordinate_to_cell_key((i, 0)).row_key.value) for i in range(40)]
        assert [one.get_row(k) for k in keys] == [batch.get_row(k) for k in keys]
        assert one.cursor_coordinate == batch.cursor_coordinate
        assert one.virtual_size == batch.virtual_size
        assert [c.content_width for c in one.ordered_columns] == [
            c.content_width for c in batch.ordered_columns
        ]
        region = one.content_region
        assert [s.text for s in one.render_lines(region.reset_offset)] == [
            s.text for s in batch.render_lines(region.reset_offset)
        ]
        with pytest.raises(DuplicateKey):
            batch.add_keyed_rows([rows[0]])
        batch.move_cursor(row=5)
        batch.focus()
        await pilot.press("j")
        assert batch.cursor_row == 6


async def test_live_table_draws_one_line_cells_exactly_like_datatable(monkeypatch):
    """The fast path for one-line cells gives the same characters and styles as DataTable's own
    rendering, for every cell, with and without the cursor and hover."""
    from textual.widgets import DataTable as Base

    from proximity_tui.widgets.lazy_cell import LazyCell

    cells = [
        LazyCell("● running", "bold green"),
        LazyCell("○ stopped", "bright_black dim"),
        LazyCell("host-1"),
        LazyCell("42", justify="right"),
        LazyCell("http://10.0.0.1:3001/", "underline"),
        LazyCell(""),
        LazyCell("a-name-longer-than-its-column"),  # cropped: DataTable's path
    ]

    class Tables(App):
        def compose(self):
            yield LiveTable(id="t", cursor_type="row", zebra_stripes=True)

        def on_mount(self):
            t = self.query_one(LiveTable)
            for i in range(len(cells)):
                t.add_column(f"c{i}", key=f"c{i}", width=12 if i == 6 else None)
            t.add_keyed_rows([("r0", cells), ("r1", list(reversed(cells)))])

    def chars(lines):
        return [(ch, seg.style) for line in lines for seg in line for ch in seg.text]

    original = Base._render_cell
    fell_back = []

    def counting(self, *args, **kwargs):
        fell_back.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Base, "_render_cell", counting)

    app = Tables()
    async with app.run_test(size=(160, 10)) as pilot:
        await pilot.pause()
        t = app.query_one(LiveTable)
        for row in range(2):
            for col in range(len(cells)):
                width = t.ordered_columns[col].get_render_width(t)
                for cursor, hover in ((False, False), (True, False), (False, True)):
                    base = t.rich_style
                    t._cell_render_cache.clear()
                    fell_back.clear()
                    fast = t._render_cell(row, col, base, width, cursor, hover)
                    fits = cells[col if row == 0 else len(cells) - 1 - col].cell_len <= width - 2
                    assert bool(fell_back) != fits  # the fast path ran where it applies
                    t._cell_render_cache.clear()
                    slow = original(t, row, col, base, width, cursor, hover)
                    assert chars(fast) == chars(slow), (row, col, cursor, hover)
