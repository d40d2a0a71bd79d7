"""A container's HEALTHCHECK as the Docker engine runs it: when probes happen, hence when a
container turns `healthy` (or `unhealthy`).

Source: moby `daemon/health.go` (the engine the simulated CTs install is Docker 28):
- `monitor` arms a timer with `getInterval()` when the container starts and after each probe:
  `start_interval` while the container is still `starting` and less than `start_period` has
  passed since it started, `interval` otherwise; so the first probe comes after
  `start_interval` when the check has a start period, after `interval` when it has none.
- the defaults (`timeoutWithDefault`: 0 means the default): interval 30 s, timeout 30 s,
  start period 0, start interval 5 s (`defaultStartInterval`, Docker 27.0+, moby commit
  c514952774; before, it defaulted to the interval), retries 3.
- `handleProbeResult`: a passing probe makes the container `healthy`; a failing one counts
  towards `retries` only when it started at or after the start period.
A client on API < 1.44 cannot set `StartInterval` (moby `daemon/server/router/container/
container_routes.go` zeroes it), which leaves the 5 s default: what compose gets either way
unless its file sets `start_interval`.

An unset field of a compose `healthcheck:` inherits the image's value (moby `daemon/commit.go`
merge: `if userConf.Healthcheck.X == 0 { ... = imageConf.Healthcheck.X }`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

DEFAULT_INTERVAL = 30.0
DEFAULT_TIMEOUT = 30.0
DEFAULT_START_PERIOD = 0.0
DEFAULT_START_INTERVAL = 5.0
DEFAULT_RETRIES = 3


@dataclass(frozen=True)
class Healthcheck:
    """One HEALTHCHECK's settings in seconds; 0 means unset (inherited, then the default)."""

    interval: float = 0.0
    timeout: float = 0.0
    retries: int = 0
    start_period: float = 0.0
    start_interval: float = 0.0

    def over(self, image: Healthcheck | None) -> Healthcheck:
        """These settings with the unset ones taken from the image's (moby `daemon/commit.go`)."""
        if image is None:
            return self
        values = {f.name: getattr(self, f.name) or getattr(image, f.name) for f in fields(self)}
        return Healthcheck(**values)

    @property
    def every(self) -> float:
        return self.interval or DEFAULT_INTERVAL

    @property
    def grace(self) -> float:
        return self.start_period or DEFAULT_START_PERIOD

    @property
    def early_every(self) -> float:
        return self.start_interval or DEFAULT_START_INTERVAL

    @property
    def tries(self) -> int:
        return self.retries if self.retries > 0 else DEFAULT_RETRIES

    def healthy_at(self, ready: float) -> float:
        """Seconds after the start when the first probe that finds the app ready (it answers
        `ready` seconds after the start) runs: the container turns `healthy` then."""
        ready = max(ready, 0.0)
        if self.grace > 0:  # probes every start interval while starting, within the period
            n = max(1, math.ceil(ready / self.early_every))
            if (n - 1) * self.early_every < self.grace:
                return n * self.early_every
        last_early = self._last_early()
        steps = max(1, math.ceil((ready - last_early) / self.every))
        return last_early + steps * self.every

    def unhealthy_at(self) -> float:
        """Seconds after the start when a check that always fails turns `unhealthy`: the
        `retries`-th failing probe started at or after the start period."""
        last_early = self._last_early()
        first_counted = last_early if self.grace > 0 else self.every
        return first_counted + (self.tries - 1) * self.every

    def _last_early(self) -> float:
        """When the last probe scheduled by the start interval runs (0: none, no period)."""
        if self.grace <= 0:
            return 0.0
        return math.ceil(self.grace / self.early_every) * self.early_every
