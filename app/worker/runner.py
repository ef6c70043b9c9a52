"""``rpc-hub worker``: a process that runs tasks, talking to the server only over JSON-RPC.

It registers, then long-polls ``tasks.claim`` for as many tasks as it has free slots, runs
each as an asyncio task, and reports ``tasks.complete`` or ``tasks.fail``. A heartbeat loop
renews every lease it holds (``workers.heartbeat``) and stops the tasks the server names.

The calls go over HTTP (``Client``) or, with ``transport="ws"``, over one WebSocket session
(``WsClient``, which reconnects when the socket drops); the lease logic is the same either way.

``workers.register`` answers a secret ``worker_token``: the worker keeps it in memory only
(never on disk, never in a log line) and sends it with every later worker call, so only this
process can act as this worker. ``Options.key``, if given, is sent as the bearer key.

Connection errors are retried with backoff: claims and heartbeats are safe to repeat, and
complete/fail/release are harmless to repeat with the same lease. So is a report the server
refused for want of room (-32005), while the lease lives. If the server no longer
knows the worker (it restarted), the worker registers again. On SIGTERM it stops claiming,
gives running tasks ``grace_s`` to finish, releases the rest, deregisters and exits.

With a ``tracer`` (the otel extra, switched on by ``OTEL_*``), each attempt runs in a span
linked to the ``tasks.submit`` call that made the task (``app.observe.task_spans``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import signal
import socket
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import aiohttp

from app.client import Caller, Client, TransportError, WsClient
from app.rpc.errors import InvalidParams, Overloaded, RPCError
from app.tasks.errors import LeaseLost, TaskNotFound, WorkerNotFound
from app.worker.task_types import PermanentError, TaskContext, TaskFn

if TYPE_CHECKING:
    from opentelemetry.trace import Tracer

log = logging.getLogger("app.worker")

CONNECTION_ERRORS = (aiohttp.ClientError, asyncio.TimeoutError, OSError, TransportError)
"""Worth retrying: no answer (``ConnectionLost`` is an OSError), or one that is not JSON-RPC
(a proxy's error page, say)."""
CLAIM_WAIT_S = 20.0
MAX_CLAIM = 100
"""The most tasks one ``tasks.claim`` may ask for."""
BACKOFF_MAX_S = 10.0
REPORT_PATIENCE_BEATS = 6
"""How many heartbeat intervals a report is retried for before the worker gives up on it."""


Transport = Literal["http", "ws"]
Outcome = Literal["accepted", "lost", "refused"]
"""How a report ended: taken; the lease is gone (someone else has the task); refused."""


@dataclass(frozen=True)
class Options:
    url: str = "http://127.0.0.1:8080/rpc"
    types: tuple[str, ...] = ()
    """Task types to run; empty means every type this worker knows."""
    queues: tuple[str, ...] = ("default",)
    concurrency: int = 4
    name: str = ""
    key: str | None = None
    """The API key sent as ``Authorization: Bearer`` (one with the ``tasks:work`` scope)."""
    grace_s: float = 20.0
    """On SIGTERM, how long running tasks get to finish before they are released."""
    transport: Transport = "http"
    """HTTP long-polls, or one WebSocket session for every call."""


@dataclass
class _Running:
    task_id: str
    lease_id: str
    context: TaskContext
    job: asyncio.Task[None]
    stopped_by_server: bool = False
    reporting: bool = False
    """Its work is over and its outcome is being reported: too late to stop it."""


class Worker:
    def __init__(
        self,
        client: Caller,
        task_types: Mapping[str, TaskFn],
        options: Options,
        tracer: Tracer | None = None,
    ) -> None:
        self.check(options, task_types)
        self.client = client
        self.options = options
        self.task_types = {t: task_types[t] for t in (options.types or sorted(task_types))}
        self.name = options.name or f"{socket.gethostname()}-{os.getpid()}"
        self.worker_id = ""
        self.worker_token: str | None = None
        """The secret of the current registration: in memory only, never logged."""
        self.heartbeat_s = 10.0
        self.running: dict[str, _Running] = {}
        self.stopping = asyncio.Event()
        self._slot_free = asyncio.Event()
        self._server_draining = False
        self._registered = asyncio.Lock()
        self._tracer = tracer

    @staticmethod
    def check(options: Options, task_types: Mapping[str, TaskFn]) -> None:
        """Refuse types this worker does not know (ValueError)."""
        unknown = sorted(set(options.types) - set(task_types))
        if unknown:
            raise ValueError(
                f"no task type named {', '.join(unknown)}; known: {sorted(task_types)}"
            )

    # ---- the main loop ---------------------------------------------------------------

    async def run(self) -> None:
        """Serve until ``stop()``; then finish or release running tasks and deregister.

        If the claim or heartbeat loop fails unexpectedly, the worker winds down the same way
        and raises that error, rather than live on half-working (online, but never claiming).
        """
        if not await self._register():
            return
        heartbeats = asyncio.create_task(self._heartbeats(), name="worker-heartbeats")
        claims = asyncio.create_task(self._claim_loop(), name="worker-claims")
        stopping = asyncio.create_task(self.stopping.wait(), name="worker-stopping")
        try:
            await asyncio.wait((stopping, claims, heartbeats), return_when=asyncio.FIRST_COMPLETED)
        finally:
            self.stopping.set()  # no more claims, whatever ended the wait
            stopping.cancel()
            failed = [job for job in (claims, heartbeats) if job.done()]
            await self._wind_down()
            await self._deregister()
            for job in (claims, heartbeats):
                job.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await job
        for job in failed:
            job.result()  # raises what ended it (the claim loop also ends, cleanly, on stop)

    def stop(self) -> None:
        self.stopping.set()

    async def _claim_loop(self) -> None:
        failures = 0
        while not self.stopping.is_set():
            free = min(MAX_CLAIM, self.options.concurrency - len(self.running))
            if free <= 0 or self._server_draining:
                self._slot_free.clear()
                await self._slot_free.wait()
                continue
            worker_id = self.worker_id
            try:
                claimed = await self.client.call(
                    "tasks.claim",
                    worker_id=worker_id,
                    max_tasks=free,
                    wait_s=CLAIM_WAIT_S,
                    worker_token=self.worker_token,
                    retry=True,
                )
                failures = 0
            except WorkerNotFound:
                await self._register(worker_id)
                continue
            except (RPCError, *CONNECTION_ERRORS) as exc:
                failures += 1
                log.warning("claim failed (%s); retrying", exc)
                await self._pause(failures)
                continue
            if not claimed:
                await self._beat()  # an early empty answer may mean the server is draining
            for task in claimed:
                if self.stopping.is_set():
                    await self._report(task["task_id"], "tasks.release", lease_id=task["lease_id"])
                else:
                    self._start(task)

    def _start(self, task: dict[str, Any]) -> None:
        context = TaskContext(task["task_id"], task["attempt"], task["dep_results"])
        job = asyncio.create_task(self._execute(task, context), name=f"task-{task['task_id']}")
        self.running[task["task_id"]] = _Running(task["task_id"], task["lease_id"], context, job)
        log.info("started task %s (%s) attempt %s", task["task_id"], task["type"], task["attempt"])

    async def _execute(self, task: dict[str, Any], context: TaskContext) -> None:
        task_id, lease_id = task["task_id"], task["lease_id"]
        fn = self.task_types.get(task["type"], _unknown_type)
        try:
            try:
                async with asyncio.timeout(task["timeout_s"]):
                    with self._span(task):
                        result = await fn(task["payload"], context)
            except asyncio.CancelledError:
                await self._stopped(task_id, lease_id)
                return
            except TimeoutError:
                error = {"type": "TimeoutError", "message": f"ran past {task['timeout_s']}s"}
                await self._report(task_id, "tasks.fail", lease_id=lease_id, error=error)
                return
            except PermanentError as exc:
                error = {"type": "PermanentError", "message": str(exc)}
                await self._report(
                    task_id, "tasks.fail", lease_id=lease_id, error=error, retryable=False
                )
                return
            except Exception as exc:
                log.warning("task %s raised %s", task_id, type(exc).__name__, exc_info=True)
                error = {"type": type(exc).__name__, "message": str(exc)}
                await self._report(task_id, "tasks.fail", lease_id=lease_id, error=error)
                return
            outcome = await self._report(
                task_id, "tasks.complete", lease_id=lease_id, result=result
            )
            if outcome == "accepted":
                log.info("completed task %s lease %s", task_id, lease_id)
            elif outcome == "refused":  # a result the server cannot take: fail it for good
                error = {"type": "InvalidResult", "message": "the server refused the result"}
                await self._report(
                    task_id, "tasks.fail", lease_id=lease_id, error=error, retryable=False
                )
        finally:
            if self._entry(task_id, lease_id) is not None:  # not a newer attempt of the task
                del self.running[task_id]
            self._slot_free.set()

    def _span(self, task: dict[str, Any]) -> AbstractContextManager[object]:
        """The attempt's span while its function runs; nothing when not tracing."""
        if self._tracer is None:
            return contextlib.nullcontext()
        from app.observe.task_spans import execution  # the otel extra, which a tracer implies

        return execution(self._tracer, task)

    def _entry(self, task_id: str, lease_id: str) -> _Running | None:
        """The running entry of this attempt (this task under this lease), if any."""
        entry = self.running.get(task_id)
        return entry if entry is not None and entry.lease_id == lease_id else None

    async def _stopped(self, task_id: str, lease_id: str) -> None:
        """A running task was cancelled: by the server, or because the worker is stopping."""
        running = self._entry(task_id, lease_id)
        if running is not None and running.stopped_by_server:
            error = {"type": "Cancelled", "message": "stopped at the server's request"}
            await self._report(
                task_id, "tasks.fail", lease_id=lease_id, error=error, retryable=False
            )
        else:
            await self._report(task_id, "tasks.release", lease_id=lease_id)

    # ---- talking to the server -------------------------------------------------------

    async def _report(self, task_id: str, method: str, **params: Any) -> Outcome:
        """Send a report about a task, retrying connection errors while the lease may live."""
        entry = self._entry(task_id, params["lease_id"])
        if entry is not None:
            entry.reporting = True
        loop = asyncio.get_running_loop()
        give_up_at = loop.time() + REPORT_PATIENCE_BEATS * self.heartbeat_s
        failures = 0
        while True:
            try:
                await self.client.call(
                    method,
                    task_id=task_id,
                    worker_token=self.worker_token,
                    retry=True,
                    **params,
                )
                return "accepted"
            except (LeaseLost, TaskNotFound) as exc:
                log.warning("%s for task %s: %s", method, task_id, exc.message)
                return "lost"
            except (Overloaded, *CONNECTION_ERRORS) as exc:
                # Overloaded: the server has no room for the report now (its byte budget is
                # full) and changed nothing; the lease lives on heartbeats, so try again.
                failures += 1
                if loop.time() >= give_up_at:
                    log.error("gave up on %s for task %s: %s", method, task_id, exc)
                    return "lost"  # the lease has lapsed by now: the server retries the task
                await asyncio.sleep(_backoff(failures))
            except (RPCError, TypeError) as exc:  # TypeError: a result JSON cannot carry
                log.error("%s for task %s refused: %s", method, task_id, exc)
                return "refused"

    async def _heartbeats(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_s)
            await self._beat()

    async def _beat(self) -> None:
        """One heartbeat: renew our leases, stop what the server names, learn of draining."""
        snapshot = list(self.running.values())
        running = [
            {"task_id": r.task_id, "lease_id": r.lease_id, "progress": r.context.progress}
            for r in snapshot
        ]
        sent = {r.task_id: r.lease_id for r in snapshot}
        worker_id = self.worker_id
        try:
            answer = await self.client.call(
                "workers.heartbeat",
                worker_id=worker_id,
                running=running,
                worker_token=self.worker_token,
                retry=True,
            )
        except WorkerNotFound:
            if worker_id == self.worker_id:  # else the claim loop registered again already
                log.warning("the server forgot this worker; registering again")
                for lost in list(self.running.values()):
                    lost.job.cancel()  # its leases died with the registration
            await self._register(worker_id)
            return
        except (RPCError, *CONNECTION_ERRORS) as exc:
            log.warning("heartbeat failed (%s)", exc)
            return
        for task_id in answer["cancel"]:
            # Only the attempt this heartbeat spoke of: by the time the answer comes, the
            # task may have ended here and a new attempt of it started.
            entry = self._entry(task_id, sent.get(task_id, ""))
            if entry is not None and not entry.reporting and not entry.job.done():
                log.info("stopping task %s at the server's request", task_id)
                entry.stopped_by_server = True
                entry.job.cancel()
        if answer["drain"] and not self._server_draining:
            log.info("the server is draining: claiming paused")
        self._set_draining(answer["drain"])

    def _set_draining(self, draining: bool) -> None:
        if self._server_draining and not draining:
            self._slot_free.set()
        self._server_draining = draining

    async def _register(self, forgotten: str = "") -> bool:
        """Register in place of ``forgotten`` (the id a call was refused for), retrying until
        it works; False if told to stop first."""
        async with self._registered:
            if self.worker_id != forgotten:
                return True  # another loop registered again while this one waited
            failures = 0
            while True:
                if self.stopping.is_set():
                    return False
                try:
                    registration = await self.client.call(
                        "workers.register",
                        name=self.name,
                        types=sorted(self.task_types),
                        queues=list(self.options.queues),
                        capacity=self.options.concurrency,
                    )
                    break
                except InvalidParams:
                    raise  # this worker's types, queues or capacity: retrying cannot help
                except (RPCError, *CONNECTION_ERRORS) as exc:
                    failures += 1
                    log.warning("cannot register at %s (%s); retrying", self.client.url, exc)
                    await self._pause(failures)
            self.worker_id = registration["worker_id"]
            self.worker_token = registration["worker_token"]
            self.heartbeat_s = registration["heartbeat_interval_s"]
            self._set_draining(False)
            log.info("registered as %s (%s)", self.worker_id, ", ".join(sorted(self.task_types)))
            return True

    async def _deregister(self) -> None:
        try:
            await self.client.call(
                "workers.deregister", worker_id=self.worker_id, worker_token=self.worker_token
            )
        except (RPCError, *CONNECTION_ERRORS) as exc:
            log.warning("deregister failed: %s", exc)

    async def _wind_down(self) -> None:
        """Give running tasks ``grace_s`` to finish; stop (and so release) the rest."""
        jobs = [entry.job for entry in self.running.values()]
        if jobs:
            log.info("stopping: %d task(s) get %ss to finish", len(jobs), self.options.grace_s)
            _, late = await asyncio.wait(jobs, timeout=self.options.grace_s)
            for job in late:
                job.cancel()
            if late:
                await asyncio.wait(late)

    async def _pause(self, failures: int) -> None:
        """Back off, or return at once when told to stop."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(_backoff(failures)):
                await self.stopping.wait()


async def _unknown_type(payload: Any, ctx: TaskContext) -> Any:
    raise PermanentError("this worker has no such task type")


def _backoff(failures: int) -> float:
    """Exponential backoff with jitter, capped."""
    return min(BACKOFF_MAX_S, 0.1 * 2.0**failures) * random.uniform(0.5, 1.0)  # noqa: S311


async def main(
    options: Options, task_types: Mapping[str, TaskFn], tracer: Tracer | None = None
) -> None:
    """Run a worker until SIGTERM or SIGINT; with ``tracer``, each attempt in a span."""
    errors = [LeaseLost, TaskNotFound, WorkerNotFound]
    timeout = CLAIM_WAIT_S + 15  # a claim's long-poll, and then some
    client: Client | WsClient
    if options.transport == "ws":
        client = WsClient(options.url, key=options.key, timeout=timeout, errors=errors)
    else:
        client = Client(options.url, token=options.key, timeout=timeout, errors=errors)
    async with client:
        worker = Worker(client, task_types, options, tracer)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, worker.stop)
        await worker.run()
    log.info("stopped")
