"""`WriteAhead`: the write a running operation makes before its next call, made once by the
first caller in whatever thread, the others waiting for it; only its maker sees its error.
Real threads, no mocks."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import pytest

from proximity_tui.proxmox import write_ahead
from proximity_tui.proxmox.write_ahead import WriteAhead


def test_the_first_caller_writes_and_the_others_wait_for_it():
    # The write goes on only once the second caller is on its way into `ensure`: it must then
    # wait for this write, never make one of its own, and find it done when it goes on.
    started, second_calls = threading.Event(), threading.Event()
    writes: list[str] = []

    def write() -> None:
        started.set()
        assert second_calls.wait(30)
        writes.append(threading.current_thread().name)

    ahead = WriteAhead(write)
    seen: dict[str, bool] = {}

    def call(name: str) -> None:
        if name == "second":
            second_calls.set()
        ahead.ensure()
        seen[name] = bool(writes)  # what this call found written when it went on

    first = threading.Thread(target=call, args=("first",), name="first")
    first.start()
    assert started.wait(30)
    second = threading.Thread(target=call, args=("second",), name="second")
    second.start()
    first.join(30)
    second.join(30)
    assert writes == ["first"] and seen == {"first": True, "second": True} and ahead.done
    ahead.ensure()  # done: nothing written again
    assert writes == ["first"]


def test_only_the_caller_that_made_it_sees_its_error():
    def write() -> None:
        raise OSError("disk I/O error")

    ahead = WriteAhead(write)
    with pytest.raises(OSError, match="disk I/O error"):
        ahead.ensure()
    ahead.ensure()  # that caller's step failed with it; the write is not retried
    assert ahead.done


async def test_pending_is_the_source_s_write_until_done_and_none_outside():
    assert write_ahead.pending() is None  # no operation running
    ahead = WriteAhead(lambda: None)
    with write_ahead.written_first(lambda: ahead):
        assert write_ahead.pending() is ahead
        ahead.ensure()
        assert write_ahead.pending() is None
    assert write_ahead.pending() is None


def test_a_chained_write_makes_the_pending_one_first_in_the_same_caller():
    writes: list[tuple[str, str]] = []

    def write(what: str) -> Callable[[], None]:
        return lambda: writes.append((what, threading.current_thread().name))

    start = WriteAhead(write("step start"))
    state = WriteAhead(write("state"), after=start)
    worker = threading.Thread(target=state.ensure, name="worker")
    worker.start()
    worker.join(30)
    assert writes == [("step start", "worker"), ("state", "worker")]
    assert start.done and state.done
    # A write chained after one already made does not make it again.
    again = WriteAhead(write("later state"), after=start)
    again.ensure()
    assert writes[2:] == [("later state", "MainThread")]


def test_a_chained_write_is_not_made_when_the_one_before_failed():
    def fail() -> None:
        raise OSError("disk I/O error")

    writes: list[str] = []
    state = WriteAhead(lambda: writes.append("state"), after=WriteAhead(fail))
    with pytest.raises(OSError, match="disk I/O error"):
        state.ensure()  # the call carrying them fails: nothing of its step is sent
    assert writes == [] and state.done


async def test_host_commands_started_together_share_one_hop():
    # Two callers on the loop at once (a step's two `pct exec`s): one worker thread writes, the
    # second caller waits for that hop instead of taking a thread of its own to block in.
    release = threading.Event()
    threads: list[str] = []

    def write() -> None:
        threads.append(threading.current_thread().name)
        assert release.wait(30)

    ahead = WriteAhead(write)
    hops: list[str] = []  # every thread that went into `ensure`, the writer or a waiter
    ensure = ahead.ensure

    def counted() -> None:
        hops.append(threading.current_thread().name)
        ensure()

    ahead.ensure = counted  # type: ignore[method-assign]
    first = asyncio.ensure_future(ahead.made())
    second = asyncio.ensure_future(ahead.made())
    await wait_until(lambda: bool(threads))
    assert not first.done() and not second.done()  # both wait for the write in flight
    release.set()
    await asyncio.gather(first, second)
    assert hops == threads and len(threads) == 1
    assert threads[0] != threading.current_thread().name
    assert ahead.done
    await ahead.made()  # done: no hop at all
    assert len(hops) == 1


async def test_a_shared_hop_s_error_reaches_only_the_caller_that_started_it():
    release = threading.Event()

    def write() -> None:
        assert release.wait(30)
        raise OSError("disk I/O error")

    ahead = WriteAhead(write)
    first = asyncio.ensure_future(ahead.made())
    await asyncio.sleep(0)  # the first caller starts the hop
    second = asyncio.ensure_future(ahead.made())
    await asyncio.sleep(0)
    release.set()
    with pytest.raises(OSError, match="disk I/O error"):
        await first
    await second  # went on, as a second caller of `ensure` does
    assert ahead.done


async def test_a_cancelled_caller_leaves_the_write_to_finish():
    release = threading.Event()
    writes: list[str] = []

    def write() -> None:
        assert release.wait(30)
        writes.append("start")

    ahead = WriteAhead(write)
    first = asyncio.ensure_future(ahead.made())
    await asyncio.sleep(0)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    second = asyncio.ensure_future(ahead.made())  # joins the hop still in flight
    release.set()
    await second
    assert writes == ["start"] and ahead.done


async def wait_until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "condition never held"
        await asyncio.sleep(0.005)
