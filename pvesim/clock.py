"""Simulated time: wall-clock readings and task durations scaled by `time_scale`.

Durations in the simulator are the realistic ones (a CT start takes ~1.5 s, a template download
~8 s); `time_scale` multiplies them (0 = instant, still going through the event loop). The wall
clock is injectable so tests can age tickets or look at uptimes without waiting.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class Clock:
    def __init__(self, time_scale: float = 1.0, wall: Callable[[], float] = time.time) -> None:
        if time_scale < 0:
            raise ValueError("time_scale must be >= 0")
        self.time_scale = float(time_scale)
        self._wall = wall
        #: Added to the wall clock: tests move time forward with `advance()`.
        self.offset = 0.0

    def time(self) -> float:
        """Seconds since the epoch, as the simulated hosts see it."""
        return self._wall() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds

    def scaled(self, seconds: float) -> float:
        """Real seconds a simulated duration takes."""
        return max(0.0, seconds * self.time_scale)

    async def sleep(self, seconds: float) -> None:
        """Wait a simulated duration (always yields to the loop, even at scale 0)."""
        await asyncio.sleep(self.scaled(seconds))
