"""The ``EventStore`` contract: topics with offsets, bounded history, and live listeners.

Offsets count a topic's events from 1; listeners of a topic get its events from the time they
listen, in offset order, by the time ``publish`` returns; a replay from a position is
recovered exactly when every event after it is still kept, and then holds exactly those.
A new backend passes this by joining BACKENDS.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import JsonValue

from app.clock import ManualClock
from app.events.memory import MemoryEventStore
from app.events.models import Event, Position
from app.events.redis import RedisEventStore
from app.events.store import EventStore
from app.stores import Backend, StoreContext
from tests.helpers.backends import on_redis, opened
from tests.helpers.events import Heard

Factory = Callable[[StoreContext], Backend]
OpenEvents = Callable[..., Awaitable[EventStore]]

BACKENDS = [pytest.param(MemoryEventStore, id="memory"), on_redis(RedisEventStore)]


@pytest.fixture
async def open_events(backend: Factory, clock: ManualClock) -> AsyncIterator[OpenEvents]:
    """Open event stores of the test's backend from settings overrides; all close at the end."""
    async with AsyncExitStack() as stack:

        async def open_(**overrides: Any) -> EventStore:
            store = await stack.enter_async_context(opened(backend, clock, **overrides))
            assert isinstance(store, EventStore)
            return store

        yield open_


@pytest.fixture
async def events(open_events: OpenEvents) -> EventStore:
    return await open_events(events_history=5)


async def publish_all(events: EventStore, topic: str, data: list[Any]) -> list[Event]:
    return [await events.publish(topic, item) for item in data]


async def epoch(events: EventStore, topic: str) -> str:
    return (await events.replay(topic, None)).position.epoch


# ---- publishing and listening ---------------------------------------------------------------


async def test_offsets_count_from_1_in_each_topic(events: EventStore) -> None:
    published = [await events.publish(topic, n) for n, topic in enumerate("aaba")]
    assert published == [Event("a", 1, 0), Event("a", 2, 1), Event("b", 1, 2), Event("a", 3, 3)]


async def test_listeners_get_their_topics_events_in_order_by_the_time_publish_returns(
    events: EventStore,
) -> None:
    first, second, other = Heard(), Heard(), Heard()
    events.listen("a", first)
    events.listen("a", second)
    events.listen("b", other)
    for n in range(3):
        await events.publish("a", n)
        assert first.data == second.data == list(range(n + 1))
    await events.publish("b", "x")
    assert [(e.offset, e.data) for e in first.events] == [(1, 0), (2, 1), (3, 2)]
    assert other.events == [Event("b", 1, "x")]


async def test_a_listener_gets_only_what_is_published_after_it_listens(events: EventStore) -> None:
    await events.publish("a", "before")
    late = Heard()
    events.listen("a", late)
    await events.publish("a", "after")
    assert late.events == [Event("a", 2, "after")]


async def test_stop_ends_one_listeners_delivery_and_no_other(events: EventStore) -> None:
    stopped, kept = Heard(), Heard()
    stop = events.listen("a", stopped)
    events.listen("a", kept)
    await events.publish("a", 1)
    stop()
    stop()  # a second stop changes nothing
    await events.publish("a", 2)
    assert (stopped.data, kept.data) == ([1], [1, 2])
    again = Heard()
    events.listen("a", again)  # a topic whose listeners all stopped can be listened to again
    await events.publish("a", 3)
    assert again.data == [3]


async def test_a_failing_listener_does_not_keep_the_event_from_the_others(
    events: EventStore, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(event: Event) -> None:
        raise RuntimeError("listener bug")

    heard = Heard()
    events.listen("a", broken)
    events.listen("a", heard)
    await events.publish("a", 1)
    assert heard.data == [1]
    assert "an event listener of a failed" in caplog.messages


async def test_any_topic_name_and_json_value_comes_back_as_published(events: EventStore) -> None:
    topic = "room:{x} 1 \n\udcff é" + "k" * 200
    data: JsonValue = {
        "n": [2**63 - 1, -(2**63), 1.5e300, 0.1],
        "s": "a b\n\u2028",
        "z": None,
        "t": True,
    }
    heard, shorter = Heard(), Heard()
    events.listen(topic, heard)
    events.listen(topic[:-1], shorter)  # a topic that begins another is another
    event = await events.publish(topic, data)
    assert heard.events == [event] == [Event(topic, 1, data)]
    assert shorter.events == []
    assert await events.history(topic, limit=5) == [event]
    since = Position(epoch=await epoch(events, topic), offset=0)
    assert (await events.replay(topic, since)).events == [event]


# ---- replay ---------------------------------------------------------------------------------


async def test_a_replay_from_nowhere_recovers_nothing_and_says_where_the_topic_is(
    events: EventStore,
) -> None:
    quiet = await events.replay("a", None)
    assert (quiet.events, quiet.recovered, quiet.position.offset) == ([], False, 0)
    await publish_all(events, "a", [1, 2])
    replay = await events.replay("a", None)
    assert (replay.events, replay.recovered) == ([], False)
    assert replay.position == Position(epoch=quiet.position.epoch, offset=2)  # one epoch


async def test_a_replay_in_another_epoch_or_from_ahead_recovers_nothing(
    events: EventStore,
) -> None:
    await publish_all(events, "a", [1, 2])
    current = await epoch(events, "a")
    assert current != await epoch(events, "b")  # each topic has its own
    for since in (Position(epoch="other", offset=1), Position(epoch=current, offset=3)):
        replay = await events.replay("a", since)
        assert (replay.events, replay.recovered) == ([], False)
        assert replay.position == Position(epoch=current, offset=2)


async def test_a_replay_after_a_gap_within_the_history_gives_exactly_what_was_missed(
    events: EventStore,
) -> None:
    published = await publish_all(events, "a", list(range(8)))  # history 5: keeps 4 to 8
    current = await epoch(events, "a")
    for offset in (3, 4, 7):
        replay = await events.replay("a", Position(epoch=current, offset=offset))
        assert replay.recovered
        assert replay.events == published[offset:]
    caught_up = await events.replay("a", Position(epoch=current, offset=8))
    assert (caught_up.events, caught_up.recovered) == ([], True)


async def test_a_replay_from_before_the_history_recovers_nothing(events: EventStore) -> None:
    await publish_all(events, "a", list(range(8)))  # history 5: event 3 is gone
    too_old = await events.replay("a", Position(epoch=await epoch(events, "a"), offset=2))
    assert (too_old.events, too_old.recovered, too_old.position.offset) == ([], False, 8)


async def test_with_no_history_offsets_still_count_and_only_the_newest_position_holds(
    open_events: OpenEvents,
) -> None:
    events = await open_events(events_history=0)
    heard = Heard()
    events.listen("a", heard)
    assert [e.offset for e in await publish_all(events, "a", [1, 2, 3])] == [1, 2, 3]
    assert heard.data == [1, 2, 3]
    assert await events.history("a", limit=10) == []
    current = await epoch(events, "a")
    assert (await events.replay("a", Position(epoch=current, offset=3))).recovered
    assert not (await events.replay("a", Position(epoch=current, offset=2))).recovered


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    history=st.integers(0, 6),
    topics=st.lists(st.sampled_from("ab"), max_size=16),
    since=st.one_of(st.none(), st.tuples(st.booleans(), st.integers(0, 18))),
)
async def test_a_replay_is_recovered_iff_it_holds_every_event_after_the_position(
    backend: Factory,
    clock: ManualClock,
    history: int,
    topics: list[str],
    since: tuple[bool, int] | None,
) -> None:
    async with opened(backend, clock, events_history=history) as events:
        assert isinstance(events, EventStore)
        current = await epoch(events, "a")
        published = [await events.publish(topic, n) for n, topic in enumerate(topics)]
        position = None
        if since is not None:
            position = Position(epoch=current if since[0] else "other", offset=since[1])
        replay = await events.replay("a", position)
    on_a = [event for event in published if event.topic == "a"]
    kept = on_a[max(len(on_a) - history, 0) :] if history else []
    assert replay.position == Position(epoch=current, offset=len(on_a))
    missed = [e for e in on_a if position is not None and e.offset > position.offset]
    holds = (
        position is not None
        and position.epoch == current
        and position.offset <= len(on_a)
        and all(event in kept for event in missed)
    )
    assert replay.recovered == holds
    assert replay.events == (missed if holds else [])


# ---- history --------------------------------------------------------------------------------


async def test_history_is_the_newest_the_newest_before_or_the_oldest_since(
    open_events: OpenEvents,
) -> None:
    events = await open_events(events_history=10)
    published = await publish_all(events, "a", list(range(1, 9)))  # offsets 1 to 8
    await events.publish("b", "elsewhere")
    assert await events.history("a", limit=3) == published[5:]
    assert await events.history("a", limit=100) == published
    assert await events.history("a", before=5, limit=2) == published[2:4]
    assert await events.history("a", before=2, limit=5) == published[:1]
    assert await events.history("a", before=1, limit=5) == []
    assert await events.history("a", since=5, limit=2) == published[5:7]
    assert await events.history("a", since=0, limit=2) == published[:2]
    assert await events.history("a", since=8, limit=2) == []
    assert await events.history("a", limit=0) == []
    assert await events.history("nothing", limit=5) == []


async def test_history_keeps_only_the_last_events_history_events(events: EventStore) -> None:
    published = await publish_all(events, "a", list(range(12)))  # history 5
    assert await events.history("a", limit=100) == published[-5:]
    assert await events.history("a", since=0, limit=100) == published[-5:]
    assert await events.history("a", before=9, limit=100) == published[7:8]
