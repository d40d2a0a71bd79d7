"""The Apps screen: every deployed app with its live status, diff-updated by row key.

The table is never cleared: a snapshot updates only the cells that changed in the rows it names
(`snapshot.changed`), rows come and go one by one, and the cursor stays on the same app. Filtering
removes and re-adds rows by key for the same reason. Orphans (tagged containers with no record)
appear as their own rows, `missing` apps with their badge, each with a hint saying what to do.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.coordinate import Coordinate
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Input, Static
from textual.widgets.data_table import RowDoesNotExist

from proximity_tui.screens.actions import ACTIONS
from proximity_tui.screens.apps_layout import AppsLayout, AppsSorting
from proximity_tui.screens.apps_rows import (
    COMPACT_BELOW,
    cell_maker,
    hint_text,
    layout,
    orphan_row,
    row_values,
    sort_value,
    widths,
)
from proximity_tui.screens.live import LiveScreen
from proximity_tui.screens.watching import WatchesFigures
from proximity_tui.widgets.cluster_header import ClusterHeader
from proximity_tui.widgets.filter_input import FilterInput, slash_binding, typing
from proximity_tui.widgets.footer_fit import MODE_KEYS
from proximity_tui.widgets.live_table import LiveTable
from proximity_tui.widgets.stale_banner import StaleBanner

if TYPE_CHECKING:
    from proximity_tui.views import OrphanView, StatusSnapshot

ORPHAN_PREFIX = "orphan:"


class AppsScreen(AppsLayout, AppsSorting, WatchesFigures, LiveScreen):
    BINDINGS = [
        Binding("enter", "open", "Open", id="apps.open", key_display="⏎"),
        *(
            Binding(key, f"act('{name}')", label, id=f"apps.{name}")
            for name, (key, label, _, _) in ACTIONS.items()
        ),
        Binding("A", "adopt", "Adopt", id="apps.adopt"),
        Binding("space", "mark", "Mark", id="apps.mark"),
        Binding("escape", "unmark", "Clear", id="apps.unmark"),
        Binding("s", "sort", "Sort", id="apps.sort"),
        Binding("i", "reverse_sort", "Reverse sort", id="apps.reverse"),
        slash_binding("filter", "Filter", "apps.filter"),
        # The App's mode keys, repeated here so that a compact footer can leave them out (the
        # header names the modes already).
        *(Binding(k, f"app.mode('{m}')", m.title()) for k, m in MODE_KEYS),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.marked: set[str] = set()
        self.filter_text = ""
        self.sort_column: str | None = None
        self.sort_reverse = False
        #: What each row shows now, by row key: only differing cells are updated.
        self._shown: dict[str, tuple] = {}
        self._orphans: dict[str, OrphanView] = {}
        self._dirty: set[str] = set()
        self._dirty_removed: set[str] = set()
        self._stale = False
        self._hint_text: object = None  # what #hint shows, to update it only on change
        self._bindings_state: tuple | None = None
        self._bindings_timer: Timer | None = None
        #: Rows whose cells lag behind their app (off screen when it changed).
        self._outdated: set[str] = set()
        #: A narrow terminal's table (see apps_rows); chosen before the first paint.
        self.compact = False
        self._footer_hidden: frozenset[str] | None = None
        #: Makes the cells, sharing those that repeat from row to row (apps_rows.cell_maker).
        self._cell = cell_maker()

    def compose(self) -> ComposeResult:
        yield ClusterHeader("apps")
        yield StaleBanner()
        with Vertical(id="apps-body"):
            yield FilterInput("#apps-table", placeholder="filter apps (hostname, name, node…)")
            table = LiveTable(
                id="apps-table", cursor_type="row", zebra_stripes=True, open_label="Open"
            )
            self.compact = self.app.size.width < COMPACT_BELOW
            self._add_columns(table)
            self._fit_footer(self.app.size.width)
            yield table
            yield Static("", id="empty", markup=False)
            yield Static("", id="hint", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(LiveTable)
        snapshot = self.papp.snapshot
        self._sync_orphans(snapshot)
        rows = []
        for app_id in self._wanted_ids():
            values = self._values(app_id)
            self._shown[app_id] = values
            rows.append((app_id, values))
        table.add_keyed_rows([(key, self._cells(values)) for key, values in rows])
        self._show_stale(snapshot)
        self._update_empty()
        table.focus()
        self._update_hint()
        table.first_paint_callback = self.papp.table_painted
        table.view_changed_callback = self._redraw_visible

    # --- data ---------------------------------------------------------------------------------

    def _values(self, key: str) -> tuple:
        if key.startswith(ORPHAN_PREFIX):
            return orphan_row(self._orphans[key], marked=False, compact=self.compact)
        view = self.papp.apps[key]
        return row_values(
            view,
            marked=key in self.marked,
            pending=self.papp.actions.pending.get(key),
            compact=self.compact,
        )

    def _matches(self, key: str) -> bool:
        if not self.filter_text:
            return True
        if key.startswith(ORPHAN_PREFIX):
            o = self._orphans[key]
            hay = f"{o.name} {o.node} {o.vmid} orphan"
        else:
            v = self.papp.apps[key]
            hay = f"{v.hostname} {v.name} {v.catalog_id} {v.node} {v.vmid} {v.status}"
        hay = hay.lower()
        return all(term in hay for term in self.filter_text.lower().split())

    def _wanted_ids(self) -> list[str]:
        keys = [*self.papp.apps, *self._orphans]
        keys = [k for k in keys if self._matches(k)]
        if self.sort_column:
            keys.sort(key=self._sort_key, reverse=self.sort_reverse)
        return keys

    def _sort_key(self, key: str):
        if key.startswith(ORPHAN_PREFIX):
            o = self._orphans[key]
            return sort_value(self.sort_column, None, o)
        return sort_value(self.sort_column, self.papp.apps[key], None)

    def _sync_orphans(self, snapshot: StatusSnapshot | None) -> set[str]:
        """Update the orphan map; returns the orphan keys that changed or vanished."""
        orphans = {f"{ORPHAN_PREFIX}{o.vmid}": o for o in (snapshot.orphans if snapshot else ())}
        touched = {k for k in orphans if self._orphans.get(k) != orphans[k]}
        touched |= set(self._orphans) - set(orphans)
        self._orphans = orphans
        return touched

    # --- live updates -------------------------------------------------------------------------

    def snapshot_applied(
        self, snapshot: StatusSnapshot, changed: set[str], removed: set[str]
    ) -> None:
        touched = self._sync_orphans(snapshot)
        self._show_stale(snapshot)
        if changed or touched or removed:  # most ticks between pvestatd rounds change nothing
            self.apps_applied(changed | touched, removed)

    def apps_applied(self, changed: set[str], removed: set[str]) -> None:
        if not self.is_current:
            self._dirty |= changed
            self._dirty_removed |= removed
            return
        self._apply(changed, removed)

    def on_screen_resume(self) -> None:
        if self._dirty or self._dirty_removed:
            changed, removed = self._dirty, self._dirty_removed
            self._dirty, self._dirty_removed = set(), set()
            self._apply(changed, removed)
        self.refresh_bindings()

    def _apply(self, changed: set[str], removed: set[str]) -> None:
        """Rows come and go now; a changed row is redrawn now if it is on screen, else when it
        scrolls into view (its cells may lag until then: sorting and filtering read the
        app views, not the cells). A tick touching 1,000 apps so costs ~40 rows of work."""
        self._apply_now(changed, removed, lazy=True)

    def _apply_now(self, changed: set[str], removed: set[str], *, lazy: bool = False) -> None:
        table = self.query_one(LiveTable)
        keep = self._cursor_key()
        added = False
        for key in removed:
            self._drop(table, key)
            self.marked.discard(key)
        for key in changed:
            exists = key in self.papp.apps or key in self._orphans
            if not exists or not self._matches(key):
                self._drop(table, key)
                continue
            if key not in self._shown:
                values = self._values(key)
                table.add_row(*self._cells(values), key=key)
                self._shown[key] = values
                added = True
            elif lazy:
                self._outdated.add(key)
            else:
                self._redraw(table, key)
        if added:
            self._sort(table)
        self._restore_cursor(keep)
        self._redraw_visible()
        self._update_empty()
        self._update_hint()
        if self.marked:
            self.refresh_bindings()  # what applies to the marked set may have changed
        else:
            self._refresh_bindings_if_needed()

    def _redraw(self, table: LiveTable, key: str) -> None:
        """Update the cells of one row that differ from what it should show."""
        self._outdated.discard(key)
        values = self._values(key)
        old = self._shown[key]
        sizes = widths(self.compact)
        for i, column in layout(self.compact):
            if old[i] != values[i]:
                grow = column not in sizes
                table.update_cell(key, column, self._cell(column, values[i]), update_width=grow)
        self._shown[key] = values

    def _redraw_visible(self) -> None:
        if not self._outdated:
            return
        table = self.query_one(LiveTable)
        for index in table.visible_rows():
            key = str(table.coordinate_to_cell_key(Coordinate(index, 0)).row_key.value)
            if key in self._outdated:
                self._redraw(table, key)

    def _drop(self, table: DataTable, key: str) -> None:
        self._outdated.discard(key)
        if self._shown.pop(key, None) is not None:
            with contextlib.suppress(RowDoesNotExist):
                table.remove_row(key)

    def _cursor_key(self) -> str | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        try:
            return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        except Exception:
            return None

    def _restore_cursor(self, key: str | None) -> None:
        table = self.query_one(DataTable)
        if key is None or key not in self._shown:
            return
        index = table.get_row_index(key)
        if index != table.cursor_row:
            table.move_cursor(row=index, animate=False, scroll=False)

    def _show_stale(self, snapshot: StatusSnapshot | None) -> None:
        self.query_one(StaleBanner).show_snapshot(snapshot)
        stale = snapshot is not None and not snapshot.ok
        if stale != self._stale:
            self._stale = stale
            table = self.query_one(DataTable)
            table.set_class(stale, "-stale")
            table.border_title = "stale: last known state" if stale else None

    def _update_empty(self) -> None:
        empty = not self._shown
        table = self.query_one(DataTable)
        note = self.query_one("#empty", Static)
        table.display = not empty
        note.display = empty
        if not empty:
            return
        if self.filter_text:
            note.update(f"No app matches “{self.filter_text}”. Press Escape to clear the filter.")
        elif not self.services_ready or self.services.can_change:
            note.update(
                "No apps yet.\n\nPress 1 (or c) to open the catalog, choose an app and press "
                "Enter or d to deploy it. Its progress shows step by step, and it appears here "
                "when it runs."
            )
        else:
            note.update("No apps yet. This session is read-only: nothing can be deployed.")

    def _update_hint(self) -> None:
        hint = self.query_one("#hint", Static)
        key = self._cursor_key() or ""
        view = self.papp.apps.get(key)
        text = hint_text(
            view,
            self._orphans.get(key) if key.startswith(ORPHAN_PREFIX) else None,
            marked=len(self.marked),
            with_summary=view is not None and (self.compact or self._cut_off()),
        )
        if text != self._hint_text:  # Static.update repaints and re-lays out even if equal
            self._hint_text = text
            hint.update(text)
        hint.display = bool(text)

    # --- selection and keys -------------------------------------------------------------------

    def targets(self) -> list[str]:
        if self.marked:
            return [k for k in self._shown if k in self.marked]
        key = self._cursor_key()
        return [key] if key and key in self.papp.apps else []

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        key = str(event.row_key.value) if event.row_key is not None else None
        if key in self.papp.apps:
            self.papp.selected_app_id = key
        self._update_hint()
        self._refresh_bindings_if_needed()

    def _refresh_bindings_if_needed(self) -> None:
        """Refresh the footer only when what it would show changes (it rebuilds its keys)."""
        key = self._cursor_key()
        view = self.papp.apps.get(key or "")
        state = (
            bool(self.marked),
            key is not None and key.startswith(ORPHAN_PREFIX),
            view.status if view else None,
            self.papp.actions.pending.get(key or ""),
            self.services_ready,
        )
        if state != self._bindings_state:
            self._bindings_state = state
            # The footer rebuilds all its keys on a refresh: while the cursor runs over rows,
            # do it once it rests (keys themselves are checked when pressed).
            if self._bindings_timer is not None:
                self._bindings_timer.stop()
            self._bindings_timer = self.set_timer(0.12, self.refresh_bindings)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "filter" and typing(self):
            return False
        if not self.services_ready:  # painted from the database, services still starting
            if action == "adopt":
                return False
            return None if action in ("act", "open", "mark") else True
        if action == "act":
            name = str(parameters[0])
            if name != "logs" and not self.services.can_change:
                return False
            if name == "delete" and self._cursor_orphan() is not None and not self.marked:
                return True
            ids = self.targets()
            return True if self.papp.actions.applicable(name, ids) else None
        if action == "adopt":  # shown on an orphan row only, to a session that may change
            orphan = self._cursor_orphan() is not None and not self.marked
            return orphan and self.services.can_change
        if action == "open":  # greyed on an orphan row, not offered on an empty table
            return True if self.targets() else (None if self._shown else False)
        if action == "unmark":
            return bool(self.marked or self.filter_text)
        if action == "mark":
            return True if self._cursor_key() in self.papp.apps else None
        return True

    def action_open(self) -> None:
        """The app's detail; for an app an operation is working on, that operation's progress."""
        key = self._cursor_key()
        orphan = self._cursor_orphan()
        if orphan is not None:
            self.notify(
                f"CT {orphan.vmid} has no app record: there is no detail to open. "
                "Press A to adopt it (from its identity block) or D to destroy it.",
                markup=False,
            )
            return
        if key not in self.papp.apps or not self.services_ready:
            return
        op_id = self.papp.actions.running_operation(key)
        if op_id is not None:
            self.papp.open_progress(op_id)
        else:
            self.papp.open_app(key)

    def _cursor_orphan(self) -> OrphanView | None:
        key = self._cursor_key()
        return self._orphans.get(key) if key and key.startswith(ORPHAN_PREFIX) else None

    def action_adopt(self) -> None:
        orphan = self._cursor_orphan()
        if orphan is not None:
            self.papp.actions.adopt((orphan.vmid,))

    def action_act(self, name: str) -> None:
        orphan = self._cursor_orphan()
        if name == "delete" and orphan is not None and not self.marked:
            self.papp.actions.destroy_orphan(orphan.vmid, orphan.node, orphan.name)
            return
        ids = self.targets()
        if ids:
            on_started = self._clear_marks if self.marked else None
            self.papp.actions.request(name, ids, on_started)

    def _clear_marks(self) -> None:
        if self.is_mounted:
            self.action_unmark()

    def on_key(self, event: events.Key) -> None:
        """An action key whose action does not apply (greyed out): say why instead of nothing."""
        name = _ACTION_KEYS.get(event.key)
        if name is None or self.focused is not self.query_one(LiveTable):
            return
        if self.check_action("act", (name,)) is True:
            return
        event.stop()
        ids = self.targets()
        if self.services_ready and not ids and self._cursor_orphan() is not None:
            self.notify("An orphan row has no app record: A (adopt) and D (destroy) apply.")
            return
        self.notify(self.papp.actions.why_not(name, ids), severity="warning", markup=False)

    def action_mark(self) -> None:
        key = self._cursor_key()
        if key not in self.papp.apps:
            return
        if key in self.marked:
            self.marked.discard(key)
        else:
            self.marked.add(key)
        self._apply_now({key}, set())
        table = self.query_one(DataTable)
        if table.cursor_row < table.row_count - 1:
            table.move_cursor(row=table.cursor_row + 1)

    def action_unmark(self) -> None:
        """Escape: drop the marks; with none, clear the filter."""
        if not self.marked:
            if self.filter_text:
                self.query_one(FilterInput).action_clear_filter()
            return
        marked, self.marked = self.marked, set()
        self._apply_now(marked, set())

    def action_filter(self) -> None:
        self.query_one(FilterInput).open()

    def on_input_changed(self, event: Input.Changed) -> None:
        if not isinstance(event.input, FilterInput):
            return
        event.stop()
        self.filter_text = event.value.strip()
        table = self.query_one(DataTable)
        wanted = self._wanted_ids()
        wanted_set = set(wanted)
        for key in list(self._shown):
            if key not in wanted_set:
                self._drop(table, key)
        self._apply_now({k for k in wanted if k not in self._shown}, set())
        self._sort(table)
        if table.row_count:
            table.move_cursor(row=0)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if isinstance(event.input, FilterInput):
            event.stop()
            table = self.query_one(DataTable)
            if table.row_count:
                table.move_cursor(row=0)


#: Key -> action name, for saying why a greyed-out action key does nothing.
_ACTION_KEYS = {key: name for name, (key, _, _, _) in ACTIONS.items()}
