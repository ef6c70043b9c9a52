"""A hypothesis state machine over the queue's transitions, checking its invariants after
every step: at most one live lease per task, no task lost, terminal states final, fencing."""

from __future__ import annotations

import contextlib
import random

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    rule,
)

from app.clock import ManualClock
from app.rpc.errors import DomainError
from app.tasks.errors import LeaseLost, TaskNotFound, UnknownDependency, WorkerNotFound
from app.tasks.model import FAILED_UPSTREAM, Outcome, Priority, TaskState
from app.tasks.queue import Limits, TaskQueue
from app.tasks.workers import Health

TYPES = ["a", "b"]
# A timeout a little over the lease, so renewals often reach it; a worker goes offline
# (after 3 heartbeats: 30 s) before its leases would lapse, so revoking is its own step.
LIMITS = Limits(
    lease_ttl_s=40, heartbeat_s=10, timeout_s=50, retry_base_s=1, retry_max_s=8, result_ttl_s=50
)


class QueueMachine(RuleBasedStateMachine):
    tasks = Bundle("tasks")
    workers = Bundle("workers")
    leases = Bundle("leases")

    def __init__(self) -> None:
        super().__init__()
        self.clock = ManualClock()
        self.queue = TaskQueue(LIMITS, self.clock, random.Random(0))
        self.submitted: set[str] = set()
        self.last_state: dict[str, TaskState] = {}
        self.requeued: set[str] = set()

    # ---- rules -----------------------------------------------------------------------

    @initialize(target=workers)
    def a_worker_for_every_type(self) -> str:
        return self.queue.register("w0", frozenset(TYPES), frozenset({"default"}), 3).id

    @rule(
        target=tasks,
        type_=st.sampled_from(TYPES),
        priority=st.sampled_from(list(Priority)),
        delay=st.sampled_from([0, 0, 5]),
        deps=st.lists(tasks, max_size=2),
        max_attempts=st.integers(1, 3),
        cache=st.booleans(),
    )
    def submit(
        self,
        type_: str,
        priority: Priority,
        delay: float,
        deps: list[str],
        max_attempts: int,
        cache: bool,
    ) -> object:
        try:
            submitted = self.queue.submit(
                type_,
                {"n": len(self.submitted) % 3},
                priority=priority,
                run_at=self.clock.time() + delay,
                depends_on=tuple(deps),
                max_attempts=max_attempts,
                cache_ttl_s=20 if cache else 0,
            )
        except UnknownDependency:
            assert any(dep not in self.queue.tasks for dep in deps)
            return multiple()
        self.submitted.add(submitted.task.id)
        return submitted.task.id

    @rule(
        target=workers,
        types=st.sets(st.sampled_from(TYPES), min_size=1),
        capacity=st.integers(1, 3),
    )
    def register(self, types: set[str], capacity: int) -> str:
        return self.queue.register("w", frozenset(types), frozenset({"default"}), capacity).id

    @rule(target=leases, worker=workers, max_tasks=st.integers(1, 3))
    def claim_again(self, worker: str, max_tasks: int) -> object:
        """Claims are what lease-holder calls need, so they get two rules (twice the odds)."""
        return self.claim(worker, max_tasks)

    @rule(target=leases, worker=workers, max_tasks=st.integers(1, 3))
    def claim(self, worker: str, max_tasks: int) -> object:
        try:
            claimed = self.queue.claim(worker, max_tasks)
        except WorkerNotFound:
            assert self.queue.workers.find(worker) is None
            return multiple()
        return multiple(*[(task.id, attempt.lease_id) for task, attempt in claimed])

    def _is_current(self, lease: tuple[str, str]) -> bool:
        task = self.queue.tasks.get(lease[0])
        return task is not None and task.lease is not None and task.lease.lease_id == lease[1]

    def _reported(self, lease: tuple[str, str]) -> bool:
        task = self.queue.tasks.get(lease[0])
        return task is not None and any(
            a.lease_id == lease[1]
            and a.outcome in (Outcome.SUCCEEDED, Outcome.FAILED, Outcome.RELEASED)
            for a in task.attempts
        )

    def _fenced(self, lease: tuple[str, str], action: str, *args: object) -> None:
        """Run a lease-holder call; it must succeed exactly when the lease may act."""
        self.queue.sweep()
        allowed = self._is_current(lease) or (action != "heartbeat" and self._reported(lease))
        before = self._snapshot(lease[0])
        try:
            getattr(self.queue, action)(*lease, *args)
        except (LeaseLost, TaskNotFound):
            assert not allowed
            assert self._snapshot(lease[0]) == before  # a refused call changes nothing
        else:
            assert allowed

    def _snapshot(self, task_id: str) -> object:
        task = self.queue.tasks.get(task_id)
        if task is None:
            return None
        return (task.state, len(task.attempts), task.result, task.charged)

    @rule(lease=leases, value=st.integers(0, 3))
    def complete(self, lease: tuple[str, str], value: int) -> None:
        self._fenced(lease, "complete", value)

    @rule(lease=leases, retryable=st.booleans())
    def fail(self, lease: tuple[str, str], retryable: bool) -> None:
        self._fenced(lease, "fail", "boom", retryable)

    @rule(lease=leases)
    def release(self, lease: tuple[str, str]) -> None:
        self._fenced(lease, "release")

    @rule(lease=leases)
    def heartbeat(self, lease: tuple[str, str]) -> None:
        self.queue.sweep()
        if self._is_current(lease):
            self.queue.heartbeat(*lease, 0.5)
        else:
            try:
                self.queue.heartbeat(*lease, 0.5)
            except (LeaseLost, TaskNotFound):
                return
            raise AssertionError("a heartbeat with a lease that is not current must fail")

    @rule(worker=workers, data=st.data())
    def worker_heartbeat(self, worker: str, data: st.DataObject) -> None:
        try:
            found = self.queue.workers.get(worker)
        except WorkerNotFound:
            return
        held = sorted(found.leases)
        running = []
        for task_id in data.draw(st.lists(st.sampled_from(held), unique=True)) if held else []:
            lease = self.queue.tasks[task_id].lease
            assert lease is not None
            running.append((task_id, lease.lease_id, None))
        self.queue.worker_heartbeat(worker, running)

    @rule(worker=consumes(workers))
    def deregister(self, worker: str) -> None:
        with contextlib.suppress(WorkerNotFound):
            self.queue.deregister(worker)

    @rule(task=tasks)
    def cancel(self, task: str) -> None:
        try:
            self.queue.cancel(task)
        except DomainError:
            assert task not in self.queue.tasks or self.queue.tasks[task].state.terminal

    @rule(task=tasks)
    def requeue(self, task: str) -> None:
        try:
            self.queue.requeue(task)
        except DomainError:
            return
        self.requeued.add(task)

    @rule(seconds=st.sampled_from([0.5, 5, 15, 31, 60]))
    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.queue.sweep()

    # ---- invariants ------------------------------------------------------------------

    @invariant()
    def no_task_is_lost_and_terminal_states_are_final(self) -> None:
        gone = self.submitted - set(self.queue.tasks)
        assert len(gone) == self.queue.expired
        for task_id in gone:
            assert self.last_state[task_id].terminal  # only finished tasks expire
        for task_id, task in self.queue.tasks.items():
            before = self.last_state.get(task_id)
            if before is not None and before.terminal and task.state is not before:
                assert before is TaskState.DEAD and task_id in self.requeued
                self.requeued.discard(task_id)
            self.last_state[task_id] = task.state

    @invariant()
    def at_most_one_live_lease_and_only_while_running(self) -> None:
        now = self.clock.time()
        for task in self.queue.tasks.values():
            live = [a for a in task.attempts if a.live]
            assert len(live) <= 1
            assert (task.state is TaskState.RUNNING) == bool(live)
            if live:
                assert task.attempts[-1] is live[0]
                assert now < live[0].expires_at <= live[0].deadline
                worker = self.queue.workers.find(live[0].worker_id)
                assert worker is not None and task.id in worker.leases
        for worker in self.queue.workers:
            if worker.health is Health.OFFLINE:
                assert not worker.leases  # revoked when it went quiet
            for task_id in worker.leases:
                lease = self.queue.tasks[task_id].lease
                assert lease is not None and lease.worker_id == worker.id

    @invariant()
    def each_state_means_what_it_says(self) -> None:
        now = self.clock.time()
        for task in self.queue.tasks.values():
            assert self.queue.queued(task.id) == (task.state is TaskState.PENDING)
            if task.state is TaskState.SCHEDULED:
                assert task.ready_at > now
            if task.state is TaskState.BLOCKED:
                assert task.waiting_on
                for dep_id in task.waiting_on:
                    dep = self.queue.tasks[dep_id]  # kept while this task waits
                    assert dep.state not in FAILED_UPSTREAM and dep.state is not TaskState.SUCCEEDED
            if not task.state.terminal:
                assert task.charged < task.max_attempts
                assert all(dep_id in self.queue.tasks for dep_id in task.depends_on)
            else:
                assert task.finished_at is not None
            if task.state is TaskState.SUCCEEDED and not task.cached:
                outcomes = [a.outcome for a in task.attempts]
                assert outcomes.count(Outcome.SUCCEEDED) == 1 and outcomes[-1] is Outcome.SUCCEEDED


QueueMachine.TestCase.settings = settings(
    max_examples=200,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_queue_invariants = QueueMachine.TestCase
