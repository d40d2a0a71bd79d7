"""`WriteAhead`: the write a running operation makes before its next call, made once by the
first caller in whatever thread, the others waiting for it; only its maker sees its error.
Real threads, no mocks."""

from __future__ import annotations

import threading

import pytest

from proximity_tui.proxmox import write_ahead
from proximity_tui.proxmox.write_ahead import WriteAhead


def test_the_first_caller_writes_and_the_others_wait_for_it():
    started, release = threading.Event(), threading.Event()
    writes: list[str] = []

    def write() -> None:
        started.set()
        assert release.wait(30)
        writes.append(threading.current_thread().name)

    ahead = WriteAhead(write)
    seen: dict[str, bool] = {}

    def call(name: str) -> None:
        ahead.ensure()
        seen[name] = bool(writes)  # what this call found written when it went on

    first = threading.Thread(target=call, args=("first",), name="first")
    first.start()
    assert started.wait(30)
    second = threading.Thread(target=call, args=("second",), name="second")
    second.start()
    second.join(0.2)
    assert second.is_alive()  # held while the first caller writes
    release.set()
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
