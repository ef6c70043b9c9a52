"""Dependencies: a task waits for its dependencies, and is cancelled when one of them fails."""

from __future__ import annotations

from tests.helpers.tasks import Queue


def dag(size: int) -> dict[int, list[int]]:
    """A fixed DAG: chains of ten (each node after the one before), cross-linked: an even
    node also depends on the node seven before it."""
    edges: dict[int, list[int]] = {}
    for i in range(size):
        deps = set()
        if i % 10:
            deps.add(i - 1)
        if i >= 7 and i % 2 == 0:
            deps.add(i - 7)
        edges[i] = sorted(deps)
    return edges


def descendants(edges: dict[int, list[int]], root: int) -> set[int]:
    found: set[int] = set()
    frontier = {root}
    while frontier:
        frontier = {i for i, deps in edges.items() if set(deps) & frontier} - found
        found |= frontier
    return found


async def test_a_failure_in_the_middle_cancels_exactly_its_dependents(q: Queue) -> None:
    edges = dag(50)
    failing = 25
    ids: dict[int, str] = {}
    for i, deps in edges.items():
        ids[i] = await q.submit(payload=i, depends_on=[ids[d] for d in deps])
    number = {task_id: i for i, task_id in ids.items()}
    worker = await q.worker(capacity=50)
    while claimed := await q.claim(worker, max_tasks=50):
        for task in claimed:
            i = number[task["task_id"]]
            # Every dependency has succeeded, and its result is handed over.
            assert task["dep_results"] == {ids[d]: d * 10 for d in edges[i]}
            if i == failing:
                await q.fail(task, retryable=False)
            else:
                await q.complete(task, i * 10)
    cancelled = descendants(edges, failing)
    assert 5 < len(cancelled) < 40  # the failure is in the middle, with work on both sides
    for i, task_id in ids.items():
        view = await q.get(task_id)
        if i == failing:
            assert view["state"] == "failed"
        elif i in cancelled:
            assert (view["state"], view["reason"], view["attempts"]) == (
                "cancelled",
                "upstream_failed",
                [],
            ), i
        else:
            assert (view["state"], view["result"]) == ("succeeded", i * 10), i


async def test_blocked_until_every_dependency_succeeds(q: Queue) -> None:
    a, b = await q.submit(payload="a"), await q.submit(payload="b")
    child = await q.submit(payload="c", depends_on=[a, b, a])
    view = await q.get(child)
    assert (view["state"], view["emoji"], view["depends_on"]) == ("blocked", "⛓", [a, b])
    worker = await q.worker()
    await q.complete(await q.claim_one(worker), "A")
    assert await q.state(child) == "blocked"
    await q.complete(await q.claim_one(worker), "B")
    claimed = await q.claim_one(worker)
    assert claimed["task_id"] == child
    assert claimed["dep_results"] == {a: "A", b: "B"}


async def test_a_dependency_that_dies_or_is_cancelled_cancels_its_dependents(q: Queue) -> None:
    dies = await q.submit(max_attempts=1)
    child = await q.submit(depends_on=[dies])
    grandchild = await q.submit(depends_on=[child])
    await q.fail(await q.claim_one(await q.worker()))
    assert await q.state(dies) == "dead"
    for task in (child, grandchild):
        view = await q.get(task)
        assert (view["state"], view["reason"]) == ("cancelled", "upstream_failed")
    # Submitting after the failure is cancelled at once.
    late = await q.call("tasks.submit", {"type": "compute", "depends_on": [dies]})
    assert (late["state"], late["emoji"]) == ("cancelled", "🚫")

    root = await q.submit(delay_s=10)
    leaf = await q.submit(depends_on=[root])
    await q.call("tasks.cancel", {"task_id": root})
    assert (await q.get(leaf))["reason"] == "upstream_failed"


async def test_results_are_kept_while_dependents_wait(q: Queue) -> None:
    quick = await q.submit(payload="quick", result_ttl_s=1)
    slow = await q.submit(payload="slow", delay_s=100)
    child = await q.submit(depends_on=[quick, slow], result_ttl_s=1)
    worker = await q.worker()
    await q.complete(await q.claim_one(worker), "Q")
    q.clock.advance(100)
    assert (await q.get(quick))["result"] == "Q"  # expired, but its dependent still waits
    await q.complete(await q.claim_one(worker), "S")
    claimed = await q.claim_one(worker)
    assert claimed["dep_results"] == {quick: "Q", slow: "S"}
    await q.complete(claimed)
    q.clock.advance(1)
    for task in (quick, child):
        assert (await q.error("tasks.get", {"task_id": task}))["code"] == 5001
    assert await q.state(slow) == "succeeded"  # its own TTL (the default hour) runs on
