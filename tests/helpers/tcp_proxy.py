"""A TCP forwarder a test can cut: the network between a client and a server failing."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class Proxy:
    """Forwards each connection to ``target``; ``cut()`` drops them all and refuses new ones
    until ``mend()``."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self._writers: set[asyncio.StreamWriter] = set()
        self._pipes: set[asyncio.Task[None]] = set()
        self.up = True
        self.port = 0

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.up:
            writer.transport.abort()
            return
        upstream_reader, upstream_writer = await asyncio.open_connection(*self._target)
        self._writers.update((writer, upstream_writer))
        pipes = [
            asyncio.create_task(_pipe(reader, upstream_writer)),
            asyncio.create_task(_pipe(upstream_reader, writer)),
        ]
        self._pipes.update(pipes)
        await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
        for pipe in pipes:
            pipe.cancel()
            self._pipes.discard(pipe)
        for end in (writer, upstream_writer):
            end.transport.abort()
            self._writers.discard(end)

    def cut(self) -> None:
        """Drop every forwarded connection at once (no close frames), and refuse new ones."""
        self.up = False
        for writer in list(self._writers):
            writer.transport.abort()

    def mend(self) -> None:
        self.up = True


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()


@asynccontextmanager
async def proxy(target_host: str, target_port: int) -> AsyncIterator[Proxy]:
    """A proxy to ``target`` on a free loopback port, for the block."""
    forwarder = Proxy(target_host, target_port)
    server = await asyncio.start_server(forwarder._serve, "127.0.0.1", 0)
    forwarder.port = server.sockets[0].getsockname()[1]
    try:
        yield forwarder
    finally:
        forwarder.cut()
        server.close()
        await server.wait_closed()
