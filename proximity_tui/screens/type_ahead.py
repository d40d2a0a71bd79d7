"""Keys typed while the dashboard starts (type-ahead, as k9s and lazydocker users do), kept in
order and handed to the screen they were meant for.

Until the first mode's screen is mounted (`Startup.show_first`), the screen on top is Textual's
blank default screen (the Apps table is being read from the database) or the starting screen
(connecting): a key reaching either was lost, or worse (`?` opened help over a screen the
dashboard then left for its first mode). The App keeps every key and paste from its start, and
posts them back to itself once that screen is mounted: they are routed as a burst arriving then.
That is all Textual offers without waiting on its internals: like any burst (a laggy SSH link),
a key taken by an ordinary binding acts once it has bubbled up to the App, so a priority key
right behind it (`/`, `:`, Tab) acts first; `j/who` and `/who⏎` do what they say, `1/ntfy` typed
at once filters the Apps list and then shows the catalog.

A mode key (`1`, `:catalog`) pressed on the Apps table painted from the database, before the
services have listed the apps, is kept too (`defer`): its switch runs once they have, and the
keys typed after it wait for it: `1`, then `/ntfy`, filters the catalog, not the apps.

Not kept: ctrl+q and ctrl+c act at once (a host that never answers must not keep the user from
quitting); mouse events are not replayed (their positions were on a screen that is gone).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from textual import events

if TYPE_CHECKING:
    from textual.app import App

#: Keys that act at once while starting: quit, and ctrl+c's "press ctrl+q to quit".
AT_ONCE = frozenset({"ctrl+q", "ctrl+c"})


class TypeAhead:
    def __init__(self, app: App) -> None:
        self.app = app
        #: The kept keys and pastes, in arrival order; None while not keeping.
        self._held: list[events.Key | events.Paste] | None = []
        self._deferred: Callable[[], Awaitable[object]] | None = None

    def keep(self, event: events.Event) -> bool:
        """Whether `event` (not yet routed) is kept for later."""
        if (
            self._held is None
            or not isinstance(event, events.Key | events.Paste)
            or event.is_forwarded  # on its way back up from a screen: not new input
        ):
            return False
        if isinstance(event, events.Key):
            if event.key in AT_ONCE:
                return False
            if event.key == "ctrl+j":
                # Enter typed before Textual set the terminal's raw mode (while Python starts)
                # was turned into a newline by the terminal (ICRNL): `:apps⏎` must still run.
                # Nothing in the dashboard is bound to ctrl+j.
                event = events.Key("enter", "\r")
        self._held.append(event)
        return True

    def defer(self, action: Callable[[], Awaitable[object]]) -> None:
        """Run `action` at the next `release`, before the keys typed after it."""
        self._deferred = action
        if self._held is None:
            self._held = []

    async def release(self) -> None:
        """Run what was deferred, then hand the kept keys on, in order. Keys arriving meanwhile
        are kept behind them; from here on keys go straight through."""
        if self._held is None:
            return
        action, self._deferred = self._deferred, None
        if action is not None:
            await action()
        held, self._held = self._held, None
        for event in held:
            self.app.post_message(event)
