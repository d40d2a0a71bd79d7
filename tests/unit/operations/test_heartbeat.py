"""A long wait says so in the operation's log, rate-limited: one line every `every` seconds of
waiting, with the attempt count, the time waited of the limit and the last answer."""

from __future__ import annotations

from proximity_tui.services.heartbeat import Heartbeat


class _Ctx:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def log(self, message: str, level: str = "info") -> None:
        self.lines.append(message)


def test_one_line_every_few_seconds_not_one_per_attempt():
    ctx = _Ctx()
    beat = Heartbeat(ctx, "waiting for http://127.0.0.1:3001/", 30.0, 5.0, now=100.0)  # type: ignore[arg-type]
    said = [beat.beat(100.0 + t / 2, "connection refused") for t in range(1, 25)]  # every 0.5 s
    assert said.count(True) == 2  # at 5 s and 10 s of waiting, 24 attempts
    assert ctx.lines == [
        "… waiting for http://127.0.0.1:3001/: attempt 10, 5s of 30s (connection refused)",
        "… waiting for http://127.0.0.1:3001/: attempt 20, 10s of 30s (connection refused)",
    ]


def test_a_short_wait_says_nothing():
    ctx = _Ctx()
    beat = Heartbeat(ctx, "waiting for CT 105 to start", 10.0, 5.0, now=0.0)  # type: ignore[arg-type]
    assert not any(beat.beat(t) for t in (0.5, 1.0, 4.9))
    assert ctx.lines == []
