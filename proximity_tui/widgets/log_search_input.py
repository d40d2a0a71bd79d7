"""The search box of a log (`FollowLog`): `/` highlights the matches, `&` keeps only them.

As in less: `/term` finds (every match highlighted, `n`/`N` move through them, the header counts
them "3/17"), `&term` filters the lines. Typing applies the term after a short pause (the log
debounces); Enter applies it at once and goes back to the log, so `n` is the next key; Escape
clears it. The screen binds the keys with `log_search_bindings` and calls `open_as`.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Input

from proximity_tui.widgets.filter_input import FilterInput, slash_binding
from proximity_tui.widgets.follow_log import FollowLog

PLACEHOLDERS = {False: "search the log… (n N: next, previous)", True: "show only lines with…"}


def log_search_bindings(search: str, filter_: str, prefix: str) -> list[Binding]:
    """`/` and `&`: priority bindings like every `/` (keys typed in one burst land in the box);
    the screen's `check_action` turns them off while a text field has focus (`typing`)."""
    return [
        slash_binding(search, "Search log", f"{prefix}.search"),
        # Out of the footer (room at 80 columns); the help overlay lists it.
        Binding(
            "ampersand", filter_, "Filter log", id=f"{prefix}.filter", priority=True, show=False
        ),
    ]


class LogSearchInput(FilterInput):
    def __init__(self, target: str, **kwargs) -> None:
        super().__init__(target, placeholder=PLACEHOLDERS[False], **kwargs)
        self.filtering = False

    def _log(self) -> FollowLog | None:
        target = self._target()
        return target if isinstance(target, FollowLog) else None

    def open_as(self, *, filtering: bool) -> None:
        """Open for `/` (filtering False) or `&`; a term already typed switches with it."""
        if filtering != self.filtering:
            self.filtering = filtering
            self.placeholder = PLACEHOLDERS[filtering]
            self._apply(now=True)
        self.open()

    @property
    def active(self) -> bool:
        """Shown or still applied: the screen's Escape clears it before leaving."""
        log = self._log()
        return self.display or bool(log is not None and log.search_term)

    def _apply(self, *, now: bool = False) -> None:
        if (log := self._log()) is not None:
            log.set_query(self.value, filtering=self.filtering, now=now)

    def on_input_changed(self, _: Input.Changed) -> None:
        self._apply()

    async def action_submit(self) -> None:
        self._apply(now=True)
        await super().action_submit()

    def action_clear_filter(self) -> None:
        super().action_clear_filter()
        self._apply(now=True)
