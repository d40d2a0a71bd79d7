"""Journal records as the read-only views the UI and the CLI show."""

from __future__ import annotations

from proximity_tui.service_views import OperationEventView, OperationView
from proximity_tui.services.journal import EventRecord, OperationRecord


def event_view(e: EventRecord) -> OperationEventView:
    return OperationEventView(
        ts=e.ts, step=e.step, level=e.level, kind=e.kind, message=e.message, progress=e.progress
    )


def operation_view(r: OperationRecord) -> OperationView:
    return OperationView(
        id=r.id,
        kind=r.kind,
        app_id=r.app_id,
        hostname=r.hostname,
        user=r.username,
        status=r.status,
        step=r.step,
        started_at=r.started_at,
        finished_at=r.finished_at,
        error=r.error,
        parameters=dict(r.parameters or {}),
        result=dict(r.result or {}),
        events=tuple(event_view(e) for e in r.events),
    )
