"""A namespace of probes for tests: slow, failing and odd handlers, with counters.

Also loadable by a real server process as a plugin: ``--plugins tests.helpers.probe:namespace``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from app.rpc.context import CallContext
from app.rpc.errors import NotFound
from app.rpc.namespace import Method, Namespace


class OddError(NotFound):
    code = 9999
    message = "Odd"


class Probe:
    """Handlers that report what happened to them, for one test's app."""

    def __init__(self) -> None:
        self.calls = 0
        self.cancelled = 0
        self.spun: list[str] = []
        self.active = 0
        self.changed = asyncio.Event()
        """Set whenever a slow or spinning call starts, ends or is cancelled."""
        self.max_active = 0
        self.gate = asyncio.Event()
        self.gate_at = 0
        self.activity = asyncio.Condition()
        self.namespace = Namespace(
            "probe",
            [
                Method(self.count),
                Method(self.gated),
                Method(self.slow),
                Method(self.hang),
                Method(self.patient),
                Method(self.boom),
                Method(self.unserializable),
                Method(self.odd_error),
                Method(self.nan),
                Method(self.echo),
                Method(self.context),
                Method(self.old, deprecated=True),
                Method(self.wait_active),
                Method(self.admin, scope="admin"),
                Method(self.dear, cost=5),
                Method(self.stats),
                Method(self.spin),
            ],
        )

    async def count(self) -> int:
        """Count calls."""
        self.calls += 1
        return self.calls

    async def gated(self, n: int) -> int:
        """Suspend until ``gate_at`` calls are in flight together, then return ``n``."""
        self.calls += 1
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        if self.active >= self.gate_at:
            self.gate.set()
        await self.gate.wait()
        self.active -= 1
        return n

    async def slow(self, seconds: float) -> str:
        """Work for ``seconds`` (simulated by the server, not the test)."""
        async with self.activity:
            self.active += 1
            self.activity.notify_all()
        self.changed.set()
        try:
            await asyncio.sleep(seconds)
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        finally:
            self.active -= 1
            self.changed.set()
        return "done"

    async def until(self, condition: Callable[[], object], timeout_s: float = 10) -> None:
        """Wait (in the test) until ``condition()`` holds, re-checked at every change."""
        async with asyncio.timeout(timeout_s):
            while not condition():
                self.changed.clear()
                await self.changed.wait()

    async def wait_active(self, n: int) -> int:
        """Return once ``n`` slow calls are in flight."""
        async with self.activity:
            await self.activity.wait_for(lambda: self.active >= n)
        return self.active

    async def spin(self, label: str, ms: float) -> str:
        """Hold the event loop for ``ms`` milliseconds of work, as a CPU-heavy call does."""
        ends = time.perf_counter() + ms / 1000
        while time.perf_counter() < ends:
            pass
        self.spun.append(label)
        self.changed.set()
        return label

    async def stats(self) -> dict[str, int]:
        """What happened so far: calls counted, slow calls active and cancelled."""
        return {"calls": self.calls, "active": self.active, "cancelled": self.cancelled}

    async def dear(self) -> int:
        """Count calls, each costing five rate-limit units."""
        self.calls += 1
        return self.calls

    async def hang(self) -> None:
        """Never finish."""
        await asyncio.Event().wait()

    async def patient(self, seconds: float) -> str:
        """Wait for the gate under the handler's own time limit; say whether it opened."""
        try:
            async with asyncio.timeout(seconds):
                await self.gate.wait()
        except TimeoutError:
            return "gave up"
        return "opened"

    async def boom(self) -> None:
        """Fail with an unexpected exception whose text must never reach a client."""
        raise RuntimeError("secret internal detail: password=hunter2")

    async def odd_error(self) -> None:
        """Raise a domain error whose data JSON cannot carry."""
        raise OddError(data={"ids": {1, 2}})

    async def unserializable(self) -> Any:
        """Return something JSON cannot carry."""
        return {1, 2}

    async def nan(self) -> float:
        """Return a float JSON cannot carry exactly."""
        return float("nan")

    async def echo(self, value: Any) -> Any:
        """Return ``value``."""
        return value

    async def context(self, ctx: CallContext) -> dict[str, str]:
        """Return what the server injects as the call context."""
        return {"request_id": ctx.request_id, "method": ctx.method}

    async def admin(self) -> str:
        """An admin-only method."""
        return "ok"

    async def old(self) -> str:
        """A deprecated method."""
        return "old"


namespace = Probe().namespace
"""For a real server process: ``--plugins tests.helpers.probe:namespace``."""
