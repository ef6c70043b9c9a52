"""chat.* between real WebSocket clients: rooms, messages, presence, history and resume."""

from __future__ import annotations

from typing import Any

from app.clock import ManualClock
from tests.helpers.rpc import Client, MakeClient, error, result
from tests.helpers.ws import connect


async def test_two_members_talk_and_hear_each_other_come_and_go(client: Client) -> None:
    ada, bob = await connect(client), await connect(client)
    [me] = await ada.result("chat.join", {"room": "lobby", "name": "ada"})
    assert me["name"] == "ada"
    listening = await ada.result("chat.subscribe", {"room": "lobby"})
    roster = await bob.result("chat.join", {"room": "lobby", "name": "bob"})
    assert [m["name"] for m in roster] == ["ada", "bob"]
    joined = await ada.notification()
    assert joined["subscription"] == listening["subscription"]
    assert joined["result"] == {"kind": "join", "name": "bob", "at": joined["result"]["at"]}
    sent = await bob.result("chat.send", {"room": "lobby", "text": "hello, ada"})
    heard = await ada.notification()
    assert heard["result"]["text"] == "hello, ada"
    assert heard["offset"] == sent["offset"]
    await bob.close()  # a closed connection leaves its rooms
    left = await ada.notification()
    assert left["result"]["kind"] == "leave"
    assert left["result"]["reason"] == "disconnected"
    names = [m["name"] for m in await ada.result("chat.members", {"room": "lobby"})]
    assert names == ["ada"]
    kinds = [e["kind"] for e in await result(client, "chat.history", {"room": "lobby"})]
    assert kinds == ["join", "join", "message", "leave"]
    await ada.close()


async def test_only_members_send_and_the_rate_is_per_member(client: Client) -> None:
    assert (await error(client, "chat.send", {"room": "quiet", "text": "hi"}))["code"] == 6001
    await result(client, "chat.join", {"room": "quiet", "name": "ada"})
    for n in range(5):
        await result(client, "chat.send", {"room": "quiet", "text": f"{n}"})
    refused = await error(client, "chat.send", {"room": "quiet", "text": "six"})
    assert refused["code"] == 6004
    assert refused["data"]["retry_after_s"] > 0


async def test_a_member_not_heard_from_expires_and_its_leave_is_told(
    make_client: MakeClient, clock: ManualClock
) -> None:
    client = await make_client(clock=clock, chat_presence_ttl_s=30)
    await result(client, "chat.join", {"room": "lobby", "name": "ada"})  # over HTTP: no refresh
    clock.advance(31)
    assert await result(client, "chat.members", {"room": "lobby"}) == []
    history: list[dict[str, Any]] = await result(client, "chat.history", {"room": "lobby"})
    assert [(e["kind"], e["reason"]) for e in history] == [("join", None), ("leave", "expired")]


async def test_a_listener_that_reconnects_gets_what_it_missed(client: Client) -> None:
    await result(client, "chat.join", {"room": "lobby", "name": "ada"})
    listener = await connect(client)
    first = await listener.result("chat.subscribe", {"room": "lobby"})
    await listener.close()
    await result(client, "chat.send", {"room": "lobby", "text": "while you were out"})
    again = await connect(client)
    since = {"epoch": first["epoch"], "offset": first["offset"]}
    resumed = await again.result("chat.subscribe", {"room": "lobby", "since": since})
    assert resumed["recovered"] is True
    missed = await again.notification()
    assert missed["result"]["text"] == "while you were out"
    await again.close()
