"""The worker registry: who serves which types and queues, and whether they are alive.

A worker is ``online`` while it keeps calling in (any call from it counts as a sign of
life); after ``MISSED_HEARTBEATS`` intervals of silence it is ``offline`` and the queue
revokes its leases. An offline worker that calls in again is online again, with no leases.

A worker belongs to the principal that registered it and is known by the digest of its
secret token; who may act as it is ``app.tasks.owners``'s rule. A ``WorkerRecord`` names
what it shows on the wire as ``WorkerView`` does, so the view is read straight off it.

The registry holds at most ``max_workers``, and ``max_per_owner`` of one principal's. At a
cap, the oldest offline worker in the way (it holds no leases: they were revoked) is
forgotten to make room, so a crash-looping worker does not lock its key out; with none to
forget, the registration is refused: -32006 for the caller's quota, -32005 for the total.
Workers are kept in worker id order, so ``workers.list`` pages on ``after`` (a worker id)
hold even when the worker named has gone.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from app.ids import RANDOM, Ids
from app.rpc.errors import Overloaded, QuotaExceeded
from app.tasks.errors import WorkerNotFound
from app.tasks.models import Health

MISSED_HEARTBEATS = 3
FORGET_OFFLINE_AFTER = 360
"""Offline workers are listed for this many heartbeat intervals, then forgotten."""


@dataclass(slots=True)
class WorkerRecord:
    id: str
    name: str
    types: tuple[str, ...]
    """Sorted, as listed."""
    queues: tuple[str, ...]
    capacity: int
    owner: str
    """The id of the principal that registered it."""
    token_digest: bytes
    """SHA-256 of its ``worker_token``; the token itself is never kept."""
    registered_at: float
    last_seen: float
    health: Health = Health.ONLINE
    leases: set[str] = field(default_factory=set)
    """Ids of the tasks it runs under a live lease."""

    @property
    def free(self) -> int:
        return max(0, self.capacity - len(self.leases))

    @property
    def worker_id(self) -> str:
        return self.id

    @property
    def running(self) -> list[str]:
        """The tasks it runs, in a stable order."""
        return sorted(self.leases)


class Workers:
    def __init__(
        self,
        heartbeat_s: float,
        max_workers: int = 1000,
        max_per_owner: int = 100,
        ids: Ids = RANDOM,
    ) -> None:
        self.heartbeat_s = heartbeat_s
        self._mint = ids
        self.max_workers = max_workers
        self.max_per_owner = max_per_owner
        self._workers: dict[str, WorkerRecord] = {}
        self._ids: list[str] = []
        """Every worker id, sorted: the order of ``workers.list``."""
        self._held: Counter[str] = Counter()

    def register(
        self,
        name: str,
        types: Iterable[str],
        queues: Iterable[str],
        capacity: int,
        owner: str,
        token_digest: bytes,
        now: float,
    ) -> WorkerRecord:
        """A new worker of ``owner``'s, once there is room for it (see the module doc)."""
        self._make_room(owner)
        worker = WorkerRecord(
            id=self._mint.new("worker", 12, "w_"),
            name=name,
            types=tuple(sorted(set(types))),
            queues=tuple(sorted(set(queues))),
            capacity=capacity,
            owner=owner,
            token_digest=token_digest,
            registered_at=now,
            last_seen=now,
        )
        self._workers[worker.id] = worker
        bisect.insort(self._ids, worker.id)
        self._held[owner] += 1
        return worker

    def _make_room(self, owner: str) -> None:
        held = self._held[owner]
        if held >= self.max_per_owner:
            oldest = self._oldest_offline(owner)
            if oldest is None:
                raise QuotaExceeded(
                    data={"resource": "workers", "limit": self.max_per_owner, "held": held}
                )
            self.remove(oldest.id)
        if len(self._workers) >= self.max_workers:
            oldest = self._oldest_offline(None)
            if oldest is None:
                raise Overloaded(data={"resource": "workers", "limit": self.max_workers})
            self.remove(oldest.id)

    def _oldest_offline(self, owner: str | None) -> WorkerRecord | None:
        """The offline worker (of ``owner``'s, unless None) silent the longest."""
        offline = [
            w
            for w in self._workers.values()
            if w.health is Health.OFFLINE and not w.leases and owner in (None, w.owner)
        ]
        return min(offline, key=lambda w: w.last_seen, default=None)

    def get(self, worker_id: str) -> WorkerRecord:
        worker = self._workers.get(worker_id)
        if worker is None:
            raise WorkerNotFound(data={"worker_id": worker_id})
        return worker

    def find(self, worker_id: str) -> WorkerRecord | None:
        return self._workers.get(worker_id)

    def remove(self, worker_id: str) -> WorkerRecord:
        worker = self.get(worker_id)
        del self._workers[worker_id]
        del self._ids[bisect.bisect_left(self._ids, worker_id)]
        self._held[worker.owner] -= 1
        if not self._held[worker.owner]:
            del self._held[worker.owner]
        return worker

    def after(self, worker_id: str | None) -> Iterator[WorkerRecord]:
        """Every worker in id order, from the first whose id sorts after ``worker_id``."""
        start = 0 if worker_id is None else bisect.bisect_right(self._ids, worker_id)
        for index in range(start, len(self._ids)):
            yield self._workers[self._ids[index]]

    def seen(self, worker: WorkerRecord, now: float) -> None:
        """Record a sign of life: the worker is online (again)."""
        worker.last_seen = now
        worker.health = Health.ONLINE

    def silent_since(self, worker: WorkerRecord) -> float:
        """When the worker goes offline unless it calls in."""
        return worker.last_seen + MISSED_HEARTBEATS * self.heartbeat_s

    def forget_at(self, worker: WorkerRecord) -> float:
        return worker.last_seen + FORGET_OFFLINE_AFTER * self.heartbeat_s

    def __iter__(self) -> Iterator[WorkerRecord]:
        return iter(self._workers.values())

    def __len__(self) -> int:
        return len(self._workers)
