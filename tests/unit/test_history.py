"""The per-app history ring: oldest first, bounded, exact values."""

from proximity_tui.services.history import History


def test_history_keeps_the_newest_points_oldest_first():
    h = History(3)
    assert h.values() == ((), ())
    h.add(0.5, 10)
    assert h.values() == ((0.5,), (10,))
    for i in range(1, 6):
        h.add(i / 10, i * 2**30)
    assert h.values() == ((0.3, 0.4, 0.5), (3 * 2**30, 4 * 2**30, 5 * 2**30))
    assert len(h) == 3


def test_the_book_reads_on_demand_and_forgets():
    from proximity_tui.services.history import HistoryBook

    book = HistoryBook(2)
    book.add("a", 0.1, 1)
    assert dict(book) == {"a": ((0.1,), (1,))}
    book.add("a", 0.2, 2)
    book.add("a", 0.3, 3)
    assert book["a"] == ((0.2, 0.3), (2, 3)) and book.get("b") is None
    book.forget("a")
    assert len(book) == 0


def test_add_points_is_add_point_by_point():
    """The tick's batch append (`add_points` on the rings it keeps, the ring write inlined) ends
    where `add` does."""
    from proximity_tui.services.history import HistoryBook
    from proximity_tui.views import LiveStatus

    one, many = HistoryBook(3), HistoryBook(3)
    for tick in range(5):
        ids = ["a", "b"] if tick % 2 else ["a"]
        points = [
            LiveStatus(
                vmid=100 + i, node="pve1", status="running", cpu=tick / 10, mem=tick * 2**30 + i
            )
            for i in range(len(ids))
        ]
        for app_id, p in zip(ids, points, strict=True):
            one.add(app_id, p.cpu, p.mem)
        many.add_points([many.ring(app_id) for app_id in ids], points)
    assert dict(many) == dict(one)
    assert many["a"] == ((0.2, 0.3, 0.4), (2 * 2**30, 3 * 2**30, 4 * 2**30))
    assert many["b"] == ((0.1, 0.3), (2**30 + 1, 3 * 2**30 + 1))
    assert many.ring("a") is many.ring("a")  # the tick keeps it between ticks
