"""The engine's rate-limit meter, driven through the dispatcher without HTTP."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

import orjson

from app.clock import ManualClock
from app.limits.memory import MemoryRateLimitStore
from app.limits.store import RateLimitStore
from app.rpc.access import Principal
from app.rpc.dispatch import Dispatcher, Limits
from app.rpc.registry import Registry
from app.settings import Settings
from app.stores import StoreContext
from handlers import calc

CALCULATOR = Principal("key:calc", "calc", frozenset({"calc"}))


def dispatcher(rate: float, burst: int) -> Dispatcher:
    context = StoreContext(Settings(rate_limit=rate, rate_burst=burst), ManualClock())
    resources: dict[type, object] = {RateLimitStore: MemoryRateLimitStore(context)}
    return Dispatcher(Registry([calc.namespace]), Limits(), resources, lambda *_: None)


@contextmanager
def no_collector() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


async def test_refused_calls_leave_no_garbage_cycles() -> None:
    """One error answers every refused call: raised from a frame each time, it would tie
    itself to that frame, and a flood of refusals made the collector stall the loop."""
    meter = dispatcher(1.0, 2)
    body = orjson.dumps(
        [{"jsonrpc": "2.0", "method": "calc.add", "params": [1, 2], "id": n} for n in range(100)]
    )
    one = b'{"jsonrpc":"2.0","method":"calc.add","params":[1,2],"id":1}'
    await meter.dispatch(one, "r", principal=CALCULATOR)
    with no_collector():
        answers = orjson.loads(await meter.dispatch(body, "r", principal=CALCULATOR) or b"")
        assert answers[0]["result"] == 3  # the one call the burst had left
        assert [answer["error"]["code"] for answer in answers[1:]] == [-32003] * 99
        assert gc.collect() == 0
