"""``rpc-hub chat ROOM --name N``: a chat room on a terminal, over one WebSocket.

It subscribes to the room first and then reads its history up to where the subscription
began, so nothing is shown twice or missed; then it joins, prints each message, join and
leave as it comes, and sends each line typed. ``/quit``, end of input or Ctrl-C leaves.
A seat belongs to its connection: after a reconnect it joins again.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import threading
import time
from typing import Any

from rich.text import Text

from app.chat.errors import NameTaken, NotMember, RoomFull, SendingTooFast
from app.client.commands import OK, RPC_ERROR, connection_arguments, run
from app.client.errors import ConnectionLost
from app.client.output import Output
from app.client.subscription import Subscription
from app.client.ws import WsClient
from app.rpc.errors import RPCError

HISTORY = 50
"""How many of the room's last events are shown on joining."""
QUIT = "/quit"
_LEFT = {"left": "left", "expired": "timed out", "disconnected": "was disconnected"}


def configure_chat(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("room", help="the room: 1 to 64 of a-z, 0-9, _ and -")
    parser.add_argument("--name", required=True, help="your name in the room")
    connection_arguments(parser)


def run_chat(args: argparse.Namespace) -> int:
    """Chat in one room until /quit, end of input or Ctrl-C."""
    output = Output()
    return run(output, args, _chat(output, args), interrupted=OK)


async def _chat(output: Output, args: argparse.Namespace) -> int:
    errors = [NotMember, NameTaken, RoomFull, SendingTooFast]
    async with WsClient(args.url, key=args.token, timeout=args.timeout, errors=errors) as ws:
        room = _Room(ws, output, args.room, args.name)
        events = await ws.subscribe("chat.subscribe", room=args.room).start()
        if events.offset:
            kept = await ws.call(
                "chat.history", room=args.room, before=events.offset + 1, limit=HISTORY
            )
            for event in kept:
                room.show(event)
        try:
            present = await room.join()
        except RPCError as error:
            output.error(error.to_error())
            return RPC_ERROR
        names = ", ".join(member["name"] for member in present)
        output.note(f"in {args.room} as {args.name} with: {names}; {QUIT} or Ctrl-D to leave")
        printer = asyncio.get_running_loop().create_task(room.follow(events))
        try:
            await room.talk(_lines(), printer)
        finally:
            printer.cancel()
            with contextlib.suppress(RPCError, ConnectionLost, TimeoutError):
                await ws.call("chat.leave", room=args.room)
        return OK


class _Room:
    def __init__(self, ws: WsClient, output: Output, room: str, name: str) -> None:
        self.ws = ws
        self.output = output
        self.room = room
        self.name = name

    async def join(self) -> Any:
        return await self.ws.call("chat.join", room=self.room, name=self.name)

    async def follow(self, events: Subscription) -> None:
        resumed = 0
        async for event in events:
            if events.resumed != resumed:  # a new connection: the old one's seat is gone
                resumed = events.resumed
                await self.join()
            self.show(event)

    async def talk(self, lines: asyncio.Queue[str | None], printer: asyncio.Task[None]) -> None:
        """Send each line until /quit or end of input; raise what ended ``printer`` first."""
        while True:
            next_line = asyncio.get_running_loop().create_task(lines.get())
            await asyncio.wait((next_line, printer), return_when=asyncio.FIRST_COMPLETED)
            if printer.done():
                next_line.cancel()
                printer.result()  # the subscription's error (ConnectionLost, say)
                return
            line = next_line.result()
            if line is None or line.strip() == QUIT:
                return
            if line.strip():
                await self.send(line.rstrip("\n"))

    async def send(self, text: str) -> None:
        try:
            try:
                await self.ws.call("chat.send", room=self.room, text=text)
            except NotMember:  # the socket was opened again, and the seat went with the old one
                await self.join()
                await self.ws.call("chat.send", room=self.room, text=text)
        except SendingTooFast as error:
            wait = (error.data or {}).get("retry_after_s", 1)
            self.output.note(f"not sent: sending too fast; wait {wait:g} s")
        except RPCError as error:
            self.output.error(error.to_error())

    def show(self, event: dict[str, Any]) -> None:
        line = Text(time.strftime("%H:%M:%S ", time.localtime(event.get("at") or 0)), "dim")
        name = str(event.get("name"))
        kind = event.get("kind")
        if kind == "message":
            line.append(name, "bold cyan" if name != self.name else "bold")
            line.append(f": {event.get('text')}")
        elif kind == "join":
            line.append(f"* {name} joined", "green")
        else:
            line.append(f"* {name} {_LEFT.get(str(event.get('reason')), 'left')}", "yellow")
        self.output.out.print(line, soft_wrap=True)


def _lines() -> asyncio.Queue[str | None]:
    """Standard input's lines, then None. Read by a daemon thread: putting a shared terminal
    in non-blocking mode would break writes to it, and a blocked read must not hold up exit."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def read() -> None:
        with contextlib.suppress(RuntimeError):  # the loop closed: the command is over
            for line in sys.stdin:
                loop.call_soon_threadsafe(queue.put_nowait, line)
            loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=read, name="chat-stdin", daemon=True).start()
    return queue
