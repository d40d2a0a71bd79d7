"""`in_order` and `beside` (services/overlap.py): a step's independent reads made at once keep
the outcome the sequential code had: results in order, the first error in argument order, and
nothing left running or unheard."""

import asyncio

import pytest

from proximity_tui.services.overlap import beside, in_order


def test_results_come_in_argument_order_whatever_ends_first():
    async def main():
        slow_done = asyncio.Event()

        async def slow():
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            slow_done.set()
            return "slow"

        async def fast():
            return "fast"

        return await in_order(slow(), fast()), slow_done.is_set()

    assert asyncio.run(main()) == (("slow", "fast"), True)


def test_the_first_error_in_argument_order_wins_and_the_rest_are_cancelled():
    async def main():
        gate = asyncio.Event()
        cancelled = []

        async def first():
            await gate.wait()
            raise ValueError("first")

        async def second():
            gate.set()
            raise KeyError("second")  # raised before `first`'s, superseded by it

        async def third():
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                cancelled.append("third")
                raise

        with pytest.raises(ValueError, match="first"):
            await in_order(first(), second(), third())
        return cancelled

    assert asyncio.run(main()) == ["third"]


def test_a_later_error_is_raised_once_the_earlier_steps_succeeded():
    async def main():
        async def ok():
            return 1

        async def bad():
            raise RuntimeError("bad")

        with pytest.raises(RuntimeError, match="bad"):
            await in_order(ok(), bad())

    asyncio.run(main())


def test_beside_runs_meanwhile_and_is_cancelled_when_not_needed():
    async def main():
        started, cancelled = asyncio.Event(), []

        async def listing():
            started.set()
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                cancelled.append(True)
                raise

        async with beside(listing()) as task:
            await started.wait()  # it runs while the block does its own work
        await asyncio.sleep(0)
        return task.cancelled(), cancelled

    assert asyncio.run(main()) == (True, [True])


def test_beside_gives_its_result_or_its_error_where_the_block_awaits_it():
    async def main():
        async def value():
            return 42

        async def failing():
            raise LookupError("gone")

        async with beside(value()) as task:
            assert await task == 42
        with pytest.raises(LookupError):
            async with beside(failing()) as task:
                await task

    asyncio.run(main())
