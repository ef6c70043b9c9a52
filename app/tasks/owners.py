"""Who may see and steer a task, and who may act as a worker: the rules, in one place.

Tasks. A task belongs to the principal that submitted it (its ``Principal.id``; every
anonymous caller is the one principal ``anonymous``). Its owner and ``admin`` may see it
whole, find it in ``tasks.list`` and ``tasks.stats``, name it in ``depends_on``, cancel it
and requeue it. The principal of the worker that holds its live lease may also see it
(``tasks.get``), unless that principal is anonymous. Anyone else gets ``TaskNotFound`` with
the same data as for an id that never existed, so nothing about the task leaks.

Workers. A worker belongs to the principal that registered it, and gets a secret
``worker_token`` that only its digest is kept of. A worker call (and a lease report, as the
worker that holds the lease) is allowed with that token, from the same principal unless it
is anonymous (anonymous callers are indistinguishable, so they need the token), or from
``admin``. Anyone else gets ``WorkerNotFound``, as for an unknown worker.
"""

from __future__ import annotations

import hashlib
import hmac

from app.ids import Ids
from app.rpc.access import ANONYMOUS, Principal
from app.tasks.records import Task
from app.tasks.workers import WorkerRecord, Workers

TOKEN_BYTES = 32
"""256 random bits: a plain SHA-256 digest of the token is then safe to store."""


def new_token(ids: Ids) -> tuple[str, bytes]:
    """A fresh ``worker_token`` and the digest to keep instead of it."""
    token = ids.new("worker_token", TOKEN_BYTES)
    return token, token_digest(token)


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def anonymous(caller: Principal) -> bool:
    return caller.id == ANONYMOUS.id


def may_steer(caller: Principal, task: Task) -> bool:
    """Whether ``caller`` may list, count, cancel, requeue and depend on ``task``."""
    return caller.is_admin or task.owner == caller.id


def may_see(caller: Principal, task: Task, workers: Workers) -> bool:
    """Whether ``caller`` may see ``task`` whole: its owner, admin, or its lease holder."""
    if may_steer(caller, task):
        return True
    live = task.lease
    if live is None or anonymous(caller):
        return False
    worker = workers.find(live.worker_id)
    return worker is not None and worker.owner == caller.id


def may_work(caller: Principal, worker: WorkerRecord, token: str | None) -> bool:
    """Whether ``caller``, sending ``token`` (or none), may act as ``worker``."""
    if token is not None and hmac.compare_digest(token_digest(token), worker.token_digest):
        return True
    return caller.is_admin or (not anonymous(caller) and worker.owner == caller.id)


def may_list(caller: Principal, worker: WorkerRecord) -> bool:
    """Whether ``caller`` finds ``worker`` in ``workers.list`` and counts it in stats."""
    return caller.is_admin or worker.owner == caller.id
