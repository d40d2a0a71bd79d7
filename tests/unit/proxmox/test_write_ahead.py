"""`WriteAhead`: the write a running operation makes before its next call, made once by the
first caller in whatever thread, the others waiting for it; only its maker sees its error.
Real threads, no mocks."""

from __future__ import annotations

import threading

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
