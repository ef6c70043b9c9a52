"""The task operations (``lua/``): one Redis Functions library of the ``lib_*.lua`` files and a
function per operation, loaded once; each call begins its ARGV with the same header (the
keys' prefix, now, who calls, the limits).

A function answers ``[its reply, its wake-ups]``; the wake-ups, also published on the
``wake`` channel under this replica's id, are for ``app.tasks.redis_waits`` to react to.
"""

from __future__ import annotations

import hashlib
import random
import secrets
from collections.abc import Sequence
from importlib import resources
from typing import Any

from app.redis_link import Library, Link
from app.rpc.access import ANONYMOUS, Principal
from app.tasks.budget import DEPENDENCY_BYTES
from app.tasks.redis_codec import ERRORS
from app.tasks.state import FREE_RELEASES, THROUGHPUT_WINDOW_S, QueueLimits
from app.tasks.workers import FORGET_OFFLINE_AFTER, MISSED_HEARTBEATS

PACKAGE = __package__ or "app.tasks"
LIB = (
    "base",
    "records",
    "owners",
    "ready",
    "census",
    "budget",
    "workers",
    "state",
    "expiry",
    "replies",
)
"""The shared parts, in the order they build on each other."""
NAMES = (
    "submit",
    "claim",
    "serve",
    "heartbeat",
    "report",
    "release",
    "get",
    "list",
    "stats",
    "cancel",
    "requeue",
    "register",
    "worker_heartbeat",
    "deregister",
    "list_workers",
    "sweep",
    "unclaim",
    "census",
    "measure",
)

Arg = str | int | bytes


def new_seed() -> str:
    """A secret to make lease ids from: they are as unguessable as it is."""
    return secrets.token_urlsafe(16)


def _source(name: str) -> str:
    return resources.files(PACKAGE).joinpath("lua", f"{name}.lua").read_text()


def _library() -> tuple[Library, dict[str, str]]:
    """The library and its function per operation. Defining the lib_*.lua parts once, not on
    every call as a script would, is most of a call's time saved. It is named by a digest of
    its code, so versions of rpc-hub sharing a Redis each call their own."""
    operations = "".join(
        f"redis.register_function('{{lib}}_{name}', function(keys, args)\n"
        f"T.begin(keys, args)\n{_source(name)}end)\n"
        for name in NAMES
    )
    code = "".join(_source(f"lib_{part}") for part in LIB) + operations
    lib = "rpc_hub_tasks_" + hashlib.sha256(code.encode()).hexdigest()[:16]
    return Library(lib, code.replace("{lib}", lib)), {name: f"{lib}_{name}" for name in NAMES}


def _limits(limits: QueueLimits) -> str:
    """The limits, in the order ``lib_base.lua`` reads them: one argument, sent with every
    call, as each store on a Redis may have its own."""
    caps = limits.caps
    numbers: list[float] = [
        limits.lease_ttl_s,
        limits.heartbeat_s,
        limits.retry_base_s,
        limits.retry_max_s,
        limits.pending_ttl_s,
        limits.max_payload_bytes,
        limits.attempts_kept,
        limits.cache_max_entries,
        limits.cache_max_bytes,
        limits.max_workers,
        limits.max_workers_per_owner,
        caps.max_tasks,
        caps.max_tasks_per_owner,
        caps.max_bytes,
        caps.max_bytes_per_owner,
        caps.submit_bytes,
        DEPENDENCY_BYTES,
        FREE_RELEASES,
        MISSED_HEARTBEATS,
        FORGET_OFFLINE_AFTER,
        THROUGHPUT_WINDOW_S,
    ]
    return " ".join(repr(n) for n in numbers)


class Scripts:
    """The task domain's scripts on one Link, called as this replica (``origin``)."""

    def __init__(self, link: Link, limits: QueueLimits, origin: str) -> None:
        keys = link.keyspace("tasks")
        self.channel = keys("wake")
        self.origin = origin
        self._link = link
        self._keys = [keys("timers")]
        self._prefix = keys.prefix
        self._limits = _limits(limits)
        # Seeded from the global generator, as memory's backoff jitter is (hypothesis seeds it).
        self._rng = random.Random(random.getrandbits(64))  # noqa: S311
        self._library, self._functions = _library()

    async def open(self) -> None:
        """Load the library before serving."""
        await self._link.load(self._library)

    async def run(
        self,
        name: str,
        caller: Principal | None,
        now: float,
        draining: bool,
        args: Sequence[Arg] = (),
        seed: str | None = None,
    ) -> tuple[Any, list[bytes]]:
        """Run ``name`` at ``now`` for ``caller`` (None: the server itself); answer its reply
        and its wake-ups, or raise its refusal. Lease ids are made from ``seed`` (a fresh
        secret unless given)."""
        head: list[Arg] = [
            self._prefix,
            repr(now),
            self.origin,
            "1" if draining else "0",
            "" if caller is None else caller.id,
            "1" if caller is not None and caller.is_admin else "0",
            ANONYMOUS.id,
            seed or new_seed(),
            self._rng.getrandbits(31),
            self._limits,
        ]
        reply, wakeups = await self._link.fcall(
            self._library, self._functions[name], self._keys, [*head, *args], errors=ERRORS
        )
        return reply, list(wakeups)
