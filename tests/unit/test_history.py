"""The history book: each app's points in the last ticks, oldest first, exact values; bounded
memory (column buffers reused in place); bad input refused without changing anything."""

import math
from array import array

import pytest

from proximity_tui.services.history import NO_POINT, HistoryBook
from proximity_tui.services.status_rows import history_columns
from proximity_tui.views import LiveStatus


def tick(book: HistoryBook, columns: dict[str, int], cpu: list[float], mem: list[int]) -> None:
    book.add_tick(columns, array("d", cpu), array("q", mem))


def test_the_book_keeps_the_last_ticks_oldest_first():
    book = HistoryBook(3)
    book.track("a")
    assert book["a"] == ((), ())
    cols = {"a": 0, "b": 1}
    book.track("b")
    for i in range(1, 6):
        tick(book, cols, [i / 10, i / 100], [i * 2**40, i])
    assert book["a"] == ((0.3, 0.4, 0.5), (3 * 2**40, 4 * 2**40, 5 * 2**40))
    assert book["b"] == ((0.03, 0.04, 0.05), (3, 4, 5))
    assert dict(book) == {"a": book["a"], "b": book["b"]} and len(book) == 2


def test_an_app_without_a_point_in_a_tick_has_none_there():
    """NaN in the CPU column (the listing left the CT out) and an app absent from a tick's map
    (not known yet, or the slots' order changed) both mean no point for that tick."""
    book = HistoryBook(4)
    for app in ("a", "b"):
        book.track(app)
    tick(book, {"a": 0}, [0.1], [1])
    tick(book, {"a": 0, "b": 1}, [math.nan, 0.2], [NO_POINT, 2])
    tick(book, {"b": 0, "a": 1}, [0.3, 0.4], [3, 4])  # another order
    assert book["a"] == ((0.1, 0.4), (1, 4))
    assert book["b"] == ((0.2, 0.3), (2, 3))


def test_an_app_forgotten_then_tracked_again_starts_empty():
    book = HistoryBook(5)
    book.track("a")
    tick(book, {"a": 0}, [0.5], [5])
    book.forget("a")
    assert book.get("a") is None and len(book) == 0 and list(book) == []
    book.track("a")  # deleted, then deployed again under the same id: not the old app's points
    assert book["a"] == ((), ())
    tick(book, {"a": 0}, [0.6], [6])
    book.track("a")  # tracking an app already tracked changes nothing
    assert book["a"] == ((0.6,), (6,))


def test_buffers_are_reused_in_place_and_a_new_app_count_gets_its_own():
    book = HistoryBook(2)
    book.track("a")
    tick(book, {"a": 0}, [0.1], [1])
    tick(book, {"a": 0}, [0.2], [2])
    first = book._ring[0]
    assert first is not None
    buffers = (first.cpu, first.mem)
    tick(book, {"a": 0}, [0.3], [3])  # overwrites the oldest tick's columns
    assert (first.cpu, first.mem) == buffers and first.cpu is buffers[0]
    assert book["a"] == ((0.2, 0.3), (2, 3))
    book.track("b")
    tick(book, {"a": 0, "b": 1}, [0.4, 0.9], [4, 9])  # two apps now: buffers of two
    assert book["a"] == ((0.3, 0.4), (3, 4)) and book["b"] == ((0.9,), (9,))


def test_bad_ticks_are_refused_and_change_nothing():
    with pytest.raises(ValueError):
        HistoryBook(0)
    book = HistoryBook(3)
    book.track("a")
    tick(book, {"a": 0}, [0.1], [1])
    with pytest.raises(ValueError, match="1 CPU and 2 memory figures for 1 apps"):
        tick(book, {"a": 0}, [0.2], [2, 3])
    with pytest.raises(ValueError):
        tick(book, {"a": 0, "b": 1}, [0.2], [2])
    assert book["a"] == ((0.1,), (1,))


def test_history_columns_from_a_ticks_points():
    live = [
        LiveStatus(vmid=100 + i, node="pve1", status="running", cpu=i / 4, mem=i * 2**33)
        for i in range(3)
    ]
    cpu, mem = history_columns(live, absent=False)
    assert (list(cpu), list(mem)) == ([0.0, 0.25, 0.5], [0, 2**33, 2**34])
    cpu, mem = history_columns([live[1], None, live[2]], absent=True)
    assert cpu[0] == 0.25 and math.isnan(cpu[1]) and cpu[2] == 0.5
    assert list(mem) == [2**33, NO_POINT, 2**34]
