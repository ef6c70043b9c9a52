"""``RedisTaskStore``: the task queue in Redis, shared by every replica and kept across
restarts, with exactly ``MemoryTaskStore``'s semantics.

Each operation is one Lua function (``lua/``, over ``lua/lib_*.lua``: memory's pure core in
Lua, one Redis Functions library), which first fires the deadlines that have passed, as
memory's ``sweep`` does. What depends on the arguments alone is decided here first: ids,
tokens' digests, fingerprints, the JSON kept, a payload too large or a run time too late.
Long-polls are ``app.tasks.redis_waits``'s, woken across replicas by
``app.redis_channel``; time-based transitions are also fired on time by
``app.tasks.redis_timers``. Keys, all under ``{<prefix>:tasks}:``:

    task:<id>          hash: the task's fields (records.Task), JSON kept as sent
    attempts:<id>      list: its newest attempts (see redis_codec)
    dependents:<id>    set: tasks that depend on it; waiting_on:<id>: its unfinished deps
    all, owned:<owner> sorted sets: task ids by submit number (seq counts them)
    ready:<pair>       sorted set: ready tasks of one (queue, type), most urgent first;
                       heaps: the pairs that have some
    timers             sorted set: each deadline set (its order, kind and key) by when it
                       is due; timers:announced: the earliest one announced
    idempotency        hash: owner "\\n" key -> task id
    cache, cache:order hash and sorted set: owner "\\n" fingerprint -> computed result
    bytes, owner:tasks, owner:bytes: the budget; expired, recent: for stats
    census…, pending:<queue>, oldest, tallies: for the metrics (lua/lib_census.lua)
    worker:<id>        hash: the worker's fields; leases:<id>: the tasks it runs
    workers, offline   sorted sets: worker ids in id order; the offline ones by last seen
    owner:workers      hash: workers per owner
    wake               the pub/sub channel of wake-ups
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Collection, Sequence
from typing import Any, Literal

import orjson
from pydantic import JsonValue

from app.redis_channel import Channel
from app.rpc.access import Principal
from app.rpc.errors import DomainError
from app.stores import Backend, Sample, StoreContext
from app.tasks import metrics, owners
from app.tasks import redis_codec as codec
from app.tasks.cache import canonical, fingerprint
from app.tasks.errors import TooLarge, TooLate
from app.tasks.models import (
    ClaimedTask,
    LeaseRenewal,
    Priority,
    Registration,
    RunningTask,
    Stats,
    Submission,
    TaskPage,
    TaskState,
    TaskView,
    WorkerHeartbeat,
    WorkerView,
)
from app.tasks.records import encode
from app.tasks.redis_scripts import Arg, Scripts, new_seed
from app.tasks.redis_timers import TimerLoop
from app.tasks.redis_waits import Leased, Served, Waits
from app.tasks.state import QueueLimits
from app.tasks.trace_context import current_traceparent


def _digest(token: str | None) -> str:
    """What a script compares with a worker's kept digest ("" for no token)."""
    return "" if token is None else owners.token_digest(token).hex()


def _seconds(value: float) -> str:
    return repr(float(value))


def _pairs(claims: Sequence[tuple[str, int]]) -> list[Arg]:
    return [part for worker_id, max_tasks in claims for part in (worker_id, max_tasks)]


def _leased(raw: Sequence[Any]) -> Leased:
    return [codec.claimed(task) for task in raw]


def _served(raw: Sequence[Any]) -> list[Served]:
    """``T.serve``'s answer: per waiting claim, whether its worker is gone, and what it got."""
    return [(status == b"gone", _leased(leased)) for status, leased in raw]


log = logging.getLogger("app.tasks")


class RedisTaskStore(Backend):
    """The task store in Redis: replicas on one Redis (and prefix) share its tasks."""

    def __init__(self, context: StoreContext) -> None:
        self._limits = QueueLimits.from_settings(context.settings)
        self._clock = context.clock
        self._ids = context.ids
        link = context.link()
        self._link = link
        self._task_key = link.keyspace("tasks")
        self._scripts = Scripts(link, self._limits, origin=secrets.token_hex(8))
        self._timers = TimerLoop(self._clock, self._sweep)
        self._waits = Waits(self._serve, self._timers.sooner)
        self._origin = self._scripts.origin.encode()
        # A lost channel may have missed wake-ups: the found one wakes every claim ("r").
        self._listener = Channel(
            link,
            self._scripts.channel,
            self._woken,
            what="task wake-ups",
            log=log,
            found=lambda: self._waits.heard([b"r"]),
        )

    def _woken(self, message: bytes) -> None:
        """``<origin> <wake-up> ...`` from a replica's script: ours were reacted to already."""
        origin, _, wakeups = message.partition(b" ")
        if origin != self._origin:
            self._waits.heard(wakeups.split())

    # ---- lifecycle -------------------------------------------------------------------

    async def open(self) -> None:
        await self._scripts.open()
        await self._run("census", None, ())
        await self._listener.open()
        await self._timers.start()

    def drain(self) -> None:
        """The server is stopping: waiting claims return ``[]`` and ``get`` waits return now;
        from here on claims get nothing, releases are free and worker heartbeats answer
        ``drain``: this replica's, as each replica stops on its own."""
        self._waits.drain()

    async def close(self) -> None:
        await self._timers.stop()
        await self._listener.close()
        await self._waits.close()

    # ---- running scripts -------------------------------------------------------------

    async def _run(
        self, name: str, caller: Principal | None, args: Sequence[Arg], now: float | None = None
    ) -> Any:
        """Run a script and react to its wake-ups; answer its reply."""
        reply, wakeups = await self._scripts.run(
            name, caller, self._clock.time() if now is None else now, self._waits.draining, args
        )
        await self._waits.react(wakeups)
        return reply

    async def _sweep(self) -> float | None:
        """Fire what is due (for the timer loop); answer when the next deadline comes."""
        following = await self._run("sweep", None, ())
        return float(following) if following else None

    async def _leasing(
        self, name: str, caller: Principal | None, args: Sequence[Arg], workers: Sequence[str]
    ) -> tuple[Any, list[bytes]]:
        """Run a script that leases tasks to ``workers``; if the caller goes before its reply
        comes, what it leased is given back (uncharged: no worker ever saw it)."""
        seed = new_seed()
        try:
            return await self._scripts.run(
                name, caller, self._clock.time(), self._waits.draining, args, seed
            )
        except asyncio.CancelledError:
            self._waits.spawn(self._unclaim(seed, workers))
            raise

    async def _unclaim(self, seed: str, workers: Sequence[str]) -> None:
        await self._run("unclaim", None, [seed, *workers])

    async def _serve(self, claims: Sequence[tuple[str, int]]) -> tuple[list[Served], list[bytes]]:
        """Lease to these waiting (worker, max_tasks) claims in turn, while tasks are ready."""
        reply, wakeups = await self._leasing("serve", None, _pairs(claims), [w for w, _ in claims])
        return _served(reply), wakeups

    # ---- tasks -----------------------------------------------------------------------

    async def submit(
        self,
        caller: Principal,
        type_: str,
        payload: JsonValue = None,
        *,
        priority: Priority = Priority.NORMAL,
        delay_s: float = 0,
        run_at: float | None = None,
        depends_on: Sequence[str] = (),
        max_attempts: int = 3,
        timeout_s: float | None = None,
        idempotency_key: str | None = None,
        cache_ttl_s: float = 0,
        result_ttl_s: float | None = None,
        queue: str = "default",
    ) -> Submission:
        limits = self._limits
        now = self._clock.time()
        body = canonical(type_, payload)
        ready_at = max(now, run_at) if run_at is not None else now + delay_s
        give_up_at = now + limits.pending_ttl_s
        refusal: ValueError | None = None
        if len(body) > limits.max_payload_bytes:
            refusal = TooLarge("payload", len(body), limits.max_payload_bytes)
        elif ready_at >= give_up_at:
            what: Literal["delay_s", "run_at"] = "run_at" if run_at is not None else "delay_s"
            refusal = TooLate(what, ready_at - now, limits.pending_ttl_s)
        if refusal is not None:
            # Refused before any change, but swept first, as memory sweeps: what was due then
            # happens at this call's now.
            await self._run("sweep", None, (), now)
            raise refusal
        args: list[Arg] = [
            self._ids.new("task", 12, "t_"),
            type_,
            queue,
            encode(payload),
            fingerprint(body),
            priority.value,
            priority.rank,
            max_attempts,
            _seconds(timeout_s if timeout_s is not None else limits.timeout_s),
            _seconds(result_ttl_s if result_ttl_s is not None else limits.result_ttl_s),
            _seconds(cache_ttl_s),
            _seconds(ready_at),
            _seconds(give_up_at),
            "0" if idempotency_key is None else "1",
            idempotency_key or "",
            len(orjson.dumps(type_)),
            current_traceparent() or "",
            *dict.fromkeys(depends_on),
        ]
        return codec.submission(await self._run("submit", caller, args, now))

    async def claim(
        self,
        caller: Principal,
        worker_id: str,
        max_tasks: int,
        wait_s: float,
        *,
        token: str | None = None,
    ) -> list[ClaimedTask]:
        async def first(
            older: Sequence[tuple[str, int]],
        ) -> tuple[Leased, int, list[Served], list[bytes]]:
            args: list[Arg] = [worker_id, _digest(token), max_tasks, *_pairs(older)]
            workers = [worker_id, *(w for w, _ in older)]
            (room, leased, served), wakeups = await self._leasing("claim", caller, args, workers)
            return _leased(leased), int(room), _served(served), wakeups

        async def give_back(leased: Leased) -> None:
            for task in leased:
                with contextlib.suppress(DomainError):  # unless it has already moved on
                    await self._release(caller, task.task_id, task.lease_id, token, charge=False)

        return await self._waits.claim(worker_id, max_tasks, wait_s, first, give_back)

    async def heartbeat(
        self,
        caller: Principal,
        task_id: str,
        lease_id: str,
        progress: float | None,
        *,
        token: str | None = None,
    ) -> LeaseRenewal:
        shown = "" if progress is None else _seconds(progress)
        args = [task_id, lease_id, shown, _digest(token)]
        return codec.renewal(await self._run("heartbeat", caller, args))

    async def complete(
        self,
        caller: Principal,
        task_id: str,
        lease_id: str,
        result: JsonValue,
        *,
        token: str | None = None,
    ) -> TaskView:
        return await self._report(caller, task_id, lease_id, token, "succeeded", result, False)

    async def fail(
        self,
        caller: Principal,
        task_id: str,
        lease_id: str,
        error: JsonValue,
        retryable: bool,
        *,
        token: str | None = None,
    ) -> TaskView:
        return await self._report(caller, task_id, lease_id, token, "failed", error, retryable)

    async def _report(
        self,
        caller: Principal,
        task_id: str,
        lease_id: str,
        token: str | None,
        outcome: str,
        value: JsonValue,
        retryable: bool,
    ) -> TaskView:
        args: list[Arg] = [
            task_id,
            lease_id,
            _digest(token),
            outcome,
            encode(value),
            "1" if retryable else "0",
        ]
        return codec.task_view(await self._run("report", caller, args))

    async def release(
        self, caller: Principal, task_id: str, lease_id: str, *, token: str | None = None
    ) -> TaskView:
        return await self._release(caller, task_id, lease_id, token, charge=True)

    async def _release(
        self, caller: Principal, task_id: str, lease_id: str, token: str | None, *, charge: bool
    ) -> TaskView:
        """``charge`` false: the server releases for a caller that never saw the task."""
        args = [task_id, lease_id, _digest(token), "1" if charge else "0"]
        return codec.task_view(await self._run("release", caller, args))

    async def owner_of(self, task_id: str) -> str | None:
        owner = await self._link.command("HGET", self._task_key("task", task_id), "owner")
        return None if owner is None else bytes(owner).decode()

    async def get(self, caller: Principal, task_id: str, wait_s: float = 0) -> TaskView:
        async def read() -> TaskView:
            return codec.task_view(await self._run("get", caller, [task_id]))

        return await self._waits.get(task_id, wait_s, read)

    async def list_tasks(
        self,
        caller: Principal,
        state: TaskState | None = None,
        type_: str | None = None,
        queue: str | None = None,
        cursor: str | None = None,
        limit: int = 100,
    ) -> TaskPage:
        after = int(cursor) if cursor else 0
        args: list[Arg] = [
            "" if state is None else state.value,
            type_ or "",
            queue or "",
            after,
            limit,
        ]
        return codec.page(await self._run("list", caller, args))

    async def stats(self, caller: Principal) -> Stats:
        now = self._clock.time()
        return codec.stats(await self._run("stats", caller, (), now), now)

    async def measure(self) -> list[Sample]:
        """The metrics (``app.tasks.metrics``) in one script; its counters are kept in Redis
        by the scripts that count, so every replica reports the same totals."""
        now = self._clock.time()
        args: list[Arg] = [metrics.QUEUE_LABELS, metrics.OTHER, *metrics.STATES]
        reading = codec.reading(await self._run("measure", None, args, now))
        return metrics.samples(reading, now, "kept in Redis, counted by every replica")

    async def cancel(self, caller: Principal, task_id: str) -> TaskView:
        return codec.task_view(await self._run("cancel", caller, [task_id]))

    async def requeue(self, caller: Principal, task_id: str) -> TaskView:
        return codec.task_view(await self._run("requeue", caller, [task_id]))

    # ---- workers ---------------------------------------------------------------------

    async def register(
        self,
        caller: Principal,
        name: str,
        types: Collection[str],
        queues: Collection[str],
        capacity: int,
    ) -> Registration:
        token, digest = owners.new_token(self._ids)
        args: list[Arg] = [
            self._ids.new("worker", 12, "w_"),
            name,
            orjson.dumps(sorted(set(types))),
            orjson.dumps(sorted(set(queues))),
            capacity,
            digest.hex(),
        ]
        worker_id = await self._run("register", caller, args)
        return Registration(
            worker_id=worker_id.decode(),
            worker_token=token,
            heartbeat_interval_s=self._limits.heartbeat_s,
            lease_ttl_s=self._limits.lease_ttl_s,
        )

    async def worker_heartbeat(
        self,
        caller: Principal,
        worker_id: str,
        running: Sequence[RunningTask],
        *,
        token: str | None = None,
    ) -> WorkerHeartbeat:
        args: list[Arg] = [worker_id, _digest(token)]
        for task in running:
            progress = "" if task.progress is None else _seconds(task.progress)
            args += [task.task_id, task.lease_id, progress]
        return codec.worker_heartbeat(await self._run("worker_heartbeat", caller, args))

    async def deregister(
        self, caller: Principal, worker_id: str, *, token: str | None = None
    ) -> WorkerView:
        args = [worker_id, _digest(token)]
        return codec.worker_view(await self._run("deregister", caller, args))

    async def list_workers(
        self, caller: Principal, after: str | None = None, limit: int = 100
    ) -> list[WorkerView]:
        reply = await self._run("list_workers", caller, [after or "", limit])
        return [codec.worker_view(view) for view in reply]
