"""A handler continued from its eager first step behaves exactly as if it had been awaited."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from app.rpc.eager import Suspended


def stepped(coro: Any) -> Suspended[Any]:
    """What the dispatcher does: the first step inline, the rest on await."""
    return Suspended(coro, coro.send(None))


async def test_results_and_values_sent_back_arrive_as_with_await() -> None:
    async def handler(n: int) -> list[int]:
        seen = []
        for i in range(n):
            future = asyncio.get_running_loop().create_future()
            asyncio.get_running_loop().call_soon(future.set_result, i * 10)
            seen.append(await future)
        return seen

    assert await stepped(handler(4)) == await handler(4) == [0, 10, 20, 30]


async def test_an_exception_after_a_suspension_propagates() -> None:
    async def handler() -> None:
        await asyncio.sleep(0)
        raise LookupError("after the first step")

    with pytest.raises(LookupError, match="after the first step"):
        await stepped(handler())


async def test_cancelling_the_awaiting_task_cancels_the_handler_and_runs_its_finally() -> None:
    cleaned = asyncio.Event()

    async def handler() -> None:
        try:
            await asyncio.sleep(3600)
        finally:
            cleaned.set()

    suspended = stepped(handler())

    async def waiter() -> None:
        await suspended

    task = asyncio.create_task(waiter())
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cleaned.is_set()


async def test_a_handler_may_catch_the_cancellation_and_answer() -> None:
    async def handler() -> str:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            return "cleaned up"
        return "slept"

    async def waiter(eager: bool) -> str:
        async with asyncio.timeout(0.01):
            return await (stepped(handler()) if eager else handler())

    # As with a plain await, the handler's own answer wins over the timeout's cancellation.
    assert await waiter(eager=True) == await waiter(eager=False) == "cleaned up"
