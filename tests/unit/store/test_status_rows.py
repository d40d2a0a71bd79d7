"""The status tick re-reads the apps table only when it changed (`services/status_rows.AppRows`):
every kind of change, by this process's sessions or by another process, is seen."""

from __future__ import annotations

import sqlite3

import pytest

from proximity_tui.services.status_rows import AppRows
from proximity_tui.store import repositories as repo


def _read(db, rows: AppRows) -> list[tuple]:
    # After any change the session-free check says so (and the tick then reads in a session).
    assert rows.unchanged(db) is None
    with db.session(readonly=True) as s:
        read = rows.read(s)
    assert rows.unchanged(db) is read  # nothing committed since: the same list, no query
    return [tuple(r[:3]) + (r[4],) for r in read]


def test_rows_follow_every_change(db, app_fields):
    rows = AppRows()
    with db.session() as s:
        repo.add_app(s, **app_fields(1))
    first = _read(db, rows)
    assert first == [("nginx-web1", 101, "running", "pve1")]
    cached = rows._rows  # unchanged: the same cached list comes back
    with db.session(readonly=True) as s:
        assert rows.read(s) is cached

    with db.session() as s:
        repo.set_app_status(s, "nginx-web1", "stopped")
    assert _read(db, rows) == [("nginx-web1", 101, "stopped", "pve1")]
    with db.session() as s:
        repo.add_app(s, **app_fields(2))
    assert len(_read(db, rows)) == 2
    # Another process (a plain sqlite3 connection) moving an app to another node, no timestamp.
    with sqlite3.connect(db.path) as conn:
        conn.execute("UPDATE apps SET node = 'pve2' WHERE id = 'nginx-web2'")
    assert ("nginx-web2", 102, "running", "pve2") in _read(db, rows)
    with db.session() as s:
        repo.delete_app(s, "nginx-web1")
    assert [r[0] for r in _read(db, rows)] == ["nginx-web2"]


def test_the_guest_is_its_live_status():
    """The tick publishes the listing's `Guest` as the app's `LiveStatus`: a field added to
    `from_api` or to `LiveStatus` must not slip in or go missing unnoticed."""
    import dataclasses

    from proximity_tui.proxmox.models import Guest
    from proximity_tui.views import LiveStatus

    decoded = Guest.from_api(
        {"vmid": 7, "name": "web", "node": "pve1", "type": "lxc", "status": "running",
         "cpu": 0.25, "maxcpu": 2, "mem": 3, "maxmem": 4, "disk": 5, "maxdisk": 6, "netin": 7,
         "netout": 8, "uptime": 9, "tags": "proximity;x", "lock": "backup", "template": 0}
    )  # fmt: skip
    by_hand = Guest(
        vmid=7, name="web", node="pve1", type="lxc", status="running", cpu=0.25, maxcpu=2,
        mem=3, maxmem=4, disk=5, maxdisk=6, netin=7, netout=8, uptime=9,
        tags=["proximity", "x"], lock="backup",  # type: ignore[arg-type]  # a list, by hand
    )  # fmt: skip
    fields = {f.name for f in dataclasses.fields(LiveStatus)}
    assert {f.name for f in dataclasses.fields(Guest)} == fields
    for guest in (decoded, by_hand):
        assert isinstance(guest, LiveStatus)
        assert set(guest.__dict__) == fields
        assert guest.cores == 2 and guest.tags == ("proximity", "x")
        assert hash(guest) == hash(decoded)
    assert decoded == by_hand


def test_with_live_is_replace_of_live_and_busy():
    """The tick's shortcut for `replace(view, live=..., busy_op=..., busy_kind=...)`: a view that
    shares the row's fields reads, compares and replaces like the full one, field by field."""
    import dataclasses
    from datetime import UTC, datetime

    from proximity_tui.services.status_rows import with_live
    from proximity_tui.views import AppView, LiveStatus

    when = datetime(2026, 1, 2, tzinfo=UTC)
    view = AppView(
        id="a1", catalog_id="whoami", name="whoami", hostname="web", status="error", node="pve1",
        vmid=101, url="http://web", owner="ann", created_at=when, updated_at=when,
        ports={"http": 80}, volumes=["data"], environment={"A": "1"}, secret_names=("PW",),
        config={"k": "v"}, reason="why", stale=True, busy_op=3, busy_kind="backup",
    )  # fmt: skip
    # Every field differs from its default: a field the shared view got wrong would show.
    assert all(
        getattr(view, f.name) not in (None, False, (), {}, [])
        for f in dataclasses.fields(AppView)
        if f.name != "live"
    )
    live = LiveStatus(vmid=101, node="pve1", status="running", cpu=0.5)
    new = with_live(view, live, (7, "restore"))
    idle = with_live(new, live)  # from a shared view: shares the same row, no chain
    for got, busy in ((new, (7, "restore")), (idle, (None, None))):
        want = dataclasses.replace(view, live=live, busy_op=busy[0], busy_kind=busy[1])
        assert got == want and want == got
        for f in dataclasses.fields(AppView):
            assert getattr(got, f.name) == getattr(want, f.name), f.name
        assert dataclasses.replace(got, stale=False) == dataclasses.replace(want, stale=False)
        assert dataclasses.asdict(got) == dataclasses.asdict(want)
        assert repr(got) == repr(want)
    assert idle.__dict__["_row"] is view
    assert view.busy_op == 3 and view.live is None  # the original is left as it was
    with pytest.raises(AttributeError):
        _ = new.no_such_field  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        _ = view.no_such_field  # type: ignore[attr-defined]


def test_a_shared_view_holds_only_what_differs_from_the_class_defaults():
    """`with_live` keeps in the new view's own `__dict__` the row, `live`, the busy pair while
    busy and the defaulted fields whose row value is not the default; the class answers the
    rest, and every field reads as `replace` would give it."""
    import dataclasses

    from proximity_tui.services.status_rows import own_fields, with_live
    from proximity_tui.views import AppView, LiveStatus

    plain = AppView(
        id="a1", catalog_id="whoami", name="whoami", hostname="web", status="running",
        node="pve1", vmid=101, url=None, owner=None, created_at=None, updated_at=None,
        busy_op=9, busy_kind="stop",  # the row's busy pair is not the tick's: not shared
    )  # fmt: skip
    odd = dataclasses.replace(plain, reason="why", secret_names=("PW",))
    live = LiveStatus(vmid=101, node="pve1", status="running", cpu=0.5)
    assert own_fields(plain) == {} and own_fields(odd) == {"reason": "why", "secret_names": ("PW",)}
    for row in (plain, odd):
        for busy in (None, (4, "backup")):
            for own in (None, own_fields(row)):
                got = with_live(row, live, busy, own)
                want = dataclasses.replace(
                    row, live=live, busy_op=busy and busy[0], busy_kind=busy and busy[1]
                )
                assert got == want
                for f in dataclasses.fields(AppView):
                    assert getattr(got, f.name) == getattr(want, f.name), f.name
                held = (
                    {"_row", "live"}
                    | set(own_fields(row))
                    | ({"busy_op", "busy_kind"} if busy else set())
                )
                assert set(got.__dict__) == held


def test_the_young_gc_threshold_follows_the_app_count_upwards_only(monkeypatch):
    import gc

    from proximity_tui.services import status_rows

    monkeypatch.setattr(status_rows, "_settled", True)  # no freeze of the test process
    saved = gc.get_threshold()
    try:
        gc.set_threshold(700, saved[1], saved[2])
        status_rows.settle_gc(10)
        assert gc.get_threshold()[0] == status_rows.GC_GEN0
        status_rows.settle_gc(5000)
        assert gc.get_threshold() == (5000 * status_rows.GC_GEN0_PER_APP, saved[1], saved[2])
        status_rows.settle_gc(10)  # apps removed: the threshold stays
        assert gc.get_threshold()[0] == 5000 * status_rows.GC_GEN0_PER_APP
    finally:
        gc.set_threshold(*saved)
