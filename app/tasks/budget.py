"""What the task queue holds, in all and by owner: the caps and quotas a submit must fit.

Counted: each stored task (finished ones too, until they are forgotten), and the JSON bytes
of each task's payload, result and error, as kept, plus ``DEPENDENCY_BYTES`` per dependency
(``Task.stored_bytes``): a dependency costs about that much memory in the sets that link
the tasks, and 100 of them on each of 100,000 tasks would otherwise take a gigabyte. The
caller's own quotas are checked first (-32006: the refusal the caller can do something
about), then the shared caps (5007 for the task count, as before; -32005 for bytes). Admin
is not exempt: its tasks take the same memory.

Submits may fill only ``1 - 1/RESULT_SHARE`` of the byte budget: the rest is kept for the
results and errors of work already accepted, so a full queue still lets its tasks finish.
A report that does not fit even so is refused and changes nothing (its lease stays live):
the worker retries it, or the lease lapses and the task is retried. No task is dropped to
make room, so a task leaves only as before: by expiring once finished.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from app.rpc.errors import Overloaded, QuotaExceeded
from app.tasks.errors import QueueFull
from app.tasks.records import Task

RESULT_SHARE = 4
"""1/4 of the byte budget is kept for results: submits stop at the other 3/4."""
DEPENDENCY_BYTES = 128
"""What one ``depends_on`` entry counts as in the byte budget (about what it takes)."""


@dataclass(frozen=True, slots=True)
class Caps:
    max_tasks: int = 100_000
    max_tasks_per_owner: int = 10_000
    max_bytes: int = 128 * 1024 * 1024
    max_bytes_per_owner: int = 32 * 1024 * 1024

    @property
    def submit_bytes(self) -> int:
        """How much of the byte budget submits may fill."""
        return self.max_bytes - self.max_bytes // RESULT_SHARE


class Budget:
    """Tasks and bytes held, in all and by owner (a principal's id)."""

    def __init__(self, caps: Caps) -> None:
        self.caps = caps
        self.bytes = 0
        self._tasks: Counter[str] = Counter()
        self._bytes: Counter[str] = Counter()
        self._count = 0

    def held(self, owner: str) -> tuple[int, int]:
        """(tasks, bytes) that ``owner`` holds."""
        return self._tasks[owner], self._bytes[owner]

    def admit(self, owner: str, size: int) -> None:
        """Refuse a new task of ``owner``'s taking ``size`` bytes if it does not fit."""
        caps = self.caps
        tasks, held = self.held(owner)
        if tasks >= caps.max_tasks_per_owner:
            raise QuotaExceeded(
                data={"resource": "tasks", "limit": caps.max_tasks_per_owner, "held": tasks}
            )
        if held + size > caps.max_bytes_per_owner:
            raise QuotaExceeded(
                data={
                    "resource": "task_bytes",
                    "limit": caps.max_bytes_per_owner,
                    "held": held,
                    "size": size,
                }
            )
        if self._count >= caps.max_tasks:
            raise QueueFull(data={"limit": caps.max_tasks})
        if self.bytes + size > caps.submit_bytes:
            raise Overloaded(
                data={"resource": "task_bytes", "limit": caps.submit_bytes, "size": size}
            )

    def admit_growth(self, grows_by: int) -> None:
        """Refuse a report that would take the store past its byte budget."""
        if grows_by > 0 and self.bytes + grows_by > self.caps.max_bytes:
            raise Overloaded(
                data={"resource": "task_bytes", "limit": self.caps.max_bytes, "size": grows_by}
            )

    def add(self, task: Task) -> None:
        """Count a new task, with the bytes it holds now."""
        self._count += 1
        self._tasks[task.owner] += 1
        self.resize(task)

    def resize(self, task: Task) -> None:
        """Count a task's bytes again (its result or error changed)."""
        parts = (task.payload_json, task.result_json, task.error_json)
        size = stored_size(*parts, dependencies=len(task.depends_on))
        self._charge(task.owner, size - task.stored_bytes)
        task.stored_bytes = size

    def remove(self, task: Task) -> None:
        self._count -= 1
        self._tasks[task.owner] -= 1
        if not self._tasks[task.owner]:
            del self._tasks[task.owner]
        self._charge(task.owner, -task.stored_bytes)
        if not self._bytes[task.owner]:
            del self._bytes[task.owner]

    def _charge(self, owner: str, delta: int) -> None:
        self.bytes += delta
        self._bytes[owner] += delta

    def __len__(self) -> int:
        return self._count


def stored_size(*parts: bytes, dependencies: int = 0) -> int:
    """The bytes a task with these JSON parts and this many dependencies takes in the budget."""
    return sum(len(part) for part in parts) + dependencies * DEPENDENCY_BYTES
