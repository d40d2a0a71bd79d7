"""Live progress of one operation (deploy, update, clone, backup, restore...): steps, progress,
elapsed time, output, and the result line at the end.

The operation runs on the service loop; this screen only watches. It can be left with Escape and
reopened from the Apps or Operations screen: it rebuilds itself from the events the operation
emitted so far (`live_events`) or, once finished, from the journal (`operation(op_id)`, whose
result keeps the step table's plan).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Footer, Label, ProgressBar, Static

from proximity_tui.screens.confirm import ConfirmScreen
from proximity_tui.screens.live import LiveScreen
from proximity_tui.widgets.cluster_header import ClusterHeader
from proximity_tui.widgets.filter_input import typing
from proximity_tui.widgets.follow_log import FollowLog
from proximity_tui.widgets.footer_fit import MODE_KEYS, Tiers, fit_footer, fit_labels
from proximity_tui.widgets.format import human_duration
from proximity_tui.widgets.log_search_input import LogSearchInput, log_search_bindings
from proximity_tui.widgets.step_checklist import StepChecklist

if TYPE_CHECKING:
    from textual.timer import Timer

    from proximity_tui.services.events import OperationEvent

LOG_LINES = 2000
#: At this width and below the step list hides (the log gets the width); `s` shows it again.
STEPS_HIDE_WIDTH = 80
_FOOTER_HIDES: Tiers = ((100, frozenset(k for k, _ in MODE_KEYS)), (float("inf"), frozenset()))
#: Below this width a running operation's footer says Cancel and Back, so that `? Help` (which
#: gives the long labels) still fits at 80 columns beside Wrap, Steps and Search.
SHORT_LABELS_BELOW = 100
_SHORT_LABELS = {"cancel_op": "Cancel", "back": "Back"}

STARTED = "started"
STEP_STARTED = "step_started"
LOG = "log"
PROGRESS = "progress"
STEP_FINISHED = "step_finished"
STEP_FAILED = "step_failed"
UNDO = "undo"
ROLLED_BACK = "rolled_back"
FINISHED = "finished"

#: The cancel dialog's "no" button: "Cancel" next to "Cancel the deploy" would be ambiguous.
KEEP_LABELS = {
    "deploy": "Keep deploying",
    "clone": "Keep cloning",
    "update": "Keep updating",
    "restore": "Keep restoring",
    "backup": "Keep backing up",
}


class CancelOperationConfirm(ConfirmScreen):
    """The confirmation with an unambiguous "keep going" button."""

    def __init__(self, *args: Any, keep_label: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.keep_label = keep_label

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).label = self.keep_label


class DeployProgressScreen(LiveScreen):
    DEFAULT_CSS = """
    DeployProgressScreen #result.-rolled-back {
        border-left: thick $warning; background: $warning 15%;
    }
    """

    # Pairs on one key: check_action enables one of each pair, so the footer offers only what
    # applies now and a key never falls through to the App (ctrl+c there is the quit prompt).
    BINDINGS = [
        Binding("escape", "back", "Back (keeps running)", tooltip="Back (keeps running)"),
        Binding("escape", "back_done", "Back"),
        Binding(
            "ctrl+c",
            "cancel_op",
            "Cancel (rolls back)",
            tooltip="Cancel (rolls back)",
            priority=True,
        ),
        # Hidden from the footer; the help overlay lists them with these descriptions.
        Binding("ctrl+c", "cannot_cancel", "Cancel (not possible now)", show=False, priority=True),
        Binding("enter", "open_app", "Open app"),
        Binding("enter", "cannot_open", "Open app (not available)", show=False),
        Binding("s", "toggle_steps", "Steps"),
        *log_search_bindings("log_search", "log_filter", "progress"),
        # The App's mode keys, repeated so that a narrow footer can leave them out.
        *(Binding(k, f"app.mode('{m}')", m.title()) for k, m in MODE_KEYS),
    ]
    AUTO_FOCUS = "#log"  # w, n, N, G are the log's keys

    def __init__(self, op_id: int) -> None:
        super().__init__()
        self.op_id = op_id
        self.kind = "operation"
        self.target = ""
        self.app_id: str | None = None
        self.status = "running"
        self.started_at: datetime | None = None
        self.finished_at: datetime | None = None
        self.failed_step: str | None = None
        self.error: str | None = None
        self.cleaned: list[str] = []
        self.not_cleaned: list[str] = []
        #: The steps a finished operation had (its journal result), the unreached ones too.
        self._journal_plan: list[tuple[str, str]] | None = None
        self.url: str | None = None
        self._step_started: dict[str, datetime] = {}
        self._seen: set[int] = set()
        self._timer: Timer | None = None
        self._steps_shown: bool | None = None  # None: by the width
        self._footer_hidden: frozenset[str] | None = None
        self._short_labels: bool | None = None

    def compose(self) -> ComposeResult:
        yield ClusterHeader(self.papp.current_mode)
        yield Label("", id="op-title", markup=False)
        with Horizontal(id="progress-body"):
            with VerticalScroll(id="steps-pane"):
                yield StepChecklist(list(self.papp.plans.get(self.op_id, ())), id="steps")
            with Vertical(id="output-pane"):
                with Horizontal(id="progress-line"):
                    yield ProgressBar(total=100, show_eta=False, id="bar")
                    yield Label("", id="elapsed")
                yield Static("", id="result", markup=False)
                yield Static("", id="log-status", markup=False)
                yield LogSearchInput("#log")
                yield FollowLog(max_lines=LOG_LINES, id="log", auto_scroll=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#result", Static).display = False
        self._timer = self.set_interval(1.0, self._tick)
        apps = self.services.apps
        if self.op_id in apps.running_operations():
            self._replay(apps.live_events(self.op_id))
            self._use_plan()
            self._show_title()
        else:
            self._load_finished()

    def on_resize(self) -> None:
        # Wide enough for the longest step title and its duration when the terminal allows.
        self._footer_hidden = fit_footer(self, _FOOTER_HIDES, self.size.width, self._footer_hidden)
        short = self.size.width < SHORT_LABELS_BELOW
        if short != self._short_labels:
            self._short_labels = short
            fit_labels(self, _SHORT_LABELS, short)
        pane = self.query_one("#steps-pane")
        pane.styles.width = 50 if self.size.width >= 110 else 42
        shown = self._steps_shown
        pane.display = self.size.width > STEPS_HIDE_WIDTH if shown is None else shown

    def action_toggle_steps(self) -> None:
        self._steps_shown = not self.query_one("#steps-pane").display
        self.on_resize()

    def action_log_search(self) -> None:
        self.query_one(LogSearchInput).open_as(filtering=False)

    def action_log_filter(self) -> None:
        self.query_one(LogSearchInput).open_as(filtering=True)

    def on_follow_log_state_changed(self, event: FollowLog.StateChanged) -> None:
        log = self.query_one(FollowLog)
        follow = "following" if log.following else "paused · G follows"
        self.query_one("#log-status", Static).update(f"Output · {follow} · {log.status()}")

    def _use_plan(self) -> None:
        """Every step of the operation, the pending ones too (the live context knows them once
        its steps started; a finished deploy's are the deploy's steps)."""
        checklist = self.query_one(StepChecklist)
        plan = self.services.apps.operation_plan(self.op_id)
        if plan is None:
            plan = self._journal_plan
        if plan is None and self.kind == "deploy":  # journaled before plans were kept
            from proximity_tui.services.operations.deploy import deploy_steps

            plan = deploy_steps()
        if plan and [line.name for line in checklist.steps[: len(plan)]] != [n for n, _ in plan]:
            checklist.set_plan(plan)
            self._tick()

    @work(group="progress-load", exclusive=True, exit_on_error=False)
    async def _load_finished(self) -> None:
        try:
            op = await self.services.run(self.services.apps.operation(self.op_id))
        except Exception as exc:
            self.notify(f"Cannot read operation {self.op_id}: {exc}", severity="error")
            return
        self.kind = op.kind
        self.target = op.hostname or op.app_id or ""
        self.app_id = op.app_id
        self.started_at = op.started_at
        plan = op.result.get("plan")
        if plan:
            self._journal_plan = [(str(name), str(title)) for name, title in plan]
        self._replay(op.events)
        self._use_plan()
        if self.status == "running" and op.status != "running":
            self.status = op.status
            self.finished_at = op.finished_at
            self.error = self.error or op.error
            self._finish_view()
        self._show_title()

    # --- events -----------------------------------------------------------------------------

    def operation_events(self, events: list[OperationEvent]) -> None:
        mine = [e for e in events if e.op_id == self.op_id]
        if mine:
            self._replay(mine)
            if self.status == "running":
                self._use_plan()

    def apps_applied(self, changed: set[str], removed: set[str]) -> None:
        if self.app_id in changed or self.app_id in removed:
            self.refresh_bindings()  # "Open app" follows the app's existence and state

    def _replay(self, events: Any) -> None:
        steps = self.query_one(StepChecklist)
        log = self.query_one(FollowLog)
        lines: list[str] = []
        for event in events:
            if id(event) in self._seen:
                continue
            self._seen.add(id(event))
            kind = event.kind
            step = event.step
            if kind == STARTED:
                self.started_at = self.started_at or event.ts
                self.kind = getattr(event, "operation", None) or self.kind
                self.target = getattr(event, "hostname", None) or self.target
                self.app_id = getattr(event, "app_id", None) or self.app_id
                self._show_title()
            elif kind == STEP_STARTED and step:
                self._step_started[step] = event.ts
                steps.set_state(step, "running", title=event.message or step)
                lines.append(f"── {event.message or step}")
            elif kind == STEP_FINISHED and step:
                steps.set_state(step, "done", title=event.message, duration=self._dur(event))
            elif kind == STEP_FAILED and step:
                self.failed_step = step
                self.error = event.message
                steps.set_state(step, "failed", duration=self._dur(event))
                lines.append(f"✖ {event.message}")
            elif kind == LOG:
                lines.append(event.message)
            elif kind == UNDO:
                failed_undo = event.level == "error"
                (self.not_cleaned if failed_undo else self.cleaned).append(event.message)
                lines.append(f"{'✖' if failed_undo else '↺'} {event.message}")
            elif kind == ROLLED_BACK:
                steps.mark_rolled_back()
            elif kind == FINISHED:
                self.status = getattr(event, "status", None) or self.status
                self.finished_at = event.ts
                if self.status != "succeeded" and not self.error:
                    self.error = event.message
                extra = getattr(event, "extra", None) or {}
                self.url = extra.get("url") or self.url
            if event.progress is not None:
                self.query_one(ProgressBar).update(progress=event.progress * 100)
        if lines:
            log.write_lines(lines)
        if self.status != "running":
            self._finish_view()
        self._tick()

    def _dur(self, event: Any) -> float | None:
        duration = getattr(event, "duration", None)
        if duration is not None:
            return duration
        started = self._step_started.get(event.step)
        return (event.ts - started).total_seconds() if started else None

    # --- view -------------------------------------------------------------------------------

    def _show_title(self) -> None:
        what = f"{self.kind.title()} {self.target}".strip()
        self.query_one("#op-title", Label).update(f"{what}  ·  operation #{self.op_id}")

    def _tick(self) -> None:
        if self.started_at is None:
            return
        end = self.finished_at or self.papp.clock()
        elapsed = max(0.0, (end - self.started_at).total_seconds())
        checklist = self.query_one(StepChecklist)
        done, total = checklist.counts()
        steps = f"{done}/{total} steps · " if total else ""
        failed_at = checklist.failed_at()
        if self.status != "running" and failed_at is not None:
            verb = "cancelled" if self.cancelled else "failed"
            steps = f"{verb} at step {failed_at}/{total} · "
        self.query_one("#elapsed", Label).update(f"{steps}{human_duration(elapsed)}")

    def _finish_view(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        result = self.query_one("#result", Static)
        result.display = True
        text = Text()
        if self.status == "succeeded":
            self.query_one(ProgressBar).update(progress=100)
            result.set_classes("-ok")
            text.append(f"✔ {self.kind.title()} of {self.target} succeeded.", "bold green")
            if self.url or self.app_id:
                self._load_url()
            if self.url:
                text.append("\nOpen ")
                text.append(self.url, style=f"link {self.url}")
        else:
            clean = self.status == "rolled_back"
            result.set_classes("-rolled-back" if clean else "-failed")
            mark, style = ("↺", "bold yellow") if clean else ("✖", "bold red")
            verb = "cancelled" if self.cancelled else "failed"
            text.append(f"{mark} {self.kind.title()} of {self.target} {verb}", style)
            if self.failed_step:
                title = self.query_one(StepChecklist).title_of(self.failed_step)
                text.append(f" at step '{title or self.failed_step}'", style)
            if clean:
                text.append(" — rolled back", style)
            if not self.cancelled or not clean:
                error = self.error or "no error recorded"
                # The headline names the step by its title: drop the service's "<id> failed: ".
                prefix = f"{self.failed_step} failed: "
                text.append("\n" + (error[len(prefix) :] if error.startswith(prefix) else error))
            if self.cleaned:
                text.append("\nCleaned up:", "bold")
                for item in self.cleaned:
                    text.append(f"\n  ↺ {item}")
            elif self.status in ("failed", "rolled_back") and not self.not_cleaned:
                text.append("\nNothing was left to clean up.", "bright_black")
            if self.not_cleaned:
                text.append("\nNot rolled back:", "bold red")
                for item in self.not_cleaned:
                    text.append(f"\n  ✖ {item}")
        result.update(text)
        self._tick()
        self.refresh_bindings()

    @property
    def cancelled(self) -> bool:
        """Stopped by a user's cancel (the service layer's error then says "cancelled")."""
        return self.status != "running" and "cancelled" in (self.error or "").lower()

    @work(group="progress-url", exclusive=True, exit_on_error=False)
    async def _load_url(self) -> None:
        if self.url or not self.app_id or self.kind == "delete":
            return
        try:
            view = await self.services.run(self.services.apps.get_app(self.app_id))
        except Exception:
            return
        if view.url:
            self.url = view.url
            self._finish_view()

    # --- keys -------------------------------------------------------------------------------

    def _openable(self) -> bool:
        view = self.papp.apps.get(self.app_id or "")
        if view is None or self.status == "running":
            return False
        # A deploy's point is a running app; other operations open whatever state it is in.
        return self.kind != "deploy" or (self.status == "succeeded" and view.status == "running")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("log_search", "log_filter"):
            return not typing(self)
        running = self.status == "running"
        if action == "cancel_op":
            return running and self.services.can_change
        if action == "cannot_cancel":
            return not running or not self.services.can_change
        if action == "back":
            return running
        if action == "back_done":
            return not running
        if action == "open_app":
            return self._openable()
        if action == "cannot_open":
            return not self._openable()
        return True

    async def action_back(self) -> None:
        # The app list, as the spec says, when the screen came from the deploy form (Catalog);
        # opened from Apps or Operations it returns there. The first Escape clears a search.
        search = self.query_one(LogSearchInput)
        if search.active:
            search.action_clear_filter()
            return
        self.dismiss()
        if self.papp.current_mode == "catalog":
            await self.papp.switch_mode("apps")

    async def action_back_done(self) -> None:
        await self.action_back()

    def action_cannot_cancel(self) -> None:
        if self.status == "running":
            self.notify("Read-only: operations cannot be cancelled.", severity="warning")
        else:
            self.notify(f"Operation #{self.op_id} already finished: nothing to cancel.")

    async def action_open_app(self) -> None:
        if not self._openable():
            return
        app_id = self.app_id
        await self.action_back()
        if app_id is not None:  # _openable() found its view
            self.papp.open_app(app_id)

    def action_cannot_open(self) -> None:
        if self.status == "running":
            why = "it is still running"
        elif self.app_id is None or self.app_id not in self.papp.apps:
            why = "the app does not exist" + (
                " (the deploy was rolled back)" if self.kind == "deploy" else ""
            )
        else:
            why = f"the {self.kind} {'was cancelled' if self.cancelled else 'failed'}"
        self.notify(f"Nothing to open: {why}.", markup=False)

    @work(group="progress-cancel", exclusive=True, exit_on_error=False)
    async def action_cancel_op(self) -> None:
        if self.status != "running":
            return
        sure = await self.app.push_screen_wait(
            CancelOperationConfirm(
                f"Cancel the {self.kind} of {self.target}?",
                note="What was done so far is rolled back.",
                confirm_label=f"Cancel the {self.kind}",
                keep_label=KEEP_LABELS.get(self.kind, "Keep it running"),
                danger=True,
            )
        )
        if sure and self.status == "running":
            try:
                self.services.apps.cancel_operation(self.op_id)  # any thread: it sets the flag
            except Exception as exc:
                self.notify(f"Cannot cancel: {exc}", severity="error", markup=False)
                return
            self.notify("Cancelling… the steps done so far are being rolled back.")
