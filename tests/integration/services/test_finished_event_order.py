"""Whoever hears an operation's FINISHED event and reads the journal finds the operation final:
the event is published only after the row is written."""

from __future__ import annotations

from proximity_tui.services import events as ev


def test_the_journal_is_final_when_finished_is_heard(services, hostname):
    seen: dict[int, str] = {}

    def on_event(event) -> None:
        if event.kind == ev.FINISHED:
            seen[event.op_id] = services.journal.get(event.op_id, events=False).status

    unsubscribe = services.apps.events.subscribe(on_event)
    try:
        app = services.call(services.apps.deploy_app("whoami", hostname))
        services.call(services.apps.stop_app(app.id))
    finally:
        unsubscribe()
    assert len(seen) == 2
    assert set(seen.values()) == {"succeeded"}
