"""Resuming over a WebSocket: ``tasks.subscribe`` with ``since`` {epoch, offset} after a
reconnect gets exactly the events missed, then live ones, and says whether it recovered."""

from __future__ import annotations

from typing import Any

from tests.helpers.rpc import Client, MakeClient, result
from tests.helpers.ws import Socket, connect


async def submit(client: Client, payload: object = None) -> str:
    answer = await result(client, "tasks.submit", {"type": "echo", "payload": payload})
    task_id: str = answer["task_id"]
    return task_id


async def events(socket: Socket, count: int) -> list[tuple[int, str]]:
    """The next ``count`` notifications' offsets and task ids."""
    got = [await socket.notification() for _ in range(count)]
    return [(params["offset"], params["result"]["task_id"]) for params in got]


async def test_a_reconnected_client_gets_exactly_what_it_missed(client: Client) -> None:
    socket = await connect(client)
    subscribed = await socket.result("tasks.subscribe")
    seen = [await submit(client, n) for n in range(2)]
    assert await events(socket, 2) == [(1, seen[0]), (2, seen[1])]
    await socket.close()
    missed = [await submit(client, n) for n in range(2, 5)]

    again = await connect(client)
    since = {"epoch": subscribed["epoch"], "offset": 2}
    resumed: dict[str, Any] = await again.result("tasks.subscribe", {"since": since})
    assert resumed["recovered"] is True
    assert (resumed["epoch"], resumed["offset"]) == (subscribed["epoch"], 5)
    assert await events(again, 3) == [(3, missed[0]), (4, missed[1]), (5, missed[2])]
    live = await submit(client)
    assert await events(again, 1) == [(6, live)]  # nothing repeated before it
    await again.close()


async def test_resuming_from_the_newest_offset_replays_nothing(client: Client) -> None:
    socket = await connect(client)
    await submit(client)
    subscribed = await socket.result("tasks.subscribe")
    since = {"epoch": subscribed["epoch"], "offset": subscribed["offset"]}
    assert subscribed["offset"] == 1
    other = await connect(client)
    resumed = await other.result("tasks.subscribe", {"since": since})
    assert resumed["recovered"] is True
    live = await submit(client)
    assert await events(other, 1) == [(2, live)]
    await socket.close()
    await other.close()


async def test_a_wrong_epoch_recovers_nothing_and_goes_live(client: Client) -> None:
    old = [await submit(client, n) for n in range(2)]
    socket = await connect(client)
    since = {"epoch": "not-this-one", "offset": 1}
    resumed = await socket.result("tasks.subscribe", {"since": since})
    assert resumed["recovered"] is False
    assert resumed["offset"] == 2
    live = await submit(client)
    assert await events(socket, 1) == [(3, live)]  # neither of the old ones
    assert live not in old
    await socket.close()


async def test_an_offset_beyond_the_newest_recovers_nothing(client: Client) -> None:
    socket = await connect(client)
    subscribed = await socket.result("tasks.subscribe")
    await socket.close()
    again = await connect(client)
    since = {"epoch": subscribed["epoch"], "offset": 50}  # more than was ever published
    resumed = await again.result("tasks.subscribe", {"since": since})
    assert (resumed["recovered"], resumed["offset"]) == (False, 0)
    live = await submit(client)
    assert await events(again, 1) == [(1, live)]  # not skipped as if already seen
    await again.close()


async def test_a_gap_longer_than_the_history_recovers_nothing(make_client: MakeClient) -> None:
    client = await make_client(events_history=2)
    socket = await connect(client)
    subscribed = await socket.result("tasks.subscribe")
    await socket.close()
    for n in range(4):
        await submit(client, n)
    again = await connect(client)
    since = {"epoch": subscribed["epoch"], "offset": 0}
    resumed = await again.result("tasks.subscribe", {"since": since})
    assert resumed["recovered"] is False
    live = await submit(client)
    assert await events(again, 1) == [(5, live)]
    await again.close()


async def test_a_since_that_is_malformed_is_invalid_params(client: Client) -> None:
    socket = await connect(client)
    for since in [{"epoch": "e"}, {"epoch": "e", "offset": -1}, "e:1"]:
        error = await socket.error("tasks.subscribe", {"since": since})
        assert error["code"] == -32602, since
    await socket.close()
