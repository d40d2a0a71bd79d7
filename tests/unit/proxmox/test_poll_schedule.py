"""The pause between two looks at something a deploy waits for (tasks.next_pause)."""

from __future__ import annotations

import pytest

from proximity_tui.proxmox.tasks import GET_PAUSE, STEADY_FOR, STEADY_PAUSE, next_pause


def looks(wait_end: float, longest: float, growth: float) -> tuple[float, int]:
    """When a wait ending at `wait_end` is seen, and after how many looks."""
    t, pause, count = 0.0, 0.05, 1
    while t < wait_end:
        t += pause
        count += 1
        pause = next_pause(pause, t, longest, growth)
    return t, count


@pytest.mark.parametrize("growth", [1.25, 1.5])
@pytest.mark.parametrize("end", [0.3, 1.5, 2.0, 4.7])
def test_a_short_wait_is_seen_within_a_steady_pause(end: float, growth: float):
    seen, count = looks(end, longest=1.5, growth=growth)
    assert end <= seen <= end + STEADY_PAUSE
    assert count <= end / STEADY_PAUSE + 6  # about four looks a second, no more


def test_a_long_wait_backs_off_to_the_longest_pause():
    pause, t = STEADY_PAUSE, STEADY_FOR
    for _ in range(20):
        pause = next_pause(pause, t, 1.0, 1.5)
        t += pause
    assert pause == 1.0
    seen, count = looks(120.0, longest=1.0, growth=1.5)
    assert count < 150  # 24 looks in the steady seconds, then one a second


def test_a_smaller_longest_pause_is_kept():
    assert next_pause(0.05, 0.1, 0.02) == 0.02
    assert next_pause(0.02, 30.0, 0.02) == 0.02


@pytest.mark.parametrize("end", [0.3, 1.5, 2.0, 4.7])
def test_a_wait_on_api_gets_is_seen_within_the_get_pause(end: float):
    """A task's status or a CT's interfaces (one GET a look) are looked at every GET_PAUSE."""
    t, pause, count = 0.0, 0.05, 1
    while t < end:
        t += pause
        count += 1
        pause = next_pause(pause, t, 1.5, steady=GET_PAUSE)
    assert end <= t <= end + GET_PAUSE
    assert count <= end / GET_PAUSE + 6  # about ten looks a second, no more
    assert next_pause(GET_PAUSE, STEADY_FOR + 1, 1.5, steady=GET_PAUSE) > GET_PAUSE  # backs off
