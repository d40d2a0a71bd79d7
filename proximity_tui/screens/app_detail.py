"""One app: status, links, figures with sparklines, settings, backups, operations and logs.

The Logs tab is its own pane (`app_detail_logs.LogsPane`); this screen binds its keys.

Below `COMPACT_HEIGHT` rows the summary is short, so the tabs keep most of the screen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.widget import Widget
from textual.widgets import DataTable, Footer, Static, TabbedContent, TabPane

from proximity_tui.screens.actions import ACTIONS
from proximity_tui.screens.app_detail_info import (
    LogView,
    PaneScroll,
    dates_text,
    settings_text,
    summary_text,
    unknown_values,
)
from proximity_tui.screens.app_detail_logs import LogsPane
from proximity_tui.screens.apps_rows import doing_word
from proximity_tui.screens.key_hints import REVEAL_KEY
from proximity_tui.screens.live import LiveScreen
from proximity_tui.screens.watching import WatchesFigures
from proximity_tui.widgets.cluster_header import ClusterHeader
from proximity_tui.widgets.column_fit import Flex
from proximity_tui.widgets.filter_input import typing
from proximity_tui.widgets.footer_fit import MODE_KEYS, fit_footer
from proximity_tui.widgets.format import human_bytes, human_duration, local_time, one_line
from proximity_tui.widgets.lazy_cell import LazyCell
from proximity_tui.widgets.live_table import LiveTable
from proximity_tui.widgets.log_search_input import LogSearchInput, log_search_bindings
from proximity_tui.widgets.metric_sparkline import MetricSparkline
from proximity_tui.widgets.stale_banner import StaleBanner
from proximity_tui.widgets.status_badge import operation_text, status_text
from proximity_tui.widgets.vim_keys import VimDataTable

#: The Operations tab's error keeps whole words when the table is wider than the screen.
DETAIL_OPS_FLEX = {"error": Flex(tier=0, minimum=12, elide="tokens"), "user": Flex(tier=1)}

if TYPE_CHECKING:
    from proximity_tui.service_views import BackupView
    from proximity_tui.services.events import OperationEvent
    from proximity_tui.views import AppView, StatusSnapshot

COMPACT_HEIGHT = 32


#: The footer leaves out the less used app actions as the width shrinks (`?` lists every key).
#: The mode keys never: the header names the modes.
_MODES = frozenset({"1", "2", "3"})
_FOOTER_HIDES = (
    (100, frozenset({"C", "B", "U", "L", *_MODES})),
    (130, frozenset({"L", *_MODES})),
    (float("inf"), _MODES),
)


class AppDetailScreen(WatchesFigures, LiveScreen):
    BINDINGS = [
        Binding("escape", "back", "Back"),
        # The current tab's keys first, so the footer shows them even at 80 columns.
        Binding(REVEAL_KEY, "reveal", "Reveal secrets", id="detail.reveal"),
        Binding("e", "env", "Unknown values", id="detail.env"),
        Binding("f", "follow", "Follow logs", id="detail.follow"),
        *log_search_bindings("search", "filter", "detail"),
        Binding("w", "wrap", "Wrap log lines", show=False),  # the log's own `w`, from the tab bar
        # Not r / x: those differ from Restart (R) and Stop (X) only by case.
        Binding("ctrl+r", "restore", "Restore backup", id="detail.restore"),
        Binding("delete", "delete_backup", "Delete backup", id="detail.delete_backup"),
        *(
            Binding(key, f"act('{name}')", label, id=f"detail.{name}")
            for name, (key, label, _, _) in ACTIONS.items()
            if name != "logs"
        ),
        Binding("L", "show_tab('logs')", "Logs", id="detail.logs"),
        # The App's mode keys, repeated so that the footer can leave them out.
        *(Binding(k, f"app.mode('{m}')", m.title()) for k, m in MODE_KEYS),
        Binding("down,j", "enter_pane", "Into the tab", show=False),
        # Tabs by key wherever the focus is (not 1-4: the number row switches mode)
        Binding("left_square_bracket", "step_tab(-1)", "Previous tab", show=False),
        Binding("right_square_bracket", "step_tab(1)", "Next tab", show=False),
    ]

    def __init__(self, app_id: str, *, tab: str | None = None) -> None:
        super().__init__()
        self.app_id = app_id
        self.initial_tab = tab or "settings"
        self.revealed: dict[str, str] = {}
        self.backups: list[BackupView] = []
        self._footer_hidden: frozenset[str] | None = None

    @property
    def view(self) -> AppView | None:
        return self.papp.apps.get(self.app_id)

    @property
    def logs(self) -> LogsPane:
        return self.query_one(LogsPane)

    def compose(self) -> ComposeResult:
        yield ClusterHeader(self.papp.current_mode)
        yield StaleBanner()
        with Horizontal(id="detail-top"):
            yield Static("", id="summary")
            with Vertical(id="metrics"):
                yield MetricSparkline("CPU", lambda v: f"{v * 100:.1f}%", id="cpu-spark")
                yield MetricSparkline("MEM", human_bytes, with_limit=True, id="mem-spark")
                yield Static("", id="dates")  # compact only: the summary's second column
        with TabbedContent(initial=self.initial_tab, id="detail-tabs"):
            with TabPane("Settings", id="settings"), PaneScroll(id="settings-scroll"):
                yield Static("", id="settings-text")
            with TabPane("Backups", id="backups"):
                yield Static("", id="backups-empty")
                yield VimDataTable(id="backups-table", cursor_type="row", zebra_stripes=True)
            with TabPane("Operations", id="operations"):
                ops = LiveTable(id="ops-table", cursor_type="row", zebra_stripes=True)
                ops.flex = DETAIL_OPS_FLEX  # an error keeps whole words, not cut at the edge
                yield ops
            yield LogsPane(self.app_id)
        yield Footer()

    def on_mount(self) -> None:
        backups = self.query_one("#backups-table", DataTable)
        for label in ("Created", "Backup", "Size", "Status"):
            backups.add_column(label)
        ops = self.query_one("#ops-table", DataTable)
        for label in ("Started", "Kind", "User", "Status", "Took", "Error"):
            ops.add_column(label, key=label.lower())
        self.papp.selected_app_id = self.app_id
        self._render_view()
        self._render_snapshot(self.papp.snapshot)
        self.load_backups()
        self.load_operations()
        if self.initial_tab == "logs":
            self.logs.start()

    # --- live data --------------------------------------------------------------------------

    def _render_view(self) -> None:
        view = self.view
        if view is None:
            self.query_one("#summary", Static).update(Text("This app no longer exists.", "red"))
            return
        participle = doing_word(view, self.papp.actions.pending.get(self.app_id))
        compact = self.size.height < COMPACT_HEIGHT
        width = max(self.size.width // 2 - 2, 20)  # the summary's half of the top row
        summary = summary_text(view, participle, compact=compact, width=width)
        dates = self.query_one("#dates", Static)
        dates.display = compact
        dates.update(dates_text(view))
        self.query_one("#summary", Static).update(summary)
        self.query_one("#settings-text", Static).update(settings_text(view, self.revealed))
        self.refresh_bindings()

    def on_resize(self, event: Resize) -> None:
        self._footer_hidden = fit_footer(self, _FOOTER_HIDES, event.size.width, self._footer_hidden)
        self._render_view()

    def _render_snapshot(self, snapshot: StatusSnapshot | None) -> None:
        self.query_one(StaleBanner).show_snapshot(snapshot)
        if snapshot is None:
            return
        cpu, mem = snapshot.history.get(self.app_id, ((), ()))
        view = self.view
        maxmem = view.live.maxmem if view is not None and view.live is not None else None
        # CPU is a fraction of all the CT's cores (1.0 = every core busy); memory of its limit.
        self.query_one("#cpu-spark", MetricSparkline).set_values(cpu, 1.0)
        self.query_one("#mem-spark", MetricSparkline).set_values(mem, maxmem)

    def snapshot_applied(
        self, snapshot: StatusSnapshot, changed: set[str], removed: set[str]
    ) -> None:
        self._render_snapshot(snapshot)
        self.apps_applied(changed, removed)

    def apps_applied(self, changed: set[str], removed: set[str]) -> None:
        if self.app_id in changed or self.app_id in removed:
            self._render_view()
            self.logs.resume_follow()

    def operation_events(self, events: list[OperationEvent]) -> None:
        mine = [e for e in events if e.app_id == self.app_id and e.kind == "finished"]
        if mine:
            self.load_operations()
            if any(e.operation in ("backup", "restore") for e in mine):
                self.load_backups()

    # --- tables -----------------------------------------------------------------------------

    @work(group="detail-backups", exclusive=True, exit_on_error=False)
    async def load_backups(self) -> None:
        try:
            self.backups = await self.services.run(self.services.apps.list_backups(self.app_id))
        except Exception as exc:
            self.notify(f"Cannot list backups: {exc}", severity="error", markup=False)
            return
        empty = self.query_one("#backups-empty", Static)
        empty.display = not self.backups
        hint = " — press B to back up" if self.services.can_change else ""
        empty.update(Text(f"No backups yet{hint}", "italic"))
        table = self.query_one("#backups-table", DataTable)
        table.clear()  # a short list that changes rarely, not a live table
        for b in self.backups:
            table.add_row(
                local_time(b.created_at),
                Text(b.volid),
                human_bytes(b.size),
                status_text(b.status if b.status != "ok" else "succeeded"),
                key=b.volid,
            )

    @work(group="detail-ops", exclusive=True, exit_on_error=False)
    async def load_operations(self) -> None:
        try:
            ops = await self.services.run(
                self.services.apps.operations(limit=100, app_id=self.app_id)
            )
        except Exception as exc:
            self.notify(f"Cannot list operations: {exc}", severity="error", markup=False)
            return
        table = self.query_one("#ops-table", DataTable)
        table.clear()
        for op in ops:
            table.add_row(
                local_time(op.started_at),
                op.kind,
                Text(op.user or "-"),
                operation_text(op.status),
                human_duration(op.duration) or "…",
                LazyCell(one_line(op.error, 200), "red"),
                key=str(op.id),
            )

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "ops-table" and event.row_key.value:
            event.stop()
            self.papp.open_progress(int(event.row_key.value))

    # --- logs -------------------------------------------------------------------------------

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "logs" and not self.logs.started:
            self.logs.start()
        self.refresh_bindings()

    def action_follow(self) -> None:
        self.action_show_tab("logs")
        self.logs.toggle_follow()

    def action_search(self) -> None:
        self.query_one(TabbedContent).active = "logs"
        self.query_one(LogSearchInput).open_as(filtering=False)

    def action_filter(self) -> None:
        self.query_one(TabbedContent).active = "logs"
        self.query_one(LogSearchInput).open_as(filtering=True)

    def action_wrap(self) -> None:
        self.query_one(LogView).action_toggle_wrap()

    # --- actions ----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("search", "filter") and typing(self):
            return False
        view = self.view
        if action == "act":
            name = str(parameters[0])
            if not self.services.can_change:
                return False
            return True if view is not None and self.papp.actions.allowed(name, view) else None
        tabs = self.query(TabbedContent)  # asked before compose ends too (the footer's bindings)
        tab = tabs.first().active if tabs else ""
        if action in ("restore", "delete_backup"):
            if not self.services.can_change or tab != "backups":
                return False
            return True if self._selected_backup() else None
        if action in ("follow", "search", "filter", "wrap"):
            return tab == "logs"
        if action == "env":
            unknown = view is not None and bool(unknown_values(view))
            return bool(unknown and self.services.can_change)
        if action == "reveal":
            if tab != "settings":
                return False
            return True if view is not None and view.secret_names else None
        return True

    def action_back(self) -> None:
        search = self.query_one(LogSearchInput)
        if search.active:  # the first Escape clears the search, the next leaves
            search.action_clear_filter()
            return
        self.dismiss()

    def _pane_widget(self, tab: str) -> Widget:
        selector = {
            "settings": "#settings-scroll",
            "backups": "#backups-table",
            "operations": "#ops-table",
        }.get(tab, "#log-view")
        return self.query_one(selector)

    def action_enter_pane(self) -> None:
        """Down (or j) from the tab bar moves into the tab, so its content can be scrolled."""
        self._pane_widget(self.query_one(TabbedContent).active).focus()

    def action_act(self, name: str) -> None:
        self.papp.actions.request(name, [self.app_id])

    def action_step_tab(self, step: int) -> None:
        tabs = [pane.id for pane in self.query(TabPane) if pane.id]
        current = self.query_one(TabbedContent).active
        at = tabs.index(current) if current in tabs else 0
        self.action_show_tab(tabs[(at + step) % len(tabs)])

    def action_show_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        self._pane_widget(tab).focus()

    @work(group="detail-reveal", exclusive=True, exit_on_error=False)
    async def action_reveal(self) -> None:
        view = self.view
        if view is None:
            return
        if self.revealed:
            self.revealed = {}
        else:
            try:
                for name in view.secret_names:
                    self.revealed[name] = await self.services.run(
                        self.services.apps.reveal_secret(self.app_id, name)
                    )
            except Exception as exc:
                self.notify(f"Cannot reveal: {exc}", severity="error", markup=False)
        self.query_one(TabbedContent).active = "settings"
        self._render_view()

    @work(group="detail-env", exclusive=True, exit_on_error=False)
    async def action_env(self) -> None:
        """The form for the values adopt left unknown; then one `env` operation."""
        from proximity_tui.screens.actions import describe_error
        from proximity_tui.screens.env_form import EnvFormScreen

        view, apps = self.view, self.services.apps
        if view is None:
            return
        try:
            known = await self.services.run(apps.env_values(self.app_id))
            unknown = [v for v in known if not v.known]
            answer = await self.app.push_screen_wait(EnvFormScreen(view.hostname, unknown))
            if answer is None:
                return
            values, generate = answer
            names = await self.services.run(apps.set_env(self.app_id, values, generate=generate))
            self.papp.update_apps([await self.services.run(apps.get_app(self.app_id))])
        except Exception as exc:
            self.notify(f"Setting values: {describe_error(exc)}", severity="error", markup=False)
            return
        self.notify(f"{view.hostname}: set {', '.join(names)}", markup=False)

    def _selected_backup(self) -> BackupView | None:
        table = self.query_one("#backups-table", DataTable)
        if not self.backups or table.row_count == 0:
            return None
        index = table.cursor_row
        return self.backups[index] if 0 <= index < len(self.backups) else None

    @work(group="detail-backup-action", exclusive=True, exit_on_error=False)
    async def action_restore(self) -> None:
        await self._backup_action("restore")

    @work(group="detail-backup-action", exclusive=True, exit_on_error=False)
    async def action_delete_backup(self) -> None:
        await self._backup_action("delete")

    async def _backup_action(self, what: str) -> None:
        from proximity_tui.screens.confirm import ConfirmScreen

        backup = self._selected_backup()
        view = self.view
        if backup is None or view is None:
            return
        if what == "restore":
            title, note = f"Restore {view.hostname}?", "The container is overwritten by it."
        else:
            title, note = "Delete this backup?", "The archive is removed from its storage."
        sure = await self.app.push_screen_wait(
            ConfirmScreen(title, [backup.volid], note=note, danger=True, confirm_label=what.title())
        )
        if not sure:
            return
        from proximity_tui.screens.action_report import failure_text, progress_opener

        apps = self.services.apps
        try:
            if what == "restore":  # long: its progress screen opens, as a deploy's
                await self.services.run(
                    apps.restore_app(self.app_id, backup.volid, on_start=progress_opener(self.papp))
                )
            else:
                await self.services.run(apps.delete_backup(self.app_id, backup.volid))
        except Exception as exc:
            text = failure_text(what.title(), view.hostname, exc)
            self.notify(text, severity="error", markup=False)
        else:
            self.notify(f"{'Restored' if what == 'restore' else 'Deleted'} {backup.volid}")
        self.load_backups()
        self.papp.refresh_status()
