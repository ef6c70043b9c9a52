"""Ready queues: which pending task a worker gets next.

One heap per (queue, type), keyed by (-priority rank, ready time, submit order): the most
urgent task first, ties FIFO by when it became ready, then by submit order. The task is
chosen at claim time, among the heaps the worker declared; nothing is prefetched.

Beside them, one heap per queue keyed by ready time: how long each queue's oldest pending
task has waited, for the metrics.

Removal is lazy: ``discard`` forgets a task's entry, and stale entries are dropped when they
reach the top of their heap.
"""

from __future__ import annotations

import heapq
from collections.abc import Hashable, Iterable
from itertools import count
from typing import Any, TypeVar

from app.tasks.records import Task

_Key = tuple[int, float, int]
_Entry = tuple[_Key, int, str]
"""(sort key, entry token, task id)"""
_Age = tuple[float, int, str]
"""(ready time, entry token, task id)"""
H = TypeVar("H", bound=Hashable)
E = TypeVar("E", bound=tuple[Any, int, str])


class ReadyQueues:
    def __init__(self) -> None:
        self._heaps: dict[tuple[str, str], list[_Entry]] = {}
        self._ages: dict[str, list[_Age]] = {}
        """Per queue, its ready tasks by ready time."""
        self._live: dict[str, int] = {}
        """Task id -> the token of its one live entry (in its pair's heap and its queue's)."""
        self._tokens = count()
        self._stale = 0

    def push(self, task: Task) -> None:
        """Make ``task`` claimable (replacing any earlier entry of it)."""
        token = next(self._tokens)
        if task.id in self._live:
            self._left_stale(2)
        self._live[task.id] = token
        key = (-task.priority.rank, task.ready_at, task.seq)
        heapq.heappush(self._heaps.setdefault((task.queue, task.type), []), (key, token, task.id))
        heapq.heappush(self._ages.setdefault(task.queue, []), (task.ready_at, token, task.id))

    def discard(self, task_id: str) -> None:
        if self._live.pop(task_id, None) is not None:
            self._left_stale(2)

    def _left_stale(self, entries: int) -> None:
        """``entries`` became stale: compact once stale ones outnumber the live."""
        self._stale += entries
        if self._stale > 1024 and self._stale > 2 * len(self._live):
            self._compact()

    def __contains__(self, task_id: str) -> bool:
        return task_id in self._live

    def __len__(self) -> int:
        return len(self._live)

    def pop(self, queues: Iterable[str], types: Iterable[str]) -> str | None:
        """Take the most urgent ready task among these queues and types, if any."""
        best: list[_Entry] | None = None
        best_key = ("", "")
        for key in self._candidates(list(queues), list(types)):
            heap = self._heaps.get(key)
            if heap is None:
                continue
            self._drop_stale(heap)
            if not heap:
                del self._heaps[key]  # names come from clients: keep no empty heaps
            elif best is None or heap[0] < best[0]:
                best, best_key = heap, key
        if best is None:
            return None
        _, _, task_id = heapq.heappop(best)
        if not best:
            del self._heaps[best_key]
        del self._live[task_id]
        self._left_stale(1)  # its entry in its queue's age heap
        return task_id

    def oldest(self, queue: str) -> float | None:
        """When the oldest ready task of ``queue`` became ready; None if it has none."""
        heap = self._ages.get(queue)
        if heap is None:
            return None
        self._drop_stale(heap)
        if not heap:
            del self._ages[queue]
            return None
        return heap[0][0]

    def queues(self) -> list[str]:
        """The queues with ready tasks (and perhaps a few whose last one just left)."""
        return list(self._ages)

    def _candidates(self, queues: list[str], types: list[str]) -> list[tuple[str, str]]:
        """The heaps a worker of these queues and types may take from: each pair it
        declared, or each heap there is, whichever is fewer (a worker may declare 100 of
        each, and 10,000 lookups per task taken would stall the loop)."""
        if len(queues) * len(types) <= len(self._heaps):
            return [(queue, type_) for queue in queues for type_ in types]
        wanted_queues, wanted_types = set(queues), set(types)
        return [key for key in self._heaps if key[0] in wanted_queues and key[1] in wanted_types]

    def _drop_stale(self, heap: list[E]) -> None:
        while heap and self._live.get(heap[0][2]) != heap[0][1]:
            heapq.heappop(heap)

    def _compact(self) -> None:
        """Rebuild the heaps without stale entries, so cancelled tasks cannot pile up."""
        self._heaps = self._compacted(self._heaps)
        self._ages = self._compacted(self._ages)
        self._stale = 0

    def _compacted(self, heaps: dict[H, list[E]]) -> dict[H, list[E]]:
        kept: dict[H, list[E]] = {}
        for heap_key, heap in heaps.items():
            live = [entry for entry in heap if self._live.get(entry[2]) == entry[1]]
            if live:
                heapq.heapify(live)
                kept[heap_key] = live
        return kept
