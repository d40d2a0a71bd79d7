"""A live table repaints only the rows whose cells changed, and what it shows after any mix of
cell updates is exactly what DataTable shows after the same updates (issue 19: an idle
dashboard repaints little)."""

from __future__ import annotations

import pytest
from rich.text import Text
from textual.app import App
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist

from proximity_tui.widgets.lazy_cell import LazyCell
from proximity_tui.widgets.live_table import LiveTable
from tests.ui.helpers import wait_for

COLUMNS = ("status", "host", "cpu", "url")


def row(i: int, cpu: str = "0.5%") -> list:
    return [
        LazyCell("● running", "bold green"),
        LazyCell(f"host-{i}"),
        LazyCell(cpu, justify="right"),
        LazyCell(f"http://10.0.0.{i}:80", "underline"),
    ]


class Tables(App):
    """A DataTable and a LiveTable holding the same rows, side by side; counts their paints."""

    CSS = "DataTable { height: 1fr; }"
    AUTO_FOCUS = None  # both tables unfocused: they look alike

    def __init__(self, cursor_type: str = "row") -> None:
        super().__init__()
        self.cursor_type = cursor_type
        self.paints: dict[str, int] = {"plain": 0, "live": 0}

    def compose(self):
        yield DataTable(id="plain", cursor_type=self.cursor_type, zebra_stripes=True)
        yield LiveTable(id="live", cursor_type=self.cursor_type, zebra_stripes=True)

    def on_mount(self) -> None:
        for table in self.query(DataTable):
            for key in COLUMNS:
                table.add_column(key.title(), key=key, width=12 if key == "host" else None)
            for i in range(30):
                table.add_row(*row(i), key=f"r{i}")


@pytest.fixture(autouse=True)
def count_paints(monkeypatch):
    original = DataTable.render_lines

    def render_lines(self, crop):
        lines = original(self, crop)
        self.app.paints[self.id] += 1
        return lines

    monkeypatch.setattr(DataTable, "render_lines", render_lines)


def lines(table: DataTable) -> list[list[tuple[str, object]]]:
    """What the table shows now (its lines as last painted, with their styles)."""
    strips = table.render_lines(table.content_region.reset_offset)
    return [[(seg.text, seg.style) for seg in strip] for strip in strips]


def settled(table: DataTable) -> bool:
    """Nothing pending for the table: no new rows to measure, no repaint asked (Textual 8.2.8's
    flags: the screen's dirty widgets, the widget's repaint request, its styles cache's lines)."""
    screen = table.screen
    return not (
        table._require_update_dimensions
        or table._repaint_required
        or table._styles_cache._dirty_lines
        or screen._dirty_widgets
        or screen._repaint_required
    )


async def painted(pilot, *tables: DataTable) -> None:
    """Until each table was painted (again) since this call."""
    paints = pilot.app.paints
    before = {t.id: paints[t.id] for t in tables}
    await wait_for(pilot, lambda: all(paints[t.id] > before[t.id] for t in tables))


@pytest.mark.parametrize("cursor_type", ["row", "cell"])
async def test_updated_cells_show_what_datatable_shows(cursor_type):
    app = Tables(cursor_type)
    async with app.run_test(size=(160, 24)) as pilot:
        plain, live = app.query_one("#plain", DataTable), app.query_one("#live", LiveTable)
        await wait_for(pilot, lambda: all(app.paints.values()))
        rounds = [
            [("r1", "cpu", LazyCell("12.5%", justify="right")), ("r2", "cpu", LazyCell("3%"))],
            # the cursor's row, and a host too long for its column (DataTable's cropped path)
            [("r0", "cpu", LazyCell("7.0%", justify="right")), ("r3", "host", LazyCell("h" * 30))],
            # a Text cell (DataTable's path), two cells of one row, an empty cell
            [("r4", "status", Text("○ stopped", "dim")), ("r5", "cpu", LazyCell(""))],
            [("r5", "url", LazyCell("-", "dim")), ("r5", "cpu", LazyCell("9.9%"))],
            [("r1", "cpu", LazyCell("0.1%", justify="right"))],  # back to a short value
        ]
        for i, updates in enumerate(rounds):
            for table in (plain, live):
                for key, column, value in updates:
                    table.update_cell(key, column, value)
            if i == 2:
                for table in (plain, live):
                    table.move_cursor(row=4)
            await painted(pilot, plain, live)
            assert lines(live) == lines(plain), i
        # a width update still goes DataTable's way and grows the column
        for table in (plain, live):
            table.update_cell("r6", "url", LazyCell("http://" + "x" * 40), update_width=True)
        await wait_for(pilot, lambda: lines(live) == lines(plain))
        with pytest.raises(CellDoesNotExist):
            live.update_cell("r1", "nope", LazyCell("x"))
        with pytest.raises(CellDoesNotExist):
            live.update_cell("nope", "cpu", LazyCell("x"))


async def test_a_cell_update_repaints_only_its_row(monkeypatch):
    app = Tables()
    async with app.run_test(size=(160, 24)) as pilot:
        live = app.query_one("#live", LiveTable)
        await wait_for(pilot, lambda: app.paints["live"] > 0 and settled(live))
        drawn: list[int] = []
        original = LiveTable.render_line

        def render_line(self, y):
            drawn.append(y)
            return original(self, y)

        monkeypatch.setattr(LiveTable, "render_line", render_line)
        live.update_cell("r3", "cpu", LazyCell("4.2%", justify="right"))
        live.update_cell("r3", "url", LazyCell("-", "dim"))
        await painted(pilot, live)
        assert drawn == [4]  # row 3 below the header: not the header, not the other rows
        assert "4.2%" in "".join(text for text, _ in lines(live)[4])
