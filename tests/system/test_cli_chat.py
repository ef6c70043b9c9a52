"""``rpc-hub chat``: two real processes on pseudo-terminals, as two people would run it,
talking through a real server."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest

from tests.helpers.server_process import ServerProcess, server_process
from tests.helpers.terminal import terminal


@pytest.fixture
async def server() -> AsyncIterator[ServerProcess]:
    async with server_process("--no-call-log") as process:
        yield process


async def test_two_people_chat_in_a_room(server: ServerProcess) -> None:
    alice = await terminal(server.url, "chat", "lobby", "--name", "alice")
    bob = None
    try:
        await alice.shows("in lobby as alice")
        alice.type("anyone here?")
        await alice.shows("alice: anyone here?")
        bob = await terminal(server.url, "chat", "lobby", "--name", "bob")
        await bob.shows("alice: anyone here?")  # the room's history, first
        await bob.shows("in lobby as bob with: alice, bob")
        await alice.shows("* bob joined")
        alice.type("hello bob")
        await bob.shows("alice: hello bob")
        bob.type("hi alice")
        await alice.shows("bob: hi alice")
        impostor = await terminal(server.url, "chat", "lobby", "--name", "ALICE")
        try:
            await impostor.shows("error 6002")  # names compare ignoring case
            assert await impostor.exited() == 1
        finally:
            impostor.close()
        bob.type("/quit")
        assert await bob.exited() == 0
        await alice.shows("* bob left")
        os.write(alice.leader, b"\x04")  # Ctrl-D: end of input
        assert await alice.exited() == 0
    finally:
        for person in (alice, bob):
            if person is not None:
                if person.process.returncode is None:
                    person.process.kill()
                    await person.process.wait()
                person.close()
